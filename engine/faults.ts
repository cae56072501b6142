// Fault injection specs (`--inject KIND@WORKER:BLOCK`, `--inject poison:BLOCK`) and the shared table that the
// DSP workers consult before each block. Off unless the engine runs with --allow-fault-injection.
import * as L from "../asm/layout.ts";

/** A worker fault to inject at a block, or a poison command to send for a block. */
export type Injection =
  | { kind: WorkerFault; role: "primary" | "standby"; block: number }
  | { kind: "poison"; block: number };

/** Worker fault kinds, as typed on the command line. */
export type WorkerFault = "trap" | "throw" | "hang" | "hang-forever" | "exit" | "nan" | "slow";

const KIND_CODE: Record<WorkerFault, number> = {
  trap: L.FAULT_TRAP,
  throw: L.FAULT_THROW,
  hang: L.FAULT_HANG,
  "hang-forever": L.FAULT_HANG_FOREVER,
  exit: L.FAULT_EXIT,
  nan: L.FAULT_NAN,
  slow: L.FAULT_SLOW,
};

/** Parses one `--inject` value; throws a RangeError naming what is accepted. */
export function parseInjection(spec: string): Injection {
  const poison = /^poison:(\d+)$/.exec(spec);
  if (poison) return { kind: "poison", block: Number(poison[1]) };
  const m = /^([a-z-]+)@(primary|standby):(\d+)$/.exec(spec);
  if (!m || !(m[1] in KIND_CODE)) {
    throw new RangeError(
      `Cannot parse --inject "${spec}": expected KIND@primary|standby:BLOCK with KIND one of ` +
        `${Object.keys(KIND_CODE).join(", ")}, or poison:BLOCK`,
    );
  }
  return { kind: m[1] as WorkerFault, role: m[2] as "primary" | "standby", block: Number(m[3]) };
}

/** Writes the worker faults into the control table (poison commands are sent by the engine instead). */
export function armInjections(ctrl: Int32Array, injections: readonly Injection[]): void {
  let row = 0;
  for (const inj of injections) {
    if (inj.kind === "poison") continue;
    if (row >= L.INJECT_MAX) throw new RangeError(`Cannot inject more than ${L.INJECT_MAX} worker faults`);
    const w = L.INJECT_BASE + row * L.INJECT_WORDS;
    ctrl[w] = inj.block;
    ctrl[w + 1] = inj.role === "primary" ? L.ROLE_PRIMARY : L.ROLE_STANDBY;
    ctrl[w + 3] = 0;
    Atomics.store(ctrl, w + 2, KIND_CODE[inj.kind]);
    row++;
  }
}

/** Worker faults that have fired so far. */
export function firedInjections(ctrl: Int32Array): number {
  let n = 0;
  for (let row = 0; row < L.INJECT_MAX; row++) {
    const w = L.INJECT_BASE + row * L.INJECT_WORDS;
    if (Atomics.load(ctrl, w + 2) === L.FAULT_NONE) break;
    if (Atomics.load(ctrl, w + 3) !== 0) n++;
  }
  return n;
}
