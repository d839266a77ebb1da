/**
 * Augmentation preview (the official `train_batch*.jpg`): one batch of the training loader drawn as a grid
 * with boxes and class names, written as PNG.
 *
 *   deno task preview --data D [--img 320] [--batch 16] [--seed 0] [--epoch 0] [--out runs/preview.png]
 *                     [--split train] [--no-mosaic] [--no-augment] [--hyp FILE] [--backend X]
 * @module
 */
import { runMain, setupBackend } from "./_common.ts";
import { exitCode, imgFlag, intFlag, parseFlags } from "./args.ts";
import { formatDatasetSummary, loadDataset } from "../lib/data/dataset.ts";
import { createLoader } from "../lib/data/loader.ts";
import { loadHyp } from "../lib/train/hyp.ts";
import type { SplitName } from "../lib/data/dataset_yaml.ts";
import type { RgbImage } from "../lib/data/image.ts";
import { classColor, drawBoxes, tileGrid } from "../lib/viz/draw.ts";
import { writePng } from "../lib/viz/png.ts";

const USAGE = `usage: deno task preview --data D [options]
  --data D      dataset YAML, or "mnist-det" (generated when missing)
  --img N       training size, a multiple of 32 (default 320)
  --batch N     images in the grid (default 16)
  --seed N      loader seed (default 0)
  --epoch N     epoch mixed into the seed (default 0)
  --split S     train, val or test (default train)
  --out FILE    PNG to write (default runs/preview.png)
  --hyp FILE    hyperparameter YAML (default data/hyps/hyp.scratch-high.yaml)
  --no-mosaic   as in the close-mosaic epochs
  --no-augment  letterbox only (what validation sees)
  --backend X   tfjs backend`;

/** Run the CLI on `args`; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return exitCode(() => run(args));
}

async function run(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    data: { type: "string" },
    img: { type: "string", default: "320" },
    batch: { type: "string", default: "16" },
    seed: { type: "string", default: "0" },
    epoch: { type: "string", default: "0" },
    split: { type: "string", default: "train" },
    out: { type: "string", default: "runs/preview.png" },
    hyp: { type: "string" },
    "no-mosaic": { type: "boolean", default: false },
    "no-augment": { type: "boolean", default: false },
    backend: { type: "string" },
  }, USAGE);
  if (!flags) return 0;
  const { values } = flags;
  if (!values.data) {
    console.error(`preview: expected --data\n${USAGE}`);
    return 2;
  }
  const img = imgFlag(values.img), batch = intFlag(values.batch, "batch", 1);
  const seed = intFlag(values.seed, "seed", -Infinity), epoch = intFlag(values.epoch, "epoch");
  await setupBackend(values.backend);
  const ds = await loadDataset(values.data, values.split as SplitName);
  for (const w of ds.warnings.slice(0, 20)) console.error(`warning: ${w.message}`);
  if (ds.warnings.length > 20) {
    console.error(`... ${ds.warnings.length - 20} more warnings (deno task data check)`);
  }
  console.log(formatDatasetSummary(ds));
  const hyp = await loadHyp(values.hyp);
  const loader = createLoader(ds, {
    batch,
    img,
    stride: 32,
    augment: !values["no-augment"],
    mosaic: !values["no-mosaic"],
    hyp,
    seed,
    epoch,
    shuffle: true,
    onWarning: (w) => console.error(`warning: ${w.message}`),
  });
  const t0 = performance.now();
  for await (const b of loader) {
    const ms = performance.now() - t0;
    const [n, h, w] = b.images.shape;
    const data = await b.images.data();
    b.images.dispose();
    const tiles: RgbImage[] = [];
    for (let i = 0; i < n; i++) {
      const px = new Uint8Array(h * w * 3);
      for (let k = 0; k < px.length; k++) px[k] = Math.round(data[i * h * w * 3 + k] * 255);
      const boxes: number[] = [], labels: string[] = [], colors = [];
      for (let r = 0; r < b.targets.length; r += 6) {
        if (b.targets[r] !== i) continue;
        const [, c, cx, cy, bw, bh] = b.targets.subarray(r, r + 6);
        boxes.push((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h);
        labels.push(ds.names[c] ?? String(c));
        colors.push(classColor(c));
      }
      tiles.push({ pixels: drawBoxes(px, w, h, boxes, labels, colors), width: w, height: h });
    }
    await writePng(values.out!, tileGrid(tiles));
    console.log(
      `wrote ${values.out} (${n} images, ${b.targets.length / 6} boxes, batch built in ${ms.toFixed(0)} ms)`,
    );
    break;
  }
  return 0;
}

if (import.meta.main) await runMain(async () => Deno.exit(await main(Deno.args)));
