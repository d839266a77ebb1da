import { deepEqual, equal, match, throws } from "node:assert/strict";
import { loadModelConfig, SHIPPED_CONFIGS } from "../lib/models/shipped.ts";
import { configToDict, parseModelConfig } from "../lib/graph/config.ts";
import { buildModelSpec } from "../lib/models/build.ts";

const GOOD = `nc: 3
depth_multiple: 1.0
width_multiple: 0.25
backbone:
  - [-1, 1, Conv, [32, 3, 2]]
  - [-1, 1, AConv, [64]]
  - [-1, 1, AConv, [64]]
  - [-1, 1, AConv, [64]]
head:
  - [[1, 2, 3], 1, DDetect, [nc]]
`;

function badRow(row: string, at = 2) {
  const lines = GOOD.split("\n");
  lines[4 + at] = `  - ${row}`;
  return lines.join("\n");
}

Deno.test("buildModelSpec() applies width_multiple with make_divisible(., 8) and nc overrides", () => {
  const spec = buildModelSpec(parseModelConfig(GOOD, "tiny.yaml"));
  deepEqual(spec.layers.map((l) => l.c2), [8, 16, 16, 16, 0]);
  equal(spec.nc, 3);
  deepEqual(spec.strides, [4, 8, 16]);
  equal(buildModelSpec(parseModelConfig(GOOD, "tiny.yaml"), { nc: 7 }).nc, 7);
});

Deno.test("parseModelConfig() errors name the file, the row and the problem", () => {
  const cases: [string, RegExp][] = [
    [badRow("[-1, 1, NoSuchBlock, [64]]"), /tiny\.yaml, backbone row 2 \(layer 2\).*unknown module "NoSuchBlock"/],
    [badRow("[7, 1, AConv, [64]]"), /tiny\.yaml, backbone row 2 \(layer 2\).*bad 'from' 7: refers to layer 7/],
    [badRow("[-1, 1, AConv, [64, 3]]"), /tiny\.yaml, backbone row 2 \(layer 2\) AConv: expected 1 args, got 2/],
    [badRow("[-1, 1, AConv]"), /backbone row 2 \(layer 2\): expected \[from, repeats, module, args\] \(4 fields\)/],
    [badRow("[-1, 0, AConv, [64]]"), /bad repeats 0/],
    [badRow("[-1, 1, AConv, [sixty]]"), /output channels must be an integer, got "sixty"/],
    [badRow("[-1, 1, Conv, [0, 3, 2]]"), /tiny\.yaml, backbone row 2 \(layer 2\) Conv: output channels must be at least 1, got 0/],
    [GOOD.replace("nc: 3", "nc: -1"), /tiny\.yaml, nc: expected a positive number, got -1/],
    [GOOD.replace("head:\n  - [[1, 2, 3], 1, DDetect, [nc]]", "head: 5"), /tiny\.yaml, head: expected a list/],
    ["backbone: [unclosed", /tiny\.yaml: not valid YAML/],
    [GOOD.replace("  - [[1, 2, 3], 1, DDetect, [nc]]", "  - [-1, 1, AConv, [64]]"), /last layer must be a detect head/],
  ];
  for (const [text, re] of cases) {
    throws(() => buildModelSpec(parseModelConfig(text, "tiny.yaml")), (e: Error) => {
      match(e.message, re);
      return true;
    });
  }
});

Deno.test("configToDict() round-trips every shipped config", async () => {
  for (const name of SHIPPED_CONFIGS) {
    const cfg = await loadModelConfig(name);
    const again = parseModelConfig(JSON.stringify(configToDict(cfg)), `${name} (round trip)`);
    deepEqual(again.rows.map((r) => [r.from, r.n, r.module, r.args]), cfg.rows.map((r) => [r.from, r.n, r.module, r.args]), name);
    equal(again.activation, cfg.activation);
  }
});

Deno.test("loadModelConfig() accepts shipped names, official paths and files", async () => {
  equal((await loadModelConfig("models/detect/gelan-t.yaml")).name, "gelan-t");
  equal((await loadModelConfig("yolov9-c.yaml")).rows.length, 39);
  const tmp = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(tmp, GOOD);
  equal((await loadModelConfig(tmp)).nc, 3);
  await Deno.remove(tmp);
});
