/**
 * The `native` backend: tfjs' cpu backend with its heavy kernels in a small C shim over oneDNN
 * (convolutions, GEMM) and OpenMP loops (elementwise, reductions, layout, pooling), called through
 * Deno's FFI on the tensors' own TypedArrays. Optional: without the built shim
 * (`scripts/setup_native.sh`) {@link registerNativeBackend} reports why and the project uses wasm.
 * @module
 */
export { NATIVE_BACKEND, NATIVE_KERNELS, type NativeStatus, registerNativeBackend } from "./register.ts";
export { loadNative, NATIVE_ABI, nativeLibPath, type NativeLoad, threadStats, winogradCache } from "./ffi.ts";
export { formatProfile, type KernelTime, nativeProfile, setNativeProfiling } from "./profile.ts";
export { CONV_ACTIVATIONS } from "./conv_kernels.ts";
export { type ConvSupport, convSupport, fusedAct, fusedBatchNormAct, fusedConvBiasAct } from "./fused_ops.ts";
export { nativePort } from "./port.ts";
