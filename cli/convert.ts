/**
 * `deno task convert --weights model.pt --out model.safetensors [--ema]`
 *
 * Convert an official PyTorch checkpoint (yolov9-c.pt, gelan-c.pt, yolov9-c-converted.pt, a train_dual.py run's
 * best.pt, or a plain state_dict) to safetensors, without Python and without executing anything from the file.
 * Tensors keep their official state_dict names and their stored dtype (float16 stays float16). Metadata:
 * `format` = "pt", `source` = "<file>:<model|ema|...>", `model_yaml` = the model configuration recovered from the
 * checkpoint (JSON), `config` = the yaml file name it was built from, `nc`, `names` (JSON array), `stride` (JSON).
 * @module
 */
import { exitCode, parseFlags } from "./args.ts";
import { writeSafetensors } from "../lib/io/safetensors.ts";
import { DTYPE_BYTES, numel } from "../lib/io/raw_tensor.ts";
import { loadWeightsFile } from "../lib/io/weights_file.ts";

const USAGE =
  `Usage: deno task convert --weights model.pt [--out model.safetensors] [--ema] [--allow-module NAME]...

  --weights FILE       PyTorch checkpoint (.pt, zip or legacy format) or safetensors file
  --out FILE           output safetensors file (default: FILE with the extension .safetensors)
  --ema                take ckpt['ema'] when present and not None (default: ckpt['model'])
  --allow-module NAME  also accept globals of module NAME (and its submodules) as inert records
  -h, --help           show this help`;

/** Run the converter with command-line arguments; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return exitCode(() => run(args));
}

async function run(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    weights: { type: "string" },
    out: { type: "string" },
    ema: { type: "boolean", default: false },
    "allow-module": { type: "string", multiple: true },
  }, USAGE);
  if (!flags) return 0;
  const { values } = flags;
  if (!values.weights) {
    console.error(`convert: --weights is required\n${USAGE}`);
    return 2;
  }
  const out = values.out ?? values.weights.replace(/\.(pt|pth|ckpt)$/i, "") + ".safetensors";
  if (out === values.weights) {
    console.error(`convert: --out must differ from --weights`);
    return 2;
  }
  try {
    const t0 = performance.now();
    const w = await loadWeightsFile(values.weights, {
      ema: values.ema,
      allowModules: values["allow-module"] ?? [],
    });
    await writeSafetensors(out, w.tensors, w.metadata);
    const byDtype = new Map<string, number>();
    let elements = 0;
    let paramElements = 0;
    let bytes = 0;
    for (const [k, t] of w.tensors) {
      const n = numel(t.shape);
      elements += n;
      bytes += n * DTYPE_BYTES[t.dtype];
      if (w.parameters?.has(k)) paramElements += n;
      byDtype.set(t.dtype, (byDtype.get(t.dtype) ?? 0) + 1);
    }
    const dtypes = [...byDtype].map(([d, n]) => `${d} x${n}`).join(", ");
    console.log(`${values.weights} (${w.format}${w.from ? `, ${w.from}` : ""}) -> ${out}`);
    if (values.ema && w.format === "pt" && w.from !== "ema") {
      console.log(`  note: the checkpoint has no EMA weights (ema is None); used "${w.from}"`);
    }
    console.log(
      `  ${w.tensors.size} tensors, ${elements.toLocaleString("en-US")} elements (${
        w.parameters
          ? `${paramElements.toLocaleString("en-US")} in ${w.parameters.size} parameters`
          : "parameters unknown"
      }), ${(bytes / 2 ** 20).toFixed(2)} MiB; dtypes: ${dtypes}`,
    );
    const cfg = w.yaml
      ? `model yaml recovered (${w.metadata.config ?? "no file name"})`
      : "no model yaml in the file";
    console.log(
      `  ${cfg}; nc ${w.nc ?? "?"}; ${w.names ? `${w.names.length} class names` : "no class names"}; ${
        ((performance.now() - t0) / 1000).toFixed(2)
      } s`,
    );
    return 0;
  } catch (e) {
    console.error(`convert: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
