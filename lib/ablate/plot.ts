/**
 * The plot of an ablation table as SVG text: two horizontal bar panels sharing the variant labels,
 * the paper's value on the left and ours (mean over seeds, with a +-1 std whisker and the single
 * seeds as dots) on the right, each with its own axis (COCO AP and CPU-scale AP differ in scale).
 * @module
 */

/** One bar row. */
export interface BarRow {
  label: string;
  paper?: number;
  mean: number;
  std: number;
  /** Single-seed values. */
  values: number[];
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function axisMax(vals: number[]): number {
  const m = Math.max(0, ...vals.filter(Number.isFinite));
  if (m <= 0) return 1;
  const mag = 10 ** Math.floor(Math.log10(m));
  return [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= m * 1.05) ?? m * 1.1;
}

function panel(
  x0: number,
  w: number,
  top: number,
  rowH: number,
  rows: BarRow[],
  pick: (r: BarRow) => number,
  max: number,
  color: string,
  title: string,
  whiskers: boolean,
): string {
  const sx = (v: number) => x0 + (Math.max(0, v) / max) * w;
  const parts: string[] = [
    `<text x="${x0 + w / 2}" y="${top - 22}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    const x = sx(v);
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${x}" y="${top - 8}" text-anchor="middle" font-size="10">${+v.toPrecision(3)}</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const v = pick(r);
    if (!Number.isFinite(v)) {
      parts.push(`<text x="${x0 + 4}" y="${y + rowH * 0.65}" font-size="10" fill="#888">n/a</text>`);
      return;
    }
    parts.push(
      `<rect x="${x0}" y="${y + rowH * 0.2}" width="${sx(v) - x0}" height="${rowH * 0.6}" fill="${color}"/>`,
    );
    const end = whiskers ? Math.max(v + r.std, ...r.values) : v;
    parts.push(`<text x="${sx(end) + 4}" y="${y + rowH * 0.65}" font-size="10">${v.toFixed(1)}</text>`);
    if (whiskers && r.std > 0) {
      const cy = y + rowH / 2;
      parts.push(
        `<line x1="${sx(v - r.std)}" y1="${cy}" x2="${
          sx(v + r.std)
        }" y2="${cy}" stroke="#000" stroke-width="1.5"/>`,
      );
    }
    if (whiskers) {
      for (const s of r.values) {
        parts.push(`<circle cx="${sx(s)}" cy="${y + rowH / 2}" r="2.2" fill="#000" fill-opacity="0.6"/>`);
      }
    }
  });
  return parts.join("\n");
}

/** The two-panel bar chart of a table (see the module doc). */
export function barChartSvg(title: string, metric: string, rows: BarRow[]): string {
  const rowH = 22, labelW = 300, panelW = 260, gap = 50, top = 60;
  const width = labelW + 2 * panelW + gap + 40;
  const height = top + rows.length * rowH + 30;
  const labels = rows.map((r, i) =>
    `<text x="${labelW - 8}" y="${top + i * rowH + rowH * 0.65}" text-anchor="end" font-size="11">${
      esc(r.label)
    }</text>`
  );
  const paperMax = axisMax(rows.map((r) => r.paper ?? NaN));
  const oursMax = axisMax(rows.flatMap((r) => [r.mean + r.std, ...r.values]));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${
      esc(title)
    }</text>`,
    ...labels,
    panel(
      labelW,
      panelW,
      top,
      rowH,
      rows,
      (r) => r.paper ?? NaN,
      paperMax,
      "#7f7f7f",
      `paper ${metric} (COCO, %)`,
      false,
    ),
    panel(
      labelW + panelW + gap,
      panelW,
      top,
      rowH,
      rows,
      (r) => r.mean,
      oursMax,
      "#1f77b4",
      `ours ${metric} (CPU scale, %), mean ± std`,
      true,
    ),
    `</svg>`,
  ].join("\n");
}
