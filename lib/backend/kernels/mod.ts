/**
 * Own tfjs kernels for backends that lack (or get wrong) a kernel used by YOLO training.
 *
 * | kernel | stock wasm | stock cpu |
 * |---|---|---|
 * | Conv2DBackpropFilter | missing | 0.01 GFLOP/s (ours 0.6) |
 * | Conv2DBackpropInput | naive loop, 1.6 GFLOP/s (ours ~22) | fine, kept |
 * | MaxPoolGrad | wrong for k2s2, k2s1, k3s1, k3s2 | correct, ~65x slower than ours |
 * | AvgPoolGrad | wrong next to padding, slow | wrong next to padding, very slow |
 * | ResizeNearestNeighborGrad | wrong with halfPixelCenters | wrong for batch > 1, ignores halfPixelCenters |
 * | UnsortedSegmentSum (gather's gradient) | missing | fine, kept |
 *
 * On webgpu (checked kernel by kernel against cpu over a whole training step, see
 * tests/webgpu_kernels_test.ts) only MaxPoolGrad is replaced (WGSL): the stock kernel breaks ties
 * between equal maxima differently from PyTorch.
 *
 * Not fixed (not used by the YOLO models): DepthwiseConv2dNativeBackpropInput/Filter are missing on
 * wasm (depthwise and fused depthwise conv have no gradient there); conv2d gradients with
 * dilation > 1, and gradients of StridedSlice, GatherNd and TopK, are missing in tfjs itself.
 *
 * Registration replaces the stock kernel (kept, see {@link restoreStockKernels}) and is
 * idempotent.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { avgPoolGradKernel } from "./avg_pool_grad.ts";
import { conv2dBackpropFilterKernel } from "./conv2d_backprop_filter.ts";
import { conv2dBackpropInputKernel } from "./conv2d_backprop_input.ts";
import { maxPoolGradKernel } from "./max_pool_grad.ts";
import { maxPoolGradWebGpuKernel } from "./max_pool_grad_webgpu.ts";
import { resizeNearestNeighborGradKernel } from "./resize_nearest_neighbor_grad.ts";
import { unsortedSegmentSumKernel } from "./unsorted_segment_sum.ts";

type Factory = (backendName: string) => tf.KernelFunc;

/** The fixes per backend, in registration order. */
export const KERNEL_FIXES: Readonly<Record<string, Readonly<Record<string, Factory>>>> = {
  wasm: {
    Conv2DBackpropFilter: conv2dBackpropFilterKernel,
    Conv2DBackpropInput: conv2dBackpropInputKernel,
    MaxPoolGrad: maxPoolGradKernel,
    AvgPoolGrad: avgPoolGradKernel,
    ResizeNearestNeighborGrad: resizeNearestNeighborGradKernel,
    UnsortedSegmentSum: unsortedSegmentSumKernel,
  },
  cpu: {
    Conv2DBackpropFilter: conv2dBackpropFilterKernel,
    MaxPoolGrad: maxPoolGradKernel,
    AvgPoolGrad: avgPoolGradKernel,
    ResizeNearestNeighborGrad: resizeNearestNeighborGradKernel,
  },
  webgpu: {
    MaxPoolGrad: maxPoolGradWebGpuKernel,
  },
};

/** Kernels we registered, by `backend/kernel`: our config and the stock one it replaced. */
const installed = new Map<string, { ours: tf.KernelConfig; stock?: tf.KernelConfig }>();

const key = (backendName: string, kernelName: string) => `${backendName}/${kernelName}`;

/** Register every fix for the named backend; returns the kernel names registered. */
export function registerKernelFixes(backendName: string): string[] {
  const fixes = KERNEL_FIXES[backendName] ?? {};
  const names: string[] = [];
  for (const [kernelName, factory] of Object.entries(fixes)) {
    const k = key(backendName, kernelName);
    const current = tf.getKernel(kernelName, backendName);
    const mine = installed.get(k);
    if (!mine || current !== mine.ours) {
      const ours: tf.KernelConfig = { kernelName, backendName, kernelFunc: factory(backendName) };
      if (current) tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel(ours);
      installed.set(k, { ours, stock: mine ? mine.stock : current });
    }
    names.push(kernelName);
  }
  return names;
}

/**
 * Put back the stock kernels that {@link registerKernelFixes} replaced for the named backend
 * (and remove the ones it added). For tests and comparisons.
 */
export function restoreStockKernels(backendName: string): void {
  for (const [k, { ours, stock }] of [...installed]) {
    if (ours.backendName !== backendName) continue;
    if (tf.getKernel(ours.kernelName, backendName) === ours) {
      tf.unregisterKernel(ours.kernelName, backendName);
    }
    if (stock && !tf.getKernel(ours.kernelName, backendName)) tf.registerKernel(stock);
    installed.delete(k);
  }
}
