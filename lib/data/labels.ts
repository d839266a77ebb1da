/**
 * YOLO label files (`labels/*.txt`, one object per line `class cx cy w h` normalised, or a polygon
 * `class x1 y1 x2 y2 ...`) parsed and checked row by row, and the official image -> label path rule
 * (utils/dataloaders.py `img2label_paths`, `verify_image_label`).
 *
 * Differences from the official checks, which reject a whole file on the first bad value: each bad row is
 * dropped and reported with file and line, the rest of the file is kept; coordinates may exceed [0, 1] by a
 * small tolerance (then are clipped); zero-size boxes and non-finite values are rejected; a line is a
 * polygon when it has an odd number (>= 7) of values, independently of the other lines.
 * @module
 */

/** What a data warning is about. */
export type DataWarningKind =
  | "columns"
  | "nonfinite"
  | "class"
  | "range"
  | "size"
  | "duplicate"
  | "image"
  | "label-file"
  | "orphan-label"
  | "yaml"
  | "annotation";

/** One problem found in the data, with its place (`file:line` when there is a line). */
export interface DataWarning {
  kind: DataWarningKind;
  file: string;
  /** 1-based line number in `file` (label rows). */
  line?: number;
  message: string;
}

/** Options of {@link parseLabels}. */
export interface LabelCheckOptions {
  /** File name used in warnings. */
  file: string;
  /** Number of classes; classes must be integers in [0, nc). Unchecked above 0 when absent. */
  nc?: number;
  /** How far coordinates may exceed [0, 1] before the row is rejected (then clipped). Default 0.01. */
  tolerance?: number;
}

/** Result of {@link parseLabels}: the kept rows `[class, cx, cy, w, h]` and what was dropped. */
export interface ParsedLabels {
  labels: Float32Array;
  warnings: DataWarning[];
  /** Rows dropped as invalid (not counting duplicates). */
  dropped: number;
  /** Duplicate rows removed. */
  duplicates: number;
}

/** Label path of an image path: the last `/images/` -> `/labels/`, extension -> `.txt` (img2label_paths). */
export function img2labelPath(imagePath: string): string {
  const p = imagePath.replaceAll("\\", "/");
  const i = p.lastIndexOf("/images/");
  const swapped = i < 0 ? p : `${p.slice(0, i)}/labels/${p.slice(i + 8)}`;
  const slash = swapped.lastIndexOf("/"), dot = swapped.lastIndexOf(".");
  return (dot > slash ? swapped.slice(0, dot) : swapped) + ".txt";
}

function warn(kind: DataWarningKind, file: string, line: number, message: string): DataWarning {
  return { kind, file, line, message: `${file}:${line}: ${message}` };
}

/** One parsed row as [c, x1, y1, x2, y2] normalised, or a warning. */
function parseRow(
  fields: string[],
  file: string,
  line: number,
  nc: number | undefined,
  tol: number,
): number[] | DataWarning {
  const k = fields.length;
  if (k !== 5 && !(k >= 7 && k % 2 === 1)) {
    return warn(
      "columns",
      file,
      line,
      `wrong column count: expected 5 values (class cx cy w h) or a polygon (class x1 y1 x2 y2 x3 y3 ...), got ${k}`,
    );
  }
  const v = fields.map(Number);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    return warn(
      "nonfinite",
      file,
      line,
      `non-finite or non-numeric value "${fields[bad]}" in column ${bad + 1}`,
    );
  }
  const c = v[0];
  if (!Number.isInteger(c) || c < 0 || (nc !== undefined && c >= nc)) {
    const range = nc !== undefined ? `an integer in [0, ${nc - 1}]` : "a non-negative integer";
    return warn("class", file, line, `class out of range: expected ${range}, got ${fields[0]}`);
  }
  let x1: number, y1: number, x2: number, y2: number;
  if (k === 5) {
    const [cx, cy, w, h] = v.slice(1);
    const outside = [cx, cy, w, h].some((x) => x < -tol || x > 1 + tol);
    [x1, y1, x2, y2] = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
    if (outside || x1 < -tol || y1 < -tol || x2 > 1 + tol || y2 > 1 + tol) {
      return warn(
        "range",
        file,
        line,
        `coordinates outside [0, 1] (tolerance ${tol}): cx ${cx} cy ${cy} w ${w} h ${h}`,
      );
    }
  } else {
    const xs = v.filter((_, i) => i > 0 && i % 2 === 1), ys = v.filter((_, i) => i > 0 && i % 2 === 0);
    if ([...xs, ...ys].some((x) => x < -tol || x > 1 + tol)) {
      return warn("range", file, line, `polygon coordinates outside [0, 1] (tolerance ${tol})`);
    }
    [x1, y1, x2, y2] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  }
  const cl = (x: number) => Math.min(Math.max(x, 0), 1);
  [x1, y1, x2, y2] = [cl(x1), cl(y1), cl(x2), cl(y2)];
  if (!(x2 > x1) || !(y2 > y1)) {
    return warn("size", file, line, `zero-size box: width ${x2 - x1}, height ${y2 - y1}`);
  }
  return [c, x1, y1, x2, y2];
}

/** Parses and checks the text of one label file; bad rows are dropped and reported, duplicates removed. */
export function parseLabels(text: string, opts: LabelCheckOptions): ParsedLabels {
  const tol = opts.tolerance ?? 0.01;
  const warnings: DataWarning[] = [];
  const rows: number[] = [];
  const seen = new Map<string, number>();
  let dropped = 0, duplicates = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/\s+/).filter((f) => f.length);
    if (!fields.length) continue;
    const r = parseRow(fields, opts.file, i + 1, opts.nc, tol);
    if (!Array.isArray(r)) {
      warnings.push(r);
      dropped++;
      continue;
    }
    const [c, x1, y1, x2, y2] = r;
    const row = Float32Array.of(c, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1);
    const key = row.join(" ");
    const first = seen.get(key);
    if (first !== undefined) {
      warnings.push(warn("duplicate", opts.file, i + 1, `duplicate of line ${first}, removed`));
      duplicates++;
      continue;
    }
    seen.set(key, i + 1);
    rows.push(...row);
  }
  return { labels: new Float32Array(rows), warnings, dropped, duplicates };
}
