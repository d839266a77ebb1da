/**
 * Shared pieces of the command-line entry points: backend selection and error reporting.
 * @module
 */
import { initBackend } from "../lib/backend/backend.ts";
import { UsageError } from "./args.ts";

/**
 * Run a CLI main function: errors print one clear line (the stack with YOLO_DEBUG=1) and exit 1; a
 * command line that does not parse ({@link UsageError}) prints the usage and exits 2.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const err = e as Error;
    if (e instanceof UsageError) {
      console.error(err.message);
      Deno.exit(2);
    }
    console.error(Deno.env.get("YOLO_DEBUG") ? err.stack : `error: ${err.message}`);
    Deno.exit(1);
  }
}

/** Initialise the backend named by `--backend` (or YOLO_BACKEND, or the best available). */
export async function setupBackend(name?: string): Promise<string> {
  return await initBackend(name);
}
