/**
 * Line charts with error bars as SVG (one line per series, e.g. a measure against depth per
 * architecture, mean ± standard deviation), with the legend outside the plot area. Render to PNG with
 * `svgToPng` (plots.ts). Pure.
 * @module
 */
import { escapeXml } from "./image_grid.ts";
import { PALETTE } from "./plots.ts";

/** One line: points (x, y) with an optional half-height error bar per point. */
export interface ErrorSeries {
  name: string;
  x: number[];
  y: number[];
  err?: number[];
  /** Line colour (default: the palette colour of the series' position). */
  color?: string;
}

/** Contents of {@link errorBarPlotSvg}. */
export interface ErrorBarPlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ErrorSeries[];
  /** Fixed y range; default from the data (error bars included). */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

/** About `n` round tick values covering [lo, hi]. */
function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(0) : String(+v.toPrecision(3)));

/** Build the SVG of a line chart with error bars and a legend. Non-finite points are skipped. */
export function errorBarPlotSvg(p: ErrorBarPlot): string {
  const width = p.width ?? 520;
  const height = p.height ?? 340;
  const m = { left: 64, right: 130, top: 36, bottom: 48 };
  const pts = p.series.flatMap((s) => s.x.map((x, i) => ({ x, y: s.y[i], e: s.err?.[i] ?? 0 }))).filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
  const xs = pts.map((q) => q.x);
  let [ylo, yhi] = p.yRange ?? [Math.min(...pts.map((q) => q.y - (Number.isFinite(q.e) ? q.e : 0))), Math.max(...pts.map((q) => q.y + (Number.isFinite(q.e) ? q.e : 0)))];
  if (!pts.length) [ylo, yhi] = [0, 1];
  if (!(yhi > ylo)) [ylo, yhi] = [ylo - 0.5, ylo + 0.5];
  if (!p.yRange) [ylo, yhi] = [ylo - 0.05 * (yhi - ylo), yhi + 0.05 * (yhi - ylo)];
  const xlo = pts.length ? Math.min(...xs) : 0;
  const xhi = pts.length && Math.max(...xs) > xlo ? Math.max(...xs) : xlo + 1;
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (x: number) => m.left + (x - xlo) / (xhi - xlo) * pw;
  const sy = (y: number) => m.top + (1 - (y - ylo) / (yhi - ylo)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<g font-family="DejaVu Sans, Arial, sans-serif" font-size="12" fill="#222">`,
    `<text x="${m.left + pw / 2}" y="22" font-size="15" text-anchor="middle">${escapeXml(p.title)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
  ];
  for (const t of niceTicks(ylo, yhi)) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(xlo, xhi, 6)) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${sx(t)}" y="${m.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(p.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(p.yLabel)}</text>`);
  p.series.forEach((s, k) => {
    const c = s.color ?? PALETTE[k % PALETTE.length];
    const ok = s.x.map((x, i) => [x, s.y[i], s.err?.[i] ?? 0]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (ok.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${ok.map(([x, y]) => `${sx(x)},${sy(y)}`).join(" ")}"/>`);
    for (const [x, y, e] of ok) {
      if (e > 0 && Number.isFinite(e)) {
        out.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${sy(y - e)}" y2="${sy(y + e)}" stroke="${c}"/>`);
        for (const v of [y - e, y + e]) out.push(`<line x1="${sx(x) - 4}" x2="${sx(x) + 4}" y1="${sy(v)}" y2="${sy(v)}" stroke="${c}"/>`);
      }
      out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3.5" fill="${c}"/>`);
    }
    const ly = m.top + 10 + k * 20;
    out.push(`<line x1="${m.left + pw + 12}" x2="${m.left + pw + 34}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + pw + 40}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push("</g></svg>");
  return out.join("\n");
}
