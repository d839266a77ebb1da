/**
 * The error of the checkpoint reader, {@link TorchCheckpointError}, and {@link readFailure}, which makes the
 * `Cannot read checkpoint <file>: ...` reporter every reading step uses.
 * @module
 */

/** A checkpoint whose container or content is not acceptable; the message names the file and what is wrong. */
export class TorchCheckpointError extends SyntaxError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "TorchCheckpointError";
  }
}

/** A function that throws a {@link TorchCheckpointError} `Cannot read checkpoint <source>: <what>`. */
export function readFailure(source: string): (what: string) => never {
  return (what) => {
    throw new TorchCheckpointError(`Cannot read checkpoint ${source}: ${what}`);
  };
}
