// The golden runner reports, never drops: a corrupt sidecar is a failed case naming the file (the CLI
// exits 1), and a loss case is checked on what it holds (an empty-target loss without empty-target
// gradients is compared as a loss, not rejected for the gradients it does not have).
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { readSafetensors, writeSafetensors } from "../lib/io/safetensors.ts";
import { CORRUPT_SIDECAR, listCases, runCase } from "../lib/golden/runner.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";
import { runCli } from "../lib/testing/run_cli.ts";


/** Copies golden case `stem` into `dir`, keeping only the tensors `keep` accepts. */
async function copyCase(
  stem: string,
  dir: string,
  keep: (name: string) => boolean = () => true,
): Promise<void> {
  const f = await readSafetensors(`${GOLDEN_DIR}/${stem}.safetensors`);
  await writeSafetensors(
    `${dir}/${stem}.safetensors`,
    new Map([...f.tensors].filter(([k]) => keep(k))),
    f.metadata,
  );
  await Deno.copyFile(`${GOLDEN_DIR}/${stem}.json`, `${dir}/${stem}.json`);
}

Deno.test("a corrupt sidecar is listed and fails naming its file; deno task golden exits 1", async () => {
  await initBackend("wasm", { quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "yolo_golden_" });
  await copyCase("nms", dir);
  const text = await Deno.readTextFile(`${GOLDEN_DIR}/assigner_2.json`);
  await Deno.writeTextFile(`${dir}/assigner_2.json`, text.slice(0, text.length >> 1));
  await Deno.copyFile(`${GOLDEN_DIR}/assigner_2.safetensors`, `${dir}/assigner_2.safetensors`);
  await Deno.copyFile(`${GOLDEN_DIR}/coco_gt.json`, `${dir}/coco_gt.json`); // JSON without "case": not a case
  const cases = await listCases(dir, ["nms"]);
  assert.deepEqual(cases.map((c) => [c.stem, c.kind]), [["assigner_2", CORRUPT_SIDECAR], ["nms", "nms"]]);
  const r = await runCase(dir, cases[0]);
  assert.equal(r.checks[0].pass, false);
  assert.match(r.checks[0].note ?? "", /assigner_2\.json is not valid JSON .*corrupt sidecar/);
  const cli = await runCli("golden.ts", [dir, "--case", "nms", "--backend", "wasm"]);
  const out = cli.stdout;
  assert.equal(cli.code, 1, out);
  assert.match(out, /FAIL corrupt-sidecar assigner_2/);
  assert.match(out, /1 cases passed, 1 failed/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a loss case with an empty-target loss but no empty-target gradients checks the loss it holds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "yolo_golden_" });
  const stem = "loss_gelan-t_3x3x64x64";
  await copyCase(stem, dir, (k) => !k.startsWith("empty.grad.") && !k.startsWith("grad.model."));
  const [c] = await listCases(dir, ["loss"]);
  const r = await runCase(dir, c, { backend: "wasm" });
  const bad = r.checks.filter((k) => !k.pass);
  assert.deepEqual(bad.map((k) => `${k.name}: ${k.note}`), []);
  assert.ok(r.checks.some((k) => k.name === "empty.loss.total"), "the empty-target loss is checked");
  assert.ok(!r.checks.some((k) => k.name.startsWith("empty.grad.")), "no gradient check without a reference");
  assert.ok(r.checks.some((k) => k.name.startsWith("grad.pred.")), "the main gradients it holds are checked");
  await Deno.remove(dir, { recursive: true });
});
