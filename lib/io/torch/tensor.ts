/**
 * {@link TorchTensor}: a checkpoint tensor as dtype, shape, strides and offset into a storage, checked against the
 * storage's extent and materialised row-major (strides, offset and byte order resolved) on first use.
 * @module
 */
import { type DType, DTYPE_BYTES, numel, type RawData, type RawTensor, typedArray } from "../raw_tensor.ts";
import { TorchCheckpointError } from "./errors.ts";
import type { TorchStorage } from "./storage.ts";

/**
 * A tensor of the checkpoint: dtype, shape, strides and offset into a {@link TorchStorage}. Its `data` (row-major,
 * contiguous, independent of the file buffer) is materialised on first access and kept.
 */
export class TorchTensor implements RawTensor {
  /** Set for `torch.nn.Parameter`s. */
  isParameter = false;
  /** `requires_grad` as saved. */
  requiresGrad = false;
  /** Python-level state of tensor subclasses / parameters with attributes, if any. */
  pyState?: unknown;
  #data?: RawData;

  /** Create a tensor view; use {@link TorchTensor.check} to validate it against its storage. */
  constructor(
    readonly dtype: DType,
    readonly shape: number[],
    readonly stride: number[],
    readonly storageOffset: number,
    readonly storage: TorchStorage,
  ) {}

  /** Number of elements. */
  get numel(): number {
    return numel(this.shape);
  }

  /** True when the strides are those of a row-major contiguous tensor (size-1 dims ignored). */
  get isContiguous(): boolean {
    let expect = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.stride[d] !== expect) return false;
      expect *= this.shape[d];
    }
    return true;
  }

  /** Bytes of the storage from its start to the view's last element (0 for an empty tensor). */
  get extentBytes(): number {
    if (this.numel === 0) return 0;
    let last = this.storageOffset;
    for (let d = 0; d < this.shape.length; d++) last += (this.shape[d] - 1) * this.stride[d];
    return (last + 1) * DTYPE_BYTES[this.dtype];
  }

  /** Throws unless the view lies inside its storage and materialises to at most `maxBytes`. */
  check(maxBytes: number, what: () => string): void {
    const n = this.numel;
    const isz = DTYPE_BYTES[this.dtype];
    const storageElems = Math.floor(this.storage.nbytes / isz);
    if (n === 0) return;
    const last = this.extentBytes / isz - 1;
    if (last >= storageElems) {
      throw new TorchCheckpointError(
        `${what()}: tensor ${this.dtype}[${this.shape}] (offset ${this.storageOffset}, stride [${this.stride}]) needs ${
          last + 1
        } elements but storage "${this.storage.key}" has ${storageElems}`,
      );
    }
    const bytes = n * isz;
    // Views that expand their storage (stride 0) are capped hard: they are the cheap way to declare a huge tensor.
    const cap = n > storageElems ? Math.min(maxBytes, 64 * 2 ** 20) : maxBytes;
    if (bytes > cap) {
      throw new TorchCheckpointError(
        `${what()}: tensor ${this.dtype}[${this.shape}] would materialise to ${bytes} bytes, more than the limit ${cap}`,
      );
    }
  }

  /** The elements, row-major and contiguous (materialised on first access). */
  get data(): RawData {
    return this.#data ??= this.#materialise();
  }

  /** A plain {@link RawTensor} copy (shape copied, data materialised). */
  toRaw(): RawTensor {
    return { dtype: this.dtype, shape: [...this.shape], data: this.data };
  }

  #materialise(): RawData {
    const src = this.storage.bytes;
    if (!src) {
      throw new TorchCheckpointError(`Cannot materialise tensor: storage "${this.storage.key}" was not read`);
    }
    const isz = DTYPE_BYTES[this.dtype];
    const n = this.numel;
    const out = new Uint8Array(n * isz);
    if (n > 0) {
      if (this.isContiguous) {
        out.set(src.subarray(this.storageOffset * isz, (this.storageOffset + n) * isz));
      } else {
        const nd = this.shape.length;
        const inner = this.shape[nd - 1];
        const innerStride = this.stride[nd - 1];
        const idx = new Array<number>(nd).fill(0);
        let o = 0;
        for (;;) {
          let base = this.storageOffset;
          for (let d = 0; d < nd - 1; d++) base += idx[d] * this.stride[d];
          if (innerStride === 1) {
            out.set(src.subarray(base * isz, (base + inner) * isz), o);
            o += inner * isz;
          } else {
            for (let j = 0; j < inner; j++) {
              const s = (base + j * innerStride) * isz;
              for (let k = 0; k < isz; k++) out[o++] = src[s + k];
            }
          }
          let d = nd - 2;
          for (; d >= 0; d--) {
            if (++idx[d] < this.shape[d]) break;
            idx[d] = 0;
          }
          if (d < 0) break;
        }
      }
      if (this.storage.bigEndian && isz > 1) {
        for (let i = 0; i < out.length; i += isz) out.subarray(i, i + isz).reverse();
      }
    }
    return typedArray(this.dtype, out);
  }
}
