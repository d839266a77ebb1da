/**
 * Own tfjs kernels for backends that lack (or get wrong) a kernel used by YOLO training.
 * @module
 */

/** Register every fix for the named backend; returns the kernel names registered. */
export function registerKernelFixes(_backend: string): string[] {
  return [];
}
