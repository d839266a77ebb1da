/**
 * Official-format model mappings as an editable list of rows: absolute references, insertion of new
 * rows with every later reference renumbered (relative `-1` kept wherever it still points to the same
 * layer), and a map from the base config's layer indices to the current ones, so that edits can name
 * layers by their index in the unedited config. Pure functions on plain data.
 * @module
 */

/** A `[from, repeats, module, args]` row. */
export type Row = [number | number[], number, string, unknown[]];

/** Where a reference of a new row points: an existing layer (current index) or a row being added. */
export type Ref = { cur: number } | { added: number };

/** A row to add: its references, module and args. `list` forces a list `from` for one reference. */
export interface NewRow {
  from: Ref[];
  module: string;
  args: unknown[];
  list?: boolean;
}

/** The working state of an edited config. */
export interface Work {
  /** Mapping keys other than backbone/head (nc, multiples, activation, ...). */
  meta: Record<string, unknown>;
  rows: Row[];
  /** Rows that belong to the `backbone` list (the rest are `head`). */
  nBackbone: number;
  /** Current index of each base-config layer. */
  cur: number[];
}

function fail(msg: string): never {
  throw new SyntaxError(`config edit: ${msg}`);
}

/** Read a mapping into a {@link Work} (the base config: `cur` is the identity). */
export function toWork(cfg: Record<string, unknown>): Work {
  const { backbone, head, ...meta } = cfg;
  if (!Array.isArray(backbone) || !Array.isArray(head)) {
    fail(`expected "backbone" and "head" lists, got ${typeof backbone} / ${typeof head}`);
  }
  const rows = [...backbone, ...head].map((r, i) => {
    if (!Array.isArray(r) || r.length !== 4) {
      fail(`row ${i}: expected [from, repeats, module, args], got ${JSON.stringify(r)}`);
    }
    return structuredClone(r) as Row;
  });
  return { meta: structuredClone(meta), rows, nBackbone: backbone.length, cur: rows.map((_, i) => i) };
}

/** Write a {@link Work} back to an official-format mapping. */
export function fromWork(w: Work): Record<string, unknown> {
  return {
    ...structuredClone(w.meta),
    backbone: w.rows.slice(0, w.nBackbone),
    head: w.rows.slice(w.nBackbone),
  };
}

/** Absolute input indices of row `i` (-1 = the image). */
export function absFrom(row: Row, i: number): number[] {
  const f = Array.isArray(row[0]) ? row[0] : [row[0]];
  return f.map((x) => (x < 0 ? i + x : x));
}

/** Current index of base layer `b`. */
export function curIndex(w: Work, b: number): number {
  if (!Number.isInteger(b) || b < 0 || b >= w.cur.length) {
    fail(`layer ${b} is not a layer of the base config (0..${w.cur.length - 1})`);
  }
  return w.cur[b];
}

/** Index of the detect head (the last row). */
export function headIndex(w: Work): number {
  return w.rows.length - 1;
}

/**
 * Insert `added` before current row `at` (`at <= head`); rows from `at` on move down. References of the
 * moved rows are renumbered; a relative reference stays relative when it still points to the same layer.
 */
export function insertRows(w: Work, at: number, added: NewRow[]): Work {
  if (at < 0 || at > headIndex(w)) fail(`cannot insert at ${at}: expected 0..${headIndex(w)}`);
  const n = added.length;
  const move = (t: number) => (t >= at ? t + n : t);
  const rows: Row[] = [];
  w.rows.forEach((r, i) => {
    const j = move(i);
    const raw = Array.isArray(r[0]) ? r[0] : [r[0]];
    const mapped = raw.map((x) => {
      const t = x < 0 ? i + x : x;
      if (t < 0) return x; // the image: the first row keeps reading its input
      const nt = move(t);
      return x < 0 && nt - j === x ? x : nt;
    });
    rows[j] = [Array.isArray(r[0]) ? mapped : mapped[0], r[1], r[2], structuredClone(r[3])];
  });
  added.forEach((a, k) => {
    const j = at + k;
    const refs = a.from.map((ref) => {
      const t = "cur" in ref ? move(ref.cur) : at + ref.added;
      if ("added" in ref && ref.added >= k) {
        fail(`new row ${k} refers to new row ${ref.added}, which is not before it`);
      }
      return t === j - 1 ? -1 : t;
    });
    rows[j] = [refs.length === 1 && !a.list ? refs[0] : refs, 1, a.module, structuredClone(a.args)];
  });
  return {
    meta: w.meta,
    rows,
    nBackbone: at < w.nBackbone ? w.nBackbone + n : w.nBackbone,
    cur: w.cur.map(move),
  };
}

/** Replace the head row's inputs and module (absolute indices). */
export function setHead(w: Work, module: string, from: number[]): Work {
  const rows = [...w.rows];
  const h = headIndex(w);
  rows[h] = [from, 1, module, structuredClone(rows[h][3])];
  return { ...w, rows };
}

/**
 * Copies of current rows `first..last` as new rows: references inside the range point to the copies,
 * references listed in `remap` (current index -> current index) are redirected, all others are shared.
 */
export function copyRows(
  w: Work,
  first: number,
  last: number,
  remap: Map<number, number> = new Map(),
): NewRow[] {
  if (first > last || first < 0 || last >= headIndex(w)) fail(`bad copy range ${first}..${last}`);
  const out: NewRow[] = [];
  for (let i = first; i <= last; i++) {
    const r = w.rows[i];
    const refs: Ref[] = absFrom(r, i).map((t) => {
      if (t < 0) fail(`row ${i} reads the image directly; copy rows that read a Silence layer instead`);
      if (t >= first && t <= last) return { added: t - first };
      return { cur: remap.get(t) ?? t };
    });
    if (r[1] !== 1) fail(`row ${i}: copying rows with repeats ${r[1]} is not supported`);
    out.push({ from: refs, module: r[2], args: structuredClone(r[3]), list: Array.isArray(r[0]) });
  }
  return out;
}
