/**
 * How a module name of a config row becomes a layer (`parse_model`, models/yolo.py): the
 * {@link ModuleDef} contract every module table row fulfils, and the argument helpers rows share.
 * The graph builder ({@link parseModel}) takes a table of these; the tables themselves live with
 * their concepts (GELAN blocks in `lib/models/modules.ts`, PGI's rows in `lib/pgi/modules.ts`).
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import type { Tree } from "../nn/tree.ts";
import { ddetectForward, ddetectShapes, makeDivisible } from "../head/ddetect.ts";

/** A layer's output: one activation, CBLinear's channel groups, or a head's per-branch levels. */
export type LayerOut<T> = T | T[] | T[][];

/** What `resolve` sees of a row. */
export interface ResolveInput {
  /** Channels of each `from` input (a list for CBLinear outputs). */
  ch: (number | number[])[];
  args: unknown[];
  /** Repeats after depth_multiple. */
  n: number;
  nc: number;
  width: number;
  act: Act;
  /** Throws an error naming the config file and row. */
  fail(msg: string): never;
}

/** A resolved module: constructor arguments (plain JSON) and output channels. */
export interface Resolved {
  args: Record<string, unknown>;
  c2: number | number[];
  /** Repeats consumed by the module itself (CSP-style) are reported as 1. */
  n: number;
}

/** How one module name is built and run. */
export interface ModuleDef {
  resolve(r: ResolveInput): Resolved;
  shapes(args: Record<string, unknown>): Tree<number[]>;
  forward<T, P>(o: Ops<T, P>, p: Tree<P>, x: LayerOut<T>[], args: Record<string, unknown>): LayerOut<T>;
  /** True for detect heads. */
  head?: boolean;
}

/** An integer argument, or a row error naming `what`. */
export function int(r: ResolveInput, v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) r.fail(`${what} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** The channels of a row's single tensor input. */
export function single(r: ResolveInput): number {
  const c = r.ch[0];
  if (typeof c !== "number") r.fail(`expected one tensor input, got CBLinear groups [${c}]`);
  return c;
}

/** A module table: row module name -> definition. */
export type ModuleTable = Readonly<Record<string, ModuleDef>>;

/** Modules whose first arg is the (width-scaled) output channels: c1 from the input. */
export function scaled(
  nArgs: [number, number],
  build: (r: ResolveInput, c1: number, c2: number) => Record<string, unknown>,
): ModuleDef["resolve"] {
  return (r) => {
    if (r.args.length < nArgs[0] || r.args.length > nArgs[1]) {
      r.fail(`expected ${nArgs[0] === nArgs[1] ? nArgs[0] : `${nArgs[0]} to ${nArgs[1]}`} args, got ${r.args.length}`);
    }
    const c = int(r, r.args[0], "output channels");
    if (c < 1) r.fail(`output channels must be at least 1, got ${c}`);
    const c2 = makeDivisible(c * r.width, 8);
    return { args: { ...build(r, single(r), c2), act: r.act }, c2, n: r.n };
  };
}

/** Resolved constructor arguments. */
export type A = Record<string, unknown>;
/** Resolved arguments as a block's own argument type. */
// deno-lint-ignore no-explicit-any
export const as = <T>(a: A) => a as any as T;

/** A row's single input. */
export function one<T>(x: LayerOut<T>[]): T {
  return x[0] as T;
}

/** A detect head row with `branches` branches (`Detect` when `plain`). */
export function detectHead(branches: number, plain = false): ModuleDef {
  return {
    head: true,
    resolve: (r) => {
      if (r.ch.length % branches || r.ch.length === 0) r.fail(`expected a multiple of ${branches} inputs, got ${r.ch.length}`);
      return { args: { nc: r.nc, ch: r.ch, branches, act: r.act, ...(plain ? { plain } : {}) }, c2: 0, n: 1 };
    },
    shapes: (a) => ddetectShapes(as(a)),
    forward: (o, p, x, a) => ddetectForward(o, p, x as never[], as(a)),
  };
}

/** Normalise a row's module name (`nn.Upsample` -> `Upsample`). */
export function moduleName(name: string): string {
  return name.replace(/^(torch\.)?nn\./, "");
}
