/**
 * Building an ONNX graph as data: nodes, initializers (weights and constants) and typed graph inputs and
 * outputs, encoded to `ModelProto` bytes with the `onnx-proto` protobuf definitions (protobufjs). The graph
 * is what `torch.onnx.export` writes for the official models (export.py): operators of the default domain at
 * one opset.
 *
 * @example
 * ```ts
 * const g = new OnnxGraph();
 * const [y] = g.node("Relu", ["x"]);
 * g.input("x", "float32", [1, 3]);
 * g.output(y, "float32", [1, 3], "y");
 * const bytes = g.encode({ opset: 17 });
 * ```
 * @module
 */
import onnxProto from "onnx-proto";

// The package is CommonJS with one `onnx` namespace export.
const { onnx } = onnxProto as unknown as typeof import("onnx-proto");

/** Element types used here, as ONNX `TensorProto.DataType` codes. */
export const ONNX_TYPES = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;

/** An element type name of {@link ONNX_TYPES}. */
export type OnnxType = keyof typeof ONNX_TYPES;

/** A dimension: a fixed size, or a symbolic name (`batch`, `height`). */
export type Dim = number | string;

/** A node attribute value: int, float, string, or a list of ints / floats. */
export type AttrValue = number | string | number[] | { floats: number[] } | { float: number };

function attribute(name: string, v: AttrValue): import("onnx-proto").onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") {
    if (!Number.isInteger(v)) {
      throw new TypeError(`Cannot encode attribute ${name}=${v}: use {float: x} for floats`);
    }
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ("floats" in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.FLOAT, f: v.float };
}

function valueInfo(name: string, type: OnnxType, dims: Dim[]): import("onnx-proto").onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_TYPES[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function rawBytes(data: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  // Little-endian raw data (the ONNX convention); every supported host is little-endian.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** A graph under construction; names are made unique by a counter. */
export class OnnxGraph {
  private readonly nodes: import("onnx-proto").onnx.INodeProto[] = [];
  private readonly inits: import("onnx-proto").onnx.ITensorProto[] = [];
  private readonly inputs: import("onnx-proto").onnx.IValueInfoProto[] = [];
  private readonly outputs: import("onnx-proto").onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private count = 0;

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    let name = `${stem}_${this.count++}`;
    while (this.used.has(name)) name = `${stem}_${this.count++}`;
    this.used.add(name);
    return name;
  }

  /** Append a node; returns its `nOut` output names. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOut = 1): string[] {
    const out = Array.from({ length: nOut }, () => this.fresh(op));
    this.nodes.push({
      opType: op,
      name: `${op}_node_${this.nodes.length}`,
      input: inputs,
      output: out,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** One-output {@link node}. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /** Add an initializer (a weight under its state_dict name, or a constant); returns its name. */
  init(
    name: string | null,
    type: OnnxType,
    dims: number[],
    data: Float32Array | Int32Array | BigInt64Array | Uint8Array,
  ): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new RangeError(`Cannot add initializer ${name}: [${dims}] needs ${n} values, got ${data.length}`);
    }
    const id = name ?? this.fresh("const");
    if (name !== null) {
      if (this.used.has(name)) throw new RangeError(`Cannot add initializer ${name}: the name is taken`);
      this.used.add(name);
    }
    this.inits.push({ name: id, dims, dataType: ONNX_TYPES[type], rawData: rawBytes(data) });
    return id;
  }

  /** An int64 constant (1-D of the given values, or a scalar with `scalar`). */
  int64(values: number[], scalar = false): string {
    return this.init(null, "int64", scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** A float32 constant of the given shape. */
  float(values: number[], dims: number[] = [values.length]): string {
    return this.init(null, "float32", dims, Float32Array.from(values));
  }

  /** Declare a graph input. */
  input(name: string, type: OnnxType, dims: Dim[]): void {
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
  }

  /** Declare a graph output named `name`, produced by value `value` (an Identity renames it). */
  output(value: string, type: OnnxType, dims: Dim[], name: string): void {
    this.nodes.push({ opType: "Identity", name: `output_${name}`, input: [value], output: [name] });
    this.used.add(name);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Encode as `ModelProto` bytes (IR version 8: opsets up to 17). */
  encode(
    o: { opset: number; name?: string; docString?: string; metadata?: Record<string, string> },
  ): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "yolov9-ts",
      opsetImport: [{ domain: "", version: o.opset }],
      docString: o.docString ?? "",
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: o.name ?? "main",
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
