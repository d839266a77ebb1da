/**
 * `MaxPoolGrad` in WGSL for the webgpu backend: the stock kernel sends a window's gradient to a
 * different element than PyTorch when the window holds equal maxima (e.g. SPPELAN's second and third
 * k5 pools at P5, whose inputs are constant over a 2x2 map), so the weights upstream get other
 * gradients than the reference.
 *
 * Same rule as the cpu/wasm kernel (max_pool_grad.ts): each output's gradient goes to the first
 * maximum of its window (row-major, strict `>`, padding never wins). One thread per input element
 * walks the windows that contain it and recomputes each window's argmax from the input. NHWC,
 * dilation 1, any padding form.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

const WORKGROUP = 64;

/** The program object tfjs-backend-webgpu compiles (its `WebGPUProgram` shape). */
interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

interface WebGpuBackendLike {
  runWebGPUProgram(p: Program, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: { type: string; data: number[] }[]): tf.TensorInfo;
}

function program(inShape: number[]): Program {
  const size = inShape.reduce((a, b) => a * b, 1);
  return {
    outputShape: inShape,
    shaderKey: "yolov9MaxPoolGrad",
    dispatchLayout: { x: inShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    variableNames: ["dy", "x"],
    uniforms: "strides : vec2<i32>, pads : vec2<i32>, filterDims : vec2<i32>, inDims : vec2<i32>, outDims : vec2<i32>,",
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let coords = getCoordsFromIndex(index);
        let b = coords[0];
        let r = coords[1];
        let q = coords[2];
        let d = coords[3];
        let s = uniforms.strides;
        let p = uniforms.pads;
        let k = uniforms.filterDims;
        // Windows oy whose rows oy * s - p .. oy * s - p + k - 1 hold r (and likewise for columns).
        let oyLo = max(0, (r + p[0] - k[0] + s[0]) / s[0]);
        let oyHi = min(uniforms.outDims[0] - 1, (r + p[0]) / s[0]);
        let oxLo = max(0, (q + p[1] - k[1] + s[1]) / s[1]);
        let oxHi = min(uniforms.outDims[1] - 1, (q + p[1]) / s[1]);
        var acc = 0.0;
        for (var oy = oyLo; oy <= oyHi; oy++) {
          let r0 = oy * s[0] - p[0];
          if (r < r0 || r >= r0 + k[0]) { continue; }
          for (var ox = oxLo; ox <= oxHi; ox++) {
            let c0 = ox * s[1] - p[1];
            if (q < c0 || q >= c0 + k[1]) { continue; }
            var best = -3.4028234e38;
            var atR = -1;
            var atC = -1;
            for (var rr = max(r0, 0); rr < min(r0 + k[0], uniforms.inDims[0]); rr++) {
              for (var cc = max(c0, 0); cc < min(c0 + k[1], uniforms.inDims[1]); cc++) {
                let v = getX(b, rr, cc, d);
                if (v > best) {
                  best = v;
                  atR = rr;
                  atC = cc;
                }
              }
            }
            if (atR == r && atC == q) { acc = acc + getDy(b, oy, ox, d); }
          }
        }
        setOutputAtIndex(index, acc);
      }
    `,
  };
}

/** Kernel function for `tf.registerKernel` on the webgpu backend. */
export function maxPoolGradWebGpuKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
    );
    const want = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    if (dy.shape.some((v, i) => v !== want[i])) {
      throw new Error(`MaxPoolGrad: dy shape [${dy.shape}] does not match expected [${want}]`);
    }
    const uniforms = [
      [info.strideHeight, info.strideWidth], [info.padInfo.top, info.padInfo.left],
      [info.filterHeight, info.filterWidth], [info.inHeight, info.inWidth], [info.outHeight, info.outWidth],
    ].map((data) => ({ type: "int32", data }));
    return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program([...input.shape]), [dy, input], "float32", uniforms);
  };
}
