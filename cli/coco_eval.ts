/**
 * COCO box evaluation from the command line, equal to pycocotools' COCOeval (iouType 'bbox').
 *
 *   deno task coco-eval --gt instances_val2017.json --dt predictions.json [--json] [--per-class]
 *
 * Prints pycocotools' 12 summary lines, or with --json one object {stats, stats_names, per_category_AP,
 * warnings}. Warnings (what pycocotools skips silently, counted) go to stderr; bad input exits with 1 and a
 * message naming the file and the entry.
 * @module
 */
import { exitCode, parseFlags } from "./args.ts";
import { CocoFormatError, readCocoGroundTruth } from "../lib/eval/coco_data.ts";
import { readCocoResults } from "../lib/eval/coco_results.ts";
import { COCO_STAT_NAMES, cocoEvaluate } from "../lib/eval/coco_summary.ts";
import { formatFixed } from "../lib/eval/numpy_compat.ts";

const USAGE =
  `usage: deno task coco-eval --gt GT.json --dt RESULTS.json [--json] [--per-class] [--allow-empty-gt-boxes]
  --gt     COCO instances file (images, categories, annotations with bbox, area, iscrowd)
  --dt     COCO results list [{image_id, category_id, bbox: [x, y, w, h], score}, ...]
  --json   print one JSON object (stats, stats_names, per_category_AP, warnings) instead of the summary
  --per-class  also print AP@[.50:.95] per category
  --allow-empty-gt-boxes  accept ground-truth boxes of zero width or height (warning instead of error)`;

/** Run the CLI on `args`; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return exitCode(() => run(args));
}

async function run(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    gt: { type: "string" },
    dt: { type: "string" },
    json: { type: "boolean", default: false },
    "per-class": { type: "boolean", default: false },
    "allow-empty-gt-boxes": { type: "boolean", default: false },
  }, USAGE);
  if (!flags) return 0;
  const { values } = flags;
  if (!values.gt || !values.dt) {
    console.error(`coco-eval: expected --gt and --dt\n${USAGE}`);
    return 2;
  }
  try {
    const gt = await readCocoGroundTruth(values.gt, { allowEmptyBoxes: values["allow-empty-gt-boxes"] });
    const dt = await readCocoResults(gt, values.dt);
    const rep = cocoEvaluate(gt, dt);
    for (const w of rep.warnings) console.error(`warning: ${w}`);
    const perCat = Object.fromEntries([...rep.perCategoryAP].map(([k, v]) => [String(k), v]));
    if (values.json) {
      console.log(
        JSON.stringify({
          stats: rep.stats,
          stats_names: COCO_STAT_NAMES,
          per_category_AP: perCat,
          warnings: rep.warnings,
        }),
      );
      return 0;
    }
    for (const line of rep.lines) console.log(line);
    if (values["per-class"]) {
      console.log("\n category                        id   AP@[.50:.95]");
      for (const [id, ap] of rep.perCategoryAP) {
        const name = gt.categoryNames.get(id) ?? String(id);
        console.log(` ${name.padEnd(30).slice(0, 30)} ${String(id).padStart(4)}   ${formatFixed(ap, 3)}`);
      }
    }
    return 0;
  } catch (e) {
    if (e instanceof CocoFormatError) {
      console.error(`coco-eval: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
