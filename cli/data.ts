/**
 * Dataset tools.
 *
 *   deno task data mnist-det [--out data/mnist-det] [--train 1000] [--val 200] [--img 160] [--seed 0] [--force]
 *   deno task data check --data D [--split train|val|test|all] [--max-warnings 50] [--json]
 *
 * `mnist-det` generates the default dataset (MNIST digits on photo / texture backgrounds) in the YOLO layout;
 * `check` loads a dataset YAML and prints every label / image / YAML problem with file:line and a summary per
 * split, and exits 1 when it found any (0 with `--warn`).
 * @module
 */
import { parseArgs } from "node:util";
import * as path from "node:path";
import { runMain } from "./_common.ts";
import { COUNT, numberFlag } from "./args.ts";
import { DEFAULT_MNIST_DET_DIR, generateMnistDet, MNIST_DET_DEFAULTS } from "../lib/data/mnist_det_build.ts";
import { datasetReport, loadDataset } from "../lib/data/dataset.ts";
import type { SplitName } from "../lib/data/dataset_yaml.ts";

const USAGE = `usage: deno task data <command> [options]
  mnist-det  generate MNIST-Det (default dataset) in the YOLO layout
    --out DIR       output folder (default data/mnist-det)
    --train N       training images (default ${MNIST_DET_DEFAULTS.train})
    --val N         validation images (default ${MNIST_DET_DEFAULTS.val})
    --img N         image side in pixels (default ${MNIST_DET_DEFAULTS.img})
    --seed N        generator seed (default ${MNIST_DET_DEFAULTS.seed})
    --min-digits N, --max-digits N   digits per image (default 1, 6)
    --min-size N, --max-size N       digit cell size in pixels (default 16, 64)
    --force         regenerate when the folder already holds a dataset
  check      load a dataset YAML and report label / image problems
    --data D        dataset YAML (or "mnist-det")
    --split S       train, val, test or all (default all present)
    --max-warnings N  print at most N warnings per split (default 50; all with --json)
    --json          print {split: {summary, warnings}} as JSON
    --warn          exit 0 even when problems are found (default: exit 1 on any problem)`;

async function mnistDet(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string", default: DEFAULT_MNIST_DET_DIR },
      train: { type: "string" },
      val: { type: "string" },
      img: { type: "string" },
      seed: { type: "string" },
      "min-digits": { type: "string" },
      "max-digits": { type: "string" },
      "min-size": { type: "string" },
      "max-size": { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  const out = path.resolve(values.out!);
  const yaml = path.join(out, "mnist-det.yaml");
  if (!values.force && (await Deno.stat(yaml).then(() => true, () => false))) {
    console.log(`${yaml} exists; pass --force to regenerate`);
    return 0;
  }
  if (values.force) {
    for (const p of ["images", "labels", "mnist-det.yaml"]) {
      await Deno.remove(path.join(out, p), { recursive: true }).catch(() => {});
    }
  }
  const t0 = performance.now();
  const written = await generateMnistDet(out, {
    train: numberFlag(values.train, "train", COUNT),
    val: numberFlag(values.val, "val", COUNT),
    img: numberFlag(values.img, "img", COUNT),
    seed: numberFlag(values.seed, "seed", COUNT),
    minDigits: numberFlag(values["min-digits"], "min-digits", COUNT),
    maxDigits: numberFlag(values["max-digits"], "max-digits", COUNT),
    minSize: numberFlag(values["min-size"], "min-size", COUNT),
    maxSize: numberFlag(values["max-size"], "max-size", COUNT),
    onProgress: (d, n) => {
      if (d % 100 === 0 || d === n) Deno.stderr.writeSync(new TextEncoder().encode(`\rgenerating ${d}/${n}`));
    },
  });
  console.error("");
  console.log(`wrote ${written} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

async function check(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      split: { type: "string", default: "all" },
      "max-warnings": { type: "string", default: "50" },
      json: { type: "boolean", default: false },
      warn: { type: "boolean", default: false },
    },
  });
  if (!values.data) {
    console.error(`data check: expected --data\n${USAGE}`);
    return 2;
  }
  const splits: SplitName[] = values.split === "all" ? ["train", "val", "test"] : [values.split as SplitName];
  const report: Record<string, unknown> = {};
  const max = numberFlag(values["max-warnings"], "max-warnings", COUNT)!;
  let problems = 0, loaded = 0;
  const said = new Set<string>(); // YAML-level warnings are found by every split: say them once
  for (const split of splits) {
    let ds;
    try {
      ds = await loadDataset(values.data, split);
    } catch (e) {
      const msg = (e as Error).message;
      if (values.split !== "all" || !/has no `/.test(msg)) throw e;
      if (/it has the key/.test(msg)) { // a misspelled split is a problem, an absent one is not
        problems++;
        if (values.json) report[split] = { error: msg };
        else console.log(`error: ${msg}`);
      }
      continue;
    }
    loaded++;
    const warnings = ds.warnings.filter((w) => w.kind !== "yaml" || !said.has(w.message));
    for (const w of warnings) if (w.kind === "yaml") said.add(w.message);
    problems += warnings.length;
    if (values.json) {
      report[split] = { summary: ds.summary, warnings };
      continue;
    }
    for (const line of datasetReport({ ...ds, warnings }, max)) console.log(line);
  }
  if (!loaded) throw new Error(`data check: ${values.data} has none of the splits ${splits.join(", ")}`);
  if (values.json) console.log(JSON.stringify(report, null, 1));
  else console.log(`${problems} problem${problems === 1 ? "" : "s"} found${problems && values.warn ? " (--warn: exit 0)" : ""}`);
  return problems && !values.warn ? 1 : 0;
}

/** Run the CLI on `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (cmd === "mnist-det") return await mnistDet(rest);
  if (cmd === "check") return await check(rest);
  if (cmd === "-h" || cmd === "--help") {
    console.log(USAGE);
    return 0;
  }
  console.error(
    `data: expected a command (mnist-det, check), got ${cmd === undefined ? "none" : `"${cmd}"`}\n${USAGE}`,
  );
  return 2;
}

if (import.meta.main) await runMain(async () => Deno.exit(await main(Deno.args)));
