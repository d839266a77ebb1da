/**
 * Per-kernel wall time on the `native` backend: every kernel (native or stock) is wrapped, and
 * timing is on while {@link setNativeProfiling} says so (or `YOLO_NATIVE_PROFILE=1`). For finding
 * what to move to native code next.
 * @module
 */

/** Accumulated time of one kernel. */
export interface KernelTime {
  kernel: string;
  /** Whether the native implementation ran (false: the stock cpu kernel). */
  native: boolean;
  calls: number;
  ms: number;
}

const table = new Map<string, KernelTime>();
let enabled = (() => {
  try {
    return Deno.env.get("YOLO_NATIVE_PROFILE") === "1";
  } catch {
    return false;
  }
})();

/** Turn timing on or off (and clear the table when turning it on). */
export function setNativeProfiling(on: boolean): void {
  if (on) table.clear();
  enabled = on;
}

/** The kernels timed so far, slowest first. */
export function nativeProfile(): KernelTime[] {
  return [...table.values()].sort((a, b) => b.ms - a.ms);
}

/** Record a call (used by the registration wrapper). */
export function recordKernel(kernel: string, native: boolean, ms: number): void {
  const key = `${kernel}/${native}`;
  const row = table.get(key) ?? { kernel, native, calls: 0, ms: 0 };
  row.calls++;
  row.ms += ms;
  table.set(key, row);
}

/** Whether timing is on. */
export function profiling(): boolean {
  return enabled;
}

/**
 * A printable table of {@link nativeProfile}: the top `n` kernels with their share of the kernel time,
 * calls and milliseconds divided by `per` (e.g. the number of profiled training steps), and a total line.
 */
export function formatProfile(n = 25, per = 1): string {
  const rows = nativeProfile();
  const total = rows.reduce((s, r) => s + r.ms, 0) || 1;
  const calls = rows.reduce((s, r) => s + r.calls, 0);
  const line = (kernel: string, native: string, c: number, ms: number) =>
    `${kernel.padEnd(28)} ${native} ${(c / per).toFixed(per === 1 ? 0 : 1).padStart(7)} calls ` +
    `${(ms / per).toFixed(2).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%`;
  return [
    ...rows.slice(0, n).map((r) => line(r.kernel, r.native ? "native" : "stock ", r.calls, r.ms)),
    line("all kernels", "      ", calls, total),
  ].join("\n");
}
