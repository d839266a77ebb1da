// The shim's augmentation loops (csrc/pixels.c) give the TypeScript loops' bytes exactly: warpImage
// (affine and perspective draws, taps across the border, a horizon inside the output) and applyHsvGains
// (random gains, grey and saturated pixels), on random images, with and without the loops installed.
import { deepEqual, ok } from "node:assert/strict";
import { registerNativeBackend } from "../lib/backend/native/mod.ts";
import { pixelKernels, setPixelKernels } from "../lib/data/pixel_kernels.ts";
import { samplePerspective, warpImage } from "../lib/data/affine.ts";
import { applyHsvGains } from "../lib/data/hsv.ts";
import { createRng, rngFloat, rngInt, rngUniform } from "../lib/data/rng.ts";
import type { RgbImage } from "../lib/data/image.ts";

const status = registerNativeBackend();

function randomImage(rng: ReturnType<typeof createRng>, w: number, h: number, grey = false): RgbImage {
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i += 3) {
    const r = rngInt(rng, 0, 255);
    px[i] = r;
    px[i + 1] = grey ? r : rngInt(rng, 0, 255);
    px[i + 2] = grey ? r : rngFloat(rng) < 0.1 ? 255 : rngInt(rng, 0, 255);
  }
  return { pixels: px, width: w, height: h };
}

/** `f` with the plain TypeScript loops, then with the native ones. */
function both<T>(f: () => T): [T, T] {
  const native = setPixelKernels(undefined);
  ok(native, "the native backend installs its pixel loops when it registers");
  try {
    const plain = f();
    setPixelKernels(native);
    return [plain, f()];
  } finally {
    setPixelKernels(native);
  }
}

Deno.test("native warpImage gives the TypeScript loop's bytes (affine, perspective, borders)", () => {
  ok(status.ok, `native backend: ${status.ok ? "" : status.reason} (scripts/setup_native.sh builds it)`);
  const rng = createRng(7);
  let cases = 0;
  for (let t = 0; t < 40; t++) {
    const img = randomImage(rng, rngInt(rng, 5, 70), rngInt(rng, 5, 70));
    const hyp = { degrees: 30, translate: 0.3, scale: 0.6, shear: 5, perspective: t % 2 ? 0.002 : 0 };
    const b = t % 3 === 0 ? -Math.floor(Math.min(img.width, img.height) / 4) : 0;
    const draw = samplePerspective(rng, img, hyp, [b, b]);
    const [plain, native] = both(() => warpImage(img, draw.matrix, draw));
    deepEqual(native, plain, `case ${t}: ${img.width}x${img.height}, perspective ${hyp.perspective}`);
    cases++;
  }
  const img = randomImage(rng, 16, 16);
  // strong perspective: the source's w crosses 0 inside the output (infinite and NaN coordinates)
  const steep = new Float64Array([1, 0, 0, 0, 1, 0, 0.25, 0.25, 1]);
  const [plain, native] = both(() => warpImage(img, steep, { width: 24, height: 24 }));
  deepEqual(native, plain, "a perspective whose horizon lies inside the output");
  ok(cases === 40 && pixelKernels() !== undefined);
});

Deno.test("native applyHsvGains gives the TypeScript loop's bytes", () => {
  ok(status.ok, `native backend: ${status.ok ? "" : status.reason} (scripts/setup_native.sh builds it)`);
  const rng = createRng(11);
  for (let t = 0; t < 30; t++) {
    const img = randomImage(rng, rngInt(rng, 1, 64), rngInt(rng, 1, 64), t % 5 === 0);
    const r: [number, number, number] = [
      1 + rngUniform(rng, -1, 1) * 0.015 * (t % 7),
      1 + rngUniform(rng, -1, 1) * 0.7,
      1 + rngUniform(rng, -1, 1) * 0.4,
    ];
    const [plain, native] = both(() => applyHsvGains(img, r));
    deepEqual(native, plain, `case ${t}: gains ${r.join(", ")}`);
  }
});
