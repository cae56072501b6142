// The supervisor (main thread): runs two DSP workers in lockstep and keeps the output fed through their
// failures. It owns the pair of workers and the output selector (the atomic ring switch), so that the switch
// is in one place; the work is cut along its seams into files that can be read and changed alone:
//   engine/lockstep.ts      commands: stamping, accepting what the primary rendered, forwarding, the gate
//   engine/health_check.ts  is each worker alive, hung, stalled, exited? (the rules: core/health.ts)
//   engine/recovery.ts      failover, quarantine, back-off, checkpoints, rebuilds from snapshots, zombies
//   engine/divergence.ts    do the two workers' blocks hash the same?
//   engine/live.ts          a worker as the supervisor sees it, and how one is started
//   engine/metrics.ts       what it counts and the events it reports
import * as L from "../asm/layout.ts";
import type { Command, StampedCommand } from "../core/command.ts";
import { ringDoorbell } from "../core/command_ring.ts";
import type { DspSettings } from "../core/dsp_host.ts";
import { healthLimits, startupLimits } from "../core/health.ts";
import { threadId, threadRunNs } from "../ffi/thread.ts";
import { PauseMeter } from "./pause_meter.ts";
import { demoteThread } from "../ffi/realtime.ts";
import { controlView } from "../core/shared.ts";
import { checkDivergence } from "./divergence.ts";
import { checkHealth, type HealthEnv } from "./health_check.ts";
import { type CommandReply, done, Launcher, type Live, UNGATED } from "./live.ts";
import { Lockstep } from "./lockstep.ts";
import { type EngineEvent, Metrics, type Report } from "./metrics.ts";
import { type Crew, Recovery } from "./recovery.ts";
import type { WorkerHost } from "./worker_host.ts";

export type { CommandReply } from "./live.ts";
export type { EngineEvent } from "./metrics.ts";

/** Supervisor settings. */
export interface SupervisorOptions extends DspSettings {
  /** The engine's shared memory (core/shared.ts createShared). */
  sab: SharedArrayBuffer;
  /** The compiled DSP every worker instantiates. */
  module: WebAssembly.Module;
  /** Blocks the primary renders ahead of the output. Not read: the workers and checks read CTRL_LEAD. */
  lead: number;
  /** Blocks without progress, while allowed to render, before a worker counts as hung. Default 2. */
  hangBlocks?: number;
  /** Failures within restartWindowMs that trigger a back-off. Default 5 in 10 s. */
  restartLimit?: number;
  /** The window in which failures are counted against restartLimit (ms). Default 10 000. */
  restartWindowMs?: number;
  /** Hung threads tolerated before no more replacements are spawned. Default 4. */
  maxZombies?: number;
  /** How often the primary is checkpointed (ms): both-dead rebuilds replay at most this much. Default 1000. */
  checkpointMs?: number;
  /** Called for every accepted command, in acceptance order (the session log). */
  onAccept?: (c: StampedCommand) => void;
  /** Called for every event reported (failover, rebuilt, quarantine …), after Metrics.events records it. */
  onEvent?: (e: EngineEvent) => void;
  /** Wall clock in epoch milliseconds (injected in tests). */
  now?: () => number;
  /** A worker thread's time on a CPU in ns, by its thread id (ffi/thread.ts; injected in tests). */
  threadRunNs?: (tid: number) => number | undefined;
  /** Puts a real-time thread of this process back to SCHED_OTHER, by its id (ffi/realtime.ts; tests inject). */
  demoteThread?: (tid: number) => void;
  /** Starts and ends DSP workers: a SpawnerHost (engine/spawner_host.ts) in the engine, a fake in tests. */
  workers: WorkerHost;
}

/** Runs two DSP workers in lockstep and keeps the output fed through their failures. */
export class Supervisor {
  /** What it counted: failures, failovers, rebuilds, their timings, and every event. */
  readonly metrics = new Metrics();
  /** The control words of the shared memory (CTRL_*: the selector, the output's block, the lead …). */
  readonly ctrl: Int32Array;
  #block: number;
  #now: () => number;
  #workers: WorkerHost;
  #primary: Live | null = null;
  #standby: Live | null = null;
  #launcher: Launcher;
  #lockstep: Lockstep;
  #recovery: Recovery;
  #health: HealthEnv;
  #report: Report;
  #pauses: PauseMeter;
  /** The last block whose hashes were compared. */
  #hashChecked = -1;
  #stopped = false;

  /** A supervisor with no workers yet (start() starts them); it takes over `opts.workers.onError`. */
  constructor(opts: SupervisorOptions) {
    const now = opts.now ?? (() => performance.timeOrigin + performance.now());
    this.#report = (type, message) => {
      this.metrics.events.push({ type, message, timeMs: now() });
      opts.onEvent?.({ type, message });
    };
    this.ctrl = controlView(opts.sab);
    this.#block = opts.block;
    this.#now = now;
    this.#workers = opts.workers;
    this.#workers.onError = (id, message) => this.workerError(id, message);
    const blockMs = (opts.block / opts.sampleRate) * 1000;
    const limits = healthLimits(blockMs, opts.hangBlocks ?? 2);
    this.#health = {
      ctrl: this.ctrl,
      limits,
      startLimits: startupLimits(limits),
      blockMs,
      threadRunNs: opts.threadRunNs ?? threadRunNs,
    };
    this.#launcher = new Launcher({
      sab: opts.sab,
      module: opts.module,
      settings: { sampleRate: opts.sampleRate, block: opts.block, seed: opts.seed, pool: opts.pool },
      workers: opts.workers,
      metrics: this.metrics,
      now,
    });
    // The supervising thread's own clock: the thread this constructor runs on is the one that ticks.
    const readRun = opts.threadRunNs ?? threadRunNs, tid = threadId();
    this.#pauses = new PauseMeter(() => {
      const ns = readRun(tid);
      return ns === undefined ? undefined : ns / 1e6;
    });
    this.#lockstep = new Lockstep(opts.block, opts.onAccept);
    this.#recovery = new Recovery({
      sab: opts.sab,
      ctrl: this.ctrl,
      block: opts.block,
      restartLimit: opts.restartLimit ?? 5,
      restartWindowMs: opts.restartWindowMs ?? 10_000,
      maxZombies: opts.maxZombies ?? 4,
      checkpointMs: opts.checkpointMs ?? 1000,
      now,
      heldOffSince: (since, at) => this.#pauses.pausedSince(since, at),
      workers: opts.workers,
      metrics: this.metrics,
      report: this.#report,
      crew: this.#crew(),
      launcher: this.#launcher,
      lockstep: this.#lockstep,
      // The id must still name a thread of this process (its CPU clock answers only then): a thread that
      // ended may have given its id to another process's.
      demote: opts.demoteThread ?? ((tid) => {
        if ((opts.threadRunNs ?? threadRunNs)(tid) !== undefined) demoteThread(tid);
      }),
    });
  }

  /** Starts the primary (slot 0) and the standby (slot 1) from the initial state. */
  start(): void {
    // The first primary finds what was sent before start() (the initial patch) in its ring before it runs, so
    // the patch applies at frame 0.
    const p = this.#launcher.open(0, 0, UNGATED);
    this.#primary = p;
    this.#lockstep.flush(p);
    this.#launcher.launch(p);
    const s = this.#launcher.open(1, 0, 0);
    this.#launcher.launch(s);
    this.#standby = s;
    Atomics.store(this.ctrl, L.CTRL_SELECTOR, 0);
    Atomics.store(this.ctrl, L.CTRL_OTHER, 1);
  }

  /** The slot feeding the output. */
  get selected(): number {
    return Atomics.load(this.ctrl, L.CTRL_SELECTOR);
  }

  /** Blocks both live workers have published (-1 when one is missing). */
  get lockstepBlock(): number {
    if (!this.#primary || !this.#standby || this.#standby.rebuilding) return -1;
    return Math.min(done(this.#primary), done(this.#standby));
  }

  /** True once the primary has rendered `lead` blocks and a standby has started: the output may begin. */
  ready(lead: number): boolean {
    const p = this.#primary, s = this.#standby;
    return !!p && !!s && done(p) >= lead && Atomics.load(s.views.hdr, L.H_STATE) !== L.W_STARTING;
  }

  /** True when a healthy standby is in lockstep behind the primary. */
  get redundant(): boolean {
    return this.lockstepBlock >= 0;
  }

  /** Commands sent but not yet accepted or rejected. */
  get inFlight(): number {
    return this.#lockstep.inFlight(this.#primary);
  }

  /** Sends a command to apply at `frame` (omitted or past = as soon as possible); returns its sequence number. */
  send(cmd: Command, frame = 0, reply?: CommandReply): number {
    return this.sendBatch([cmd], frame, reply);
  }

  /**
   * Sends commands that must apply at one frame (a patch transaction): one sequence run, one publish.
   * Returns the first sequence number. Throws RangeError when the batch cannot fit one command ring.
   */
  sendBatch(cmds: readonly Command[], frame = 0, reply?: CommandReply): number {
    // Never before the block the output plays next: a primary catching up from a checkpoint would otherwise apply an
    // "as soon as possible" command in blocks that have already been heard without it.
    const stamp = Math.max(frame, Atomics.load(this.ctrl, L.CTRL_OUT_BLOCK) * this.#block);
    const first = this.#lockstep.stamp(cmds, stamp, reply);
    if (cmds.length > 0) this.#lockstep.flush(this.#primary);
    return first;
  }

  /** One supervision step: read progress, detect failures, forward commands, rebuild. Cheap; call often. */
  tick(): void {
    if (this.#stopped) return;
    const now = this.#now();
    this.#pauses.tick(now);
    const p = this.#primary;
    if (p && !p.failed) this.#check(p, true, now);
    const s = this.#standby; // after the primary's check: a failover there promotes the standby
    if (s && !s.failed) this.#check(s, false, now);
    const recovery = this.#recovery;
    if (this.#primary) this.#lockstep.pump(this.#primary, this.#standby, recovery.snapshotPending);
    this.#lockstep.flush(this.#primary);
    recovery.checkSnapshot(now);
    recovery.checkRebuilt(now);
    this.#checkDivergence();
    recovery.checkRetired(now);
    // Never delayed by a back-off: the output is silent until a primary is back (docs/design.md §6).
    if (!this.#primary && recovery.mayStart) recovery.rebuildFromScratch(now);
  }

  /** Reports a worker's `error` event (2–5 ms after a trap, by docs/design.md §4b). */
  workerError(worker: number, message: string): void {
    for (const live of [this.#primary, this.#standby]) {
      if (live && live.worker === worker && !live.failed) {
        this.#recovery.fail(live, "error-event", message);
        return;
      }
    }
  }

  /** Ends every worker. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#primary = this.#standby = null;
    this.#recovery.clear();
    await this.#workers.shutdown();
  }

  /** Accepted commands so far, with their effective frames. */
  get history(): readonly StampedCommand[] {
    return this.#lockstep.history;
  }

  #check(live: Live, primary: boolean, now: number): void {
    const s = this.#standby;
    const failure = checkHealth(this.#health, live, primary, now, primary && (!s || s.failed));
    if (failure) this.#recovery.fail(live, failure.kind, failure.detail);
  }

  #checkDivergence(): void {
    const p = this.#primary, s = this.#standby;
    if (!p || !s || s.rebuilding) return;
    const upTo = Math.min(done(p), done(s));
    this.#hashChecked = checkDivergence(
      p.views,
      s.views,
      upTo,
      this.#hashChecked,
      this.metrics,
      this.#report,
    );
  }

  // The pair and the output selector change only here: recovery moves them through this Crew.
  #crew(): Crew {
    return {
      primary: () => this.#primary,
      standby: () => this.#standby,
      promote: (s) => {
        const t0 = performance.now();
        Atomics.store(s.views.hdr, L.H_GATE, UNGATED);
        Atomics.store(this.ctrl, L.CTRL_SELECTOR, s.slot);
        Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
        const switchUs = (performance.now() - t0) * 1000;
        ringDoorbell(s.views.hdr);
        this.#primary = s;
        this.#standby = null;
        return switchUs;
      },
      losePrimary: () => {
        this.#primary = null;
        Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
      },
      loseStandby: () => {
        this.#standby = null;
        Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
      },
      addStandby: (s) => {
        this.#standby = s;
        Atomics.store(this.ctrl, L.CTRL_OTHER, s.slot);
      },
      replacePrimary: (p) => {
        this.#primary = p;
        Atomics.store(this.ctrl, L.CTRL_SELECTOR, p.slot);
        Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
      },
    };
  }
}
