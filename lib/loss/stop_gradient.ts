/**
 * Identity in the forward pass, zero gradient in the backward pass: tfjs has no `stopGradient`, and
 * the reference computes some factors under `torch.no_grad()` (CIoU's alpha in `utils/metrics.py`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

const stop = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
}));

/** `x` as a value that gradients do not flow through (PyTorch `x.detach()` / `torch.no_grad()`). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}
