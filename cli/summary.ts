/**
 * `deno task summary <cfg...> [--img 640] [--json] [--nc N]`: parameter counts (training and fused)
 * and GFLOPs (unfused and fused) of model configurations, with a per-layer table.
 * @module
 */
import { loadModelConfig } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { summarizeLayers, summarizeModel } from "../lib/graph/summary.ts";
import { runMain } from "./_common.ts";
import { imgFlag, intFlag, parseFlags, UsageError } from "./args.ts";

const USAGE = "usage: deno task summary <cfg...> [--img 640] [--json] [--nc N]";

const fmt = (n: number) => n.toLocaleString("en-US");

await runMain(async () => {
  const flags = parseFlags(Deno.args, {
    img: { type: "string", default: "640" }, json: { type: "boolean" }, nc: { type: "string" },
  }, USAGE, { positionals: true });
  if (!flags) return;
  const { values, positionals } = flags;
  if (!positionals.length) throw new UsageError(`expected at least one config\n${USAGE}`);
  const img = imgFlag(values.img);
  const out: Record<string, unknown> = {};
  for (const name of positionals) {
    const spec = buildModelSpec(await loadModelConfig(name), values.nc ? { nc: intFlag(values.nc, "nc", 1) } : {});
    const total = summarizeModel(spec, img);
    out[name] = { params: total.params, params_fused: total.params_fused, gflops: +total.gflops.toFixed(3), gflops_fused: +total.gflops_fused.toFixed(3) };
    if (values.json) continue;
    console.log(`\n${spec.name} (${spec.config.source}), nc ${spec.nc}, ${img}x${img}`);
    console.log(`${"#".padStart(3)} ${"from".padEnd(24)} ${"n".padStart(2)} ${"module".padEnd(14)} ${"args".padEnd(26)} ${"params".padStart(11)} ${"GFLOPs".padStart(9)}`);
    for (const r of summarizeLayers(spec, img)) {
      console.log(
        `${String(r.i).padStart(3)} ${JSON.stringify(r.from).padEnd(24)} ${String(r.n).padStart(2)} ${r.module.padEnd(14)} ` +
          `${JSON.stringify(r.args).padEnd(26)} ${fmt(r.params).padStart(11)} ${r.gflops.toFixed(3).padStart(9)}`,
      );
    }
    console.log(
      `${spec.name}: ${fmt(total.params)} parameters, ${total.gflops.toFixed(3)} GFLOPs; ` +
        `fused ${fmt(total.params_fused)} parameters, ${total.gflops_fused.toFixed(3)} GFLOPs`,
    );
  }
  if (values.json) console.log(JSON.stringify(out));
});
