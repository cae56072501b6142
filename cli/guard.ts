// The control plane's last line of defence: an exception nobody caught (a timer, a socket callback, a
// rejected promise) would end the process and with it the sound, which lives in this process's workers.
// Reported as an event line and to /notify subscribers instead; the DSP workers never see it.
import type { EngineEvent } from "../engine/supervisor.ts";
import { fail } from "./permission_error.ts";

/** `f()`, or the end of the run (exit code 2) with its error's message after `prefix`. */
export function orFail<T>(f: () => T, prefix = ""): T {
  try {
    return f();
  } catch (e) {
    fail(prefix + (e as Error).message);
  }
}

/** Where a caught exception goes: the engine's event report (console and OSC /event). */
export type InternalReport = (e: EngineEvent) => void;

/** Words for anything thrown: an Error's message, else its string form. */
function words(x: unknown): string {
  return x instanceof Error
    ? `${x.message}${x.stack ? ` (${x.stack.split("\n")[1]?.trim()})` : ""}`
    : String(x);
}

/** Installs the process-wide handlers; returns a function that removes them. */
export function guardProcess(report: InternalReport): () => void {
  const onError = (e: ErrorEvent) => {
    e.preventDefault(); // keeps the process, and so the audio, alive
    report({ type: "internal", message: `uncaught ${words(e.error ?? e.message)}` });
  };
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    report({ type: "internal", message: `unhandled rejection ${words(e.reason)}` });
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => {
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}

/**
 * The fault-injection hook behind --debug-throw-in-timer (only with --allow-fault-injection): after `ms`, an
 * exception in a timer, a rejected promise, and (through `inTick`) one in the engine's supervision loop.
 */
export function throwInTimers(ms: number, inTick: () => void): void {
  setTimeout(() => {
    inTick();
    Promise.reject(new Error("injected rejection (--debug-throw-in-timer)"));
    throw new Error("injected exception in a timer (--debug-throw-in-timer)");
  }, ms);
}
