/**
 * {@link Ops} that write ONNX nodes instead of computing: running the model's own layer graph
 * (`forwardLayers`) with these ops records the inference graph, so the exported graph is the forward
 * this library runs, block for block. Activations are ONNX NCHW values (the layout of the official
 * models); shapes are tracked in the library's NHWC order at the export size. Conv weights
 * (tfjs HWIO) become OIHW initializers under their state_dict names.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Act, ConvOpts, Ops } from "../nn/ops.ts";
import { leaf, type Tree } from "../nn/tree.ts";
import { ShapeOps } from "../nn/shape_ops.ts";
import type { OnnxGraph } from "./onnx_graph.ts";

/** A graph value: its name and its NHWC shape at the export size. */
export interface Sym {
  name: string;
  shape: number[];
}

/** A weight leaf: the tensor (tfjs layout) and its state_dict name. */
export class NamedParam {
  constructor(readonly name: string, readonly tensor: tf.Tensor) {}
}

/** HWIO -> OIHW (PyTorch order) float32 data (a synchronous read: export runs on cpu, wasm or native). */
function oihw(t: tf.Tensor): { dims: number[]; data: Float32Array } {
  const [kh, kw, ci, co] = t.shape;
  const src = t.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          out[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o];
        }
      }
    }
  }
  return { dims: [co, ci, kh, kw], data: out };
}

/** Ops recording ONNX nodes into `g` (fused weights only: Conv units must carry a bias, no BatchNorm). */
export class OnnxOps implements Ops<Sym, NamedParam> {
  private readonly shapes = new ShapeOps();
  private readonly weights = new Map<string, string>();

  constructor(readonly g: OnnxGraph) {}

  private weight(p: NamedParam, conv: boolean): string {
    let id = this.weights.get(p.name);
    if (!id) {
      const t = p.tensor;
      const { dims, data } = conv && t.rank === 4
        ? oihw(t)
        : { dims: t.shape, data: Float32Array.from(t.dataSync()) };
      id = this.g.init(p.name, "float32", dims, data);
      this.weights.set(p.name, id);
    }
    return id;
  }

  conv2d(p: Tree<NamedParam>, x: Sym, o: ConvOpts = {}): Sym {
    const w = leaf(p, "weight");
    const [co, ci, kh, kw] = this.weightShape(w);
    const shape = this.shapes.conv2d({ weight: [co, ci, kh, kw] }, x.shape, o);
    const pad = o.pad ?? Math.floor(kh / 2);
    const s = o.s ?? 1;
    const inputs = [x.name, this.weight(w, true)];
    if (p.bias) inputs.push(this.weight(leaf(p, "bias"), false));
    const name = this.g.op("Conv", inputs, {
      kernel_shape: [kh, kw],
      strides: [s, s],
      pads: [pad, pad, pad, pad],
      dilations: [1, 1],
      group: o.g ?? 1,
    });
    return { name, shape };
  }

  convUnit(p: Tree<NamedParam>, x: Sym, o: ConvOpts & { act: Act }): Sym {
    if (p.bn) {
      throw new TypeError(
        `Cannot export ${
          leaf(p.conv as Tree<NamedParam>, "weight").name
        }: expected fused weights (no BatchNorm)`,
      );
    }
    return this.act(this.conv2d(p.conv as Tree<NamedParam>, x, o), o.act);
  }

  batchNorm(p: Tree<NamedParam>, _x: Sym): Sym {
    throw new TypeError(`Cannot export ${leaf(p, "weight").name}: expected fused weights (a BatchNorm left outside a convolution)`);
  }

  /** YOLOv7's ImplicitA / ImplicitM: a learned per-channel offset or scale (NCHW: a [1, C, 1, 1] initializer). */
  implicit(x: Sym, p: NamedParam, op: "add" | "mul"): Sym {
    const id = `${p.name}.nchw`;
    if (!this.weights.has(id)) {
      this.weights.set(id, this.g.init(id, "float32", [1, p.tensor.size, 1, 1], Float32Array.from(p.tensor.dataSync())));
    }
    return { name: this.g.op(op === "add" ? "Add" : "Mul", [x.name, this.weights.get(id)!]), shape: this.shapes.implicit(x.shape, p.tensor.shape, op) };
  }

  act(x: Sym, a: Act): Sym {
    if (a === "relu") return { name: this.g.op("Relu", [x.name]), shape: x.shape };
    if (a === "silu") {
      return { name: this.g.op("Mul", [x.name, this.g.op("Sigmoid", [x.name])]), shape: x.shape };
    }
    return x;
  }

  add(a: Sym, b: Sym): Sym {
    return { name: this.g.op("Add", [a.name, b.name]), shape: this.shapes.add(a.shape, b.shape) };
  }

  cat(xs: Sym[]): Sym {
    if (xs.length === 1) return xs[0];
    return {
      name: this.g.op("Concat", xs.map((x) => x.name), { axis: 1 }),
      shape: this.shapes.cat(xs.map((x) => x.shape)),
    };
  }

  split(x: Sym, sizes: number[]): Sym[] {
    const shapes = this.shapes.split(x.shape, sizes);
    if (sizes.length === 1) return [x];
    const names = this.g.node("Split", [x.name, this.g.int64(sizes)], { axis: 1 }, sizes.length);
    return names.map((name, i) => ({ name, shape: shapes[i] }));
  }

  private pool(op: "AveragePool" | "MaxPool", x: Sym, k: number, s: number, pad: number): Sym {
    const name = this.g.op(op, [x.name], {
      kernel_shape: [k, k],
      strides: [s, s],
      pads: [pad, pad, pad, pad],
      ceil_mode: 0,
      ...(op === "AveragePool" ? { count_include_pad: 1 } : {}),
    });
    return { name, shape: this.shapes.avgPool(x.shape, k, s, pad) };
  }

  avgPool(x: Sym, k: number, s: number, pad: number): Sym {
    return this.pool("AveragePool", x, k, s, pad);
  }

  maxPool(x: Sym, k: number, s: number, pad: number): Sym {
    return this.pool("MaxPool", x, k, s, pad);
  }

  resize(x: Sym, h: number, w: number): Sym {
    const [, hi, wi] = x.shape;
    if (h === hi && w === wi) return x;
    if (h % hi || w % wi) {
      throw new RangeError(`Cannot resize ${hi}x${wi} to ${h}x${w}: not an integer factor`);
    }
    // Nearest with floor(asymmetric) is pixel replication, as torch's nn.Upsample(mode="nearest").
    const name = this.g.op("Resize", [x.name, "", this.g.float([1, 1, h / hi, w / wi])], {
      mode: "nearest",
      coordinate_transformation_mode: "asymmetric",
      nearest_mode: "floor",
    });
    return { name, shape: this.shapes.resize(x.shape, h, w) };
  }

  shape(x: Sym): number[] {
    return x.shape;
  }

  weightShape(w: NamedParam): number[] {
    const [kh, kw, i, o] = w.tensor.shape;
    return [o, i, kh, kw];
  }
}
