/**
 * A figure's results page (`<figure>/results.md`), written atomically: its title, its notes, then the
 * figure job's own lines.
 * @module
 */
import { writeAtomic } from "../io/atomic.ts";
import type { FigureContext } from "./spec.ts";

/** Write a figure's `results.md`: its title, its notes, then `lines`. */
export async function writeFigurePage(ctx: FigureContext, title: string, lines: readonly string[]): Promise<void> {
  await writeAtomic(`${ctx.dir}/results.md`, [`# ${title}`, "", ...ctx.notes.map((n) => `- ${n}`), "", ...lines].join("\n"));
}
