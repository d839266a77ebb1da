/**
 * Gradient paths (the design principle of CSPNet, ELAN and GELAN, paper Sec. 4.2): on the
 * conv-level graph of a model ({@link buildConvGraph}), the number of distinct paths a gradient can
 * take from the head (the loss) back to each layer, and their lengths counted in conv layers
 * (shortest, longest, mean over paths). Counted by dynamic programming over the DAG in topological
 * order, so exponentially many paths cost nothing; counts are floats (exact up to 2^53).
 *
 * Definitions: a path is a sequence of edges; an input used twice by one node (e.g. both halves of
 * a split concatenated) gives two paths. Its length is the number of conv nodes on it after the
 * start node (the start excluded, the end included), i.e. the conv layers the gradient crosses.
 * Limits: structure only. It says how short and how many the routes are, not how much signal each
 * carries (weights, activations and BatchNorm scale real gradients), and merges count as free.
 * @module
 */
import type { ConvGraph, GraphNode } from "./conv_graph.ts";

/** Number and lengths of the paths between a node and a set of endpoints. */
export interface PathStats {
  /** Number of distinct paths (0 when none). */
  count: number;
  /** Fewest conv layers on a path (Infinity when none). */
  shortest: number;
  /** Most conv layers on a path (-Infinity when none). */
  longest: number;
  /** Mean conv layers over all paths, each path weighted equally (NaN when none). */
  mean: number;
}

/** Stats of "no path". */
export const NO_PATHS: PathStats = { count: 0, shortest: Infinity, longest: -Infinity, mean: NaN };

const w = (n: GraphNode): number => (n.kind === "conv" ? 1 : 0);

/**
 * For every node, the paths from it forward to any of `sinks` (the loss end). Length counts the
 * conv nodes after the start node, up to and including the sink.
 */
export function pathsToSinks(nodes: GraphNode[], sinks: number[]): PathStats[] {
  const isSink = new Set(sinks);
  const succ: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const i of n.inputs) succ[i].push(n.id);
  const count = new Float64Array(nodes.length);
  const sum = new Float64Array(nodes.length);
  const lo = new Float64Array(nodes.length).fill(Infinity);
  const hi = new Float64Array(nodes.length).fill(-Infinity);
  for (let v = nodes.length - 1; v >= 0; v--) {
    if (isSink.has(v)) {
      count[v] = 1;
      lo[v] = 0;
      hi[v] = 0;
    }
    for (const u of succ[v]) {
      if (count[u] === 0) continue;
      const wu = w(nodes[u]);
      count[v] += count[u];
      sum[v] += sum[u] + wu * count[u];
      lo[v] = Math.min(lo[v], lo[u] + wu);
      hi[v] = Math.max(hi[v], hi[u] + wu);
    }
  }
  return nodes.map((_, v) => (count[v] ? { count: count[v], shortest: lo[v], longest: hi[v], mean: sum[v] / count[v] } : NO_PATHS));
}

/**
 * For every node, the paths from any of `sources` (e.g. the image, node 0) to it. Length counts the
 * conv nodes after the source, up to and including the node: the node's depth in layers along
 * that path.
 */
export function pathsFromSources(nodes: GraphNode[], sources: number[]): PathStats[] {
  const isSource = new Set(sources);
  const count = new Float64Array(nodes.length);
  const sum = new Float64Array(nodes.length);
  const lo = new Float64Array(nodes.length).fill(Infinity);
  const hi = new Float64Array(nodes.length).fill(-Infinity);
  for (const n of nodes) {
    const v = n.id;
    if (isSource.has(v)) {
      count[v] = 1;
      lo[v] = 0;
      hi[v] = 0;
    }
    const wv = w(n);
    for (const u of n.inputs) {
      if (count[u] === 0) continue;
      count[v] += count[u];
      sum[v] += sum[u] + wv * count[u];
      lo[v] = Math.min(lo[v], lo[u] + wv);
      hi[v] = Math.max(hi[v], hi[u] + wv);
    }
  }
  return nodes.map((_, v) => (count[v] ? { count: count[v], shortest: lo[v], longest: hi[v], mean: sum[v] / count[v] } : NO_PATHS));
}

/** Pool the path sets of several nodes (counts add; extremes over all; mean weighted by count). */
export function combinePaths(list: PathStats[]): PathStats {
  const live = list.filter((s) => s.count > 0);
  if (!live.length) return NO_PATHS;
  const count = live.reduce((a, s) => a + s.count, 0);
  return {
    count,
    shortest: Math.min(...live.map((s) => s.shortest)),
    longest: Math.max(...live.map((s) => s.longest)),
    mean: live.reduce((a, s) => a + s.mean * s.count, 0) / count,
  };
}

/** Number of conv nodes among `node` and its ancestors: the conv layers its output depends on. */
export function convLayersBelow(nodes: GraphNode[], node: number): number {
  const seen = new Uint8Array(nodes.length);
  const stack = [node];
  let convs = 0;
  while (stack.length) {
    const v = stack.pop()!;
    if (seen[v]) continue;
    seen[v] = 1;
    if (nodes[v].kind === "conv") convs++;
    stack.push(...nodes[v].inputs);
  }
  return convs;
}

/** Gradient paths of one spec layer (block). */
export interface LayerPaths {
  i: number;
  module: string;
  /** Conv layers inside the block. */
  convs: number;
  /** Conv layers the block's output depends on, its own included (depth counted in layers). */
  layers: number;
  /** Inside the block: paths from its output(s) back to its input(s). */
  internal: PathStats;
  /** From the head (the model's last layer outputs) back to the block's output(s). */
  toHead: PathStats;
  /** From the image forward to the block's output(s): its depth along each path. */
  fromImage: PathStats;
}

/** The per-block table of a conv graph; the head's own row is left out. */
export function gradientPathTable(graph: ConvGraph): LayerPaths[] {
  const toHead = pathsToSinks(graph.nodes, graph.sinks);
  const fromImage = pathsFromSources(graph.nodes, [0]);
  const headLayer = graph.layers[graph.layers.length - 1];
  return graph.layers.filter((l) => l !== headLayer || graph.layers.length === 1).map((l) => {
    const inner = pathsToSinks(graph.nodes, l.outputs);
    return {
      i: l.i,
      module: l.module,
      convs: l.convs.length,
      layers: Math.max(...l.outputs.map((o) => convLayersBelow(graph.nodes, o))),
      internal: combinePaths([...new Set(l.inputs)].map((v) => inner[v])),
      toHead: combinePaths(l.outputs.map((v) => toHead[v])),
      fromImage: combinePaths(l.outputs.map((v) => fromImage[v])),
    };
  });
}

/** Whole-model gradient-path summary. */
export interface PathSummary {
  /** Conv nodes in the graph (all of them, whatever `layers` selects). */
  convLayers: number;
  /** Paths from the head back to the image. */
  headToImage: PathStats;
  /** Over all conv layers: the mean of their shortest / longest / mean path length to the head. */
  meanShortest: number;
  meanLongest: number;
  meanMean: number;
  /** The conv layer farthest from the head by its shortest path, and that distance. */
  worstShortest: number;
}

/**
 * Summary over every conv layer of a graph (conv layers that do not reach the head are skipped), or
 * only over the conv layers of the spec layers in `opts.layers` (e.g. the main branch shared by a
 * model with and without PGI, to compare like with like).
 */
export function summarizePaths(graph: ConvGraph, opts: { layers?: Iterable<number> } = {}): PathSummary {
  const toHead = pathsToSinks(graph.nodes, graph.sinks);
  const only = opts.layers ? new Set(opts.layers) : undefined;
  const convs = graph.nodes.filter((n) => n.kind === "conv" && toHead[n.id].count > 0 && (!only || only.has(n.layer))).map((n) => toHead[n.id]);
  const mean = (f: (s: PathStats) => number) => convs.reduce((a, s) => a + f(s), 0) / Math.max(convs.length, 1);
  return {
    convLayers: graph.nodes.filter((n) => n.kind === "conv").length,
    headToImage: toHead[0],
    meanShortest: mean((s) => s.shortest),
    meanLongest: mean((s) => s.longest),
    meanMean: mean((s) => s.mean),
    worstShortest: Math.max(0, ...convs.map((s) => s.shortest)),
  };
}
