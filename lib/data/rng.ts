/**
 * A small seedable pseudo-random generator for the data pipeline (the official code draws from Python's
 * `random` and `np.random`; we thread an explicit state instead). The state is plain data: one uint32
 * advanced by mulberry32, so a generator can be copied, logged or restored. Seeds for independent streams
 * (per epoch, per sample) are derived with {@link mixSeed} (splitmix32-style hashing).
 * @module
 */

/** Generator state: a uint32 counter advanced by every draw. */
export interface Rng {
  state: number;
}

/** splitmix32 finaliser: a well-mixed uint32 from any uint32. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** A seed for an independent stream derived from several integers (e.g. seed, epoch, sample index). */
export function mixSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) {
    if (!Number.isFinite(p)) throw new RangeError(`mixSeed: expected finite integers, got ${p}`);
    h = mix32(h ^ mix32(Math.trunc(p) >>> 0) ^ mix32(Math.floor(p / 4294967296) >>> 0));
  }
  return h;
}

/** A generator seeded with `seed` (any finite number; equal seeds give equal streams). */
export function createRng(seed: number): Rng {
  return { state: mixSeed(seed) };
}

/** Uniform float in [0, 1) (mulberry32; 32 bits of randomness). Mirrors Python `random.random()`. */
export function rngFloat(rng: Rng): number {
  rng.state = (rng.state + 0x6d2b79f5) >>> 0;
  let t = rng.state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Uniform float in [a, b). Mirrors Python `random.uniform(a, b)`. */
export function rngUniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rngFloat(rng);
}

/** Uniform integer in [lo, hi] (both inclusive). Mirrors Python `random.randint(lo, hi)`. */
export function rngInt(rng: Rng, lo: number, hi: number): number {
  if (hi < lo) throw new RangeError(`rngInt: expected lo <= hi, got ${lo} > ${hi}`);
  return lo + Math.floor(rngFloat(rng) * (hi - lo + 1));
}

/** Fisher-Yates shuffle in place; returns the same array. Mirrors Python `random.shuffle`. */
export function rngShuffle<T>(rng: Rng, arr: T[]): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rngFloat(rng) * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}

/** `k` distinct elements of `arr` in random order. Mirrors Python `random.sample(arr, k)`. */
export function rngSample<T>(rng: Rng, arr: readonly T[], k: number): T[] {
  if (k > arr.length) throw new RangeError(`rngSample: cannot take ${k} of ${arr.length} elements`);
  return rngShuffle(rng, arr.slice()).slice(0, k);
}

/** Standard normal draw (Box-Muller). */
export function rngNormal(rng: Rng): number {
  const u = 1 - rngFloat(rng); // (0, 1]
  const v = rngFloat(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) draw (Marsaglia-Tsang; shape < 1 by the boost u^(1/shape)). */
export function rngGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`rngGamma: expected shape > 0, got ${shape}`);
  if (shape < 1) return rngGamma(rng, shape + 1) * Math.pow(1 - rngFloat(rng), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rngNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rngFloat(rng);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) draw. Mirrors `np.random.beta(a, b)` (MixUp uses Beta(32, 32)). */
export function rngBeta(rng: Rng, a: number, b: number): number {
  const x = rngGamma(rng, a);
  const y = rngGamma(rng, b);
  return x / (x + y);
}
