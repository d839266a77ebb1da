/**
 * A leaner gradient tape for tfjs' engine. When an op runs under the tape, tfjs keeps the tensors its
 * gradient needs by cloning each through a full `Identity` kernel call, and records every clone on the
 * tape as an op of its own: about half of the kernel calls and tape nodes of a training step (2,194 of
 * 4,503 per step of a 1/8-width GELAN-S at batch 32). A saved tensor only has to keep the storage
 * alive: here it is a new handle on the same data (the backend's reference count goes up, as
 * `Identity` does it), with no kernel call and no tape node. The values, the gradients and the memory
 * accounting (`tf.memory()`) are those of the stock engine; {@link setLeanTape}`(false)` (or
 * `YOLO_PLAIN_TAPE=1`) restores the stock method for comparison.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type SaveFn = (tensors: tf.Tensor[]) => tf.Tensor[];

interface EngineInternals {
  state: { tensorInfo: WeakMap<tf.DataId, { backend: { incRef(dataId: tf.DataId): void } }> };
  keep<T extends tf.Tensor>(t: T): T;
  makeTensorFromDataId(dataId: tf.DataId, shape: number[], dtype: tf.DataType, backend: unknown): tf.Tensor;
  saveTensorsForBackwardMode: SaveFn;
}

const proto = Object.getPrototypeOf(tf.engine()) as EngineInternals;
const stock: SaveFn = proto.saveTensorsForBackwardMode;

/** tfjs' `saveTensorsForBackwardMode` without the clone kernels: shared storage, kept handles. */
function leanSave(this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
  return tensors.map((t) => {
    const info = this.state.tensorInfo.get(t.dataId);
    if (!info) throw new Error(`Cannot save a tensor for the gradient: tensor ${t.id} has no data (disposed?)`);
    info.backend.incRef(t.dataId);
    return this.keep(this.makeTensorFromDataId(t.dataId, t.shape, t.dtype, info.backend));
  });
}

/**
 * Use the lean tape (`true`, the default after `initBackend`) or tfjs' stock one (`false`).
 *
 * @example
 * ```ts
 * import { setLeanTape } from "./lean_tape.ts";
 * setLeanTape(false); // stock tfjs: every saved tensor is an Identity kernel call and a tape node
 * setLeanTape(true);
 * ```
 */
export function setLeanTape(on: boolean): void {
  proto.saveTensorsForBackwardMode = on ? leanSave : stock;
}

/** Whether the lean tape is in use. */
export function leanTape(): boolean {
  return proto.saveTensorsForBackwardMode === leanSave;
}
