// Errors that cross an edge: ClientError for bad input (an OSC `/error` reply, a plain-words CLI error), and
// the text of every ERR_* code a DSP worker stores in its slot header (asm/layout.ts).
import * as L from "../asm/layout.ts";

/** Client errors: bad input that gets an error reply and changes nothing. */
export class ClientError extends Error {
  /** "ClientError", so that a stack trace or a log line tells bad input from a failure of Chronus. */
  override name = "ClientError";
}

/** What the engine calls a failure, by kind (the metrics count these). */
export type FailureKind =
  | "trap"
  | "throw"
  | "nonfinite"
  | "queue-full"
  | "hang"
  | "exit"
  | "stall"
  | "covered"
  | "error-event";

/** Every ERR_* code a worker can store in H_ERROR: the failure kind it is counted as, and its text. */
export const WORKER_ERRORS: Record<number, { kind: FailureKind; text: string }> = {
  [L.ERR_TRAP]: { kind: "trap", text: "the WASM trapped" },
  [L.ERR_THROW]: { kind: "throw", text: "the worker threw" },
  [L.ERR_NONFINITE]: { kind: "nonfinite", text: "the block held a NaN or an infinity" },
  [L.ERR_QUEUE_FULL]: { kind: "queue-full", text: "the DSP event queue was full" },
};
