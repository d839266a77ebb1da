// Fault injection: `deno task train` as a subprocess on a tiny model and dataset is killed (SIGKILL) at
// seeded random points (half at a random moment, half right at a random file event of a checkpoint
// save), at least 20 times over 3-epoch runs, and continued each time with a bare
// `--resume --name N` (no other flag: data, image size, nbs, ... come from the run). Every chain of kills
// and resumes must end with weights (last, best) and results.csv bit-identical to an uninterrupted run, no
// temp or pending-commit files left, and no kill may leave a run that cannot be resumed.
import assert from "node:assert/strict";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { pathExists } from "../lib/io/exists.ts";
import { writeTinyModelYaml, writeYoloDataset } from "./fixtures/yolo_files.ts";

const repo = new URL("..", import.meta.url).pathname;
const tmp = await Deno.makeTempDir({ prefix: "yolo_fault_" });
const KILLS = 20;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** When to kill a run: after `ms`, or at the `nth` file event in its weights folder (a checkpoint being saved). */
type KillAt = { ms: number } | { nth: number };

/** Runs cli/train.ts (run folder `name`); kills it at `at` unless it ends first. */
async function train(
  args: string[],
  name: string,
  at?: KillAt,
): Promise<{ killed: boolean; code: number; stderr: string; ms: number }> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${repo}cli/train.ts`,
      ...args,
      "--name",
      name,
      "--project",
      `${tmp}/runs`,
      "--backend",
      "wasm",
    ],
    cwd: tmp,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const kill = () => child.kill("SIGKILL");
  const timer = at && "ms" in at ? setTimeout(kill, at.ms) : undefined;
  const watcher = at && "nth" in at ? Deno.watchFs(`${tmp}/runs`, { recursive: true }) : undefined;
  if (watcher && at && "nth" in at) {
    (async () => {
      let seen = 0;
      for await (const ev of watcher) {
        if (ev.paths.some((p) => p.includes(`/${name}/weights/`)) && ++seen === at.nth) kill();
      }
    })();
  }
  const out = await child.output();
  clearTimeout(timer);
  watcher?.close();
  return {
    killed: out.signal === "SIGKILL",
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    ms: performance.now() - t0,
  };
}

async function tensorBytes(path: string): Promise<Map<string, Uint8Array>> {
  const f = await readSafetensors(path);
  return new Map(
    [...f.tensors].map(([k, t]) => [k, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]),
  );
}

async function assertSameRun(dir: string, ref: string): Promise<void> {
  for (const f of ["last", "best"]) {
    const a = await tensorBytes(`${ref}/weights/${f}.safetensors`),
      b = await tensorBytes(`${dir}/weights/${f}.safetensors`);
    assert.deepEqual([...b.keys()], [...a.keys()], `${dir} ${f}: tensor names`);
    for (const [k, v] of a) {
      assert.ok(
        b.get(k)!.every((x, i) => x === v[i]),
        `${dir} ${f}: ${k} differs from the uninterrupted run`,
      );
    }
  }
  assert.equal(
    await Deno.readTextFile(`${dir}/results.csv`),
    await Deno.readTextFile(`${ref}/results.csv`),
    `${dir}: results.csv`,
  );
  const left = [];
  for await (const e of Deno.readDir(`${dir}/weights`)) left.push(e.name);
  assert.deepEqual(left.sort(), ["best.safetensors", "last.safetensors"], `${dir}: files left in weights/`);
}

Deno.test(`training killed at ${KILLS}+ random moments resumes to a bit-identical run each time`, async () => {
  const data = await writeYoloDataset(`${tmp}/data`);
  const cfg = await writeTinyModelYaml(`${tmp}/tiny_model.yaml`);
  const flags = [
    "--cfg",
    cfg,
    "--data",
    data,
    "--epochs",
    "3",
    "--batch",
    "4",
    "--img",
    "64",
    "--nbs",
    "4",
    "--seed",
    "1",
  ];
  const ref = await train(flags, "ref");
  assert.equal(ref.code, 0, ref.stderr);
  const rnd = lcg(20);
  let kills = 0, chains = 0, resumes = 0, midCommit = 0, midWrite = 0;
  while (kills < KILLS) {
    const name = `kill${++chains}`, dir = `${tmp}/runs/${name}`;
    let fresh = true;
    for (;;) {
      // every other kill at a random moment, the others at a random file creation of a checkpoint save
      const at: KillAt = kills % 2 ? { nth: 1 + Math.floor(rnd() * 40) } : { ms: rnd() * ref.ms };
      const r = await train(fresh ? [...flags, "--exist-ok"] : ["--resume"], name, at);
      if (!r.killed) {
        assert.equal(r.code, 0, `${fresh ? "fresh run" : "resume"} after ${kills} kills failed: ${r.stderr}`);
        break;
      }
      kills++;
      const w = `${dir}/weights`;
      const left = await Array.fromAsync(Deno.readDir(w)).catch(() => []);
      if (left.some((e) => e.name === "commit.json")) midCommit++; // killed between commit point and renames
      else if (left.some((e) => /\.(next|tmp)$/.test(e.name))) midWrite++; // killed while writing a checkpoint
      if (await pathExists(`${w}/last.state.safetensors`) || await pathExists(`${w}/commit.json`)) {
        fresh = false; // a checkpoint (or a commit of one) is on disk: it must resume
        resumes++;
      } else if (await pathExists(`${w}/last.safetensors`)) break; // killed after its very last step
      else fresh = true; // killed before the first checkpoint: nothing to resume, start again
    }
    await assertSameRun(dir, `${tmp}/runs/ref`);
  }
  console.log(
    `${kills} kills (${midWrite} while writing a checkpoint, ${midCommit} inside a commit), ${resumes} resumes, ` +
      `${chains} runs, each bit-identical to the uninterrupted one`,
  );
  assert.ok(resumes >= KILLS / 2, `only ${resumes} of ${kills} kills left a checkpoint to resume from`);
  await Deno.remove(tmp, { recursive: true });
});
