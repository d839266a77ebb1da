/**
 * The configurations shipped with the library (`lib/models/configs/*.yaml`, official row format) and
 * loading a configuration by shipped name or file path (I/O module).
 * @module
 */
import { type ModelConfig, parseModelConfig } from "../graph/config.ts";

/** Names of the configurations shipped in `lib/models/configs/`. */
export const SHIPPED_CONFIGS = [
  "gelan-t", "gelan-s", "gelan-m", "gelan-c", "gelan-e", "gelan",
  "yolov9-t", "yolov9-s", "yolov9-m", "yolov9-c", "yolov9-cf", "yolov9-e", "yolov9", "yolov7-af", "yolov7",
] as const;

/**
 * Load a configuration by shipped name (`gelan-c`, `yolov9-t.yaml`, `models/detect/gelan-t.yaml`)
 * or by file path.
 */
export async function loadModelConfig(nameOrPath: string): Promise<ModelConfig> {
  const base = nameOrPath.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  let path = nameOrPath;
  try {
    await Deno.stat(path);
  } catch {
    if (!(SHIPPED_CONFIGS as readonly string[]).includes(base)) {
      throw new Deno.errors.NotFound(
        `Cannot find model config "${nameOrPath}": not a file, and not one of ${SHIPPED_CONFIGS.join(", ")}`,
      );
    }
    path = new URL(`./configs/${base}.yaml`, import.meta.url).pathname;
  }
  return parseModelConfig(await Deno.readTextFile(path), path);
}
