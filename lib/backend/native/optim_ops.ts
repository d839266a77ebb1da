/**
 * The optimizer's array updates over many tensors in one native call each (csrc/optim.c), the
 * `native` backend's members of the backend port: Nesterov SGD and `a x + b y` per tensor (ModelEMA,
 * BatchNorm running statistics). Bit-identical to the array loops they replace (lib/optim).
 * @module
 */
import { check, type NativeSymbols } from "./ffi.ts";
import type { SgdArrays } from "../port.ts";

/**
 * Addresses of the arrays (0 for null) in one table. V8 may keep a small typed array's values inside
 * its heap, where a collection moves them; reading `.buffer` moves them out for good (to a backing
 * store that never moves), so every array is moved out before any address is taken. The address of
 * each array is cached (the buffer pool and in-place updates hand the same arrays out step after step;
 * `Deno.UnsafePointer.of` costs about 0.4 us an array, and the address arithmetic allocates BigInts).
 */
export function addressTable(arrays: readonly (Float32Array | null)[]): BigUint64Array {
  const t = new BigUint64Array(arrays.length);
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i];
    if (!a || !a.length) continue;
    let address = addresses.get(a);
    if (address === undefined) {
      const buf = a.buffer as ArrayBuffer;
      let base = bases.get(buf);
      if (base === undefined) {
        base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
        bases.set(buf, base);
      }
      address = a.byteOffset ? base + BigInt(a.byteOffset) : base;
      addresses.set(a, address);
    }
    t[i] = address;
  }
  return t;
}
const bases = new WeakMap<ArrayBuffer, bigint>();
const addresses = new WeakMap<Float32Array, bigint>();

function sizesOf(arrays: readonly Float32Array[]): Int32Array {
  return Int32Array.from(arrays, (a) => a.length);
}

/** SGD over tensors (see csrc/optim.c): writes `outParams` and `outBuffers` (null where momentum is 0). */
export function sgdMulti(
  lib: NativeSymbols,
  a: SgdArrays,
): void {
  const n = a.params.length;
  for (let i = 0; i < n; i++) {
    const size = a.params[i].length;
    const wrong = (v: Float32Array | null) => v !== null && v.length !== size;
    if (wrong(a.grads[i]) || wrong(a.outParams[i]) || wrong(a.buffers[i]) || wrong(a.outBuffers[i])) {
      throw new RangeError(
        `Cannot step SGD: parameter ${i} has ${size} values, gradient ${a.grads[i].length}, buffer ${
          a.buffers[i]?.length
        }`,
      );
    }
  }
  check(
    "SGD",
    lib.yn_sgd_multi(
      n,
      addressTable(a.params),
      addressTable(a.grads),
      addressTable(a.buffers),
      addressTable(a.outParams),
      addressTable(a.outBuffers),
      sizesOf(a.params),
      a.hyper,
      a.scale,
      a.nesterov ? 1 : 0,
    ),
  );
}

/** `out_i = ab[2i] x_i + ab[2i + 1] y_i` for every tensor i. */
export function axpbyMulti(
  lib: NativeSymbols,
  x: readonly Float32Array[],
  y: readonly Float32Array[],
  out: readonly Float32Array[],
  ab: Float32Array,
): void {
  for (let i = 0; i < x.length; i++) {
    if (y[i].length !== x[i].length || out[i].length !== x[i].length) {
      throw new RangeError(
        `Cannot combine tensor ${i}: ${x[i].length}, ${y[i].length} and ${out[i].length} values`,
      );
    }
  }
  check("a x + b y", lib.yn_axpby_multi(x.length, addressTable(x), addressTable(y), addressTable(out), sizesOf(x), ab));
}
