/**
 * The errors of the pickle interpreter: {@link PickleError} for malformed, truncated or unsupported pickles and
 * {@link UnsafeGlobalError} for globals the safety policy refuses.
 * @module
 */

/** A pickle that is malformed, truncated or uses something this interpreter does not support. */
export class PickleError extends SyntaxError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "PickleError";
  }
}

/** A pickle that names a global the safety policy refuses; `global` is `module.name`. */
export class UnsafeGlobalError extends PickleError {
  /** The refused global as `module.name`. */
  readonly global: string;
  /** Create the error. */
  constructor(global: string, message: string) {
    super(message);
    this.name = "UnsafeGlobalError";
    this.global = global;
  }
}
