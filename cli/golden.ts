/**
 * `deno task golden <dir> [--backend X] [--case kind,...] [--json]`: run every reference case of a
 * folder (the layout of tests/golden) and print, per case and tensor, the error against the
 * reference and PASS/FAIL. Exits non-zero when any check fails.
 * @module
 */
import { listCases, runCase } from "../lib/golden/runner.ts";
import type { CaseReport } from "../lib/golden/types.ts";
import { runMain, setupBackend } from "./_common.ts";
import { parseFlags, UsageError } from "./args.ts";

const USAGE = "usage: deno task golden <dir> [--backend X] [--case forward,loss,...] [--json]";

await runMain(async () => {
  const flags = parseFlags(Deno.args, {
    backend: { type: "string" }, case: { type: "string" }, json: { type: "boolean" },
  }, USAGE, { positionals: true });
  if (!flags) return;
  const { values, positionals } = flags;
  const dir = positionals[0];
  if (!dir) throw new UsageError(`expected the folder of cases\n${USAGE}`);
  const backend = await setupBackend(values.backend);
  const cases = await listCases(dir, values.case?.split(","));
  if (!cases.length) throw new Error(`No golden cases in ${dir}: expected <stem>.json sidecars with a "case" field`);
  const reports: CaseReport[] = [];
  let failed = 0;
  for (const c of cases) {
    const t0 = performance.now();
    const r = await runCase(dir, c, { backend });
    reports.push(r);
    const ok = r.checks.length > 0 && r.checks.every((k) => k.pass);
    if (!ok) failed++;
    if (values.json) continue;
    console.log(`${ok ? "PASS" : "FAIL"} ${r.case} ${r.stem} (${r.checks.length} checks, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    for (const k of r.checks) {
      console.log(`  ${k.pass ? "PASS" : "FAIL"} ${k.name.padEnd(36)} err ${k.error.toExponential(2)} <= ${k.tol.toExponential(1)}${k.note ? `  ${k.note}` : ""}`);
    }
  }
  if (values.json) console.log(JSON.stringify({ backend, reports }));
  console.log(`${cases.length - failed} cases passed, ${failed} failed (backend ${backend})`);
  if (failed) Deno.exit(1);
});
