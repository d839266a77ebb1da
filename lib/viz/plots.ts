/**
 * Training and validation plots as SVG text, rendered to PNG with sharp: the `results.png` grid of
 * loss and metric curves (utils/plots.py `plot_results`), the precision-recall curve
 * (utils/metrics.py `plot_pr_curve`) and the confusion matrix (`ConfusionMatrix.plot`). SVG builders are
 * pure string functions; {@link svgToPng} converts without touching the file system.
 * @module
 */
import sharp from "npm:sharp@0.35.5";

/** One line of a plot. */
export interface Series {
  label?: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  width?: number;
  /** Draw a dot per point (results curves). */
  markers?: boolean;
}

/** A panel: title, axis labels, lines, optional fixed ranges. */
export interface Panel {
  title?: string;
  xlabel?: string;
  ylabel?: string;
  series: Series[];
  xrange?: [number, number];
  yrange?: [number, number];
  legend?: boolean;
}

/** matplotlib's default colour cycle. */
export const PALETTE: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toPrecision(12));
  return out;
}

function tickLabel(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4));
}

function extent(series: Series[], key: "x" | "y"): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s[key].length; i++) {
      const v = s[key][i];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  const m = (hi - lo) * 0.05;
  return [lo - m, hi + m];
}

/** One panel as an SVG document of `width` x `height` pixels. */
export function panelSvg(p: Panel, width = 400, height = 300): string {
  const m = { l: 58, r: 12, t: p.title ? 28 : 12, b: p.xlabel ? 44 : 28 };
  const pw = width - m.l - m.r, ph = height - m.t - m.b;
  const [x0, x1] = p.xrange ?? extent(p.series, "x");
  const [y0, y1] = p.yrange ?? extent(p.series, "y");
  const sx = (v: number) => m.l + ((v - x0) / (x1 - x0 || 1)) * pw;
  const sy = (v: number) => m.t + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line x1="${sx(t)}" y1="${m.t}" x2="${sx(t)}" y2="${m.t + ph}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${sx(t)}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.l}" y1="${sy(t)}" x2="${m.l + pw}" y2="${sy(t)}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${m.l - 4}" y="${sy(t) + 3}" font-size="10" text-anchor="end">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts: string[] = [];
    for (let k = 0; k < s.x.length; k++) {
      if (Number.isFinite(s.x[k]) && Number.isFinite(s.y[k])) pts.push(`${sx(s.x[k]).toFixed(2)},${sy(s.y[k]).toFixed(2)}`);
    }
    parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.5}"/>`);
    if (s.markers) for (const q of pts) parts.push(`<circle cx="${q.split(",")[0]}" cy="${q.split(",")[1]}" r="2.2" fill="${color}"/>`);
  });
  if (p.legend) {
    p.series.filter((s) => s.label).forEach((s, i) => {
      const y = m.t + 14 + 13 * i, color = s.color ?? PALETTE[p.series.indexOf(s) % PALETTE.length];
      parts.push(`<line x1="${m.l + pw - 150}" y1="${y - 4}" x2="${m.l + pw - 132}" y2="${y - 4}" stroke="${color}" stroke-width="${s.width ?? 1.5}"/>`);
      parts.push(`<text x="${m.l + pw - 128}" y="${y}" font-size="10">${esc(s.label!)}</text>`);
    });
  }
  if (p.title) parts.push(`<text x="${m.l + pw / 2}" y="18" font-size="13" text-anchor="middle">${esc(p.title)}</text>`);
  if (p.xlabel) parts.push(`<text x="${m.l + pw / 2}" y="${height - 8}" font-size="11" text-anchor="middle">${esc(p.xlabel)}</text>`);
  if (p.ylabel) {
    parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle">${esc(p.ylabel)}</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/** Panels in a grid of `cols` columns, each `w` x `h`. */
export function gridSvg(panels: Panel[], cols: number, w = 320, h = 240): string {
  const rows = Math.ceil(panels.length / cols);
  const inner = panels.map((p, i) => {
    const svg = panelSvg(p, w, h).replace("<svg ", `<svg x="${(i % cols) * w}" y="${Math.floor(i / cols) * h}" `);
    return svg;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * w}" height="${rows * h}">\n` +
    `<rect width="${cols * w}" height="${rows * h}" fill="white"/>\n${inner.join("\n")}\n</svg>`;
}

/**
 * The official results.png layout: train losses, P, R / val losses, mAP50, mAP50-95 (2 x 5), vs epoch.
 * `thirdLoss` titles the third loss panels (`dfl_loss`, or YOLOv7's `obj_loss`).
 */
export function resultsSvg(rows: readonly Record<string, number>[], thirdLoss = "dfl_loss"): string {
  const keys = [
    "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision", "metrics/recall",
    "val/box_loss", "val/cls_loss", "val/dfl_loss", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95",
  ];
  const x = rows.map((r) => r.epoch);
  const title = (k: string) => k.replace("dfl_loss", thirdLoss);
  return gridSvg(keys.map((k) => ({ title: title(k), series: [{ x, y: rows.map((r) => r[k]), markers: true }] })), 5);
}

/**
 * `plot_pr_curve`: precision vs recall per class (legend with AP@0.5 when fewer than 21 classes) and the
 * mean over classes ("all classes X mAP@0.5", thick blue).
 */
export function prCurveSvg(
  px: ArrayLike<number>,
  py: readonly ArrayLike<number>[],
  ap50: ArrayLike<number>,
  names: readonly string[],
): string {
  const few = py.length < 21;
  const series: Series[] = py.map((y, i) => ({
    x: px, y, width: 1, color: few ? PALETTE[i % PALETTE.length] : "#808080",
    label: few ? `${names[i]} ${ap50[i].toFixed(3)}` : undefined,
  }));
  const mean = Float64Array.from(px, (_, j) => (py.length ? py.reduce((s, y) => s + y[j], 0) / py.length : 0));
  const mAP = py.length ? Array.from(ap50).reduce((s, v) => s + v, 0) / py.length : 0;
  series.push({ x: px, y: mean, width: 3, color: "#0000ff", label: `all classes ${mAP.toFixed(3)} mAP@0.5` });
  return panelSvg({
    title: "Precision-Recall Curve", xlabel: "Recall", ylabel: "Precision", series, xrange: [0, 1], yrange: [0, 1],
    legend: true,
  }, 640, 480);
}

/** `ConfusionMatrix.plot`: column-normalised (nc+1)^2 heatmap, rows predicted, columns true, last = background. */
export function confusionMatrixSvg(matrix: ArrayLike<number>, names: readonly string[]): string {
  const n = names.length + 1, labels = [...names, "background"];
  const cell = Math.max(12, Math.min(48, Math.floor(560 / n))), off = 110;
  const size = off + n * cell + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${size}" height="${size}" fill="white"/>`,
    `<text x="${off + (n * cell) / 2}" y="${size - 4}" font-size="12" text-anchor="middle">True</text>`,
    `<text transform="translate(14 ${off + (n * cell) / 2}) rotate(-90)" font-size="12" text-anchor="middle">Predicted</text>`,
  ];
  for (let c = 0; c < n; c++) {
    let col = 0;
    for (let r = 0; r < n; r++) col += matrix[r * n + c];
    for (let r = 0; r < n; r++) {
      const v = matrix[r * n + c] / (col + 1e-9);
      if (!(v >= 0.005)) continue;
      const shade = Math.round(255 * (1 - v * 0.85));
      parts.push(`<rect x="${off + c * cell}" y="${off + r * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)"/>`);
      if (n < 30) {
        parts.push(`<text x="${off + c * cell + cell / 2}" y="${off + r * cell + cell / 2 + 3}" font-size="${Math.min(10, cell / 3)}" text-anchor="middle">${v.toFixed(2)}</text>`);
      }
    }
  }
  parts.push(`<rect x="${off}" y="${off}" width="${n * cell}" height="${n * cell}" fill="none" stroke="#333"/>`);
  labels.forEach((l, i) => {
    if (n >= 30) return;
    parts.push(`<text x="${off - 4}" y="${off + i * cell + cell / 2 + 3}" font-size="9" text-anchor="end">${esc(l)}</text>`);
    parts.push(`<text transform="translate(${off + i * cell + cell / 2 + 3} ${off - 4}) rotate(-90)" font-size="9">${esc(l)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Render SVG text to PNG bytes (sharp / librsvg; needs --allow-ffi). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const buf = await sharp(new TextEncoder().encode(svg)).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
