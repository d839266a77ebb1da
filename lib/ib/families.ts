/**
 * The four network families of paper Fig. 2 / Fig. 6, as official-format configurations (YAML rows)
 * built from the project's own blocks, so that initialisation, forward, summaries and the
 * gradient-path analysis all reuse lib/models.
 *
 * What the paper gives: Sec. 3 and the Fig. 2 caption name "(b) PlainNet, (c) ResNet, (d) CSPNet, and
 * (e) proposed GELAN", fed forward "with initial weights"; Fig. 6 shows them at about 50 to 200 layers;
 * official issue #223 says each map is `model(image).sum(1)` of a randomly initialised network. Block
 * definitions, widths and the way layers are counted are not given. Our construction, beside that:
 *
 * | family | paper | here (block per row) | conv layers per block | shortest path per block |
 * |---|---|---|---|---|
 * | PlainNet | a plain stack, no shortcut | `Conv` 3x3 (conv-BN-SiLU) | 1 | 1 |
 * | ResNet | ResNet [21], residual units | `Res`: 1x1 -> 3x3 -> 1x1 (hidden w/2) + identity, the official block of Table 2 | 3 | 0 (identity) |
 * | CSPNet | CSPNet [64], Fig. 4(a): split, computational blocks on one part, concat, transition | `RepNCSP` (the CSP block inside GELAN): 1x1 cv1 and cv2 to w/2 each (the split), `cspUnits` residual RepNBottlenecks on cv1, concat, 1x1 cv3 (transition) | 3 + 2 x cspUnits | 2 (cv2, cv3) |
 * | GELAN | Fig. 4(c), RepNCSPELAN4 | `RepNCSPELAN4` [w, w, w/2, 1] (D_ELAN 2, D_CSP 1): cv1 1x1 split into two halves, two RepNCSP + 3x3 stages, concat of all four, 1x1 cv4 | 14 | 2 (cv1, cv4) |
 *
 * The CSP split is made by two 1x1 convs as in the official RepNCSP and in CSPDarknet (the darknet
 * configs of CSPNet's authors), not by slicing channels: the residuals sit inside the partial branch
 * only, so no identity path crosses a CSP stage. Measured (issue #21, 64 px, held-out R², mean over
 * seeds and images): at equal shortest gradient path (the number of conv layers every path crosses:
 * 1 + 2 per stage) CSPNet and GELAN keep the same (width 16, 8 images x 4 seeds, paths 3 / 5 / 7 / 9:
 * CSPNet 0.63 / 0.32 / 0.13 / 0.06, GELAN 0.66 / 0.38 / 0.13 / 0.06, PlainNet at 3 / 5 / 7 / 10 layers
 * 0.60 / 0.29 / 0.16 / 0.08; width 32, 3 images x 2 seeds: CSPNet 0.82 / 0.48 / 0.25 / 0.08, GELAN
 * 0.84 / 0.51 / 0.21 / 0.11). A CSP stage comes every 9 conv layers, a GELAN stage every 14, so per conv
 * layer CSPNet loses information sooner; ResNet's identity path keeps its shortest path at 1 and it
 * loses information only as the residual branches dilute it. So CSPNet's early floor is neither a
 * construction error against the official code nor a tap or measure artefact (the KSG MI agrees); it
 * is what a C3-style CSP stage does at random initialisation.
 *
 * Every network starts with a 3x3 stride-`stemStride` Conv to `width` channels and then keeps
 * width and resolution, so depth is the only thing that changes along a network. Depth is counted
 * in conv layers (conv-BN-act units; a RepConvN counts once, as after fusing), all the layers a
 * feature map depends on. The paper does not define its count; YOLO summaries count modules
 * differently. A 1-class `DDetect` head closes each config only because the spec builder
 * requires a head; the analyses never run it.
 * @module
 */
import { parseModelConfig } from "../graph/config.ts";
import { buildModelSpec } from "../models/build.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { buildConvGraph } from "./conv_graph.ts";
import { convLayersBelow } from "./gradient_paths.ts";

/** Family names. */
export type Family = "plain" | "resnet" | "cspnet" | "gelan";

/** All families in the paper's order. */
export const FAMILIES: readonly Family[] = ["plain", "resnet", "cspnet", "gelan"];

/** Display names as in the paper. */
export const FAMILY_NAMES: Record<Family, string> = { plain: "PlainNet", resnet: "ResNet", cspnet: "CSPNet", gelan: "GELAN" };

/** Options of a family network. */
export interface FamilyOptions {
  /** Conv layers to reach at least (blocks are added until the count is >= this). */
  maxDepth: number;
  /** Channels between blocks (even; default 32). */
  width?: number;
  /** Stride of the stem conv (default 2). */
  stemStride?: number;
  /** Bottlenecks per CSP stage (default 3). */
  cspUnits?: number;
}

/** Conv layers of one block of `family` (the stem excluded). */
export function layersPerBlock(family: Family, cspUnits = 3): number {
  switch (family) {
    case "plain":
      return 1;
    case "resnet":
      return 3;
    case "cspnet":
      return 3 + 2 * cspUnits;
    case "gelan":
      return 14;
  }
}

/** The official-format config mapping (`backbone` rows + a 1-class head) of a family network. */
export function familyConfig(family: Family, opts: FamilyOptions): Record<string, unknown> {
  const w = opts.width ?? 32;
  const units = opts.cspUnits ?? 3;
  if (!FAMILIES.includes(family)) throw new RangeError(`Unknown family "${family}": expected one of ${FAMILIES.join(", ")}`);
  if (!(Number.isInteger(w) && w >= 8 && w % 8 === 0)) throw new RangeError(`width must be a multiple of 8, got ${w}`);
  if (!(opts.maxDepth >= 1)) throw new RangeError(`maxDepth must be >= 1 conv layer, got ${opts.maxDepth}`);
  const blocks = Math.max(1, Math.ceil((opts.maxDepth - 1) / layersPerBlock(family, units)));
  const row: unknown[] = {
    plain: [-1, 1, "Conv", [w, 3, 1]],
    resnet: [-1, 1, "Res", [w, true, 0.5]],
    cspnet: [-1, units, "RepNCSP", [w]],
    gelan: [-1, 1, "RepNCSPELAN4", [w, w, w / 2, 1]],
  }[family];
  const backbone = [[-1, 1, "Conv", [w, 3, opts.stemStride ?? 2]], ...Array.from({ length: blocks }, () => row)];
  return { nc: 1, depth_multiple: 1.0, width_multiple: 1.0, backbone, head: [[-1, 1, "DDetect", ["nc"]]] };
}

/** The resolved spec of a family network. */
export function familySpec(family: Family, opts: FamilyOptions): ModelSpec {
  const cfg = parseModelConfig(familyConfig(family, opts), `${FAMILY_NAMES[family]}-${opts.maxDepth}`);
  return buildModelSpec(cfg);
}

/** Where a feature map is taken. */
export interface Tap {
  /** Depth asked for (conv layers). */
  depth: number;
  /** Conv layers the tapped output actually depends on (the block boundary nearest to `depth`). */
  layers: number;
  /** Spec layer whose output is tapped. */
  layer: number;
}

/** For each requested depth, the block boundary whose layer count is nearest (ties to the deeper one). */
export function findTaps(spec: ModelSpec, depths: number[]): Tap[] {
  const g = buildConvGraph(spec, { form: "fused", upTo: spec.layers.length - 1 });
  const counts = g.layers.map((l) => convLayersBelow(g.nodes, l.outputs[0]));
  return depths.map((depth) => {
    let best = 0;
    counts.forEach((c, i) => {
      if (Math.abs(c - depth) <= Math.abs(counts[best] - depth)) best = i;
    });
    return { depth, layers: counts[best], layer: best };
  });
}
