/**
 * A labelled grid of images as one SVG document (rows x columns of PNG tiles embedded as `data:` URIs,
 * with a title, row and column labels and a caption), e.g. paper Fig. 2 / Fig. 6: architectures x depths
 * next to the input. {@link imageGridSvg} is pure string building; {@link renderImageGridPng} encodes
 * the tiles and renders the figure to PNG bytes in memory (sharp, through png.ts and plots.ts).
 * @module
 */
import type { RgbImage } from "../data/image.ts";
import { encodePng } from "./png.ts";
import { svgToPng } from "./plots.ts";

/** Base64 of bytes (standard alphabet, padded). */
export function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Escape text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Contents of {@link imageGridSvg}. */
export interface ImageGridFigure {
  /** PNG bytes per cell, `cells[row][col]`; null leaves the cell empty. */
  cells: (Uint8Array | null)[][];
  rowLabels: string[];
  colLabels: string[];
  /** Tile size in figure pixels (default 128). */
  tile?: number;
  /** Gap between tiles (default 6). */
  gap?: number;
  title?: string;
  /** One line under the grid (settings, sources). */
  caption?: string;
}

/** Build the SVG of a labelled image grid. */
export function imageGridSvg(fig: ImageGridFigure): string {
  const tile = fig.tile ?? 128;
  const gap = fig.gap ?? 6;
  const rows = fig.cells.length;
  const cols = Math.max(0, ...fig.cells.map((r) => r.length));
  if (fig.rowLabels.length !== rows || fig.colLabels.length !== cols) {
    throw new RangeError(
      `Cannot label a ${rows}x${cols} grid with ${fig.rowLabels.length} row and ${fig.colLabels.length} column labels`,
    );
  }
  const left = 100;
  if (!(tile > 0)) throw new RangeError(`tile must be positive, got ${tile}`);
  const top = (fig.title ? 34 : 8) + 22;
  // Wide enough for the title and caption (approximate text widths at their font sizes).
  const width = Math.max(left + cols * (tile + gap) + gap, (fig.title?.length ?? 0) * 9.6 + 20, (fig.caption?.length ?? 0) * 6.3 + 12);
  const height = top + rows * (tile + gap) + (fig.caption ? 26 : 8);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<g font-family="DejaVu Sans, Arial, sans-serif" fill="#222">`,
  ];
  if (fig.title) out.push(`<text x="${width / 2}" y="24" font-size="17" text-anchor="middle">${escapeXml(fig.title)}</text>`);
  fig.colLabels.forEach((l, c) => {
    out.push(`<text x="${left + c * (tile + gap) + tile / 2}" y="${top - 8}" font-size="13" text-anchor="middle">${escapeXml(l)}</text>`);
  });
  fig.rowLabels.forEach((l, r) => {
    out.push(`<text x="${left - 8}" y="${top + r * (tile + gap) + tile / 2 + 5}" font-size="14" text-anchor="end">${escapeXml(l)}</text>`);
  });
  fig.cells.forEach((row, r) =>
    row.forEach((png, c) => {
      if (!png) return;
      out.push(
        `<image x="${left + c * (tile + gap)}" y="${top + r * (tile + gap)}" width="${tile}" height="${tile}" ` +
          `preserveAspectRatio="none" href="data:image/png;base64,${base64(png)}"/>`,
      );
    })
  );
  if (fig.caption) out.push(`<text x="${gap}" y="${height - 9}" font-size="11" fill="#555">${escapeXml(fig.caption)}</text>`);
  out.push("</g></svg>");
  return out.join("\n");
}

/** Images with row and column labels (cells may be empty). */
export interface ImageGrid {
  images: (RgbImage | null)[][];
  rowLabels: string[];
  colLabels: string[];
}

/** Encode every tile as PNG, lay them out with {@link imageGridSvg} and render the figure to PNG bytes. */
export async function renderImageGridPng(
  grid: ImageGrid,
  opts: { tile?: number; title?: string; caption?: string } = {},
): Promise<Uint8Array> {
  const cells = await Promise.all(grid.images.map((row) => Promise.all(row.map((img) => (img ? encodePng(img) : null)))));
  return await svgToPng(imageGridSvg({ cells, rowLabels: grid.rowLabels, colLabels: grid.colLabels, ...opts }));
}
