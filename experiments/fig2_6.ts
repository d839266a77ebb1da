/**
 * Paper Fig. 2 / Fig. 6 — feature maps of randomly initialised PlainNet, ResNet, CSPNet and GELAN by
 * depth, from the information-bottleneck work (`deno task ib`, cli/ib.ts), run with the preset's
 * settings into this figure's folder. Its measures make the figure's claim testable: by the depth at
 * which the information kept falls below a threshold (lib/ib/depth_study.ts), the families should order
 * GELAN >= CSPNet > ResNet > PlainNet (paper Sec. 5.5); each pair is judged by a paired 95 % interval
 * over seeds and images, and where every family is at the floor no order is drawn.
 * @module
 */
import type { Figure } from "../lib/ablate/spec.ts";
import { fig2_6Job } from "../lib/ablate/fig2_6_job.ts";

/** Fig. 2 / 6 as an experiment. */
export const FIG2_6: Figure = {
  name: "fig2_6",
  title: "Fig. 2 / Fig. 6 — information by depth at random initialisation",
  caption: "PlainNet, ResNet, CSPNet, GELAN at several depths: channel-summed maps and information measures.",
  notes: [
    "Run by the information-bottleneck study (`deno task ib`); the maps are channel sums of the tapped layer (official issue #223).",
    "The paper's figure is qualitative; its text orders the architectures by what they keep in deep layers (GELAN best, PlainNet worst). The check uses each family's information depth (where the measure falls below 0.5 and 0.1, with a 95 % interval over seeds and images) for R², PSNR gain and MI, and says where every family is at the floor instead of ordering noise.",
    "CSPNet (official RepNCSP, the CSP block of GELAN) splits with two 1x1 convs, so no identity path crosses a CSP stage: what it keeps falls with the number of stages crossed, i.e. with the shortest gradient path, as for GELAN (depth_r2_by_shortest.png); a CSP stage comes every 9 conv layers, a GELAN one every 14, and ResNet's identity path keeps its shortest path at 1. See lib/ib/families.ts.",
  ],
  run: fig2_6Job,
};
