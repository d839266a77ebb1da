/**
 * Tests of the safe `.pt` reader: the golden checkpoint (bit-identical state dict, recovered yaml), small real
 * checkpoints written by torch 1.13 in every format (tests/fixtures/torch, see make_fixtures.py), hostile files
 * built here byte by byte (code-execution globals, memory bombs, truncated / corrupt containers), and the convert
 * CLI round trip.
 */
import assert from "node:assert/strict";
import { GOLDEN_DIR, STATE_DICT_KEYS_DIR } from "../lib/testing/golden_dir.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import type { RawTensor } from "../lib/io/raw_tensor.ts";
import { crc32, ZipArchive, ZipError } from "../lib/io/zip/mod.ts";
import {
  checkGlobal,
  NumpyArray,
  PickleError,
  type PyObject,
  toPlain,
  unpickle,
  UnsafeGlobalError,
} from "../lib/io/pickle/mod.ts";
import {
  readTorchCheckpoint,
  stateDictFromCheckpoint,
  TorchCheckpointError,
  TorchTensor,
} from "../lib/io/torch/mod.ts";
import { loadWeightsFile } from "../lib/io/weights_file.ts";
import { main as convertMain } from "../cli/convert.ts";

const FIX = new URL("./fixtures/torch/", import.meta.url).pathname;
const GOLDEN_PT = `${GOLDEN_DIR}/yolov9-t-random.pt`;
const GOLDEN_ST = `${GOLDEN_DIR}/yolov9-t-random.safetensors`;

function bytesOf(t: RawTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}
function assertSameTensors(actual: Map<string, RawTensor>, expected: Map<string, RawTensor>): void {
  assert.equal(actual.size, expected.size);
  for (const [k, e] of expected) {
    const a = actual.get(k);
    assert.ok(a, `missing ${k}`);
    assert.equal(a.dtype, e.dtype, k);
    assert.deepEqual(a.shape, e.shape, k);
    assert.ok(
      bytesOf(a).every((x, i) => x === bytesOf(e)[i]) && bytesOf(a).length === bytesOf(e).length,
      `bytes of ${k}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// builders for crafted files

const enc = new TextEncoder();
function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrs = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}
function le(n: number, size: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}
/** Pickle opcodes as byte arrays. */
const P = {
  proto: (n: number) => [0x80, n],
  global: (m: string, n: string) => cat([0x63], enc.encode(`${m}\n${n}\n`)),
  str: (s: string) => cat([0x58], le(enc.encode(s).length, 4), enc.encode(s)),
  int: (n: number) => [0x4a, ...le(n >>> 0, 4)],
  mark: [0x28],
  tuple: [0x74],
  tuple1: [0x85],
  emptyTuple: [0x29],
  emptyDict: [0x7d],
  setitem: [0x73],
  reduce: [0x52],
  binpersid: [0x51],
  none: [0x4e],
  false: [0x89],
  stop: [0x2e],
};
function call(m: string, n: string, ...args: (Uint8Array | number[])[]): Uint8Array {
  return cat(P.global(m, n), P.mark, ...args, P.tuple, P.reduce);
}

/** A minimal zip writer (stored entries, or deflate via CompressionStream). */
async function makeZip(entries: [string, Uint8Array][], deflate = false): Promise<Uint8Array> {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of entries) {
    const comp = deflate
      ? new Uint8Array(
        await new Response(
          new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
            new CompressionStream("deflate-raw"),
          ),
        ).arrayBuffer(),
      )
      : data;
    const nb = enc.encode(name);
    const common = [
      ...le(20, 2),
      ...le(0, 2),
      ...le(deflate ? 8 : 0, 2),
      0,
      0,
      0,
      0,
      ...le(crc32(data), 4),
      ...le(comp.length, 4),
      ...le(data.length, 4),
      ...le(nb.length, 2),
      ...le(0, 2),
    ];
    const local = cat(le(0x04034b50, 4), common, nb, comp);
    central.push(
      cat(le(0x02014b50, 4), le(20, 2), common, le(0, 2), le(0, 2), le(0, 2), le(0, 4), le(off, 4), nb),
    );
    locals.push(local);
    off += local.length;
  }
  const cd = cat(...central);
  const eocd = cat(
    le(0x06054b50, 4),
    le(0, 2),
    le(0, 2),
    le(entries.length, 2),
    le(entries.length, 2),
    le(cd.length, 4),
    le(off, 4),
    le(0, 2),
  );
  return cat(...locals, cd, eocd);
}

/** A one-tensor torch checkpoint `{"w": tensor}` in the zip format, with explicit storage and view. */
function tensorPickle(
  o: { numel: number; size: number[]; stride: number[]; offset?: number; type?: string },
): Uint8Array {
  const tup = (xs: number[]) => cat(P.mark, ...xs.map(P.int), P.tuple);
  const pid = cat(
    P.mark,
    P.str("storage"),
    P.global("torch", o.type ?? "HalfStorage"),
    P.str("0"),
    P.str("cpu"),
    P.int(o.numel),
    P.tuple,
  );
  const t = cat(
    P.global("torch._utils", "_rebuild_tensor_v2"),
    P.mark,
    pid,
    P.binpersid,
    P.int(o.offset ?? 0),
    tup(o.size),
    tup(o.stride),
    P.false,
    call("collections", "OrderedDict"),
    P.tuple,
    P.reduce,
  );
  return cat(P.proto(2), P.emptyDict, P.str("w"), t, P.setitem, P.stop);
}

async function ptZip(
  pkl: Uint8Array,
  records: [string, Uint8Array][] = [],
  prefix = "archive",
  deflate = false,
): Promise<Uint8Array> {
  return await makeZip([
    [`${prefix}/data.pkl`, pkl],
    ...records.map(([n, b]) => [`${prefix}/${n}`, b] as [string, Uint8Array]),
    [`${prefix}/version`, enc.encode("3\n")],
  ], deflate);
}

// ---------------------------------------------------------------------------------------------------------------

Deno.test("readTorchCheckpoint() reads the golden yolov9-t checkpoint bit-identically to its safetensors", async () => {
  const ckpt = await readTorchCheckpoint(await Deno.readFile(GOLDEN_PT), "yolov9-t-random.pt");
  const sidecar = JSON.parse(
    await Deno.readTextFile(`${GOLDEN_DIR}/checkpoint_yolov9-t-random_expected.json`),
  );
  assert.equal(ckpt.format, "zip");
  assert.equal(ckpt.prefix, "yolov9-t-random");
  assert.equal(ckpt.protocol, 2);
  assert.equal(ckpt.storages.size, sidecar.n_storage_records);
  assert.deepEqual([...ckpt.globals].sort(), [...sidecar.pickle_globals].sort());
  const root = ckpt.root as Map<string, unknown>;
  assert.deepEqual([...root.keys()], sidecar.top_level_keys);
  assert.equal(root.get("epoch"), -1);
  assert.equal(root.get("ema"), null);
  assert.equal(root.get("date"), "2024-06-10T12:00:00");
  assert.ok(root.get("opt") instanceof Map && (root.get("opt") as Map<string, unknown>).size === 43);
  const model = root.get("model") as PyObject;
  assert.equal(model.qualname, "models.yolo.DetectionModel");
  assert.equal(model.get("training"), false);

  const sd = stateDictFromCheckpoint(ckpt);
  assert.equal(sd.from, "model");
  assert.equal(sd.tensors.size, 1772);
  assertSameTensors(sd.tensors, (await readSafetensors(GOLDEN_ST)).tensors);
  // official state_dict order and parameter count (reference-spec §8: yolov9-t 3,717,680)
  const tsv =
    (await Deno.readTextFile(`${STATE_DICT_KEYS_DIR}keys-yolov9-t.tsv`)
      .catch(() => ""))
      .trim().split("\n").map((l) => l.split("\t")[0]).filter((k) => k.startsWith("model."));
  if (tsv.length) assert.deepEqual([...sd.tensors.keys()], tsv);
  let nParams = 0;
  for (const k of sd.parameters) nParams += sd.tensors.get(k)!.data.length;
  assert.equal(nParams, 3_717_680);

  assert.ok(sd.yaml && Array.isArray(sd.yaml.backbone) && Array.isArray(sd.yaml.head));
  assert.deepEqual((sd.yaml.backbone as unknown[])[0], [-1, 1, "Conv", [16, 3, 2]]);
  assert.equal(sd.yamlFile, "yolov9-t.yaml");
  assert.equal(sd.nc, 80);
  assert.equal(sd.names?.length, 80);
  assert.equal(sd.names?.[0], "person");
  assert.deepEqual(sd.stride, [8, 16, 32]);
  assert.equal(sd.modelClass, "models.yolo.DetectionModel");

  // --ema: the golden file's ema is None (strip_optimizer), so the model is used
  const sdEma = stateDictFromCheckpoint(ckpt, { ema: true });
  assert.equal(sdEma.from, "model");
  assert.equal(sdEma.tensors.size, 1772);
  // a checkpoint whose ema is set: ema wins with the option, model without
  const fake = new Map<string, unknown>([["model", root.get("model")], [
    "ema",
    new Map([["x", [...ckpt.storages.values()].length]]),
  ]]);
  assert.throws(() => stateDictFromCheckpoint(fake, { ema: true }), TorchCheckpointError);
  assert.equal(stateDictFromCheckpoint(fake).from, "model");
});

Deno.test("readTorchCheckpoint() reads torch 1.13 files in zip (protocols 2, 4, 5), deflated and legacy formats", async () => {
  const expected = JSON.parse(await Deno.readTextFile(`${FIX}expected.json`));
  for (const f of ["mixed_zip", "mixed_zip_p4", "mixed_zip_p5", "mixed_zip_deflate", "mixed_legacy"]) {
    const ckpt = await readTorchCheckpoint(await Deno.readFile(`${FIX}${f}.pt`), `${f}.pt`);
    assert.equal(ckpt.format, f === "mixed_legacy" ? "legacy" : "zip", f);
    const root = ckpt.root as Map<string, unknown>;
    for (
      const [k, e] of Object.entries(expected.tensors) as [
        string,
        { dtype: string; shape: number[]; hex: string },
      ][]
    ) {
      const t = root.get(k);
      assert.ok(t instanceof TorchTensor, `${f}: ${k}`);
      assert.equal(t.dtype, e.dtype, `${f}: ${k}`);
      assert.deepEqual(t.shape, e.shape, `${f}: ${k}`);
      assert.equal(hex(bytesOf(t)), e.hex, `${f}: ${k} (offset ${t.storageOffset}, stride ${t.stride})`);
    }
    assert.equal((root.get("param") as TorchTensor).isParameter, true);
    assert.equal(
      root.get("shared_a") instanceof TorchTensor && (root.get("shared_a") as TorchTensor).storage,
      (root.get("shared_b") as TorchTensor).storage,
    );
    assert.equal(root.get("np_f64"), 0.5);
    assert.equal(root.get("np_f32"), 0.25);
    assert.equal(root.get("np_i64"), -7);
    const arr = root.get("np_arr") as NumpyArray;
    assert.ok(arr instanceof NumpyArray);
    assert.deepEqual([...arr.toRawTensor().data], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(arr.toRawTensor().shape, [2, 3]);
    assert.deepEqual(root.get("tuple"), [
      1,
      "a",
      null,
      true,
      2n ** 70n,
      -(2n ** 70n),
      1.5,
      -300,
      70000,
      2 ** 31,
    ]);
    assert.deepEqual(root.get("set"), new Set([1, 2]));
    assert.deepEqual(root.get("frozenset"), new Set([3]));
    assert.deepEqual(root.get("bytes"), new Uint8Array([0, 255]));
    assert.deepEqual(root.get("bytearray"), new Uint8Array([97, 98]));
    assert.deepEqual(root.get("nested"), new Map<unknown, unknown>([["x", [1, [2, [3]]]], [3, "int key"]]));
    assert.deepEqual([...(root.get("ordered") as Map<string, number>)], [["b", 1], ["a", 2]]);
    assert.equal(root.get("unicode"), "h\u00e9llo \u2713");
    assert.deepEqual(toPlain(root.get("namespace")), {
      __class__: "argparse.Namespace",
      state: { a: 1, b: "two" },
    });
    assert.deepEqual((root.get("path") as PyObject).args, ["/", "tmp", "x"]);
    assert.deepEqual(root.get("float_special"), [Infinity, -Infinity]);
  }
  for (const f of ["sequential_zip", "model_legacy"]) {
    const sd = stateDictFromCheckpoint(await readTorchCheckpoint(await Deno.readFile(`${FIX}${f}.pt`), f));
    assert.deepEqual([...sd.tensors.keys()], expected.model_keys, f); // non-persistent buffer "scratch" left out
    for (
      const [k, e] of Object.entries(expected.model_state_dict) as [string, { dtype: string; hex: string }][]
    ) {
      assert.equal(hex(bytesOf(sd.tensors.get(k)!)), e.hex, `${f}: ${k}`);
      assert.equal(sd.tensors.get(k)!.dtype, e.dtype);
    }
    assert.deepEqual([...sd.parameters], ["0.weight", "0.bias", "1.weight", "1.bias", "3.0.weight"]);
  }
});

Deno.test("unpickle() handles protocol 0 and 1 pickles and Python 2 strings", () => {
  const h = (s: string) => Uint8Array.from(s.match(/../g)!.map((x) => parseInt(x, 16)));
  // pickle.dumps({'a': [1, 2.5, 'xé', None, True, (1, 2), b'\0\1'], 'b': 10**20, 'c': -3, 'd': {1, 2},
  //               'e': OrderedDict(z=1), 'f': -inf}, protocol=p) for p = 0, 1
  const p0 =
    "286470300a56610a70310a286c70320a49310a6146322e350a615678e90a70330a614e614930310a612849310a49320a7470340a61635f636f646563730a656e636f64650a70350a28565c7530303030010a70360a566c6174696e310a70370a7470380a5270390a617356620a7031300a4c3130303030303030303030303030303030303030304c0a7356630a7031310a492d330a7356640a7031320a635f5f6275696c74696e5f5f0a7365740a7031330a28286c7031340a49310a6149320a61747031350a527031360a7356650a7031370a63636f6c6c656374696f6e730a4f726465726564446963740a7031380a2874527031390a567a0a7032300a49310a737356660a7032310a462d696e660a732e";
  const p1 =
    "7d71002858010000006171015d7102284b01474004000000000000580300000078c3a971034e4930310a284b014b02747104635f636f646563730a656e636f64650a71052858020000000001710658060000006c6174696e31710774710852710965580100000062710a4c3130303030303030303030303030303030303030304c0a580100000063710b4afdffffff580100000064710c635f5f6275696c74696e5f5f0a7365740a710d285d710e284b014b026574710f527110580100000065711163636f6c6c656374696f6e730a4f726465726564446963740a71122952711358010000007a71144b0173580100000066711547fff0000000000000752e";
  for (const s of [p0, p1]) {
    const v = unpickle(h(s)) as Map<string, unknown>;
    assert.deepEqual(v.get("a"), [1, 2.5, "x\u00e9", null, true, [1, 2], new Uint8Array([0, 1])]);
    assert.equal(v.get("b"), 10n ** 20n);
    assert.equal(v.get("c"), -3);
    assert.deepEqual(v.get("d"), new Set([1, 2]));
    assert.deepEqual(v.get("e"), new Map([["z", 1]]));
    assert.equal(v.get("f"), -Infinity);
  }
  assert.equal(unpickle(enc.encode("S'a\\x41\\n\\'q'\np0\n.")), "aA\n'q");
  assert.equal(unpickle(new Uint8Array([0x55, 3, 0x61, 0xe9, 0x62, 0x2e])), "a\u00e9b"); // SHORT_BINSTRING, latin-1
});

Deno.test("unpickle() refuses code-execution globals, naming them, without running anything", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const hostile: [string, Uint8Array][] = [
    ["os.system", cat(P.proto(2), call("os", "system", P.str(`touch ${marker}`)), P.stop)],
    ["posix.system", cat(P.proto(2), call("posix", "system", P.str(`touch ${marker}`)), P.stop)],
    ["nt.system", cat(P.proto(2), call("nt", "system", P.str(`touch ${marker}`)), P.stop)],
    [
      "builtins.eval",
      cat(P.proto(2), call("builtins", "eval", P.str(`__import__('os').system('touch ${marker}')`)), P.stop),
    ],
    ["__builtin__.eval", cat(P.proto(2), call("__builtin__", "eval", P.str("1")), P.stop)],
    ["builtins.exec", cat(P.proto(2), call("builtins", "exec", P.str("1")), P.stop)],
    ["builtins.getattr", cat(P.proto(2), call("builtins", "getattr", P.str("1"), P.str("x")), P.stop)],
    ["builtins.__import__", cat(P.proto(2), call("builtins", "__import__", P.str("os")), P.stop)],
    ["builtins.open", cat(P.proto(2), call("builtins", "open", P.str(marker), P.str("w")), P.stop)],
    ["subprocess.Popen", cat(P.proto(2), call("subprocess", "Popen", P.str("touch"), P.str(marker)), P.stop)],
    ["subprocess.check_output", cat(P.proto(2), call("subprocess", "check_output", P.str("id")), P.stop)],
    ["runpy._run_code", cat(P.proto(2), call("runpy", "_run_code", P.str("1")), P.stop)],
    ["webbrowser.open", cat(P.proto(2), call("webbrowser", "open", P.str("x")), P.stop)],
    ["socket.socket", cat(P.proto(2), call("socket", "socket"), P.stop)],
    ["shutil.rmtree", cat(P.proto(2), call("shutil", "rmtree", P.str("/")), P.stop)],
    ["importlib.import_module", cat(P.proto(2), call("importlib", "import_module", P.str("os")), P.stop)],
    ["pickle.loads", cat(P.proto(2), call("pickle", "loads", P.str("x")), P.stop)],
    ["sys.exit", cat(P.proto(2), call("sys", "exit"), P.stop)],
    ["torch.load", cat(P.proto(2), call("torch", "load", P.str("x")), P.stop)],
    [
      "numpy.testing._private.utils.runstring",
      cat(P.proto(2), call("numpy.testing._private.utils", "runstring", P.str("1"), P.emptyDict), P.stop),
    ],
    ["code.InteractiveInterpreter", cat(P.proto(2), call("code", "InteractiveInterpreter"), P.stop)],
    ["evil_module.anything", cat(P.proto(2), call("evil_module", "anything"), P.stop)],
    // STACK_GLOBAL with a dotted name reaching os through an allowed module
    [
      "torch.serialization.os.system",
      cat(
        P.proto(4),
        P.str("torch.serialization"),
        P.str("os.system"),
        [0x93],
        P.mark,
        P.str("id"),
        P.tuple,
        P.reduce,
        P.stop,
      ),
    ],
    // INST (protocol 0)
    ["os.system", cat(P.mark, P.str("id"), enc.encode("ios\nsystem\n"), P.stop)],
    // a global that is only loaded, never called
    ["os.system", cat(P.proto(2), P.global("os", "system"), P.stop)],
  ];
  for (const [name, bytes] of hostile) {
    assert.throws(() => unpickle(bytes), (e: unknown) => {
      assert.ok(e instanceof UnsafeGlobalError, `${name}: ${e}`);
      assert.equal(e.global, name);
      assert.ok(e.message.includes(`"${name}"`), e.message);
      return true;
    });
  }
  // the same inside a checkpoint, through every entry point
  const evil = cat(
    P.proto(2),
    P.emptyDict,
    P.str("model"),
    call("os", "system", P.str(`touch ${marker}`)),
    P.setitem,
    P.stop,
  );
  const pt = await ptZip(evil);
  await assert.rejects(
    readTorchCheckpoint(pt, "evil.pt"),
    (e: Error) => e instanceof UnsafeGlobalError && e.message.includes('"os.system"'),
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/evil.pt`, pt);
    await assert.rejects(loadWeightsFile(`${dir}/evil.pt`), UnsafeGlobalError);
    const quiet = console.error;
    console.error = () => {};
    try {
      assert.equal(await convertMain(["--weights", `${dir}/evil.pt`, "--out", `${dir}/evil.safetensors`]), 1);
    } finally {
      console.error = quiet;
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["evil.pt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "nothing was executed");
  // inert classes are fine, and allowModules extends the allow-list
  assert.doesNotThrow(() => checkGlobal("models.common", "RepNCSPELAN4"));
  assert.throws(() => checkGlobal("mypkg.nets", "Net"), UnsafeGlobalError);
  assert.doesNotThrow(() => checkGlobal("mypkg.nets", "Net", ["mypkg"]));
  assert.throws(() => checkGlobal("mypkg.nets", "system", ["mypkg"]), UnsafeGlobalError);
  assert.throws(() => checkGlobal("os\nposix", "x"), UnsafeGlobalError);
});

Deno.test("unpickle() rejects memory bombs and corrupt streams with a position", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "BINUNICODE",
      cat(P.proto(2), [0x58], le(0xfffffff0, 4), enc.encode("abc"), P.stop),
      /BINUNICODE declares 4294967280 bytes but only 4 remain.*at byte 2/,
    ],
    ["BINBYTES", cat(P.proto(3), [0x42], le(0x7fffffff, 4), P.stop), /BINBYTES declares 2147483647 bytes/],
    [
      "BINBYTES8",
      cat(P.proto(4), [0x8e], le(2 ** 53, 8), P.stop),
      /BINBYTES8 declares 9007199254740992 bytes/,
    ],
    [
      "BINUNICODE8",
      cat(P.proto(4), [0x8d], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], P.stop),
      /BINUNICODE8 declares 18446744073709551615 bytes/,
    ],
    [
      "LONG4",
      cat(P.proto(2), [0x8b], le(0x10000000, 4), P.stop),
      /LONG4 of 268435456 bytes is larger than any integer/,
    ],
    [
      "LONG4 beyond the data",
      cat(P.proto(2), [0x8b], le(60000, 4), P.stop),
      /LONG4 declares 60000 bytes but only 1 remain/,
    ],
    ["LONG4 negative", cat(P.proto(2), [0x8b], [0xff, 0xff, 0xff, 0xff], P.stop), /negative length/],
    ["FRAME", cat(P.proto(4), [0x95], le(2 ** 40, 8), P.stop), /FRAME declares/],
    ["no STOP", cat(P.proto(2), P.emptyDict), /ended without STOP/],
    ["truncated arg", new Uint8Array([0x80, 2, 0x4a, 1]), /truncated/],
    ["unknown opcode", new Uint8Array([0x80, 2, 0xff, 0x2e]), /unknown opcode 0xff .*at byte 2/],
    ["underflow", new Uint8Array([0x80, 2, 0x52, 0x2e]), /stack underflow/],
    ["bad memo", new Uint8Array([0x80, 2, 0x68, 9, 0x2e]), /memo key 9/],
    ["protocol", new Uint8Array([0x80, 9, 0x2e]), /unsupported pickle protocol 9/],
    ["ext", new Uint8Array([0x80, 2, 0x82, 1, 0x2e]), /extension codes/],
  ];
  for (const [name, bytes, re] of cases) {
    assert.throws(
      () => unpickle(bytes),
      (e: unknown) => e instanceof PickleError && re.test((e as Error).message),
      name,
    );
  }
});

Deno.test("toPlain() stops exponential sharing and keeps odd keys as plain properties", () => {
  // l0 = []; l(i) = [l(i-1), l(i-1)] for 70 levels: a 700-byte pickle with 2^70 paths
  const parts: (number[] | Uint8Array)[] = [P.proto(2), [0x5d, 0x71, 0, 0x30]]; // EMPTY_LIST BINPUT POP
  for (let i = 1; i <= 70; i++) {
    parts.push([0x28, 0x68, i - 1, 0x68, i - 1, 0x6c, 0x71, i, ...(i < 70 ? [0x30] : [])]);
  }
  parts.push(P.stop);
  const t0 = performance.now();
  const v = unpickle(cat(...parts));
  assert.throws(() => toPlain(v), /more than 1000000 values/);
  assert.ok(performance.now() - t0 < 5000);
  const d = toPlain(
    unpickle(cat(P.proto(2), P.emptyDict, P.str("__proto__"), P.int(1), P.setitem, P.stop)),
  ) as object;
  assert.equal(Object.getPrototypeOf(d), Object.prototype);
  assert.deepEqual(Object.keys(d), ["__proto__"]);
  assert.equal(JSON.stringify(d), '{"__proto__":1}');
});

Deno.test("readTorchCheckpoint() rejects truncated, corrupt and inconsistent containers", async () => {
  const golden = await Deno.readFile(GOLDEN_PT);
  const rejects = async (bytes: Uint8Array, cls: new (m: string) => Error, re: RegExp, what: string) => {
    await assert.rejects(readTorchCheckpoint(bytes, "x.pt"), (e: Error) => {
      assert.ok(e instanceof cls, `${what}: ${e}`);
      assert.match(e.message, re, what);
      assert.ok(e.message.includes("x.pt"), `${what}: names the file: ${e.message}`);
      return true;
    });
  };
  await rejects(
    golden.subarray(0, golden.length >> 1),
    ZipError,
    /end-of-central-directory/,
    "truncated zip",
  );
  await rejects(golden.subarray(0, 10), ZipError, /truncated/, "tiny zip");
  await rejects(
    enc.encode("GIF89a not a checkpoint at all"),
    TorchCheckpointError,
    /wrong magic 47 49 46 38/,
    "wrong magic",
  );
  await rejects(new Uint8Array(0), TorchCheckpointError, /empty/, "empty");
  await rejects(
    (await readSafetensorsBytes()).subarray(0, 100),
    TorchCheckpointError,
    /wrong magic/,
    "safetensors is not .pt",
  );
  await rejects(
    await makeZip([["a/b.txt", enc.encode("hi")]]),
    TorchCheckpointError,
    /no "<name>\/data.pkl"/,
    "zip without data.pkl",
  );
  await rejects(
    await makeZip([["a/data.pkl", enc.encode(".")], ["a/constants.pkl", enc.encode(".")]]),
    TorchCheckpointError,
    /TorchScript/,
    "torchscript",
  );
  await rejects(
    new Uint8Array([0x80, 2, 0x4b, 7, 0x2e]),
    TorchCheckpointError,
    /not a PyTorch legacy checkpoint/,
    "plain pickle",
  );

  // entry data beyond the end of the file: the central directory still parses, the local data are cut
  const z = await ptZip(tensorPickle({ numel: 4, size: [4], stride: [1] }), [["data/0", new Uint8Array(8)]]);
  const zz = new Uint8Array(z);
  const lho = new DataView(zz.buffer).getUint32(z.length - 22 + 16, true) + 42; // first central record: its local header offset
  new DataView(zz.buffer).setUint32(lho, z.length - 40, true);
  await rejects(
    zz,
    ZipError,
    /beyond the data area|reach past the end|bad local header/,
    "entry offset beyond the file",
  );
  // huge declared size
  const big = new Uint8Array(z);
  new DataView(big.buffer).setUint32(
    new DataView(big.buffer).getUint32(z.length - 22 + 16, true) + 24,
    0xfffffff0,
    true,
  );
  await assert.rejects(
    readTorchCheckpoint(big, "x.pt", { zip: { maxEntryBytes: 2 ** 30 } }),
    /declares 4294967280 bytes, more than the limit/,
  );
  // corrupt data: CRC mismatch
  const crcBad = new Uint8Array(z);
  crcBad[50] ^= 0xff; // inside the first entry's data (data.pkl starts at 30 + 16)
  await rejects(crcBad, ZipError, /CRC-32/, "crc");
  // deflate stream inflating beyond its declared size
  const dz = new Uint8Array(await makeZip([["a/data.pkl", new Uint8Array(1000)]], true));
  new DataView(dz.buffer).setUint32(18 + 4, 10, true); // local header usize (unused) ...
  const cdo = new DataView(dz.buffer).getUint32(dz.length - 22 + 16, true);
  new DataView(dz.buffer).setUint32(cdo + 24, 10, true); // ... and the central one, which counts
  await rejects(dz, ZipError, /inflates to more than its declared 10 bytes/, "deflate bomb");

  // storages and tensors
  await rejects(
    await ptZip(tensorPickle({ numel: 100, size: [100], stride: [1] }), [["data/0", new Uint8Array(10)]]),
    TorchCheckpointError,
    /storage record "archive\/data\/0" has 10 bytes but its F16 storage of 100 elements needs 200/,
    "short storage",
  );
  await rejects(
    await ptZip(tensorPickle({ numel: 4, size: [4], stride: [1] })),
    TorchCheckpointError,
    /"archive\/data\/0" is missing/,
    "missing storage",
  );
  await rejects(
    await ptZip(tensorPickle({ numel: 10, size: [3, 4], stride: [4, 1] }), [["data/0", new Uint8Array(20)]]),
    TorchCheckpointError,
    /needs 12 elements but storage "0" has 10/,
    "tensor beyond storage",
  );
  await rejects(
    await ptZip(tensorPickle({ numel: 10, size: [2, 5], stride: [5, 1], offset: 1 }), [[
      "data/0",
      new Uint8Array(20),
    ]]),
    TorchCheckpointError,
    /needs 11 elements/,
    "offset beyond storage",
  );
  await rejects(
    await ptZip(tensorPickle({ numel: 1, size: [2 ** 20, 2 ** 20], stride: [0, 0] }), [[
      "data/0",
      new Uint8Array(2),
    ]]),
    TorchCheckpointError,
    /would materialise to 2199023255552 bytes/,
    "expanded bomb",
  );
  await rejects(
    await ptZip(tensorPickle({ numel: 1, size: [1], stride: [1], type: "ComplexFloatStorage" }), [[
      "data/0",
      new Uint8Array(8),
    ]]),
    TorchCheckpointError,
    /torch.ComplexFloatStorage is not supported/,
    "storage type",
  );
  // legacy format cut short
  const legacy = await Deno.readFile(`${FIX}mixed_legacy.pt`);
  await rejects(legacy.subarray(0, legacy.length - 5), TorchCheckpointError, /truncated/, "truncated legacy");
  await rejects(
    legacy.subarray(0, 200),
    PickleError,
    /truncated|without STOP|declares/,
    "truncated legacy pickle",
  );
});

async function readSafetensorsBytes(): Promise<Uint8Array> {
  return await Deno.readFile(GOLDEN_ST);
}

Deno.test("readTorchCheckpoint() reads big-endian storages and strided views of crafted files", async () => {
  // {"w": tensor F32 [2, 3] transposed view (size [3, 2], stride [1, 3]) of a big-endian storage 0..5}
  const data = new Uint8Array(24);
  for (let i = 0; i < 6; i++) new DataView(data.buffer).setFloat32(i * 4, i, false);
  const pt = await ptZip(tensorPickle({ numel: 6, size: [3, 2], stride: [1, 3], type: "FloatStorage" }), [[
    "data/0",
    data,
  ], ["byteorder", enc.encode("big")]]);
  const t = (await readTorchCheckpoint(pt, "be.pt")).root as Map<string, TorchTensor>;
  assert.deepEqual([...t.get("w")!.data], [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(stateDictFromCheckpoint(await readTorchCheckpoint(pt, "be.pt")).tensors.get("w")!.shape, [
    3,
    2,
  ]);
  const zip = ZipArchive.open(pt, "be.pt");
  assert.deepEqual(zip.names(), [
    "archive/data.pkl",
    "archive/data/0",
    "archive/byteorder",
    "archive/version",
  ]);
});

Deno.test("readTorchCheckpoint() inflates only the storage bytes tensors reference, within a total limit", async () => {
  // a 64 MiB HalfStorage record (deflated to ~64 KB) of which the one tensor uses 4 elements at offset 2
  const declared = 32 * 2 ** 20;
  const record = new Uint8Array(declared * 2);
  for (let i = 0; i < 8; i++) record[4 + i] = 0x3c * (i % 2); // f16 1.0 = 0x3c00, little-endian
  const pt = await ptZip(tensorPickle({ numel: declared, size: [4], stride: [1], offset: 2 }), [["data/0", record]], "archive", true);
  assert.ok(pt.length < 2 ** 20, `the crafted file is small: ${pt.length} bytes`);
  const ck = await readTorchCheckpoint(pt, "bomb.pt");
  const w = (ck.root as Map<string, TorchTensor>).get("w")!;
  assert.deepEqual([...w.data], Array(4).fill(0x3c00));
  assert.equal(ck.storages.get("0")!.bytes!.length, 12, "only offset + 4 elements of the 64 MiB storage are inflated");
  await assert.rejects(readTorchCheckpoint(pt, "bomb.pt", { maxTotalBytes: 8 }), (e: Error) => {
    assert.match(e.message, /bomb\.pt: .*tensors reference 12 bytes of storage in total, more than the limit of 8 bytes/);
    return true;
  });
});

Deno.test("convert CLI round trip: golden .pt -> safetensors equals the golden safetensors", async () => {
  const dir = await Deno.makeTempDir();
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const out = `${dir}/y.safetensors`;
    assert.equal(await convertMain(["--weights", GOLDEN_PT, "--out", out, "--ema"]), 0);
    const got = await readSafetensors(out);
    assertSameTensors(got.tensors, (await readSafetensors(GOLDEN_ST)).tensors);
    assert.equal(got.metadata.format, "pt");
    assert.equal(got.metadata.source, "yolov9-t-random.pt:model");
    assert.equal(got.metadata.nc, "80");
    assert.equal(got.metadata.config, "yolov9-t.yaml");
    assert.equal(JSON.parse(got.metadata.names).length, 80);
    const yaml = JSON.parse(got.metadata.model_yaml);
    assert.ok(Array.isArray(yaml.backbone) && Array.isArray(yaml.head));
    assert.ok(
      lines.some((l) => l.includes("1772 tensors") && l.includes("3,717,680 in 899 parameters")),
      lines.join("\n"),
    );
    // both formats load through the one --weights loader with the same content
    const fromSt = await loadWeightsFile(out);
    const fromPt = await loadWeightsFile(GOLDEN_PT);
    assert.equal(fromSt.format, "safetensors");
    assert.equal(fromPt.format, "pt");
    assert.deepEqual(fromSt.yaml, fromPt.yaml);
    assert.equal(fromSt.nc, 80);
    assert.deepEqual(fromSt.names, fromPt.names);
    assertSameTensors(fromSt.tensors, fromPt.tensors);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir), (e) => e.name), ["y.safetensors"]); // no temp file left
  } finally {
    console.log = log;
    await Deno.remove(dir, { recursive: true });
  }
});
