/**
 * Removing PGI's auxiliary branch for inference (paper Sec. 4.1: "the auxiliary reversible branch
 * can be removed in the inference stage"; official tools/reparameterization.ipynb). Derived from
 * the graph: keep every layer the main (last) head branch depends on, drop the rest (auxiliary
 * neck or reversible branch, and the auxiliary head branches); a leading `Silence` whose only
 * consumer is the next layer is dropped too; kept layers are renumbered in order and the main
 * branch's head keys (`cv4/cv5/dfl2` of a Dual head) become `cv2/cv3/dfl` of a `DDetect`.
 * @module
 */
import { branchKeys } from "../head/ddetect.ts";
import { type ModelSpec, parseModel } from "../graph/spec.ts";
import type { ConfigRow, ModelConfig } from "../graph/config.ts";
import { flattenTree, type Tree, unflattenTree } from "../nn/tree.ts";
import type * as tf from "@tensorflow/tfjs";

/** The inference configuration and the state_dict key mapping of a stripped model. */
export interface StripResult {
  config: ModelConfig;
  /** New (inference) key -> old (training) key, for every key that is kept. */
  keyMap: Map<string, string>;
  /** Old layer index -> new layer index. */
  layerMap: Map<number, number>;
}

/** Compute the inference (GELAN) configuration of a multi-branch model and how its keys map. */
export function stripAux(spec: ModelSpec, oldKeys: Iterable<string>): StripResult {
  const layers = spec.layers;
  const head = layers[layers.length - 1];
  const nl = head.from.length / spec.branches;
  const mainFrom = head.from.slice(-nl);
  const keep = new Set<number>();
  const visit = (i: number) => {
    if (i < 0 || keep.has(i)) return;
    keep.add(i);
    layers[i].from.forEach(visit);
  };
  mainFrom.forEach(visit);
  // A Silence that only feeds the next layer is not needed: that layer can read the image itself.
  const alias = new Map<number, number>();
  for (const i of keep) {
    const l = layers[i];
    const consumers = [...keep].filter((j) => layers[j].from.includes(i));
    if (l.module === "Silence" && consumers.length === 1 && consumers[0] === i + 1 && l.from[0] < 0) alias.set(i, -1);
  }
  const kept = [...keep].filter((i) => !alias.has(i)).sort((a, b) => a - b);
  const layerMap = new Map(kept.map((old, k) => [old, k] as [number, number]));
  const newHead = kept.length;
  layerMap.set(head.i, newHead);
  const mapFrom = (k: number, f: number): number => {
    const g = alias.get(f) ?? f;
    if (g < 0) return -1;
    const m = layerMap.get(g)!;
    return m === k - 1 ? -1 : m;
  };
  const rows: ConfigRow[] = kept.map((old, k) => {
    const l = layers[old];
    const from = l.from.map((f) => mapFrom(k, f));
    const src = spec.config.rows[old];
    return { ...src, from: from.length === 1 && !Array.isArray(src.from) ? from[0] : from, layer: k, where: `layer ${k}` };
  });
  rows.push({
    from: mainFrom.map((f) => layerMap.get(f)!), n: 1, module: "DDetect", args: ["nc"], layer: newHead, where: `layer ${newHead}`,
  });
  const mainKeys = branchKeys(spec.branches - 1);
  const first = branchKeys(0);
  const keyMap = new Map<string, string>();
  for (const key of oldKeys) {
    const m = /^model\.(\d+)\.(.*)$/.exec(key);
    if (!m) continue;
    const old = Number(m[1]);
    const rest = m[2];
    if (old === head.i) {
      const part = rest.split(".")[0];
      const renamed = part === mainKeys.box ? first.box : part === mainKeys.cls ? first.cls : part === mainKeys.dfl ? first.dfl : null;
      if (renamed) keyMap.set(`model.${newHead}.${renamed}${rest.slice(part.length)}`, key);
    } else if (layerMap.has(old)) {
      keyMap.set(`model.${layerMap.get(old)}.${rest}`, key);
    }
  }
  const name = spec.config.name.replace(/^yolov9/, "gelan");
  const raw = { ...spec.config.raw, backbone: rows.map((r) => [r.from, r.n, r.module, r.args]), head: [] };
  const config: ModelConfig = { ...spec.config, name, source: `${spec.config.source} (auxiliary branch removed)`, rows, raw };
  return { config, keyMap, layerMap };
}

/**
 * Strip a trained multi-branch model's weights: returns the inference spec and a weight tree that
 * shares (does not copy) the kept tensors of `weights`.
 */
export function stripAuxModel(spec: ModelSpec, weights: Tree<tf.Tensor>): { spec: ModelSpec; weights: Tree<tf.Tensor>; keyMap: Map<string, string> } {
  const flat = new Map(flattenTree(weights));
  const r = stripAux(spec, flat.keys());
  const stripped = parseModel(r.config, spec.modules, { nc: spec.nc });
  const tree = unflattenTree([...r.keyMap].map(([k, old]) => [k, flat.get(old)!] as [string, tf.Tensor]));
  return { spec: stripped, weights: tree, keyMap: r.keyMap };
}
