/**
 * The session report `report.md`: settings, one line per table (how many of the pairs the paper orders
 * hold, are reversed or tie, with how many seeds; do the counts match) and per figure, with links. Pure string functions.
 * @module
 */
import type { Figure, FigureOutcome } from "./spec.ts";
import type { TableResult } from "./results.ts";
import { type SessionInfo, settingsMarkdown } from "./report.ts";
import { formatDuration } from "./runner.ts";

/** One line of the session report for a table. */
export function tableLine(t: TableResult, link: string): string {
  const counts = t.countRows
    ? ` Counts: ${t.countRows - t.countMismatches}/${t.countRows} rows match the paper.`
    : "";
  const main = t.variants.filter((v) => v.main).length;
  const mainOk = t.variants.filter((v) => v.main?.ok).length;
  const strip = main ? ` Auxiliary branches removed = base GELAN: ${mainOk}/${main}.` : "";
  return `- [${t.ablation.title}](${link}) — paper ordering: **${t.verdict.summary}** — ${t.verdict.line}.${counts}${strip}`;
}

/** Wall time lines: this session, and the earlier sessions that trained runs in the same folder. */
export function wallLine(s: SessionInfo): string {
  const now = `- This session: wall time ${formatDuration(s.wallSeconds ?? NaN)}; runs trained ${
    s.trained ?? 0
  }, reused from earlier sessions ${s.skipped ?? 0}, failed ${s.failed ?? 0}.${
    s.pending ? ` ${s.pending} runs not finished at the time limit: the same command goes on where this one stopped.` : ""
  }`;
  const past = (s.history ?? []).filter((h) => h.trained > 0).map((h) =>
    `- Session ${h.date} (${h.preset}: ${h.tables.join(", ")}): wall time ${
      formatDuration(h.wallSeconds)
    }, ${h.trained} runs trained${h.failed ? `, ${h.failed} failed` : ""}.`
  );
  return [now, ...past].join("\n");
}

/** The session report `report.md`. */
export function reportMarkdown(
  s: SessionInfo,
  tables: readonly TableResult[],
  figures: readonly Figure[],
  outcomes: Record<string, FigureOutcome>,
): string {
  const out = [
    "# YOLOv9 ablations at CPU scale",
    "",
    "Each table of the paper re-run as the same comparison at a scale this machine can train, beside the paper's printed numbers.",
    "Model sizes are the full-size variants at 640 x 640 (they must equal the paper's columns); accuracy is from CPU-scale runs on the session's data, so only orderings (not absolute APs) are comparable.",
    "",
    "## Settings",
    "",
    settingsMarkdown(s),
    wallLine(s),
    "",
    "## Tables",
    "",
    ...tables.map((t) => tableLine(t, `${t.ablation.name}/results.md`)),
    "",
  ];
  if (figures.length) {
    out.push("## Figures", "");
    for (const f of figures) {
      const r = outcomes[f.name];
      const link = r?.link ? `${f.name}/${r.link}` : `${f.name}/`;
      out.push(`- [${f.title}](${link}) — ${r?.status ?? "not run"}: ${r?.line ?? ""}`);
    }
    out.push("");
  }
  out.push(
    "## Files",
    "",
    "- `<table>/results.md`, `results.csv` (paper beside ours), `runs.csv` (one row per run), `plot.svg`.",
    "- `_runs/<key>/`: one training run (results.csv per epoch, weights, `job.json`, `record.json`); runs shared by several tables are trained once.",
    "",
  );
  return out.join("\n");
}
