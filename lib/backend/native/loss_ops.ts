/**
 * The head decoding of the loss on plain arrays in one native call (csrc/loss.c), the `native`
 * backend's member of the backend port: the same double-precision arithmetic as the TypeScript loop
 * of lib/loss/plain_loss.ts it replaces (which runs on the other backends).
 * @module
 */
import { check, type NativeSymbols } from "./ffi.ts";
import { addressTable } from "./optim_ops.ts";
import type { LossDecodeArrays } from "../port.ts";

/** Fill `a`'s output arrays (probabilities, softplus; bins, distances and boxes where `need`). */
export function lossDecode(lib: NativeSymbols, a: LossDecodeArrays): void {
  const n = a.batch * a.anchors;
  if (
    a.offset.length !== n || a.need.length !== n || a.probs.length !== n * a.nc ||
    a.bins.length !== 4 * n * a.regMax
  ) {
    throw new RangeError(`Cannot decode the heads: arrays for ${n} anchors of ${a.nc} classes expected`);
  }
  check(
    "loss decode",
    lib.yn_loss_decode(
      Int32Array.of(a.batch, a.anchors, a.nc, a.regMax),
      addressTable(a.levels),
      a.level,
      a.offset,
      a.points,
      a.need,
      a.boxes,
      a.probs,
      a.softplus,
      a.bins,
      a.dist,
    ),
  );
}
