/**
 * Paper Fig. 2 / Fig. 6 — feature maps of randomly initialised PlainNet, ResNet, CSPNet and GELAN by
 * depth, from the information-bottleneck work (`deno task ib`, cli/ib.ts), run with the preset's
 * settings into this figure's folder. Its measures make the figure's claim testable: by the depth at
 * which the information kept falls below a threshold (lib/ib/depth_study.ts), the families should order
 * GELAN >= CSPNet > ResNet > PlainNet (paper Sec. 5.5); each pair is judged by a paired 95 % interval
 * over seeds and images, and where every family is at the floor no order is drawn.
 * @module
 */
import type { Figure, FigureContext, FigureOutcome } from "../lib/ablate/spec.ts";
import type { IbSettings } from "../lib/ablate/presets.ts";
import { pathExists } from "../lib/io/exists.ts";
import { writeAtomic } from "../lib/io/atomic.ts";
import { STUDY_PHOTOS } from "../lib/ib/images.ts";
import { DEPTH_MEASURES, type DepthMeasureSpec, type DepthStudy, type FamilyDepth, formatDepth } from "../lib/ib/depth_study.ts";

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
  const floorNote = floor?.allAtFloor ? `; at depth ${deepest} every family is at the R² floor (no order there)` : "";
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
    `| family | ${cols.map(({ m, t }) => `${m.key} < ${+t.toFixed(2)}${m.key === "psnr" ? " dB" : ""}`).join(" | ")} |`,
    `|---|${cols.map(() => "---").join("|")}|`,
    ...names.map((n) => `| ${n} | ${cols.map(({ m, t }) => cell(n, m, m.thresholds.indexOf(t))).join(" | ")} |`),
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
    line: `information depth (${head?.measure} < ${head?.threshold}): ${head?.order}; paper order holds: ${head?.holds}${floorNote}`,
  };
}

async function run(ctx: FigureContext): Promise<FigureOutcome> {
  const root = new URL("../", import.meta.url).pathname;
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
    "run", "-A", cli, "--out", ctx.dir, "--depths", ib.depths.join(","), "--seeds", String(ib.seeds), "--width", String(ib.width),
    "--img", String(ib.size), "--image", photos[0], "--images", photos.slice(1).join(","), "--count", String(ib.images),
    "--mi-samples", String(ib.miSamples ?? 1024), "--configs", "gelan-c,yolov9-c",
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
  await writeAtomic(
    `${ctx.dir}/results.md`,
    [
      "# Fig. 2 / Fig. 6 — information kept by randomly initialised networks",
      "",
      ...FIG2_6.notes.map((n) => `- ${n}`),
      "",
      `Settings: figure depths ${ib.depths.join(", ")}, ${ib.seeds} seeds, ${ib.images} images (${STUDY_PHOTOS.length} photos and crops of them), width ${ib.width}, ${ib.size} px, MI on ${ib.miSamples ?? 1024} cells.`,
      "",
      `Verdict: ${v.line}.`,
      "",
      ...v.md,
      ...pngs.sort().map((p) => `![${p}](${p})`),
      "",
      "Numbers: [ib.csv](ib.csv), [information_depth.csv](information_depth.csv), [ib.json](ib.json).",
      "",
    ].join("\n"),
  );
  return { status: "done", line: v.line, link: "results.md" };
}

/** Fig. 2 / 6 as an experiment. */
export const FIG2_6: Figure = {
  name: "fig2_6",
  title: "Fig. 2 / Fig. 6 — information by depth at random initialisation",
  caption: "PlainNet, ResNet, CSPNet, GELAN at several depths: channel-summed maps and information measures.",
  notes: [
    "Run by the information-bottleneck study (`deno task ib`); the maps are channel sums of the tapped layer (official issue #223).",
    "The paper's figure is qualitative; its text orders the architectures by what they keep in deep layers (GELAN best, PlainNet worst). The check uses each family's information depth (where the measure falls below 0.5 and 0.1, with a 95 % interval over seeds and images) for R², PSNR gain and MI, and says where every family is at the floor instead of ordering noise.",
    "CSPNet (official RepNCSP, the CSP block of GELAN) splits with two 1x1 convs, so no identity path crosses a CSP stage: what it keeps falls with the number of stages crossed, i.e. with the shortest gradient path, as for GELAN (depth_r2_by_shortest.png); a CSP stage comes every 9 conv layers, a GELAN one every 14, and ResNet's identity path keeps its shortest path at 1. See lib/ib/families.ts.",
  ],
  run,
};
