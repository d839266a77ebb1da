/**
 * Display helpers for the project's notebooks (Deno Jupyter kernel): PNG images and Markdown inline,
 * Markdown tables, a live progress line (one display updated in place), and the small-settings
 * switch CI uses (`YOLO_NB_SMALL=1`, set by `deno task notebooks --small`). Outside a kernel the
 * displays fall back to the console.
 * @module
 */

/** True when the notebooks should use their small CI settings. */
export const SMALL: boolean = Deno.env.get("YOLO_NB_SMALL") === "1";

/** Jupyter's launcher sets JPY_PARENT_PID for the kernel process; elsewhere we print instead. */
const inKernel = (): boolean => Deno.env.get("JPY_PARENT_PID") !== undefined;

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Display PNG bytes inline (with an optional Markdown caption under it). */
export async function showPng(png: Uint8Array, caption?: string): Promise<void> {
  if (!inKernel()) return void console.log(`[png ${png.length} bytes]${caption ? ` ${caption}` : ""}`);
  await Deno.jupyter.display({ "image/png": base64(png) }, { raw: true });
  if (caption) await showMarkdown(`*${caption}*`);
}

/** Display Markdown inline. */
export async function showMarkdown(md: string): Promise<void> {
  if (!inKernel()) return void console.log(md);
  await Deno.jupyter.display({ "text/markdown": md, "text/plain": md }, { raw: true });
}

/** A Markdown table; numbers are shown with `digits` significant digits (non-finite as "–"). */
export function mdTable(header: string[], rows: (string | number)[][], digits = 3): string {
  const cell = (v: string | number) => (typeof v === "number" ? (Number.isFinite(v) ? String(+v.toPrecision(digits)) : "–") : v);
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** A progress line shown once and updated in place (`update_display_data`); returns its updater. */
export function progress(id: string): (text: string) => Promise<void> {
  let shown = false;
  const displayId = `${id}-${Date.now()}`;
  return async (text: string) => {
    if (!inKernel()) return void console.log(text);
    const msg = { data: { "text/plain": text }, metadata: {}, transient: { display_id: displayId } };
    await Deno.jupyter.broadcast(shown ? "update_display_data" : "display_data", msg);
    shown = true;
  };
}
