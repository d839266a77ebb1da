/**
 * Golden handler for the `nms` case (utils/general.py non_max_suppression): runs every variant listed in the
 * sidecar on `in.prediction` and compares `out.<variant>.<image>` rows, order and values exactly.
 * @module
 */
import { readSafetensors } from "../io/safetensors.ts";
import { toFloat32 } from "../io/raw_tensor.ts";
import { type CaseReport, check, type TensorCheck } from "./types.ts";
import { type NmsOptions, nonMaxSuppression } from "../eval/nms.ts";

interface NmsVariant {
  name: string;
  conf_thres: number;
  iou_thres: number;
  max_det?: number;
  multi_label?: boolean;
  agnostic?: boolean;
  classes?: number[] | null;
  max_nms?: number;
}

/** Translate one sidecar variant into {@link NmsOptions}; throws naming the variant when a field is missing. */
export function nmsOptionsFromVariant(v: Record<string, unknown>): NmsOptions {
  const name = String(v.name ?? "<unnamed>");
  for (const key of ["conf_thres", "iou_thres"]) {
    if (typeof v[key] !== "number") {
      throw new TypeError(`nms variant "${name}": expected a number "${key}", got ${JSON.stringify(v[key])}`);
    }
  }
  const u = v as unknown as NmsVariant;
  return {
    confThres: u.conf_thres,
    iouThres: u.iou_thres,
    maxDet: u.max_det ?? 300,
    multiLabel: u.multi_label ?? false,
    agnostic: u.agnostic ?? false,
    classes: u.classes ?? null,
    maxNms: u.max_nms ?? 30000,
  };
}

/** Run the `nms` golden case in `dir` (files `<stem>.safetensors`); every variant and image must match exactly. */
export async function runNmsCase(
  dir: string,
  stem: string,
  sidecar: Record<string, unknown>,
  _opts: { backend?: string } = {},
): Promise<CaseReport> {
  const file = `${dir}/${
    typeof sidecar.safetensors === "string" ? sidecar.safetensors : `${stem}.safetensors`
  }`;
  const { tensors } = await readSafetensors(file);
  const input = tensors.get("in.prediction");
  if (!input) {
    throw new Error(`${file}: expected tensor "in.prediction", found ${[...tensors.keys()].join(", ")}`);
  }
  const pred = { data: toFloat32(input), shape: input.shape };
  const variants = sidecar.variants;
  if (!Array.isArray(variants) || variants.length === 0) {
    throw new Error(`${stem}.json: expected a non-empty "variants" list`);
  }
  const checks: TensorCheck[] = [];
  for (const v of variants as Record<string, unknown>[]) {
    const t0 = performance.now();
    const result = nonMaxSuppression(pred, nmsOptionsFromVariant(v));
    const ms = performance.now() - t0;
    result.forEach((det, b) => {
      const name = `out.${v.name}.${b}`;
      const ref = tensors.get(name);
      if (!ref) {
        checks.push(check(name, Infinity, 0, "reference tensor missing"));
        return;
      }
      const want = toFloat32(ref);
      if (want.length !== det.rows.length) {
        checks.push(check(name, Infinity, 0, `rows: got ${det.n}, expected ${want.length / 6}`));
        return;
      }
      let maxDiff = 0;
      let firstBad = -1;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(det.rows[i] - want[i]);
        if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
        if (d !== 0 && firstBad < 0) firstBad = Math.floor(i / 6);
      }
      const note = firstBad >= 0
        ? `first differing row ${firstBad}`
        : `${det.n} rows exact (${ms.toFixed(1)} ms)`;
      checks.push(check(name, maxDiff, 0, note));
    });
  }
  return { case: String(sidecar.case ?? "nms"), stem, checks };
}
