/**
 * Where the reference cases live for tests: `YOLO_GOLDEN_DIR` (e.g. a second, hidden set), else the copy
 * in the repository, `tests/golden/` (made by the official PyTorch code; its README says how), so the
 * suite runs on a plain clone with nothing beside it.
 * @module
 */

/** The golden folder used by the tests. */
export const GOLDEN_DIR: string = Deno.env.get("YOLO_GOLDEN_DIR") ?? new URL("../../tests/golden", import.meta.url).pathname;

/** The official state_dict keys and shapes of every model (`keys-<model>.tsv`), copied into the repository. */
export const STATE_DICT_KEYS_DIR: string = new URL("../../tests/fixtures/state-dict-keys/", import.meta.url).pathname;
