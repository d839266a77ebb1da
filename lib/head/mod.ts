/**
 * Detection heads (DDetect, DualDDetect, TripleDDetect), anchors and decoding.
 * @module
 */
export * from "./ddetect.ts";
export * from "./anchors.ts";
export { decodeHead, dflExpectation, dist2bbox, flattenLevels } from "./decode.ts";
export type { DecodeHeadOptions, DflOptions, Dist2BboxOptions } from "./decode.ts";
