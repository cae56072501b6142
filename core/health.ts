// Failure detection as pure functions of a worker's shared state and times, so that tests can drive them
// with an injected clock instead of sleeps.
import * as L from "../asm/layout.ts";

/** What the supervisor reads about one worker. */
export interface WorkerObservation {
  /** H_STATE. */
  state: number;
  /** The worker may render its next block now (inside its lead and gate). */
  allowed: boolean;
  /** When its published block count last changed (ms). */
  lastProgressAt: number;
  /** When it last became allowed to render (ms). */
  allowedSince: number;
  /** When its current render started (HF_RENDER_START, ms). */
  renderStart: number;
  /**
   * The share of the latest measured millisecond or more of this render the thread spent on a CPU (0 … 1), or
   * undefined when none was measured yet or the platform cannot say (then wall time alone decides).
   */
  cpuShare?: number;
  /**
   * How long the output can still do without this worker's block (ms): for the primary, the blocks between
   * the output and the block it renders; for a standby, Infinity (the output never waits for it).
   */
  slackMs?: number;
  /**
   * No standby could take over from this primary (none, or it failed): a hang verdict saves no block then, it
   * only restarts a rebuild, so it needs evidence that the thread ran (see diagnose).
   */
  alone?: boolean;
  /** The time of this look (epoch ms, the clock of every other time here). */
  now: number;
}

/** Deadlines for one engine configuration. */
export interface HealthLimits {
  /** Time inside one render that counts as a hang (ms). */
  hangMs: number;
  /** Time allowed to render without doing so (not waking up) that counts as a stall (ms). */
  stallMs: number;
  /** Time inside one render that counts as a hang even for a thread that hardly ran (ms). */
  hangCapMs: number;
}

/** A render past the hang deadline that ran less than this share of the time was preempted, not hung. */
export const PREEMPTED_SHARE = 0.25;

/** The deadlines: a hang after `hangBlocks` blocks inside a render (at least 4 ms, below scheduling noise). */
export function healthLimits(blockMs: number, hangBlocks: number): HealthLimits {
  const hangMs = Math.max(hangBlocks * blockMs, 4);
  return { hangMs, stallMs: Math.max(8 * blockMs, 25), hangCapMs: Math.max(10 * hangMs, 40) };
}

/**
 * The deadlines before the output runs: nothing is audible yet, and the first primary's first block carries the
 * whole initial patch and the first touch of its fresh memory (measured 0.8–4.9 ms here for the default patch,
 * against a 5.3 ms hang deadline), so only a real hang or stall (250 ms) counts. A spurious "hang" there would
 * quarantine the whole initial patch: the engine would start silent (seen twice under load).
 */
export function startupLimits(limits: HealthLimits): HealthLimits {
  return {
    hangMs: Math.max(limits.hangMs, 250),
    stallMs: Math.max(limits.stallMs, 250),
    hangCapMs: Math.max(limits.hangCapMs, 250),
  };
}

/**
 * Classifies a live worker: null when healthy, else why it must be replaced. A render takes microseconds, so
 * time inside one render measures a hang without the wake-up jitter of an idle thread, provided the thread
 * ran. A render past the deadline whose thread mostly waited for a CPU was preempted: it is spared up to the
 * longer cap while the output can do without its block: always for a standby, and for the primary while more
 * than half the deadline of blocks stands between the output and it (then a failover is what saves the
 * sound: the standby is gated at the primary's progress, so it covers only once promoted). A primary that no
 * standby can replace (both were lost, and it is rebuilding alone) is spared until the cap unless the thread
 * is seen running: a wrong verdict there costs a whole new rebuild, and a right one saves nothing (seen in CI:
 * a rebuild catching up flat out was preempted 6.8 ms before any CPU window was measured, and restarted). An idle worker
 * that does not wake up is caught by the stall deadline; a worker that says it stopped has exited.
 */
export function diagnose(o: WorkerObservation, limits: HealthLimits): "hang" | "exit" | "stall" | null {
  if (o.state === L.W_STOPPED) return "exit";
  if (o.state === L.W_RENDERING && o.renderStart > 0 && o.now - o.renderStart > limits.hangMs) {
    const ran = o.cpuShare !== undefined && o.cpuShare >= PREEMPTED_SHARE;
    const preempted = o.cpuShare !== undefined && !ran;
    const withinCap = o.now - o.renderStart <= limits.hangCapMs;
    const spare = withinCap &&
      (o.alone ? !ran : preempted && (o.slackMs ?? Infinity) > limits.hangMs / 2);
    if (!spare) return "hang";
  }
  // A worker inside a render is judged by the hang deadline only: it is not idle.
  if (o.state === L.W_RENDERING) return null;
  if (o.allowed && o.now - Math.max(o.lastProgressAt, o.allowedSince) > limits.stallMs) return "stall";
  return null;
}
