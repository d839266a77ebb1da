/**
 * The conv-level graph of a model: the same block code that runs tensors ({@link Ops}) is run with
 * {@link GraphOps}, whose "activations" are node ids, so every Conv unit, plain conv, merge (add,
 * concat), split, pool and resize becomes a node with edges from its inputs. Pure analysis of the
 * spec: no weights are allocated. `form: "fused"` runs the inference form (a RepConvN is one 3x3
 * conv, as after re-parameterisation); `"train"` the training form (its 3x3 and 1x1 convs are two
 * parallel nodes).
 * @module
 */
import type { Act, ConvOpts, Ops } from "../nn/ops.ts";
import type { Tree } from "../nn/tree.ts";
import { fuseTree, SHAPE_FOLDER } from "../graph/fuse.ts";
import { layerShapes, type ModelSpec, runLayer } from "../graph/spec.ts";
import type { LayerOut } from "../graph/module_def.ts";

/** Kinds of graph node. Only `conv` nodes count as layers. */
export type NodeKind = "input" | "conv" | "merge" | "split" | "pool" | "resize";

/** One node: its kind, its input node ids (repeated when an input is used twice) and its spec layer. */
export interface GraphNode {
  id: number;
  kind: NodeKind;
  inputs: number[];
  /** Index of the spec layer that created it (-1 for the image). */
  layer: number;
}

/** {@link Ops} over node ids: records the graph instead of computing. Parameter leaves are shapes. */
export class GraphOps implements Ops<number, number[]> {
  readonly nodes: GraphNode[] = [];
  /** Spec layer currently being run (set by {@link buildConvGraph}). */
  layer: number = -1;

  /** Add a node and return its id. */
  node(kind: NodeKind, inputs: number[]): number {
    const id = this.nodes.length;
    for (const i of inputs) {
      if (!(i >= 0 && i < id)) throw new RangeError(`Cannot add a ${kind} node: input ${i} is not an earlier node (have ${id})`);
    }
    this.nodes.push({ id, kind, inputs, layer: this.layer });
    return id;
  }
  convUnit(_p: Tree<number[]>, x: number, _o: ConvOpts & { act: Act }): number {
    return this.node("conv", [x]);
  }
  conv2d(_p: Tree<number[]>, x: number, _o?: ConvOpts): number {
    return this.node("conv", [x]);
  }
  act(x: number, _a: Act): number {
    return x;
  }
  batchNorm(_p: Tree<number[]>, x: number): number {
    return x;
  }
  implicit(x: number, _p: number[], _op: "add" | "mul"): number {
    return x;
  }
  add(a: number, b: number): number {
    return this.node("merge", [a, b]);
  }
  cat(xs: number[]): number {
    return xs.length === 1 ? xs[0] : this.node("merge", xs);
  }
  split(x: number, sizes: number[]): number[] {
    return sizes.length === 1 ? [x] : sizes.map(() => this.node("split", [x]));
  }
  avgPool(x: number, _k: number, _s: number, _pad: number): number {
    return this.node("pool", [x]);
  }
  maxPool(x: number, _k: number, _s: number, _pad: number): number {
    return this.node("pool", [x]);
  }
  resize(x: number, _h: number, _w: number): number {
    return this.node("resize", [x]);
  }
  shape(_x: number): number[] {
    return [];
  }
  weightShape(w: number[]): number[] {
    return w;
  }
}

/** Where one spec layer sits in the graph. */
export interface LayerNodes {
  i: number;
  module: string;
  /** Node ids of the layer's inputs (flattened; the image is node 0). */
  inputs: number[];
  /** Node ids of its outputs (flattened: CBLinear groups, head levels). */
  outputs: number[];
  /** Ids of the conv nodes it created. */
  convs: number[];
}

/** The conv-level graph of a model. Node 0 is the image; ids are in topological order. */
export interface ConvGraph {
  nodes: GraphNode[];
  layers: LayerNodes[];
  /** Output nodes of the last layer that was run (the head's outputs for a whole model). */
  sinks: number[];
  form: "train" | "fused";
}

/** Every node id in a layer output (one activation, CBLinear groups or head levels). */
export function flattenOut(y: LayerOut<number>): number[] {
  return Array.isArray(y) ? (y as (number | number[])[]).flat() : [y];
}

/** Build the conv-level graph of `spec` (layers `0 .. upTo-1`, default all, head included). */
export function buildConvGraph(spec: ModelSpec, opts: { form?: "train" | "fused"; upTo?: number } = {}): ConvGraph {
  const form = opts.form ?? "train";
  const g = new GraphOps();
  const image = g.node("input", []);
  const outs: LayerOut<number>[] = [];
  const layers: LayerNodes[] = [];
  for (const l of spec.layers.slice(0, opts.upTo ?? spec.layers.length)) {
    g.layer = l.i;
    const start = g.nodes.length;
    const shapes = form === "fused" ? fuseTree(layerShapes(l), SHAPE_FOLDER) : layerShapes(l);
    const xs = l.from.map((f) => (f < 0 ? image : outs[f]));
    const y = runLayer(g, l, shapes, xs);
    outs.push(y);
    const convs = g.nodes.slice(start).filter((n) => n.kind === "conv").map((n) => n.id);
    layers.push({ i: l.i, module: l.module, inputs: xs.flatMap(flattenOut), outputs: flattenOut(y), convs });
  }
  return { nodes: g.nodes, layers, sinks: layers.length ? layers[layers.length - 1].outputs : [image], form };
}
