// Which real-time scheduling the engine's audio threads ask for, and how what they got is said: pure functions
// of the request (--realtime), the process's limits (ffi/realtime.ts) and the machine, so tests can drive them
// without privileges. docs/realtime.md gives the reasons for the priorities and the safety net.
import * as L from "../asm/layout.ts";
import {
  EINVAL,
  EPERM,
  NO_LIBC,
  raiseThisThread,
  type RealtimeLimits,
  SCHED_FIFO,
  SCHED_RR,
} from "../ffi/realtime.ts";

/** --realtime: try (auto, the default), never (off), or a policy at the output's priority (the DSP one below). */
export type RealtimeRequest =
  | { mode: "auto" }
  | { mode: "off" }
  | { mode: "fifo" | "rr"; priority: number };

/**
 * The output thread's priority by default: one below the real-time priority JACK gives its clients' threads
 * at its own default (jackd -P 10 runs its clients at 5), so no JACK setting of -P 10 or more is starved by
 * Chronus; every real-time priority, however low, already runs before all normal threads (the CPU hog).
 */
export const DEFAULT_OUTPUT_PRIORITY = 4;

/** What the engine will ask for: the Linux policy (0: none) and each thread's priority. */
export interface RealtimePlan {
  /** 0 (no real-time threads), SCHED_FIFO or SCHED_RR. */
  policy: number;
  /** The output worker's priority (1 … 99; 0 with no policy). */
  output: number;
  /** Each DSP worker's priority: one below the output's (at least 1). */
  dsp: number;
  /** Lock the engine's shared memory (ffi/realtime.ts lockRange): where the limit allows it whole. */
  lockMemory: boolean;
  /** Why no real-time thread is asked for (off, --fast, one CPU, no permission), when none is. */
  declined?: string;
}

/** Parses --realtime: auto, off, fifo:PRIO or rr:PRIO (PRIO 1 … 99); throws an Error saying what it expected. */
export function parseRealtime(text: string): RealtimeRequest {
  if (text === "auto" || text === "off") return { mode: text };
  const m = /^(fifo|rr):(\d+)$/.exec(text);
  const priority = m ? Number(m[2]) : NaN;
  if (!m || !(priority >= 1 && priority <= 99)) {
    throw new Error(`--realtime ${text}: expected auto, off, fifo:PRIO or rr:PRIO with PRIO 1…99`);
  }
  return { mode: m[1] as "fifo" | "rr", priority };
}

/** What the plan depends on besides the request. */
export interface RealtimeEnv {
  /** The process's limits and capabilities; undefined when libc cannot be reached (no FFI). */
  limits: RealtimeLimits | undefined;
  /** CPUs the process may run on (navigator.hardwareConcurrency). */
  cpus: number;
  /** The output keeps real time (false with --fast: a render as fast as the CPU goes has no deadline). */
  paced: boolean;
}

/**
 * The plan for a request. Auto asks for SCHED_FIFO at DEFAULT_OUTPUT_PRIORITY (lowered to RLIMIT_RTPRIO when
 * that is all the process may take) and declines where a real-time thread would do harm or cannot be had: no
 * deadline (--fast), one CPU (a render spinning in a real-time thread would hold the only CPU from the
 * supervisor that detects it), no permission. An explicit policy is asked for as given; the kernel's refusal
 * is reported.
 */
export function planRealtime(request: RealtimeRequest, env: RealtimeEnv): RealtimePlan {
  const none = (declined: string): RealtimePlan => ({
    policy: 0,
    output: 0,
    dsp: 0,
    lockMemory: false,
    declined,
  });
  if (request.mode === "off") return none("off (--realtime off)");
  if (!env.paced) return none("off (--fast has no deadline)");
  const limits = env.limits;
  if (!limits) return none(`denied: ${refusal(-NO_LIBC, undefined, 1)}`);
  let output: number, policy: number;
  if (request.mode === "auto") {
    if (env.cpus < 2) return none("off (one CPU: a hung render in a real-time thread would starve it)");
    const cap = limits.sysNice ? 99 : limits.rtprio;
    if (cap < 1) return none(`denied: ${refusal(-EPERM, limits, DEFAULT_OUTPUT_PRIORITY)}`);
    output = Math.min(DEFAULT_OUTPUT_PRIORITY, cap);
    policy = SCHED_FIFO;
  } else {
    output = request.priority;
    policy = request.mode === "fifo" ? SCHED_FIFO : SCHED_RR;
  }
  return {
    policy,
    output,
    dsp: Math.max(1, output - 1),
    lockMemory: limits.ipcLock || limits.memlockBytes >= L.SHARED_BYTES,
  };
}

/** Why the kernel refused (a raise's result: minus the errno), in the words of the set-up that fixes it. */
export function refusal(result: number, limits: RealtimeLimits | undefined, priority: number): string {
  if (result === -NO_LIBC) return "libc cannot be reached (FFI not permitted)";
  if (result === -EPERM) {
    if (!limits) return "not permitted (EPERM)";
    const nice = limits.sysNice ? "" : ", no CAP_SYS_NICE";
    return limits.sysNice || limits.rtprio >= priority
      ? `not permitted (EPERM, RLIMIT_RTPRIO ${limits.rtprio}${nice}: a container or cgroup without real-time time?)`
      : `not permitted (EPERM: RLIMIT_RTPRIO ${limits.rtprio} < ${priority}${nice})`;
  }
  if (result === -EINVAL) return `priority ${priority} refused (EINVAL)`;
  return `refused (errno ${-result})`;
}

/** What one worker reported (its priority, minus the errno of a refusal, or 0: not asked or not yet). */
export interface RealtimeGot {
  /** The output worker's CTRL_RT_OUT_GOT. */
  output: number;
  /** The live DSP workers' H_RT (primary and standby). */
  dsp: number[];
}

/** A status line's words for the plan and what each thread got: "fifo 4 (output), fifo 3 (dsp ×2)" or why not. */
export function describeRealtime(
  plan: RealtimePlan,
  got: RealtimeGot,
  limits: RealtimeLimits | undefined,
  memory?: string,
): string {
  if (plan.policy === 0) return plan.declined ?? "off";
  const name = plan.policy === SCHED_RR ? "rr" : "fifo";
  const parts: string[] = [];
  const denied: string[] = [];
  const one = (r: number, who: string, asked: number) => {
    if (r > 0) parts.push(`${name} ${r} (${who})`);
    else if (r < 0) denied.push(`${who}: ${refusal(r, limits, asked)}`);
  };
  one(got.output, "output", plan.output);
  const byResult = new Map<number, number>();
  for (const r of got.dsp) byResult.set(r, (byResult.get(r) ?? 0) + 1);
  for (const [r, count] of byResult) one(r, `dsp ×${count}`, plan.dsp);
  if (parts.length === 0 && denied.length === 0) return "pending";
  // Refused everywhere: the output's reason (the highest priority asked for) says it for all.
  const text = parts.length === 0
    ? `denied: ${
      got.output < 0 ? refusal(got.output, limits, plan.output) : denied[0].replace(/^[^:]+: /, "")
    }`
    : [...parts, ...denied.map((d) => `denied ${d}`)].join(", ");
  return memory ? `${text}, ${memory}` : text;
}

/** The words for lockRange()'s result on the shared memory (0 or an errno), or for a plan that did not lock. */
export function describeMemoryLock(plan: RealtimePlan, result: number | undefined): string | undefined {
  if (plan.policy === 0) return undefined;
  const mib = Math.ceil(L.SHARED_BYTES / 2 ** 20);
  if (!plan.lockMemory) return `shared memory not locked (RLIMIT_MEMLOCK under ${mib} MiB)`;
  return result === 0 ? "shared memory locked" : `shared memory not locked (errno ${result})`;
}

/** Raises the calling worker's thread as the control words ask (`role`: which priority word); its result. */
export function raiseFromControl(ctrl: Int32Array, role: "output" | "dsp"): number {
  const policy = Atomics.load(ctrl, L.CTRL_RT_POLICY);
  if (policy === 0) return 0;
  return raiseThisThread(
    policy,
    Atomics.load(ctrl, role === "output" ? L.CTRL_RT_OUT_PRIO : L.CTRL_RT_DSP_PRIO),
  );
}
