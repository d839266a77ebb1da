/**
 * What a run shows and leaves behind: console output on stderr (the progress bar redrawn in place on a
 * terminal, a line per tenth of an epoch otherwise; the validation table) and the run-folder reports
 * (results.csv, results.{svg,png}, PR_curve.{svg,png}, confusion_matrix.{svg,png}).
 * @module
 */
import { LOSS_NAMES, type ProgressInfo, progressLine, trainHeader, valHeader, valRow } from "./progress.ts";
import { resultsCsv, writePlot } from "./run_files.ts";
import { writeAtomic } from "../io/atomic.ts";
import type { ValResult } from "../infer/validate.ts";
import type { EpochRow } from "./types.ts";
import { confusionMatrixSvg, prCurveSvg, resultsSvg } from "../viz/plots.ts";
import type { EpochConsole } from "./train_epoch.ts";

/** Console output of a run. */
export interface Console extends EpochConsole {
  info(msg: string): void;
  valTable(v: ValResult, perClass: boolean): void;
}

/** A console writing to stderr (nothing when `quiet`). */
export function makeConsole(quiet = false): Console {
  const enc = new TextEncoder();
  const tty = Deno.stderr.isTerminal();
  const write = (s: string) => !quiet && Deno.stderr.writeSync(enc.encode(s));
  let last: ProgressInfo | null = null;
  let lastDraw = 0;
  return {
    info: (msg) => write(msg + "\n"),
    header: (losses) => write("\n" + trainHeader(losses) + "\n"),
    progress: (p) => {
      last = p;
      const now = performance.now();
      if (tty && (now - lastDraw > 250 || p.done === p.total)) {
        write("\r" + progressLine(p));
        lastDraw = now;
      } else if (!tty && p.done < p.total && Math.floor((10 * p.done) / p.total) > Math.floor((10 * (p.done - 1)) / p.total)) {
        write(progressLine(p) + "\n"); // logs: a line per tenth of the epoch
      }
    },
    progressEnd: () => {
      if (last) write((tty ? "\r" : "") + progressLine(last) + "\n");
      last = null;
    },
    valTable: (v, perClass) => {
      write(valHeader() + "\n");
      write(valRow("all", v.images, v.instances, [v.mp, v.mr, v.map50, v.map]) + "\n");
      if (perClass && v.perClass.length > 1) {
        for (const c of v.perClass) write(valRow(c.name, c.images, c.instances, [c.p, c.r, c.ap50, c.ap]) + "\n");
      }
      if (perClass) {
        const s = v.speed;
        write(`Speed: ${s.pre.toFixed(1)}ms pre-process, ${s.inference.toFixed(1)}ms inference, ${s.nms.toFixed(1)}ms NMS per image\n`);
      }
    },
  };
}

/** results.csv and results.{svg,png} for the rows so far, with the model's loss names. */
export async function recordEpoch(dir: string, rows: readonly EpochRow[], losses: readonly string[] = LOSS_NAMES): Promise<void> {
  await writeAtomic(`${dir}/results.csv`, resultsCsv(rows, losses));
  await writePlot(`${dir}/results`, resultsSvg(rows as unknown as Record<string, number>[], losses[2]));
}

/** PR curve and confusion matrix of a validation (val.py with plots). */
export async function writeValPlots(dir: string, v: ValResult, names: readonly string[]): Promise<void> {
  if (v.curves) {
    const c = v.curves;
    const ap50 = Float64Array.from(c.classes, (_, i) => c.ap[i * c.nIou]);
    await writePlot(`${dir}/PR_curve`, prCurveSvg(c.px, c.py, ap50, c.classes.map((k) => names[k] ?? String(k))));
  }
  await writePlot(`${dir}/confusion_matrix`, confusionMatrixSvg(v.confusion.matrix, names));
}

/** The end-of-training plots of the best model. */
export async function finishRun(dir: string, v: ValResult, names: readonly string[]): Promise<void> {
  await writeValPlots(dir, v, names);
}
