import { ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { registerNativeBackend } from "../lib/backend/native/mod.ts";
import { listCases, runCase } from "../lib/golden/runner.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";

// Every reference case of tests/golden on the default offline backend (wasm), and the
// model cases on the cpu backend too.
// Every case on the native backend too when its shim is built (scripts/setup_native.sh).
const native = registerNativeBackend();
if (!native.ok) console.log(`golden cases on the native backend skipped: ${native.reason}`);
const RUNS: [string, string[] | undefined][] = [
  ["wasm", undefined],
  ["cpu", ["forward", "reparameterization", "loss", "checkpoint"]],
  ...(native.ok ? [["native", undefined] as [string, undefined]] : []),
];

for (const [backend, kinds] of RUNS) {
  Deno.test(`golden cases pass on ${backend}${kinds ? ` (${kinds.join(", ")})` : ""}`, async (t) => {
    await initBackend(backend, { quiet: true });
    const cases = await listCases(GOLDEN_DIR, kinds);
    ok(cases.length > 0, `no golden cases found in ${GOLDEN_DIR}`);
    for (const c of cases) {
      await t.step(`${c.kind} ${c.stem}`, async () => {
        const r = await runCase(GOLDEN_DIR, c, { backend });
        const bad = r.checks.filter((k) => !k.pass);
        ok(r.checks.length > 0 && bad.length === 0, bad.map((k) => `${k.name}: ${k.error} > ${k.tol} ${k.note ?? ""}`).join("; "));
      });
    }
  });
}
