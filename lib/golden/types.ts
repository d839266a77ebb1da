/**
 * Types shared by the golden-case handlers (`deno task golden`).
 * @module
 */

/** One compared tensor or value of a golden case. */
export interface TensorCheck {
  name: string;
  /** The measured error, e.g. max|a-b| / max|ref|. */
  error: number;
  /** The tolerance the error is compared against. */
  tol: number;
  pass: boolean;
  note?: string;
}

/** The result of one golden case. */
export interface CaseReport {
  case: string;
  stem: string;
  checks: TensorCheck[];
}

/** Build a {@link TensorCheck} from an error and a tolerance. */
export function check(name: string, error: number, tol: number, note?: string): TensorCheck {
  return { name, error, tol, pass: error <= tol, ...(note ? { note } : {}) };
}
