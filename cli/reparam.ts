/**
 * `deno task reparam --cfg yolov9-s --weights in.safetensors --out gelan-s.safetensors [--fuse]`:
 * remove PGI's auxiliary branch (and optionally fuse BN and RepConvN) for inference.
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel, saveModel } from "../lib/models/load.ts";
import { fuseWeights } from "../lib/graph/fuse.ts";
import { stripAuxModel } from "../lib/pgi/strip_aux.ts";
import { summarizeModel } from "../lib/graph/summary.ts";
import { runMain, setupBackend } from "./_common.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      cfg: { type: "string" }, weights: { type: "string" }, out: { type: "string" },
      fuse: { type: "boolean" }, ema: { type: "boolean" }, backend: { type: "string" },
    },
  });
  if (!values.weights || !values.out) {
    throw new Error("usage: deno task reparam [--cfg yolov9-s] --weights in.{safetensors,pt} --out out.safetensors [--fuse]");
  }
  await setupBackend(values.backend);
  const model = await loadModel(values.weights, { cfg: values.cfg, ema: values.ema });
  if (model.fused) throw new Error(`Cannot re-parameterize ${values.weights}: its weights are already fused`);
  let { spec, weights } = model;
  if (spec.branches > 1) {
    ({ spec, weights } = stripAuxModel(spec, weights));
    console.log(`removed the auxiliary branch: ${model.spec.name} -> ${spec.name}`);
  } else console.log(`${spec.name} has a single head branch: nothing to remove`);
  if (values.fuse) weights = fuseWeights(weights);
  await saveModel(values.out, spec, weights, { fused: !!values.fuse, metadata: { source: values.weights } });
  const c = summarizeModel(spec);
  console.log(
    `wrote ${values.out}: ${(values.fuse ? c.params_fused : c.params).toLocaleString("en-US")} parameters` +
      ` (${values.fuse ? "fused" : "unfused"}), ${(values.fuse ? c.gflops_fused : c.gflops).toFixed(1)} GFLOPs at 640`,
  );
});
