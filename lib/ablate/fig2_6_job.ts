/**
 * The job of paper Fig. 2 / Fig. 6 in an ablation session (the figure itself is data in
 * `experiments/fig2_6.ts`): runs the information-bottleneck study (`deno task ib`) with the preset's
 * settings into the figure's folder and reads its verdict: the ordering of the families by information
 * depth (lib/ib/depth_study.ts), judged pair by pair with a paired 95 % interval over seeds and images;
 * where every family is at the floor no order is drawn.
 * @module
 */
import { writeFigurePage } from "./figure_page.ts";
import { REPO_ROOT } from "./variants.ts";
import type { FigureContext, FigureOutcome } from "./spec.ts";
import type { IbSettings } from "./presets.ts";
import { pathExists } from "../io/exists.ts";
import { writeAtomic } from "../io/atomic.ts";
import { STUDY_PHOTOS } from "../ib/images.ts";
import {
  DEPTH_MEASURES,
  type DepthMeasureSpec,
  type DepthStudy,
  type FamilyDepth,
  formatDepth,
} from "../ib/depth_study.ts";

/** What fig2_6 reads from the study's ib.json. */
export interface IbJson {
  settings: { grid?: number[]; seeds?: number[]; images?: string[] };
  curves: { name: string; layers: number[] }[];
  information_depth: FamilyDepth[];
  depthStudy: DepthStudy;
}

/**
 * The figure's verdict from an IB study: the ordering by information depth (R² below 0.5, the
 * headline; every measure and threshold in `md`) and, at the deepest figure depth, whether every family
 * is at the floor.
 */
export function ibVerdict(ib: IbJson): { line: string; holds: string; md: string[] } {
  const s = ib.depthStudy;
  const head = s.orderings.find((o) => o.measure === "r2" && o.threshold === 0.5) ?? s.orderings[0];
  const deepest = Math.max(...s.floors.map((f) => f.depth));
  const floor = s.floors.find((f) => f.measure === "r2" && f.depth === deepest);
  const floorNote = floor?.allAtFloor
    ? `; at depth ${deepest} every family is at the R² floor (no order there)`
    : "";
  const names = [...new Set(ib.information_depth.map((d) => d.name))];
  const cols = DEPTH_MEASURES.flatMap((m) => m.thresholds.map((t) => ({ m, t })));
  const cell = (name: string, m: DepthMeasureSpec, ti: number) => {
    const d = ib.information_depth.find((x) => x.name === name && x.measure === m.key)?.depths[ti];
    return d ? formatDepth(d) : "–";
  };
  const md = [
    "## Information depth",
    "",
    "Conv layers at which the mean measure (over seeds and images) falls below each threshold, interpolated on the depth grid, with the 95 % interval of the crossed bootstrap over seeds and images (`≤` / `>`: outside the grid).",
    "",
    `| family | ${
      cols.map(({ m, t }) => `${m.key} < ${+t.toFixed(2)}${m.key === "psnr" ? " dB" : ""}`).join(" | ")
    } |`,
    `|---|${cols.map(() => "---").join("|")}|`,
    ...names.map((n) =>
      `| ${n} | ${cols.map(({ m, t }) => cell(n, m, m.thresholds.indexOf(t))).join(" | ")} |`
    ),
    "",
    "## Orderings by information depth (paper: GELAN ≥ CSPNet > ResNet > PlainNet)",
    "",
    ...s.orderings.map((o) => `- ${o.line}`),
    "",
    "## Floor checks at the figure's depths (floor: the 95 % interval lies below the lower threshold)",
    "",
    ...s.floors.map((f) => `- ${f.measure} ${f.line}`),
    "",
    `Depth grid (requested): ${(ib.settings.grid ?? []).join(", ")}; taps per family (block boundaries): ${
      ib.curves.map((c) => `${c.name} ${c.layers.join(" ")}`).join("; ")
    }.`,
    "",
  ];
  return {
    holds: head?.holds ?? "no order",
    md,
    line:
      `information depth (${head?.measure} < ${head?.threshold}): ${head?.order}; paper order holds: ${head?.holds}${floorNote}`,
  };
}

/** Run the IB study of a session into `ctx.dir` and read its verdict. */
export async function fig2_6Job(ctx: FigureContext): Promise<FigureOutcome> {
  const root = REPO_ROOT;
  const cli = `${root}cli/ib.ts`;
  if (!(await pathExists(cli))) {
    return {
      status: "not available",
      line: "the information-bottleneck study (cli/ib.ts, lib/ib) is not in this checkout",
    };
  }
  const ib = ctx.settings.ib as IbSettings;
  const photos = STUDY_PHOTOS.map((p) => `${root}${p}`);
  const args = [
    "run",
    "-A",
    cli,
    "--out",
    ctx.dir,
    "--depths",
    ib.depths.join(","),
    "--seeds",
    String(ib.seeds),
    "--width",
    String(ib.width),
    "--img",
    String(ib.size),
    "--image",
    photos[0],
    "--images",
    photos.slice(1).join(","),
    "--count",
    String(ib.images),
    "--mi-samples",
    String(ib.miSamples ?? 1024),
    "--configs",
    "gelan-c,yolov9-c",
  ];
  if (ib.grid) args.push("--grid", ib.grid.join(","));
  const backend = ctx.settings.backend as string | undefined;
  if (backend) args.push("--backend", backend);
  // The study is deterministic in its settings: an earlier session's output with the same arguments is reused.
  const stamp = JSON.stringify(args.slice(2).filter((a) => a !== backend));
  const done = await pathExists(`${ctx.dir}/ib.csv`) &&
    await Deno.readTextFile(`${ctx.dir}/ib.args.json`).then((t) => t === stamp, () => false);
  if (!done) {
    ctx.log(`[ablate] fig2_6: deno ${args.slice(2).join(" ")}`);
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).spawn();
    // Progress lines pass through to the session log as they come.
    let err = "", partial = "";
    const forward = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        err += chunk;
        const lines = (partial + chunk).split("\n");
        partial = lines.pop()!;
        for (const l of lines) if (/^\[ib\] \d+\/\d+/.test(l)) ctx.log(`[ablate] fig2_6: ${l.slice(5)}`);
      }
    })();
    const [stdout, res] = await Promise.all([new Response(child.stdout).text(), child.status, forward]);
    await writeAtomic(`${ctx.dir}/ib.log`, stdout + err);
    if (!res.success) {
      return {
        status: "failed",
        line: `deno task ib exited with ${res.code}: ${err.trim().split("\n").slice(-2).join(" | ")}`,
      };
    }
    if (!(await pathExists(`${ctx.dir}/ib.csv`))) {
      return { status: "failed", line: "deno task ib wrote no ib.csv" };
    }
    await writeAtomic(`${ctx.dir}/ib.args.json`, stamp);
  } else ctx.log("[ablate] fig2_6: finished earlier, reused");
  const v = ibVerdict(JSON.parse(await Deno.readTextFile(`${ctx.dir}/ib.json`)) as IbJson);
  const pngs: string[] = [];
  for await (const e of Deno.readDir(ctx.dir)) if (e.name.endsWith(".png")) pngs.push(e.name);
  await writeFigurePage(ctx, "Fig. 2 / Fig. 6 — information kept by randomly initialised networks", [
    `Settings: figure depths ${
      ib.depths.join(", ")
    }, ${ib.seeds} seeds, ${ib.images} images (${STUDY_PHOTOS.length} photos and crops of them), width ${ib.width}, ${ib.size} px, MI on ${
      ib.miSamples ?? 1024
    } cells.`,
    "",
    `Verdict: ${v.line}.`,
    "",
    ...v.md,
    ...pngs.sort().map((p) => `![${p}](${p})`),
    "",
    "Numbers: [ib.csv](ib.csv), [information_depth.csv](information_depth.csv), [ib.json](ib.json).",
    "",
  ]);
  return { status: "done", line: v.line, link: "results.md" };
}
