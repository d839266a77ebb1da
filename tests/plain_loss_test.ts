// The YOLOv9 loss on plain arrays (lib/loss/plain_loss.ts) against the official PyTorch loss and its
// gradients (golden cases: GELAN-T single head, YOLOv9-T dual head, the empty-target case), against the
// taped tfjs loss with lead-head guidance, and its CIoU gradient against finite differences. On native
// (heads decoded in C) the same golden cases, and the loop's numbers.
import * as tf from "@tensorflow/tfjs";
import { ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { registerNativeBackend } from "../lib/backend/native/mod.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { toFloat32 } from "../lib/io/raw_tensor.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { lossOptions } from "../lib/golden/loss.ts";
import { ciouWithGrad, computeLossPlain, type PlainHeads } from "../lib/loss/plain_loss.ts";
import { computeLoss } from "../lib/loss/compute_loss.ts";
import { createRng, rngFloat } from "../lib/data/rng.ts";

await initBackend("cpu", { quiet: true });

/** NCHW [B, C, H, W] values -> NHWC, and back. */
function toNhwc(v: Float32Array, [b, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(v.length);
  for (let n = 0; n < b; n++) {
    for (let k = 0; k < c; k++) {
      for (let p = 0; p < h * w; p++) out[(n * h * w + p) * c + k] = v[(n * c + k) * h * w + p];
    }
  }
  return out;
}
function toNchw(v: Float32Array, [b, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(v.length);
  for (let n = 0; n < b; n++) {
    for (let k = 0; k < c; k++) {
      for (let p = 0; p < h * w; p++) out[(n * c + k) * h * w + p] = v[(n * h * w + p) * c + k];
    }
  }
  return out;
}

async function golden(stem: string) {
  const sidecar = JSON.parse(await Deno.readTextFile(`tests/golden/${stem}.json`));
  const { tensors } = await readSafetensors(`tests/golden/${stem}.safetensors`);
  const names = [...tensors.keys()].filter((n) => /^pred\.\d+(\.\d+)?$/.test(n)).sort();
  const branches = new Set(names.map((n) => n.split(".").length === 3 ? n.split(".")[1] : "0")).size;
  const perBranch = names.length / branches;
  const shapes = names.slice(0, perBranch).map((n) => tensors.get(n)!.shape);
  const heads: PlainHeads = {
    batch: shapes[0][0],
    shapes: shapes.map((s) => [s[2], s[3]] as const),
    data: Array.from(
      { length: branches },
      (_, b) =>
        names.slice(b * perBranch, (b + 1) * perBranch).map((n) =>
          toNhwc(toFloat32(tensors.get(n)!), tensors.get(n)!.shape)
        ),
    ),
  };
  return { sidecar, tensors, names, heads, opts: lossOptions(sidecar, shapes[0][1], branches) };
}

// On native the heads are decoded in C (csrc/loss.c); that path must give the TypeScript loop's numbers.
const native = registerNativeBackend();
if (!native.ok) console.log(`native plain-loss cases skipped: ${native.reason}`);

for (const stem of ["loss_gelan-t_3x3x64x64", "loss_yolov9-t_3x3x64x64"]) {
  for (const backend of ["cpu", "native"]) {
    Deno.test({
      name: `plain-array loss equals the official loss, items and head gradients: ${stem} on ${backend}`,
      ignore: backend === "native" && !native.ok,
      fn: () => lossCase(stem, backend),
    });
  }
}

async function lossCase(stem: string, backend: string): Promise<void> {
  const g = await golden(stem);
  for (const prefix of ["", "empty."]) {
    if (!g.tensors.has(`${prefix}loss.total`)) continue;
    const rows = prefix ? new Float32Array(0) : toFloat32(g.tensors.get("targets")!);
    await initBackend("cpu", { quiet: true });
    const js = computeLossPlain(g.heads, rows, g.opts);
    await initBackend(backend, { quiet: true });
    const r = computeLossPlain(g.heads, rows, g.opts);
    if (backend !== "cpu") {
      ok(
        Math.abs(r.total - js.total) <= 1e-12 * Math.abs(js.total),
        `${prefix}total ${r.total} vs the loop's ${js.total}`,
      );
      r.grads.flat().forEach((v, i) => {
        const err = relMaxError(v, js.grads.flat()[i]);
        ok(err < 1e-6, `${prefix}gradient ${i}: ${err} from the loop's`);
      });
    }
    const ref = toFloat32(g.tensors.get(`${prefix}loss.total`)!)[0];
    ok(Math.abs(r.total - ref) / Math.abs(ref) < 1e-5, `${prefix}total ${r.total} vs ${ref}`);
    if (g.tensors.has(`${prefix}loss.items`)) {
      const it = toFloat32(g.tensors.get(`${prefix}loss.items`)!);
      r.items.forEach((v, i) =>
        ok(
          it[i] === 0 ? Math.abs(v) < 1e-9 : Math.abs(v - it[i]) / Math.abs(it[i]) < 1e-5,
          `${prefix}item ${i}: ${v} vs ${it[i]}`,
        )
      );
    }
    let checked = 0;
    g.names.forEach((n, k) => {
      const refG = g.tensors.get(`${prefix}grad.${n}`);
      if (!refG) return;
      const per = g.names.length / g.heads.data.length;
      const got = toNchw(r.grads[Math.floor(k / per)][k % per], refG.shape);
      const err = relMaxError(got, toFloat32(refG));
      ok(err < 5e-5, `${prefix}grad.${n}: relative error ${err}`);
      checked++;
    });
    ok(prefix || checked > 0, "the case holds head gradients");
  }
  await initBackend("cpu", { quiet: true });
}

Deno.test("plain-array loss with lead-head guidance equals the taped tfjs loss (value, items, gradients)", async () => {
  const g = await golden("loss_yolov9-t_3x3x64x64");
  const rows = toFloat32(g.tensors.get("targets")!);
  const opts = { ...g.opts, lhg: true };
  const r = computeLossPlain(g.heads, rows, opts);
  const flat = g.heads.data.flat().map((v, i) => {
    const [h, w] = g.heads.shapes[i % g.heads.shapes.length];
    return tf.tensor4d(v, [g.heads.batch, h, w, v.length / (g.heads.batch * h * w)]);
  });
  let items: tf.Tensor1D | undefined;
  const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => {
    const n = g.heads.shapes.length;
    const res = computeLoss([p.slice(0, n), p.slice(n)], rows, opts);
    items = tf.keep(res.items);
    return res.total;
  })(flat);
  const total = value.dataSync()[0];
  ok(Math.abs(r.total - total) / total < 1e-5, `total ${r.total} vs ${total}`);
  const it = items!.dataSync();
  r.items.forEach((v, i) => ok(Math.abs(v - it[i]) <= 1e-5 * Math.abs(it[i]), `item ${i}: ${v} vs ${it[i]}`));
  grads.forEach((gr, i) => {
    const err = relMaxError(
      r.grads[Math.floor(i / g.heads.shapes.length)][i % g.heads.shapes.length],
      gr.dataSync(),
    );
    ok(err < 5e-5, `gradient ${i}: relative error ${err}`);
  });
  tf.dispose([value, items!, ...grads, ...flat]);
});

Deno.test("CIoU gradient (alpha constant) equals central finite differences on random box pairs", () => {
  const rng = createRng(7), rand = () => rngFloat(rng);
  const eps = 1e-7;
  const iou = (a: number[], b: number[]) => {
    const inter = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0) *
      Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
    return inter / ((a[2] - a[0]) * (a[3] - a[1] + eps) + (b[2] - b[0]) * (b[3] - b[1] + eps) - inter + eps);
  };
  const v = (a: number[], b: number[]) => {
    const d = Math.atan((b[2] - b[0]) / (b[3] - b[1] + eps)) - Math.atan((a[2] - a[0]) / (a[3] - a[1] + eps));
    return 4 / Math.PI ** 2 * d * d;
  };
  const alpha = (a: number[], b: number[]) => v(a, b) / (v(a, b) - iou(a, b) + (1 + eps));
  for (let t = 0; t < 200; t++) {
    const box = () => {
      const x = rand() * 8, y = rand() * 8;
      return [x, y, x + 0.2 + rand() * 4, y + 0.2 + rand() * 4];
    };
    const a = box(), b = t % 4 === 0 ? a.map((x) => x + 0.3) : box();
    const { grad } = ciouWithGrad(a, b);
    // CIoU with alpha held at its value for `a` (the reference computes alpha without gradient)
    const f = (p: number[]) => ciouWithGrad(p, b).ciou + v(p, b) * (alpha(p, b) - alpha(a, b));
    for (let q = 0; q < 4; q++) {
      const h = 1e-6, up = [...a], dn = [...a];
      up[q] += h;
      dn[q] -= h;
      const fd = (f(up) - f(dn)) / (2 * h);
      ok(
        Math.abs(fd - grad[q]) < 1e-5 * Math.max(1, Math.abs(fd)),
        `pair ${t}, coordinate ${q}: ${grad[q]} vs ${fd}`,
      );
    }
  }
});
