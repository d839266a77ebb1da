/**
 * Shared pieces of the command-line entry points: backend selection and error reporting.
 * @module
 */
import { initBackend } from "../lib/backend/backend.ts";
import type { Precision } from "../lib/backend/port.ts";
import { convSupport } from "../lib/backend/native/mod.ts";
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
 * `--precision` (fp32, bf16 or winograd) checked against the backend that runs: bf16 and winograd need
 * the native backend with such convolutions (bf16: AVX512_BF16 or AMX; winograd: AVX-512). Returns the
 * precision and the kernel that will run.
 */
export function precisionFlag(v: string | undefined, backend: string): { precision: Precision; kernel: string } {
  const precision = (v ?? "fp32") as Precision;
  if (precision !== "fp32" && precision !== "bf16" && precision !== "winograd") {
    throw new UsageError(`--precision: expected fp32, bf16 or winograd, got "${v}"`);
  }
  if (precision === "fp32") return { precision, kernel: "fp32" };
  const support = backend === "native"
    ? convSupport(precision)
    : { native: false, kernel: `backend ${backend}` };
  if (!support.native) {
    throw new Error(
      `--precision ${precision} needs the native backend with ${precision} convolutions: ${support.kernel}`,
    );
  }
  return { precision, kernel: support.kernel };
}

/**
 * `loadModel` for inference at `precision`: bf16 and winograd run the fused convolutions only, so unfused weights are
 * fused (BatchNorm folded into the convolutions, as `detect.py` / `val.py` do with `fuse=True`).
 */
export async function loadModelAt(
  path: string,
  o: { cfg?: string; precision: Precision },
): Promise<LoadedModel> {
  const loaded = await loadModel(path, { cfg: o.cfg });
  if (o.precision === "fp32" || loaded.fused) return loaded;
  const weights = fuseWeights(loaded.weights);
  disposeWeights(loaded.weights, weights);
  return { ...loaded, weights, fused: true };
}
