/**
 * Recycling of float32 output buffers on the `native` backend. A fresh 13 MB Float32Array costs
 * more than the kernel that fills it (the kernel zero-fills it and the first touch of every page
 * faults: ~12 ms against ~6 ms for a multiply on this machine), and a training step allocates
 * gigabytes. Buffers the native kernels allocated go back to a pool, by exact length, when their
 * tensor is disposed, and are handed out again uninitialised.
 *
 * Safety: only buffers this module made are recycled, and never one that escaped: read by
 * `dataSync()`/`data()` (the caller may keep the array), or shared by a view (a contiguous slice)
 * that may outlive its tensor. {@link pinBuffer} marks such buffers.
 * @module
 */
import type { CpuLikeBackend } from "./tensors.ts";
import { recordRead } from "./trace.ts";

/** The backend methods the pool wraps. */
interface PoolableBackend extends CpuLikeBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

/** Pool of one backend instance. */
class BufferPool {
  /** Buffers allocated here and not escaped: the only ones that may come back. */
  readonly owned = new WeakSet<ArrayBuffer>();
  private readonly free = new Map<number, Float32Array[]>();
  private bytes = 0;
  hits = 0;
  misses = 0;
  missBytes = 0;

  constructor(readonly capBytes: number) {}

  take(length: number): Float32Array {
    const list = this.free.get(length);
    const got = list?.pop();
    if (got) {
      this.bytes -= got.byteLength;
      this.hits++;
      return got;
    }
    this.misses++;
    this.missBytes += 4 * length;
    const fresh = new Float32Array(length);
    this.owned.add(fresh.buffer);
    return fresh;
  }

  give(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.owned.has(values.buffer as ArrayBuffer)) return;
    if (this.bytes + values.byteLength > this.capBytes) return;
    const list = this.free.get(values.length);
    if (list) list.push(values);
    else this.free.set(values.length, [values]);
    this.bytes += values.byteLength;
  }

  pooledBytes(): number {
    return this.bytes;
  }
}

const pools = new WeakMap<object, BufferPool>();

function capFromEnv(): number {
  let mb = NaN;
  try {
    mb = Number(Deno.env.get("YOLO_NATIVE_POOL_MB"));
  } catch { /* no env permission */ }
  if (Number.isFinite(mb) && mb >= 0) return mb * 2 ** 20;
  return 0.25 * Deno.systemMemoryInfo().total;
}

/** Attach a pool to a freshly created backend instance (wraps disposeData, readSync and read). */
export function installPool(backend: PoolableBackend): void {
  if (pools.has(backend)) return;
  let cap = 2 ** 30;
  try {
    cap = capFromEnv();
  } catch { /* systemMemoryInfo needs --allow-sys */ }
  const pool = new BufferPool(cap);
  pools.set(backend, pool);
  const dispose = backend.disposeData.bind(backend);
  backend.disposeData = (dataId, force) => {
    const values = backend.data.get(dataId as never)?.values;
    const released = dispose(dataId, force);
    if (released) pool.give(values);
    return released;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    recordRead();
    pinBuffer(backend, backend.data.get(dataId as never)?.values);
    return readSync(dataId);
  };
  const read = backend.read.bind(backend);
  backend.read = (dataId) => {
    recordRead();
    pinBuffer(backend, backend.data.get(dataId as never)?.values);
    return read(dataId);
  };
}

/** A float32 array of `length` values for a kernel output: recycled (contents undefined) or new (zeros). */
export function takeBuffer(backend: CpuLikeBackend, length: number): Float32Array {
  const pool = pools.get(backend);
  return pool ? pool.take(length) : new Float32Array(length);
}

/** Never recycle the buffer behind `values` (it escaped to a caller or is shared by a view). */
export function pinBuffer(backend: CpuLikeBackend, values: unknown): void {
  const pool = pools.get(backend);
  if (pool && ArrayBuffer.isView(values)) pool.owned.delete(values.buffer as ArrayBuffer);
}

/** Pool statistics of a backend instance (for benchmarks and tests). */
export function poolStats(
  backend: object,
): { hits: number; misses: number; missBytes: number; pooledBytes: number } | undefined {
  const pool = pools.get(backend);
  return pool &&
    { hits: pool.hits, misses: pool.misses, missBytes: pool.missBytes, pooledBytes: pool.pooledBytes() };
}
