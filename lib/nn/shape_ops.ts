/**
 * {@link Ops} on shapes only: propagates NHWC shapes through a block and counts FLOPs as the
 * official code reports them (2 x conv multiply-adds; bias, BN, activations and pooling not counted).
 * Parameter leaves are PyTorch-order shapes.
 * @module
 */
import type { Act, ConvOpts, Ops } from "./ops.ts";
import { leaf, type Tree } from "./tree.ts";

/** An activation's NHWC shape. */
export type Shape = number[];

function outSize(n: number, k: number, s: number, pad: number): number {
  return Math.floor((n + 2 * pad - k) / s) + 1;
}

/** Shape-propagating operations; `flops` accumulates 2 x MACs of every conv. */
export class ShapeOps implements Ops<Shape, number[]> {
  flops = 0;

  conv2d(p: Tree<number[]>, x: Shape, o: ConvOpts = {}): Shape {
    const [co, ci, kh, kw] = leaf(p, "weight");
    const g = o.g ?? 1;
    if (ci * g !== x[3]) {
      throw new RangeError(`Cannot apply conv: expected ${ci * g} input channels, got ${x[3]}`);
    }
    const s = o.s ?? 1;
    const pad = o.pad ?? Math.floor(kh / 2);
    const y = [x[0], outSize(x[1], kh, s, pad), outSize(x[2], kw, s, pad), co];
    this.flops += 2 * co * ci * kh * kw * y[0] * y[1] * y[2];
    return y;
  }
  convUnit(p: Tree<number[]>, x: Shape, o: ConvOpts & { act: Act }): Shape {
    return this.conv2d(p.conv as Tree<number[]>, x, o);
  }
  batchNorm(p: Tree<number[]>, x: Shape): Shape {
    const c = leaf(p, "weight")[0];
    if (c !== x[3]) throw new RangeError(`Cannot apply BatchNorm of ${c} channels to [${x}]`);
    return x;
  }
  act(x: Shape, _a: Act): Shape {
    return x;
  }
  implicit(x: Shape, p: number[], _op: "add" | "mul"): Shape {
    const c = p.reduce((a, b) => a * b, 1);
    if (c !== x[3]) throw new RangeError(`Cannot apply an implicit layer of ${c} channels to [${x}]`);
    return x;
  }
  add(a: Shape, b: Shape): Shape {
    if (a.join() !== b.join()) throw new RangeError(`Cannot add shapes [${a}] and [${b}]`);
    return a;
  }
  cat(xs: Shape[]): Shape {
    const [n, h, w] = xs[0];
    for (const x of xs) {
      if (x[1] !== h || x[2] !== w) throw new RangeError(`Cannot concat [${x}] with [${xs[0]}]: spatial sizes differ`);
    }
    return [n, h, w, xs.reduce((c, x) => c + x[3], 0)];
  }
  split(x: Shape, sizes: number[]): Shape[] {
    if (sizes.reduce((a, b) => a + b, 0) !== x[3]) throw new RangeError(`Cannot split ${x[3]} channels into [${sizes}]`);
    return sizes.map((c) => [x[0], x[1], x[2], c]);
  }
  avgPool(x: Shape, k: number, s: number, pad: number): Shape {
    return [x[0], outSize(x[1], k, s, pad), outSize(x[2], k, s, pad), x[3]];
  }
  maxPool(x: Shape, k: number, s: number, pad: number): Shape {
    return this.avgPool(x, k, s, pad);
  }
  resize(x: Shape, h: number, w: number): Shape {
    return [x[0], h, w, x[3]];
  }
  shape(x: Shape): number[] {
    return x;
  }
  weightShape(w: number[]): number[] {
    return w;
  }
}
