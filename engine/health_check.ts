// The health check: what the supervisor reads about one worker at each tick, and its verdict. The rules are
// core/health.ts (pure, clock-injected); this file keeps each worker's clocks and measures, for a render past
// the hang deadline, how much of it the thread spent on a CPU (a thread that waited for one was preempted by
// the machine, not hung by its render).
import * as L from "../asm/layout.ts";
import { type FailureKind, WORKER_ERRORS } from "../core/errors.ts";
import { diagnose, type HealthLimits } from "../core/health.ts";
import type { SlotViews } from "../core/shared.ts";

/** Spawning and instantiating take tens of milliseconds; only a worker that never starts is a failure. */
const STARTUP_MS = 5000;

/** One worker's health clocks (ms, the supervisor's clock). */
export interface HealthClocks {
  /** Blocks it had published (H_DONE) at the last look. */
  lastDone: number;
  /** When that count last changed. */
  lastProgressAt: number;
  /** When it last became allowed to render (inside its lead and gate). */
  allowedSince: number;
  /** The supervisor has seen it out of STARTING (its clocks are meaningful from then on). */
  seenRunning: boolean;
  /** The CPU-share measurement of its current long render (see cpuShare). */
  cpu?: CpuWindow;
}

/** The window of a long render whose CPU time is being measured, and the share the last window found. */
export interface CpuWindow {
  /** The render it measures (its HF_RENDER_START): a new render starts a new measurement. */
  renderStart: number;
  /** When the current window started (ms). */
  windowStart: number;
  /** The thread's CPU time at windowStart (ns). */
  runNs: number;
  /** The share of the last window of 1 ms or more the thread spent on a CPU, 0 … 1; undefined before one. */
  share: number | undefined;
}

/** Clocks for a worker spawned at `now` that starts at `startBlock`. */
export function healthClocks(startBlock: number, now: number): HealthClocks {
  return { lastDone: startBlock, lastProgressAt: now, allowedSince: now, seenRunning: false };
}

/** What the check needs from the engine: the control words, the deadlines and the thread clock. */
export interface HealthEnv {
  /** The control words: the check reads CTRL_OUT_BLOCK, CTRL_LEAD and CTRL_OUT_STATE. */
  ctrl: Int32Array;
  /** The deadlines while the output runs (core/health.ts healthLimits). */
  limits: HealthLimits;
  /** The deadlines before it runs (core/health.ts startupLimits). */
  startLimits: HealthLimits;
  /** The duration of one block in ms (block / sample rate). */
  blockMs: number;
  /** A thread's time on a CPU in ns, by its Linux thread id (ffi/thread.ts). */
  threadRunNs: (tid: number) => number | undefined;
}

/** The worker being checked. */
export interface Watched {
  /** Its slot's views: the header words it publishes its state, progress and errors in. */
  views: SlotViews;
  /** When it was started (ms): a worker still STARTING 5 s later has failed. */
  spawnedAt: number;
  /** Its clocks, which the check updates. */
  health: HealthClocks;
}

/** Why a worker must be replaced. */
export interface Failure {
  /** What kind of failure it was (counted by kind in Metrics.failures). */
  kind: FailureKind;
  /** The circumstances in plain words (the block, how long), for the event message. */
  detail: string;
}

/** Judges a live worker at `now` (`alone`: a primary no standby can replace): null while healthy. Updates its clocks. */
export function checkHealth(
  env: HealthEnv,
  w: Watched,
  primary: boolean,
  now: number,
  alone = false,
): Failure | null {
  const hdr = w.views.hdr, clocks = w.health;
  if (Atomics.load(hdr, L.H_STATE) === L.W_FAULT) {
    const code = Atomics.load(hdr, L.H_ERROR);
    return {
      kind: WORKER_ERRORS[code]?.kind ?? "throw",
      detail: `${WORKER_ERRORS[code]?.text ?? `error code ${code}`} at block ${
        Atomics.load(hdr, L.H_ERROR_BLOCK)
      }`,
    };
  }
  // The output covered a block this primary was late with (core/merge.ts coverLate): it can publish nothing
  // more, and the standby is rendering on. Checked before exit and hang: a covered worker that wakes up stops.
  const commit = Atomics.load(hdr, L.H_COMMIT);
  if (commit < 0) {
    // What it was doing says why it was late: still inside a render (hung, or starved of a CPU) or not.
    const inside = Atomics.load(hdr, L.H_STATE) === L.W_RENDERING && w.views.hdrF64[L.HF_RENDER_START] > 0
      ? `; inside its render for ${(now - w.views.hdrF64[L.HF_RENDER_START]).toFixed(1)} ms`
      : "";
    return { kind: "covered", detail: `late with block ${~commit}, which the standby covered${inside}` };
  }
  const state = Atomics.load(hdr, L.H_STATE);
  if (state === L.W_STARTING) {
    clocks.lastProgressAt = clocks.allowedSince = now;
    return now - w.spawnedAt > STARTUP_MS
      ? { kind: "stall", detail: `did not start within ${STARTUP_MS} ms` }
      : null;
  }
  if (!clocks.seenRunning) {
    // The first look at a started worker: when it left STARTING is unknown (the main thread may not have
    // ticked for a while: two cold workers block it ~50 ms at engine start), so its clocks start now.
    clocks.seenRunning = true;
    clocks.lastProgressAt = clocks.allowedSince = now;
    clocks.lastDone = Atomics.load(hdr, L.H_DONE);
    return null;
  }
  const done = Atomics.load(hdr, L.H_DONE);
  if (done !== clocks.lastDone) {
    clocks.lastDone = done;
    clocks.lastProgressAt = now;
  }
  const out = Atomics.load(env.ctrl, L.CTRL_OUT_BLOCK);
  const lead = Atomics.load(env.ctrl, L.CTRL_LEAD);
  const gate = primary ? 0x7fffffff : Atomics.load(hdr, L.H_GATE);
  const allowed = done < Math.min(out + lead, gate);
  if (!allowed) clocks.allowedSince = now;
  const renderStart = w.views.hdrF64[L.HF_RENDER_START];
  const limits = Atomics.load(env.ctrl, L.CTRL_OUT_STATE) === L.OUT_RUNNING ? env.limits : env.startLimits;
  const verdict = diagnose(
    {
      state,
      allowed,
      lastProgressAt: clocks.lastProgressAt,
      allowedSince: clocks.allowedSince,
      renderStart,
      cpuShare: cpuShare(env, w, state, renderStart, now),
      slackMs: primary ? (done - out) * env.blockMs : Infinity,
      alone: primary && alone,
      now,
    },
    limits,
  );
  if (verdict === "hang") {
    return {
      kind: "hang",
      detail: `inside render of block ${done} for ${(now - renderStart).toFixed(1)} ms`,
    };
  }
  if (verdict === "exit") return { kind: "exit", detail: `stopped at block ${done}` };
  if (verdict === "stall") {
    const idleMs = now - Math.max(clocks.lastProgressAt, clocks.allowedSince);
    return { kind: "stall", detail: `no block for ${idleMs.toFixed(1)} ms` };
  }
  return null;
}

/**
 * The share of the current render's latest window (≥ 1 ms) its thread spent on a CPU, or undefined while no
 * such window has been measured (or the platform cannot say): then wall time alone decides, so a preempted
 * thread is only spared on evidence. Sampling starts at the first look that finds the worker rendering (a
 * render takes microseconds, so few looks do; each costs one clock read).
 */
export function cpuShare(
  env: HealthEnv,
  w: Watched,
  state: number,
  renderStart: number,
  now: number,
): number | undefined {
  if (state !== L.W_RENDERING || !(renderStart > 0)) return undefined;
  const tid = Atomics.load(w.views.hdr, L.H_TID);
  const runNs = tid > 0 ? env.threadRunNs(tid) : undefined;
  if (runNs === undefined) return undefined;
  const cpu = w.health.cpu;
  if (cpu?.renderStart !== renderStart) {
    w.health.cpu = { renderStart, windowStart: now, runNs, share: undefined };
    return undefined;
  }
  if (now - cpu.windowStart >= 1) {
    cpu.share = (runNs - cpu.runNs) / 1e6 / (now - cpu.windowStart);
    cpu.windowStart = now;
    cpu.runNs = runNs;
  }
  return cpu.share;
}
