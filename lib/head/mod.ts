/**
 * Detection heads (DDetect, DualDDetect, TripleDDetect; YOLOv7's anchor-based IDetect), anchors and decoding.
 * @module
 */
export * from "./ddetect.ts";
export * from "./anchors.ts";
export { decodeHead, dflExpectation, dist2bbox, flattenLevels } from "./decode.ts";
export type { DecodeHeadOptions, DflOptions, Dist2BboxOptions } from "./decode.ts";
export * from "./idetect.ts";
export { decodeIDetect, type DecodeIDetectOptions } from "./idetect_decode.ts";
