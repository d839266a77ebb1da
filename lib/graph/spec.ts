/**
 * `parse_model` (models/yolo.py): turns a {@link ModelConfig} into a resolved layer graph — per
 * layer its absolute inputs, module, constructor arguments and output channels — plus the
 * parameter-shape tree and the head strides. The graph is data; {@link forwardLayers} runs it.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { ShapeOps } from "../nn/shape_ops.ts";
import { type ConfigRow, type ModelConfig, rowError } from "./config.ts";
import { type LayerOut, type ModuleDef, moduleName, type ModuleTable } from "./module_def.ts";

/** One resolved layer. Input index -1 means the image. */
export interface LayerSpec {
  i: number;
  /** Absolute input layer indices (-1 = the image). */
  from: number[];
  /** `from` as written in the config row. */
  fromRaw: number | number[];
  n: number;
  module: string;
  yamlArgs: unknown[];
  args: Record<string, unknown>;
  c2: number | number[];
  /** The module table row that builds and runs this layer. */
  def: ModuleDef;
}

/** A resolved model. */
export interface ModelSpec {
  name: string;
  nc: number;
  act: Act;
  layers: LayerSpec[];
  /** Strides of the head's input levels (per branch the same, e.g. [8, 16, 32]). */
  strides: number[];
  /** Number of head branches: 1 (DDetect), 2 (DualDDetect), 3 (TripleDDetect). */
  branches: number;
  config: ModelConfig;
  /** The module table the graph was resolved with (to resolve derived configs the same way). */
  modules: ModuleTable;
}

function activation(cfg: ModelConfig): Act {
  const a = cfg.activation;
  if (!a || /SiLU/.test(a)) return "silu";
  if (/ReLU/.test(a)) return "relu";
  throw new SyntaxError(`Invalid model config ${cfg.source}: unsupported activation "${a}" (expected nn.SiLU() or nn.ReLU())`);
}

/** True when the head is YOLOv7's anchor-based IDetect (its own decoding, loss and init). */
export function isAnchorBased(spec: ModelSpec): boolean {
  return spec.layers[spec.layers.length - 1].module === "IDetect";
}

/**
 * Resolve every row of a config with a module table (official `parse_model` semantics); `nc`
 * overrides the config's. The family's table is bound in `lib/models` (`buildModelSpec`).
 */
export function parseModel(cfg: ModelConfig, modules: ModuleTable, opts: { nc?: number } = {}): ModelSpec {
  const nc = opts.nc ?? cfg.nc;
  const act = activation(cfg);
  const ch: (number | number[])[] = [];
  const layers: LayerSpec[] = cfg.rows.map((row: ConfigRow, i) => {
    const fail = (msg: string): never => rowError(cfg, row, msg);
    const name = moduleName(row.module);
    const def = modules[name];
    if (!def) fail(`unknown module "${row.module}" (known: ${Object.keys(modules).join(", ")})`);
    const froms = (Array.isArray(row.from) ? row.from : [row.from]).map((f) => (f < 0 ? i + f : f));
    const inCh = froms.map((f) => (f < 0 ? 3 : ch[f]));
    const n = row.n > 1 ? Math.max(Math.round(row.n * cfg.depth_multiple), 1) : row.n;
    // `eval` of parse_model: the names nc and anchors stand for the config's values.
    const args = row.args.map((a) => (a === "nc" ? nc : a === "anchors" ? cfg.raw.anchors : a));
    const r = def.resolve({ ch: inCh, args, n, nc, width: cfg.width_multiple, act, fail });
    ch.push(r.c2);
    return { i, from: froms, fromRaw: row.from, n: r.n, module: name, yamlArgs: row.args, args: r.args, c2: r.c2, def };
  });
  const last = layers[layers.length - 1];
  if (!last || !last.def.head) {
    throw new SyntaxError(`Invalid model config ${cfg.source}: the last layer must be a detect head, got ${last?.module}`);
  }
  const branches = last.args.branches as number;
  const spec: ModelSpec = { name: cfg.name, nc, act, layers, strides: [], branches, config: cfg, modules };
  // Strides from a 256 x 256 probe, as the official Model does.
  const inputs = forwardLayers(new ShapeOps(), spec, modelShapes(spec), [1, 256, 256, 3], { upTo: last.i });
  const nl = last.from.length / branches;
  spec.strides = last.from.slice(0, nl).map((f) => 256 / (inputs[f] as number[])[1]);
  return spec;
}

/** Parameter shapes of one layer (a Sequential of copies when repeats > 1). */
export function layerShapes(l: LayerSpec): Tree<number[]> {
  const def = l.def;
  if (l.n === 1) return def.shapes(l.args);
  const seq: Tree<number[]> = {};
  for (let j = 0; j < l.n; j++) seq[j] = def.shapes(l.args);
  return seq;
}

/** Parameter shapes of the whole model, keyed as the official state_dict (`model.<i>. ...`). */
export function modelShapes(spec: ModelSpec): Tree<number[]> {
  const model: Tree<number[]> = {};
  for (const l of spec.layers) {
    const s = layerShapes(l);
    if (Object.keys(s).length) model[l.i] = s;
  }
  return { model };
}

/** Run one layer on its inputs. */
export function runLayer<T, P>(o: Ops<T, P>, l: LayerSpec, p: Tree<P>, xs: LayerOut<T>[]): LayerOut<T> {
  const def = l.def;
  if (l.n === 1) return def.forward(o, p, xs, l.args);
  let y = xs;
  for (let j = 0; j < l.n; j++) y = [def.forward(o, sub(p, j), y, l.args)];
  return y[0];
}

/**
 * Run the layer graph on image `x` (NHWC); returns every layer's output. `upTo` stops after that
 * layer (e.g. before the head). `params` is the whole weight tree (`{model: {...}}`).
 */
export function forwardLayers<T, P>(
  o: Ops<T, P>,
  spec: ModelSpec,
  params: Tree<P>,
  x: T,
  opts: { upTo?: number } = {},
): LayerOut<T>[] {
  const model = sub(params, "model");
  const outs: LayerOut<T>[] = [];
  const end = opts.upTo ?? spec.layers.length;
  for (const l of spec.layers.slice(0, end)) {
    const xs = l.from.map((f) => (f < 0 ? x : outs[f]));
    outs.push(runLayer(o, l, (model[l.i] ?? {}) as Tree<P>, xs));
  }
  return outs;
}
