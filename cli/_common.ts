/**
 * Shared pieces of the command-line entry points: backend selection and error reporting.
 * @module
 */
import { initBackend } from "../lib/backend/backend.ts";
import type { Precision } from "../lib/backend/port.ts";
import { bf16Support } from "../lib/backend/native/mod.ts";
import { type LoadedModel, loadModel } from "../lib/models/load.ts";
import { fuseWeights } from "../lib/graph/fuse.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { UsageError } from "./args.ts";

/**
 * Run a CLI main function: errors print one clear line (the stack with YOLO_DEBUG=1) and exit 1; a
 * command line that does not parse ({@link UsageError}) prints the usage and exits 2.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const err = e as Error;
    if (e instanceof UsageError) {
      console.error(err.message);
      Deno.exit(2);
    }
    console.error(Deno.env.get("YOLO_DEBUG") ? err.stack : `error: ${err.message}`);
    Deno.exit(1);
  }
}

/** Initialise the backend named by `--backend` (or YOLO_BACKEND, or the best available). */
export async function setupBackend(name?: string): Promise<string> {
  return await initBackend(name);
}

/**
 * `--precision` (fp32 or bf16) checked against the backend that runs: bf16 needs the native backend with
 * native bf16 convolutions (AVX512_BF16 or AMX). Returns the precision and the kernel that will run.
 */
export function precisionFlag(v: string | undefined, backend: string): { precision: Precision; kernel: string } {
  const precision = (v ?? "fp32") as Precision;
  if (precision !== "fp32" && precision !== "bf16") {
    throw new UsageError(`--precision: expected fp32 or bf16, got "${v}"`);
  }
  if (precision === "fp32") return { precision, kernel: "fp32" };
  const support = backend === "native" ? bf16Support() : { native: false, kernel: `backend ${backend}` };
  if (!support.native) {
    throw new Error(`--precision bf16 needs the native backend with bf16 convolutions: ${support.kernel}`);
  }
  return { precision, kernel: support.kernel };
}

/**
 * `loadModel` for inference at `precision`: bf16 runs the fused convolutions only, so unfused weights are
 * fused (BatchNorm folded into the convolutions, as `detect.py` / `val.py` do with `fuse=True`).
 */
export async function loadModelAt(
  path: string,
  o: { cfg?: string; precision: Precision },
): Promise<LoadedModel> {
  const loaded = await loadModel(path, { cfg: o.cfg });
  if (o.precision !== "bf16" || loaded.fused) return loaded;
  const weights = fuseWeights(loaded.weights);
  disposeWeights(loaded.weights, weights);
  return { ...loaded, weights, fused: true };
}
