import * as tf from "@tensorflow/tfjs";
import { equal, rejects } from "node:assert/strict";
import { BACKEND_ORDER, initBackend } from "../lib/backend/backend.ts";

Deno.test("initBackend() selects a forced backend and rejects unknown names", async () => {
  equal(await initBackend("cpu", { quiet: true }), "cpu");
  equal(tf.getBackend(), "cpu");
  equal(await initBackend("wasm", { quiet: true }), "wasm");
  equal(tf.getBackend(), "wasm");
  await rejects(() => initBackend("tpu"), /expected one of webgpu, native, tensorflow-gpu, tensorflow, wasm, cpu, got "tpu"/);
  equal(BACKEND_ORDER[BACKEND_ORDER.length - 1], "cpu");
});

Deno.test("initBackend() without a name picks the best available backend (wasm offline)", async () => {
  const picked = await initBackend(undefined, { quiet: true });
  equal(BACKEND_ORDER.includes(picked), true);
});
