import { deepEqual, equal, ok } from "node:assert/strict";
import { buildConvGraph, GraphOps } from "../lib/ib/conv_graph.ts";
import { combinePaths, convLayersBelow, gradientPathTable, pathsFromSources, pathsToSinks, summarizePaths } from "../lib/ib/gradient_paths.ts";
import { FAMILIES, familySpec, findTaps, layersPerBlock } from "../lib/ib/families.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { objectFocus, panLayers } from "../lib/ib/pan_maps.ts";

const P = { weight: [1, 1, 1, 1] };

Deno.test("gradient paths on hand-built graphs: chain, diamond, a residual unit and a repeated input", () => {
  // x -> c1 -> c2 -> c3 (a plain chain): one path of 3 convs.
  let g = new GraphOps();
  let x = g.node("input", []);
  let y = g.convUnit({ conv: P }, g.convUnit({ conv: P }, g.convUnit({ conv: P }, x, { act: "silu" }), { act: "silu" }), { act: "silu" });
  deepEqual(pathsToSinks(g.nodes, [y])[x], { count: 1, shortest: 3, longest: 3, mean: 3 });

  // Diamond: x -> a (1 conv) and x -> b -> b2 (2 convs), merged by add, then one conv: 2 paths, lengths 2 and 3.
  g = new GraphOps();
  x = g.node("input", []);
  const a = g.conv2d(P, x);
  const b = g.conv2d(P, g.conv2d(P, x));
  y = g.conv2d(P, g.add(a, b));
  deepEqual(pathsToSinks(g.nodes, [y])[x], { count: 2, shortest: 2, longest: 3, mean: 2.5 });
  // From the image forward: depth of the output along each path.
  deepEqual(pathsFromSources(g.nodes, [x])[y], { count: 2, shortest: 2, longest: 3, mean: 2.5 });
  equal(convLayersBelow(g.nodes, y), 4);

  // Residual unit x + f(x), f = 3 convs: identity (0 convs) and the branch (3 convs).
  g = new GraphOps();
  x = g.node("input", []);
  let f = x;
  for (let i = 0; i < 3; i++) f = g.conv2d(P, f);
  y = g.add(x, f);
  deepEqual(pathsToSinks(g.nodes, [y])[x], { count: 2, shortest: 0, longest: 3, mean: 1.5 });

  // An input used twice by one node counts twice (both halves of a split concatenated).
  g = new GraphOps();
  x = g.node("input", []);
  const [h1, h2] = g.split(x, [2, 2]);
  y = g.cat([h1, h2]);
  equal(pathsToSinks(g.nodes, [y])[x].count, 2);
  deepEqual(combinePaths([{ count: 1, shortest: 1, longest: 1, mean: 1 }, { count: 3, shortest: 2, longest: 5, mean: 3 }]), {
    count: 4, shortest: 1, longest: 5, mean: 2.5,
  });
});

Deno.test("gradient paths of real blocks: ELAN1 and RepNCSPELAN4 counted by hand", () => {
  const cfg = parseModelConfig({
    nc: 1,
    backbone: [[-1, 1, "Conv", [16, 3, 1]], [-1, 1, "ELAN1", [16, 16, 8]], [-1, 1, "RepNCSPELAN4", [16, 16, 8, 1]]],
    head: [[-1, 1, "DDetect", ["nc"]]],
  }, "blocks");
  const spec = buildModelSpec(cfg);
  // ELAN1: cv4(cat[a, b, cv2(b), cv3(cv2(b))]), a/b halves of cv1(x): 4 paths of 2, 2, 3, 4 convs.
  const fused = gradientPathTable(buildConvGraph(spec, { form: "fused" }));
  deepEqual(fused[1].internal, { count: 4, shortest: 2, longest: 4, mean: 2.75 });
  equal(fused[1].convs, 4);
  // RepNCSPELAN4 (D_ELAN 2, RepNCSP with one RepN bottleneck), fused. A RepNCSP(x) is
  // cv3(cat[m(cv1 x), cv2 x]) with m = identity + (RepConvN -> Conv): 3 paths of 2, 4, 2 convs.
  // Branch i = RepNCSP then a 3x3 Conv. Into cv4: a (cv1), b (cv1), u1 = branch(b), u2 = branch(u1).
  // Lengths from x: a, b: 1 + 1 = 2 each; u1: 1 + {2,4,2} + 1 + 1 (cv4) = {5,7,5}; u2: u1 + {3,5,3} + ... ->
  // u2 lengths = 1 + {2,4,2} + 1 + {2,4,2} + 1 + 1 = 9 path combinations.
  const r = fused[2];
  equal(r.internal.count, 2 + 3 + 9);
  equal(r.internal.shortest, 2);
  equal(r.internal.longest, 1 + 4 + 1 + 4 + 1 + 1);
  equal(r.convs, 14);
  // Training form: each RepConvN is a 3x3 and a 1x1 in parallel, so every path through one doubles.
  const train = gradientPathTable(buildConvGraph(spec, { form: "train" }));
  equal(train[2].internal.count, 2 + 4 + 16);
  equal(train[2].convs, 16);
});

Deno.test("family networks: layers per block match the graph, and taps land on the nearest block boundary", () => {
  for (const family of FAMILIES) {
    const spec = familySpec(family, { maxDepth: 60, width: 16 });
    const g = buildConvGraph(spec, { form: "fused", upTo: spec.layers.length - 1 });
    // Every block after the stem adds layersPerBlock conv layers.
    const counts = g.layers.map((l) => convLayersBelow(g.nodes, l.outputs[0]));
    counts.forEach((c, i) => equal(c, 1 + i * layersPerBlock(family), `${family} layer ${i}`));
    ok(counts[counts.length - 1] >= 60);
    const taps = findTaps(spec, [1, 30, 60]);
    equal(taps[0].layers, 1);
    for (const t of taps) {
      ok(counts.every((c) => Math.abs(c - t.depth) >= Math.abs(t.layers - t.depth)), `${family} ${JSON.stringify(t)}`);
    }
  }
  // PlainNet: one path of exactly `depth` convs; ResNet: an identity path of 1 conv (the stem) and 2^blocks paths.
  const plain = familySpec("plain", { maxDepth: 10, width: 8 });
  const pg = buildConvGraph(plain, { upTo: plain.layers.length - 1 });
  deepEqual(pathsToSinks(pg.nodes, [pg.layers[9].outputs[0]])[0], { count: 1, shortest: 10, longest: 10, mean: 10 });
  const res = familySpec("resnet", { maxDepth: 10, width: 8 });
  const rg = buildConvGraph(res, { upTo: res.layers.length - 1 });
  const rs = pathsToSinks(rg.nodes, [rg.layers[3].outputs[0]])[0];
  deepEqual(rs, { count: 8, shortest: 1, longest: 10, mean: 1 + 3 * 1.5 });
});

Deno.test("PGI adds shorter gradient paths: yolov9-c reaches the backbone with shorter mean paths than gelan-c", async () => {
  const gelan = summarizePaths(buildConvGraph(buildModelSpec(await loadModelConfig("gelan-c")), { form: "fused" }));
  const yolo = summarizePaths(buildConvGraph(buildModelSpec(await loadModelConfig("yolov9-c")), { form: "fused" }));
  ok(yolo.meanLongest < gelan.meanLongest, `${yolo.meanLongest} vs ${gelan.meanLongest}`);
  ok(yolo.headToImage.shortest < gelan.headToImage.shortest);
  // The official fused gelan-c has 144 conv layers in its graph (convs of the head included).
  equal(gelan.convLayers, 144);
});

Deno.test("Fig. 7 helpers: PAN levels of the main branch, and object focus on a map with known values", async () => {
  deepEqual(panLayers(buildModelSpec(await loadModelConfig("gelan-c"))), [15, 18, 21]);
  const yolo = buildModelSpec(await loadModelConfig("yolov9-c"));
  deepEqual(panLayers(yolo), yolo.layers[yolo.layers.length - 1].from.slice(3));
  // 4 x 4 map: 3 on the top-left 2 x 2 box, 1 and 2 alternating elsewhere. Normalised: 1 inside, mean 0.25 outside.
  const data = Float32Array.from({ length: 16 }, (_, i) => (i % 4 < 2 && i < 8 ? 3 : 1 + (i % 2)));
  equal(objectFocus({ width: 4, height: 4, data }, [0, 0.25, 0.25, 0.5, 0.5]), 4);
  ok(Number.isNaN(objectFocus({ width: 4, height: 4, data: new Float32Array(16) }, [0, 0.5, 0.5, 0.2, 0.2])));
});
