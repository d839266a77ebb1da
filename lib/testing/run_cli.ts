/**
 * Running a task's entry point (`cli/<script>`) as a subprocess, for tests: the exit code and the
 * decoded stdout and stderr.
 * @module
 */

/** The repository root (ends with `/`). */
export const REPO: string = new URL("../../", import.meta.url).pathname;

/** What a finished task printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `deno run -A cli/<script> ...args` (from `cwd`, default the repository root).
 *
 * @example
 * ```ts
 * const r = await runCli("summary.ts", ["gelan-t", "--json"]);
 * ```
 */
export async function runCli(script: string, args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}cli/${script}`, ...args],
    cwd: opts.cwd ?? REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
