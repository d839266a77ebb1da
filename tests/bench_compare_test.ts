// `deno task bench compare` end to end on a tiny model, with the PyTorch script missing (it lives in
// ../shared, outside the repository): the rows come from our real `bench train` subprocesses, one per
// thread count of `--threads 1,2`, the PyTorch column is left empty and the missing script is named, and
// the scaling entry compares the two thread counts' medians.
import assert from "node:assert/strict";
import { runCli } from "../lib/testing/run_cli.ts";

Deno.test("bench compare: one row per thread count, a scaling entry, an empty PyTorch column without the script", async () => {
  const r = await runCli("bench.ts", [
    "compare", "--models", "gelan-s", "--width", "0.125", "--img", "32", "--batch", "2", "--runs", "2",
    "--warmup", "1", "--rounds", "1", "--threads", "1,2", "--anchor", "/nonexistent/torch_anchor.py", "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /PyTorch column left empty: \/nonexistent\/torch_anchor.py not found/);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.deepEqual(out.rows.map((x: { threads: number }) => x.threads), [1, 2]);
  for (const row of out.rows) {
    assert.deepEqual([row.model, row.mode, row.width, row.img, row.batch], ["gelan-s", "train", 0.125, 32, 2]);
    assert.equal(row.ours_s.length, 1);
    assert.ok(row.ours_s[0] > 0);
    assert.deepEqual([row.torch_s, row.ratio], [[], null]);
  }
  assert.equal(out.scaling.length, 1);
  const sc = out.scaling[0];
  assert.deepEqual([sc.model, sc.threads, sc.torch], ["gelan-s", [1, 2], null]);
  assert.equal(sc.ours, +(out.rows[0].ours_s[0] / out.rows[1].ours_s[0]).toFixed(3));
});
