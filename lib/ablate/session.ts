/**
 * One ablation session (the I/O around lib/ablate): counts of every variant at 640 against the paper,
 * the run plan of the selected tables and figures under a preset (session_plan.ts), the runs (resumed: finished runs are
 * not repeated), and the outputs `out/<table>/{results.md,results.csv,runs.csv,plot.svg}`, the
 * figures' folders and `out/report.md` linking everything; per table also `curves.{svg,png}` (mAP50-95
 * at each evaluation, mean over seeds, one line per variant). The train function is injected (the CLI
 * passes real training; tests a fake).
 * @module
 */
import type { Ablation, Figure, FigureOutcome } from "./spec.ts";
import type { Preset } from "./presets.ts";
import { batchesPerEpoch, type Entry, type Job, type Plan, type RunSettings } from "./plan.ts";
import { planSession, type SessionPlanOptions } from "./session_plan.ts";
import { jobDir, progressLine, runJobs, type RunRecord, type TrainFn } from "./runner.ts";
import { type TableResult, tableResult, type VariantInputs } from "./results.ts";
import { resultsMarkdown, type SessionInfo, type SessionLog } from "./report.ts";
import { resultsCsv, runsCsv } from "./csv.ts";
import { reportMarkdown } from "./session_report.ts";
import { barChartSvg } from "./plot.ts";
import { buildConfig, countsOf, scaledConfig, specOf, variantConfig } from "./variants.ts";
import { summarizeModel } from "../graph/summary.ts";
import { writeAtomic } from "../io/atomic.ts";
import { recordedJobs } from "./collect.ts";
import { runRows, trainingCurves } from "./curves.ts";
import { errorBarPlotSvg } from "../viz/measure_plot.ts";
import { svgToPng } from "../viz/plots.ts";

export { inWarmup, planSession, type SessionPlanOptions } from "./session_plan.ts";

/** Options of {@link runAblate}: the plan's ({@link SessionPlanOptions}) and how to run it. */
export interface AblateOptions extends SessionPlanOptions {
  /** Output folder (runs/ablate). */
  out: string;
  train: TrainFn;
  jobs?: number;
  backend?: string;
  areaRule?: string;
  /** Lowest confidence of the COCO evaluation (for the report; the train function applies it). */
  conf?: number;
  /** Start no run after this time and stop running ones at their next checkpoint (ms since the epoch; `--max-minutes`). */
  deadline?: number;
  /** Train nothing: report only the runs that have a record (`--collect`). */
  collect?: boolean;
  log?: (line: string) => void;
}

/** What a session produced. */
export interface AblateResult {
  tables: TableResult[];
  figures: Record<string, FigureOutcome>;
  plan: Plan;
  records: Map<string, RunRecord>;
  report: string;
  wallSeconds: number;
}

async function variantInputs(
  a: Ablation,
  scale: Preset["scale"],
  img: number,
  nc?: number,
): Promise<Map<string, VariantInputs>> {
  const out = new Map<string, VariantInputs>();
  const mains = new Map<string, ReturnType<typeof countsOf>>();
  for (const v of a.variants) {
    if (v.base === null) {
      out.set(v.id, { counts: null, cpu: null });
      continue;
    }
    const cfg = await variantConfig(v);
    const counts = countsOf(cfg, v.id);
    const cpu = summarizeModel(specOf(scaledConfig(cfg, scale), v.id, nc), img);
    let mainCounts;
    if (v.main) {
      const mk = JSON.stringify(v.main);
      if (!mains.has(mk)) mains.set(mk, countsOf(await buildConfig(v.main.base, v.main.edits), mk));
      mainCounts = mains.get(mk);
    }
    out.set(v.id, { counts, cpu, ...(mainCounts ? { mainCounts } : {}) });
  }
  return out;
}

/** Run a session (see the module doc). */
export async function runAblate(o: AblateOptions): Promise<AblateResult> {
  const t0 = performance.now();
  const log = o.log ?? ((l: string) => console.error(l));
  const p = o.preset;
  const { plan, tables, figures, settings, seeds, tableSettings } = await planSession(o);
  const steps = settings.epochs * batchesPerEpoch(settings);
  const tableSteps = Object.fromEntries(
    Object.entries(tableSettings).map(([t, s]) => [t, s.epochs * batchesPerEpoch(s)]),
  );
  const own = Object.entries(tableSteps).map(([t, n]) => `; ${t}: ${n} steps`).join("");
  log(
    `[ablate] preset ${p.name}: ${tables.map((t) => t.name).join(", ")}${
      figures.length ? ` + ${figures.map((f) => f.name).join(", ")}` : ""
    }; ` +
      `${plan.jobs.length} unique runs for ${plan.entries.length} (table, variant, seed) cells; seeds ${
        seeds.join(",")
      }, ${steps} steps (${settings.epochs} epochs of ${settings.trainImages} images)${own}, ${settings.img} px`,
  );
  await Deno.mkdir(o.out, { recursive: true });
  const kinds = { skip: 0, done: 0, fail: 0, stop: 0 };
  const records = await runJobs(o.collect ? await recordedJobs(o.out, plan.jobs) : plan.jobs, {
    root: o.out,
    train: o.train,
    jobs: o.jobs ?? 1,
    retryFailed: !o.collect,
    deadline: o.deadline,
    onProgress: (ev) => {
      if (ev.kind !== "start" && ev.kind !== "epoch") kinds[ev.kind]++;
      log(`[ablate] ${progressLine(ev)}`);
    },
  });
  const session: SessionInfo = {
    preset: p.name,
    description: p.description,
    seeds,
    epochs: settings.epochs,
    steps,
    tableSteps,
    trainImages: settings.trainImages,
    valImages: settings.valImages ?? 0,
    variants: p.variants,
    batch: settings.batch,
    img: settings.img,
    scale: p.scale,
    data: settings.data,
    hyp: settings.hyp,
    yolov7Gains: settings.yolov7Gains,
    closeMosaic: settings.closeMosaic,
    nbs: settings.nbs,
    noval: settings.noval,
    backend: o.backend ?? "?",
    jobs: o.jobs ?? 1,
    areaRule: o.areaRule ?? "terciles",
    conf: o.conf,
  };
  const results: TableResult[] = [];
  for (const a of tables) {
    const dir = `${o.out}/${a.name}`;
    await Deno.mkdir(dir, { recursive: true });
    const t = tableResult(a, await variantInputs(a, p.scale, settings.img, o.data.nc), plan.entries, records);
    results.push(t);
    const rows = t.variants.filter((v) => v.runs.length || v.variant.paper.ap !== undefined).map((v) => ({
      label: v.variant.label,
      paper: v.variant.paper.ap,
      mean: v.metrics.ap.mean,
      std: v.metrics.ap.std,
      values: v.runs.map((r) => r.record?.metrics?.ap ?? NaN).filter(Number.isFinite),
    }));
    await writeAtomic(`${dir}/plot.svg`, barChartSvg(a.title, "AP", rows));
    const curves = errorBarPlotSvg(
      trainingCurves(t, await runRows(o.out, t), session.steps / settings.epochs),
    );
    await writeAtomic(`${dir}/curves.svg`, curves);
    await writeAtomic(`${dir}/curves.png`, await svgToPng(curves));
    await writeAtomic(
      `${dir}/results.md`,
      resultsMarkdown(t, session, { bars: "plot.svg", curves: "curves.png" }),
    );
    await writeAtomic(`${dir}/results.csv`, resultsCsv(t));
    await writeAtomic(`${dir}/runs.csv`, runsCsv(t));
  }
  const figOut: Record<string, FigureOutcome> = {};
  for (const f of figures) figOut[f.name] = await runFigure(f, o, plan.entries, records, settings, log);
  const wallSeconds = (performance.now() - t0) / 1000;
  const pending = plan.jobs.length - kinds.done - kinds.skip - kinds.fail;
  Object.assign(session, {
    wallSeconds,
    trained: kinds.done,
    skipped: kinds.skip,
    failed: kinds.fail,
    pending,
  });
  const logPath = `${o.out}/sessions.jsonl`;
  const history = (await Deno.readTextFile(logPath).catch(() => "")).split("\n").filter(Boolean)
    .map((l) => JSON.parse(l) as SessionLog);
  session.history = history;
  const entry: SessionLog = {
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    preset: p.name,
    tables: [...tables, ...figures].map((t) => t.name),
    wallSeconds,
    trained: kinds.done,
    skipped: kinds.skip,
    failed: kinds.fail,
  };
  await Deno.writeTextFile(logPath, JSON.stringify(entry) + "\n", { append: true });
  const report = reportMarkdown(session, results, figures, figOut);
  await writeAtomic(`${o.out}/report.md`, report);
  log(`[ablate] report: ${o.out}/report.md`);
  return { tables: results, figures: figOut, plan, records, report, wallSeconds };
}

async function runFigure(
  f: Figure,
  o: AblateOptions,
  entries: readonly Entry[],
  records: ReadonlyMap<string, RunRecord>,
  settings: RunSettings,
  log: (l: string) => void,
): Promise<FigureOutcome> {
  const dir = `${o.out}/${f.name}`;
  await Deno.mkdir(dir, { recursive: true });
  const runs = f.training
    ? entries.filter((e) => e.table === f.training!.ablation.name).map((e) => ({
      variant: e.variant,
      seed: e.seed,
      dir: jobDir(o.out, e.key),
      done: records.get(e.key)?.status === "done",
    }))
    : [];
  try {
    const backend = /^[a-z-]+$/.test(o.backend ?? "") ? o.backend : undefined;
    return await f.run({
      dir,
      settings: { ...o.preset, backend },
      runs,
      data: settings.data,
      img: settings.img,
      notes: f.notes,
      log,
    });
  } catch (e) {
    return { status: "failed", line: (e as Error).message };
  }
}

/**
 * The done records of a plan's jobs by key; a job without one (missing, unreadable or not done) is
 * what a session would still have to run.
 */
export async function doneRecords(out: string, jobs: readonly Job[]): Promise<Map<string, RunRecord>> {
  const done = new Map<string, RunRecord>();
  for (const j of jobs) {
    try {
      const r = JSON.parse(await Deno.readTextFile(`${jobDir(out, j.key)}/record.json`)) as RunRecord;
      if (r.status === "done") done.set(j.key, r);
    } catch {
      // no usable record: the job is pending
    }
  }
  return done;
}
