/**
 * The files of a run folder (side effects live here): `increment_path` (runs/train/exp, exp2, ...),
 * `opt.yaml` / `hyp.yaml`, `results.csv` in the official layout (utils/loggers `on_fit_epoch_end`:
 * `'%20s,'` header, `'%20.5g,'` values) and plots written as both `.svg` and `.png`.
 * @module
 */
import { stringify } from "yaml";
import { formatG } from "../io/format_g.ts";
import { LOSS_NAMES } from "./progress.ts";
import type { EpochRow } from "./types.ts";
import { svgToPng } from "../viz/plots.ts";
import { pathExists } from "../io/exists.ts";
import { writeAtomic } from "../io/atomic.ts";

/** The results.csv columns after `epoch`, in the official order. */
export const RESULT_KEYS: readonly (keyof EpochRow)[] = [
  "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision", "metrics/recall", "metrics/mAP_0.5",
  "metrics/mAP_0.5:0.95", "val/box_loss", "val/cls_loss", "val/dfl_loss", "x/lr0", "x/lr1", "x/lr2",
];

/** `increment_path`: `path` if free (or `existOk`), else `path2`, `path3`, ... */
export async function incrementPath(path: string, existOk = false): Promise<string> {
  if (existOk || !(await pathExists(path))) return path;
  for (let n = 2; ; n++) if (!(await pathExists(`${path}${n}`))) return `${path}${n}`;
}

/** `yaml_save`: a mapping as YAML. */
export async function writeYaml(path: string, data: Record<string, unknown>): Promise<void> {
  await writeAtomic(path, stringify(data, { lineWidth: 0 }));
}

/** Column name of a row key in a model whose loss items are `losses` (the third slot: dfl or YOLOv7's obj). */
function columnName(key: string, losses: readonly string[]): string {
  return key.replace(/^(train|val)\/(box|cls|dfl)_loss$/, (_, split, item) => `${split}/${losses[["box", "cls", "dfl"].indexOf(item)]}`);
}

/** results.csv text for `rows` (official header and `%20.5g` number format), headed with the model's loss names. */
export function resultsCsv(rows: readonly EpochRow[], losses: readonly string[] = LOSS_NAMES): string {
  const cols = ["epoch", ...RESULT_KEYS];
  const head = cols.map((c) => columnName(String(c), losses).padStart(20)).join(",");
  const body = rows.map((r) => cols.map((c) => formatG(r[c as keyof EpochRow], 5).padStart(20)).join(","));
  return [head, ...body].join("\n") + "\n";
}

/**
 * Parse a results.csv written by {@link resultsCsv} (or the official loggers) back into rows; YOLOv7's
 * `obj_loss` columns fill the third loss slot (`dfl_loss`).
 */
export function parseResultsCsv(text: string): EpochRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  if (!lines.length) return [];
  const cols = lines[0].split(",").map((c) => c.trim().replace(/^(train|val)\/obj_loss$/, "$1/dfl_loss"));
  return lines.slice(1).map((l) => {
    const v = l.split(",").map((x) => Number(x.trim()));
    return Object.fromEntries(cols.map((c, i) => [c, v[i]])) as unknown as EpochRow;
  });
}

/** Write `<base>.svg` and `<base>.png`. */
export async function writePlot(base: string, svg: string): Promise<void> {
  await writeAtomic(`${base}.svg`, svg);
  await writeAtomic(`${base}.png`, await svgToPng(svg));
}
