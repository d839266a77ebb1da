/**
 * Parameter trees: nested plain objects whose leaves are tensors (or shapes). Flattening a tree with
 * dots gives the official PyTorch state_dict names (`model.0.conv.weight`).
 * @module
 */

/** A nested object of leaves. */
export interface Tree<L> {
  [key: string]: Tree<L> | L;
}

/** True when `v` is a subtree rather than a leaf (leaves are arrays or non-plain objects). */
export function isTree<L>(v: Tree<L> | L): v is Tree<L> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Flatten a tree into `[dotted name, leaf]` pairs in insertion order. */
export function flattenTree<L>(tree: Tree<L>, prefix = ""): [string, L][] {
  const out: [string, L][] = [];
  for (const [k, v] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (isTree(v)) out.push(...flattenTree(v, name));
    else out.push([name, v]);
  }
  return out;
}

const leafMaps = new WeakMap<object, Map<string, unknown>>();

/**
 * The leaves of `tree` by dotted name, memoised per tree object: lib/ never changes a tree once built
 * (a new value is a new tree), so a training loop that keeps its tree (a donated step updates the
 * leaves' values in place) flattens it once. Read only.
 *
 * @example
 * ```ts
 * leafMap({ a: { b: 1 } }).get("a.b"); // 1
 * ```
 */
export function leafMap<L>(tree: Tree<L>): ReadonlyMap<string, L> {
  let m = leafMaps.get(tree) as Map<string, L> | undefined;
  if (!m) leafMaps.set(tree, m = new Map(flattenTree(tree)));
  return m;
}

/** Build a tree from dotted names. */
export function unflattenTree<L>(entries: Iterable<[string, L]>): Tree<L> {
  const root: Tree<L> = {};
  for (const [name, leaf] of entries) {
    const parts = name.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Tree<L>;
    node[parts[parts.length - 1]] = leaf;
  }
  return root;
}

/** Map every leaf, keeping the structure. */
export function mapTree<A, B>(tree: Tree<A>, fn: (leaf: A, name: string) => B, prefix = ""): Tree<B> {
  const out: Tree<B> = {};
  for (const [k, v] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${k}` : k;
    out[k] = isTree(v) ? mapTree(v, fn, name) : fn(v, name);
  }
  return out;
}

/** Get the subtree (or leaf) at a dotted path; undefined when absent. */
export function getPath<L>(tree: Tree<L>, path: string): Tree<L> | L | undefined {
  let node: Tree<L> | L | undefined = tree;
  for (const p of path.split(".")) {
    if (node === undefined || !isTree(node)) return undefined;
    node = node[p];
  }
  return node;
}

/** The subtree at `key`; throws naming the key when it is missing or a leaf. */
export function sub<L>(tree: Tree<L>, key: string | number): Tree<L> {
  const v = tree[String(key)];
  if (v === undefined || !isTree(v)) {
    throw new RangeError(`Cannot find parameter group "${key}": have ${Object.keys(tree).join(", ") || "nothing"}`);
  }
  return v;
}

/** The leaf at `key`; throws naming the key when it is missing or a subtree. */
export function leaf<L>(tree: Tree<L>, key: string): L {
  const v = tree[key];
  if (v === undefined || isTree(v)) {
    throw new RangeError(`Cannot find parameter "${key}": have ${Object.keys(tree).join(", ") || "nothing"}`);
  }
  return v;
}
