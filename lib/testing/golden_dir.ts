/**
 * Where the reference cases live for tests: `YOLO_GOLDEN_DIR`, else `../shared/golden` beside the
 * repository (as on the developers' machines and in CI).
 * @module
 */

/** The golden folder used by the tests. */
export const GOLDEN_DIR: string = Deno.env.get("YOLO_GOLDEN_DIR") ?? new URL("../../../shared/golden", import.meta.url).pathname;
