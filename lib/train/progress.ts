/**
 * Console lines of the official scripts, as plain strings: the per-epoch progress bar of
 * `train_dual.py` (tqdm with `'{l_bar}{bar:10}{r_bar}'`, columns Epoch, GPU_mem, box_loss, cls_loss,
 * dfl_loss, Instances, Size; here GPU_mem shows the process RSS) and the validation table of
 * `val_dual.py` (Class, Images, Instances, P, R, mAP50, mAP50-95). Python's `%g` comes from `lib/io/format_g.ts`.
 * @module
 */
import { formatG } from "../io/format_g.ts";

/** Right-align to `width` (Python `%{width}s`). */
export function pad(s: string | number, width = 11): string {
  return String(s).padStart(width);
}

/** Names of the three loss items of the YOLOv9 loss (YOLOv7's are box, cls, obj). */
export const LOSS_NAMES: readonly string[] = ["box_loss", "cls_loss", "dfl_loss"];

/** The training header line (without the leading newline), with the model's loss names. */
export function trainHeader(losses: readonly string[] = LOSS_NAMES): string {
  return ["Epoch", "GPU_mem", ...losses, "Instances", "Size"].map((s) => pad(s)).join("");
}

/** tqdm's `format_interval`: `MM:SS` or `H:MM:SS`. */
export function formatInterval(seconds: number): string {
  const t = Math.max(0, Math.round(seconds));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  const two = (v: number) => String(v).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** State of one epoch's progress line. */
export interface ProgressInfo {
  epoch: number;
  epochs: number;
  /** Resident memory in bytes (shown in the GPU_mem column, as `%.3gG`). */
  memBytes: number;
  /** Running mean of [box, cls, dfl] over the epoch. */
  meanLoss: readonly number[];
  /** Target rows of the current batch. */
  instances: number;
  size: number;
  /** Batches done and total. */
  done: number;
  total: number;
  /** Seconds since the epoch started. */
  elapsed: number;
}

/** One progress line: description, percentage, a 10-wide bar, `n/total [elapsed<remaining, rate]`. */
export function progressLine(p: ProgressInfo): string {
  const desc = pad(`${p.epoch}/${p.epochs - 1}`) + pad(`${formatG(p.memBytes / 1e9, 3)}G`) +
    p.meanLoss.map((v) => pad(formatG(v, 4))).join("") + pad(formatG(p.instances, 4)) + pad(formatG(p.size, 4));
  const frac = p.total > 0 ? Math.min(p.done / p.total, 1) : 0;
  const blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
  const full = Math.floor(frac * 10);
  const part = Math.floor((frac * 10 - full) * 8);
  const bar = ("█".repeat(full) + (full < 10 ? blocks[part] : "")).padEnd(10);
  const rate = p.elapsed > 0 ? p.done / p.elapsed : 0;
  const remaining = rate > 0 ? (p.total - p.done) / rate : NaN;
  const rateStr = rate === 0 ? "?it/s" : rate < 1 ? `${(1 / rate).toFixed(2).padStart(5)}s/it` : `${rate.toFixed(2).padStart(5)}it/s`;
  const pct = `${Math.round(frac * 100)}`.padStart(3);
  return `${desc}: ${pct}%|${bar}| ${p.done}/${p.total} ` +
    `[${formatInterval(p.elapsed)}<${Number.isFinite(remaining) ? formatInterval(remaining) : "?"}, ${rateStr}]`;
}

/** The validation header (`'%22s' + '%11s' * 6`). */
export function valHeader(): string {
  return pad("Class", 22) + ["Images", "Instances", "P", "R", "mAP50", "mAP50-95"].map((s) => pad(s)).join("");
}

/** One validation row (`'%22s' + '%11i' * 2 + '%11.3g' * 4`). */
export function valRow(name: string, images: number, instances: number, m: readonly number[]): string {
  return pad(name, 22) + pad(Math.trunc(images)) + pad(Math.trunc(instances)) + m.map((v) => pad(formatG(v, 3))).join("");
}
