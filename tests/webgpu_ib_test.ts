/**
 * The information-bottleneck analysis (paper Sec. 3) on the webgpu backend (on CI the software fallback
 * adapter, a tiny setting): it runs with awaited reads only, leaves no tensors behind, and its measures
 * equal the cpu backend's (the float32 tf.matMul cross product there, the float64 loop on webgpu).
 */
import * as tf from "@tensorflow/tfjs";
import { equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { runIbAnalysis } from "../lib/ib/analysis.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

async function analyse(backend: string) {
  await initBackend(backend, { quiet: true });
  const size = 32;
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.37) + 1) / 2 * 0.8 + ((i * 7919) % 13) / 65;
  const before = tf.memory().numTensors;
  const r = await runIbAnalysis([{ name: "synthetic", image: { height: size, width: size, data } }], {
    families: ["plain", "resnet"],
    depths: [1, 6],
    seeds: 1,
    width: 8,
    grid: [2, 6],
    replicates: 50,
    reversibility: { block: 4 },
    information: { samples: 128 },
  });
  equal(tf.memory().numTensors, before, `runIbAnalysis on ${backend} leaves no tensors behind`);
  return r;
}

Deno.test("runIbAnalysis on webgpu gives the cpu backend's measures and maps", async () => {
  const cpu = await analyse("cpu");
  const gpu = await analyse("webgpu");
  equal(gpu.rows.length, 4);
  const r2 = (r: typeof cpu) => r.rows.map((row) => row.r2.mean);
  ok(relMaxError(r2(gpu), r2(cpu)) < 1e-3, `R² ${r2(gpu)} vs cpu ${r2(cpu)}`);
  const psnr = (r: typeof cpu) => r.rows.map((row) => row.psnr.mean);
  ok(relMaxError(psnr(gpu), psnr(cpu)) < 1e-3, `PSNR ${psnr(gpu)} vs cpu ${psnr(cpu)}`);
  equal(gpu.maps.length, cpu.maps.length);
  gpu.maps.forEach((m, i) => ok(relMaxError(m.map.data, cpu.maps[i].map.data) < 1e-4, `map ${i}`));
});
