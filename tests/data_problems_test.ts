// Bad data is reported, never hidden: `data check` names a misspelled split, a truncated PNG, a label file
// without an image and a bad label row (file:line) and exits 1 (0 with --warn); `train`, `val` and `detect`
// print the same problems and a summary per split, then go on with the readable images only, so `val`
// counts the real images and instances and `detect` writes detections.json for every readable image.
import assert from "node:assert/strict";
import { main as dataMain } from "../cli/data.ts";
import { readSafetensors, writeSafetensors } from "../lib/io/safetensors.ts";
import { writeTinyModelYaml, writeYoloDataset } from "./fixtures/yolo_files.ts";
import { type CliResult, runCli } from "../lib/testing/run_cli.ts";

const tmp = await Deno.makeTempDir({ prefix: "yolo_badata_" });

function run(script: string, args: string[]): Promise<CliResult> {
  return runCli(script, [...args, "--backend", "wasm"], { cwd: tmp });
}

async function check(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await dataMain(["check", ...args]), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

/** A dataset of 8 images with: 000007.png truncated, labels/train/orphan.txt, a class-5 row at 000000.txt:2. */
async function badDataset(): Promise<{ yaml: string; dir: string; instances: number }> {
  const dir = `${tmp}/bad`;
  const yaml = await writeYoloDataset(dir);
  const png = await Deno.readFile(`${dir}/images/train/000007.png`);
  await Deno.writeFile(`${dir}/images/train/000007.png`, png.subarray(0, Math.floor(png.length * 0.6)));
  await Deno.writeTextFile(`${dir}/labels/train/orphan.txt`, "0 0.5 0.5 0.2 0.2\n");
  const first = (await Deno.readTextFile(`${dir}/labels/train/000000.txt`)).split("\n");
  await Deno.writeTextFile(
    `${dir}/labels/train/000000.txt`,
    [first[0], "5 0.5 0.5 0.2 0.2", ...first.slice(1)].join("\n"),
  );
  let instances = 0;
  for (let i = 0; i < 7; i++) {
    instances += (await Deno.readTextFile(`${dir}/labels/train/00000${i}.txt`)).split("\n").filter((l) =>
      l.trim()
    ).length;
  }
  return { yaml, dir, instances: instances - 1 };
}

const bad = await badDataset();

Deno.test("data check names a misspelled split, a truncated PNG, an orphan label file and a bad row; exits 1", async () => {
  const good = await writeYoloDataset(`${tmp}/good`);
  const ok = await check(["--data", good]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /0 problems found/);
  const r = await check(["--data", bad.yaml]);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /000007\.png: unreadable or corrupt image skipped/);
  assert.match(r.out, /labels\/train\/orphan\.txt: label file without an image/);
  assert.match(r.out, /labels\/train\/000000\.txt:2: /);
  assert.match(r.out, /tiny\/train: 7 images/);
  assert.equal((await check(["--data", bad.yaml, "--warn"])).code, 0, "--warn");
  const typo = `${bad.dir}/typo.yaml`;
  await Deno.writeTextFile(typo, "path: .\ntrian: images/train\nval: images/train\nnames: [red, green]\n");
  const t = await check(["--data", typo]);
  assert.equal(t.code, 1, t.out);
  assert.match(t.out, /has no `train` split; it has the key `trian` \(misspelled `train`\?\)/);
  assert.equal(
    (t.out.match(/key `trian` \(misspelled `train`\?\) ignored/g) ?? []).length,
    1,
    `said once: ${t.out}`,
  );
  await assert.rejects(check(["--data", typo, "--split", "train"]), /misspelled `train`/);
});

Deno.test("train, val and detect report the data problems, then use exactly the readable images", async () => {
  const cfg = await writeTinyModelYaml(`${tmp}/tiny_model.yaml`);
  const tr = await run("train.ts", [
    "--cfg",
    cfg,
    "--data",
    bad.yaml,
    "--epochs",
    "1",
    "--batch",
    "4",
    "--img",
    "64",
    "--project",
    `${tmp}/runs`,
    "--name",
    "t",
  ]);
  assert.equal(tr.code, 0, tr.stderr);
  for (
    const re of [
      /warning: .*000007\.png: unreadable or corrupt image skipped/,
      /warning: .*orphan\.txt: label file without an image/,
      /warning: .*000000\.txt:2: /,
      /tiny\/train: 7 images/,
      /tiny\/val: 7 images/,
    ]
  ) {
    assert.match(tr.stderr, re);
  }
  const weights = `${tmp}/runs/t/weights/best.safetensors`;
  const va = await run("val.ts", [
    "--weights",
    weights,
    "--data",
    bad.yaml,
    "--img",
    "64",
    "--batch",
    "4",
    "--project",
    `${tmp}/val`,
  ]);
  assert.equal(va.code, 0, va.stderr);
  assert.match(va.stderr, /warning: .*000007\.png/);
  const all = /^\s+all\s+(\d+)\s+(\d+)/m.exec(va.stderr);
  assert.deepEqual(all && [Number(all[1]), Number(all[2])], [7, bad.instances], va.stderr);
  const de = await run("detect.ts", [
    "--weights",
    weights,
    "--source",
    `${bad.dir}/images/train`,
    "--img",
    "64",
    "--out",
    `${tmp}/det`,
  ]);
  assert.equal(de.code, 0, de.stderr);
  assert.match(de.stderr, /warning: .*000007\.png: cannot decode the image, skipped/);
  const recs = JSON.parse(await Deno.readTextFile(`${tmp}/det/detections.json`));
  assert.deepEqual(
    recs.map((r: { image: string }) => r.image.split("/").pop()),
    [0, 1, 2, 3, 4, 5, 6].map((i) => `00000${i}.png`),
  );
  // weights without an embedded config: detect (and val) take --cfg
  const { tensors } = await readSafetensors(weights);
  await writeSafetensors(`${tmp}/nocfg.safetensors`, tensors);
  const nc = await run("detect.ts", [
    "--weights",
    `${tmp}/nocfg.safetensors`,
    "--cfg",
    cfg,
    "--source",
    `${bad.dir}/images/train/000001.png`,
    "--img",
    "64",
    "--out",
    `${tmp}/det2`,
  ]);
  assert.equal(nc.code, 0, nc.stderr);
  await Deno.remove(tmp, { recursive: true });
});
