import { deepEqual, equal, ok } from "node:assert/strict";
import { loadModelConfig, SHIPPED_CONFIGS } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { modelShapes } from "../lib/graph/spec.ts";
import { summarizeLayers, summarizeModel } from "../lib/graph/summary.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { STATE_DICT_KEYS_DIR } from "../lib/testing/golden_dir.ts";

// Exact counts of the official implementation (nc = 80, 640 x 640), from the project's issue / reference notes.
// [params, GFLOPs, fused params, fused GFLOPs, decimals the GFLOPs are given to]
const REFERENCE: Record<string, [number, number, number, number, number]> = {
  "gelan-t": [2442640, 9.9, 2407632, 9.818, 3],
  "gelan-s": [7226208, 26.709, 7105888, 26.379, 3],
  "gelan-m": [20124000, 76.8, 19978672, 76.31, 3],
  "gelan-c": [25498752, 102.819, 25288768, 102.137, 3],
  "gelan-e": [58114432, 191.148, 57345920, 188.946, 3],
  "yolov9-t": [3717680, 16.276, 3674576, 16.163, 3],
  "yolov9-s": [9804512, 39.501, 9659168, 39.048, 3],
  "yolov9-m": [32878432, 132.084, 32667400, 131.321, 3],
  "yolov9-c": [51182080, 238.655, 50880768, 237.632, 3],
  "yolov9-e": [69529664, 243.963, 68669632, 241.342, 3],
  // Reference notes, rounded to 2 decimals there.
  "gelan": [31462528, 117.81, 31252544, 117.13, 2],
  "yolov9-cf": [56734400, 264.41, 56431168, 263.39, 2],
  "yolov9": [60979712, 265.92, 60678400, 264.9, 2],
  "yolov7-af": [43589728, 130.51, 43564736, 130.51, 2],
};

Deno.test("summarizeModel() reproduces the official parameter counts and GFLOPs of every config", async () => {
  for (const name of SHIPPED_CONFIGS) {
    const c = summarizeModel(buildModelSpec(await loadModelConfig(name)));
    const [p, g, pf, gf, digits] = REFERENCE[name];
    deepEqual(
      [c.params, +c.gflops.toFixed(digits), c.params_fused, +c.gflops_fused.toFixed(digits)],
      [p, +g.toFixed(digits), pf, +gf.toFixed(digits)],
      name,
    );
  }
});

Deno.test("modelShapes() gives exactly the official state_dict keys and shapes", async () => {
  const dir = STATE_DICT_KEYS_DIR;
  let files = 0;
  for await (const e of Deno.readDir(dir)) {
    const m = /^keys-(.+)\.tsv$/.exec(e.name);
    if (!m) continue;
    const want = (await Deno.readTextFile(dir + e.name)).trim().split("\n").map((l) => {
      const [k, s] = l.split("\t");
      return `${k} ${JSON.parse(s).join(",")}`;
    });
    const got = flattenTree(modelShapes(buildModelSpec(await loadModelConfig(m[1])))).map(([k, s]) => `${k} ${s.join(",")}`);
    deepEqual(got.sort(), want.sort(), m[1]);
    files++;
  }
  equal(files, 11);
});

Deno.test("summarizeLayers() gives per-layer counts (gelan-c RepNCSPELAN4 layer 2 = 212,864)", async () => {
  const rows = summarizeLayers(buildModelSpec(await loadModelConfig("gelan-c")));
  equal(rows[2].module, "RepNCSPELAN4");
  equal(rows[2].params, 212864);
  // Layer 0 of gelan-c: Conv 3->64, 3x3 s2 at 640 -> 320x320: 2 * 64*3*9 * 320*320 FLOPs.
  equal(rows[0].gflops, (2 * 64 * 3 * 9 * 320 * 320) / 1e9);
});

// Paper Tables 2 and 3: GELAN-S with other computational blocks / depths (fused params, GFLOPs at 640),
// values of the reference notes (paper: 6.2M/23.5G, 5.4M/21.0G, 5.7M/21.8G, 5.9M/22.4G; depths 6.5M/24.4G, 7.1M/26.3G, 7.1M/26.4G).
function gelanS(block: string, c5: number, dElan: number): string {
  const e = (c2: number, c3: number, c4: number) => `[${c2}, ${c3}, ${c4}, ${c5}, ${dElan}, ${block}]`;
  return `nc: 80
depth_multiple: 1.0
width_multiple: 1.0
backbone:
  - [-1, 1, Conv, [32, 3, 2]]
  - [-1, 1, Conv, [64, 3, 2]]
  - [-1, 1, ELAN1, [64, 64, 32]]
  - [-1, 1, AConv, [128]]
  - [-1, 1, RepNCSPELAN4, ${e(128, 128, 64)}]
  - [-1, 1, AConv, [192]]
  - [-1, 1, RepNCSPELAN4, ${e(192, 192, 96)}]
  - [-1, 1, AConv, [256]]
  - [-1, 1, RepNCSPELAN4, ${e(256, 256, 128)}]
head:
  - [-1, 1, SPPELAN, [256, 128]]
  - [-1, 1, nn.Upsample, [None, 2, nearest]]
  - [[-1, 6], 1, Concat, [1]]
  - [-1, 1, RepNCSPELAN4, ${e(192, 192, 96)}]
  - [-1, 1, nn.Upsample, [None, 2, nearest]]
  - [[-1, 4], 1, Concat, [1]]
  - [-1, 1, RepNCSPELAN4, ${e(128, 128, 64)}]
  - [-1, 1, AConv, [96]]
  - [[-1, 12], 1, Concat, [1]]
  - [-1, 1, RepNCSPELAN4, ${e(192, 192, 96)}]
  - [-1, 1, AConv, [128]]
  - [[-1, 9], 1, Concat, [1]]
  - [-1, 1, RepNCSPELAN4, ${e(256, 256, 128)}]
  - [[15, 18, 21], 1, DDetect, [nc]]
`;
}

Deno.test("RepNCSPELAN4 ablation options reproduce paper Tables 2 and 3 (GELAN-S)", () => {
  const cases: [string, number, number, number, number][] = [
    ["Conv", 1, 2, 6208608, 23.52], ["Res", 1, 2, 5420960, 21.0], ["Dark", 1, 2, 5660416, 21.77], ["CSP", 1, 2, 5868256, 22.43],
    ["CSP", 2, 2, 6490000, 24.4], ["CSP", 1, 3, 7070000, 26.27], ["CSP", 3, 2, 7110000, 26.38],
  ];
  for (const [block, c5, d, params, gflops] of cases) {
    const c = summarizeModel(buildModelSpec(parseModelConfig(gelanS(block, c5, d), `gelan-s-${block}-${c5}-${d}.yaml`)));
    const round = params % 10000 === 0 ? 10000 : 1;
    equal(Math.round(c.params_fused / round) * round, params, `${block} D_CSP ${c5} D_ELAN ${d}`);
    // The notes print GFLOPs to 2 decimals.
    ok(Math.abs(c.gflops_fused - gflops) < 0.01, `${block} D_CSP ${c5} D_ELAN ${d}: ${c.gflops_fused} GFLOPs, expected ${gflops}`);
  }
});
