/**
 * Paper Fig. 2 / Fig. 6 — feature maps of randomly initialised PlainNet, ResNet, CSPNet and GELAN by
 * depth, from the information-bottleneck work (`deno task ib`, cli/ib.ts), run with the preset's
 * settings into this figure's folder. Its measures make the figure's claim testable: at the deepest
 * depth the information kept (held-out reversibility R²) should order GELAN >= CSPNet > ResNet >
 * PlainNet (paper Sec. 5.5); that ordering is checked like a table's, with the seed spread.
 * @module
 */
import type { Figure, FigureContext, FigureOutcome } from "../lib/ablate/spec.ts";
import { checkPairs, orderingVerdict, tallyPairs } from "../lib/ablate/stats.ts";
import { pathExists } from "../lib/io/exists.ts";

/** Paper ranks of the families (higher keeps more information). */
const PAPER_RANK: Record<string, number> = { GELAN: 4, CSPNet: 3, ResNet: 2, PlainNet: 1 };

/** Parse the IB study's CSV (header + rows) into records. */
export function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split("\n");
  const cols = head.split(",");
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

/** The ordering check of the deepest depth of an IB CSV on `measure` (default r2). */
export function ibOrdering(
  rows: Record<string, string>[],
  measure = "r2",
): { depth: number; line: string; holds: string } {
  const depth = Math.max(...rows.map((r) => Number(r.depth)));
  const deep = rows.filter((r) => Number(r.depth) === depth);
  const items = deep.map((r) => ({
    id: r.family,
    paper: PAPER_RANK[r.family],
    ours: { mean: Number(r[`${measure}_mean`]), std: Number(r[`${measure}_std`]) || 0, n: Number(r.n) || 1 },
  })).sort((a, b) => (b.paper ?? 0) - (a.paper ?? 0));
  const pairs = checkPairs(items);
  const v = orderingVerdict(tallyPairs(pairs), Math.min(...items.map((i) => i.ours.n)));
  const vals = items.map((i) => `${i.id} ${i.ours.mean.toFixed(3)}±${i.ours.std.toFixed(3)}`).join(", ");
  return {
    depth,
    holds: v.holds,
    line:
      `at depth ${depth}: ${measure} ${vals}; paper order GELAN ≥ CSPNet > ResNet > PlainNet holds: ${v.holds} (confidence ${v.confidence}; ${v.line})`,
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
  const ib = ctx.settings.ib as {
    depths: number[];
    seeds: number;
    width: number;
    size: number;
    images: number;
  };
  const dir = `${root}data/images`;
  const images: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /\.(png|jpe?g)$/i.test(e.name)) images.push(`${dir}/${e.name}`);
  }
  images.sort();
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
    "--images",
    images.slice(0, ib.images).join(","),
    "--configs",
    "gelan-c,yolov9-c",
  ];
  const backend = ctx.settings.backend as string | undefined;
  if (backend) args.push("--backend", backend);
  // The study is deterministic in its settings: an earlier session's output with the same arguments is reused.
  const stamp = JSON.stringify(args.slice(2).filter((a) => a !== backend));
  const done = await pathExists(`${ctx.dir}/ib.csv`) &&
    await Deno.readTextFile(`${ctx.dir}/ib.args.json`).then((t) => t === stamp, () => false);
  if (!done) {
    ctx.log(`[ablate] fig2_6: deno ${args.slice(2).join(" ")}`);
    const res = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
    const err = new TextDecoder().decode(res.stderr);
    await Deno.writeTextFile(`${ctx.dir}/ib.log`, new TextDecoder().decode(res.stdout) + err);
    if (!res.success) {
      return {
        status: "failed",
        line: `deno task ib exited with ${res.code}: ${err.trim().split("\n").slice(-2).join(" | ")}`,
      };
    }
    if (!(await pathExists(`${ctx.dir}/ib.csv`))) {
      return { status: "failed", line: "deno task ib wrote no ib.csv" };
    }
    await Deno.writeTextFile(`${ctx.dir}/ib.args.json`, stamp);
  } else ctx.log("[ablate] fig2_6: finished earlier, reused");
  const o = ibOrdering(parseCsv(await Deno.readTextFile(`${ctx.dir}/ib.csv`)));
  const pngs: string[] = [];
  for await (const e of Deno.readDir(ctx.dir)) if (e.name.endsWith(".png")) pngs.push(e.name);
  await Deno.writeTextFile(
    `${ctx.dir}/results.md`,
    [
      "# Fig. 2 / Fig. 6 — information kept by randomly initialised networks",
      "",
      ...FIG2_6.notes.map((n) => `- ${n}`),
      "",
      `Settings: depths ${ib.depths.join(", ")}, ${ib.seeds} seeds, width ${ib.width}, ${ib.size} px, ${
        Math.min(ib.images, images.length)
      } image(s).`,
      "",
      `Ordering ${o.line}.`,
      "",
      ...pngs.sort().map((p) => `![${p}](${p})`),
      "",
      "Numbers: [ib.csv](ib.csv), [ib.json](ib.json).",
      "",
    ].join("\n"),
  );
  return { status: "done", line: `ordering ${o.line}`, link: "results.md" };
}

/** Fig. 2 / 6 as an experiment. */
export const FIG2_6: Figure = {
  name: "fig2_6",
  title: "Fig. 2 / Fig. 6 — information by depth at random initialisation",
  caption: "PlainNet, ResNet, CSPNet, GELAN at several depths: channel-summed maps and information measures.",
  notes: [
    "Run by the information-bottleneck study (`deno task ib`); the maps are channel sums of the tapped layer (official issue #223).",
    "The paper's figure is qualitative; its text orders the architectures by what they keep in deep layers (GELAN best, PlainNet worst). The check uses the held-out reversibility R² at the deepest depth.",
  ],
  run,
};
