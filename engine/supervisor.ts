// The supervisor (main thread): owns the output selector (the atomic ring switch), watches the workers, fails
// over, rebuilds standbys from snapshots, and keeps the failure metrics. Commands flow through engine/lockstep.ts.
import * as L from "../asm/layout.ts";
import type { Command, StampedCommand } from "../core/command.ts";
import { ringDoorbell } from "../core/command_ring.ts";
import type { DspSettings } from "../core/dsp_host.ts";
import type { FailureKind } from "../core/errors.ts";
import type { WorkerHost } from "./worker_host.ts";
import { healthLimits, startupLimits } from "../core/health.ts";
import { threadRunNs } from "../ffi/thread.ts";
import { checkDivergence } from "./divergence.ts";
import { checkHealth, type HealthEnv } from "./health_check.ts";
import { type CommandReply, done, type Entry, Launcher, type Live, UNGATED } from "./live.ts";
import { Lockstep } from "./lockstep.ts";
import { type EngineEvent, Metrics } from "./metrics.ts";
import { controlView, slotViews, snapshotView } from "../core/shared.ts";

export type { CommandReply } from "./live.ts";
export type { EngineEvent } from "./metrics.ts";

/** Supervisor settings. */
export interface SupervisorOptions extends DspSettings {
  sab: SharedArrayBuffer;
  module: WebAssembly.Module;
  lead: number;
  /** Blocks without progress, while allowed to render, before a worker counts as hung. Default 2. */
  hangBlocks?: number;
  /** Failures within restartWindowMs that trigger a back-off. Default 5 in 10 s. */
  restartLimit?: number;
  restartWindowMs?: number;
  /** Hung threads tolerated before no more replacements are spawned. Default 4. */
  maxZombies?: number;
  /** Called for every accepted command, in acceptance order (the session log). */
  onAccept?: (c: StampedCommand) => void;
  onEvent?: (e: EngineEvent) => void;
  /** Wall clock in epoch milliseconds (injected in tests). */
  now?: () => number;
  /** A worker thread's time on a CPU in ns, by its thread id (ffi/thread.ts; injected in tests). */
  threadRunNs?: (tid: number) => number | undefined;
  /** Starts and ends DSP workers: a SpawnerHost (engine/spawner_host.ts) in the engine, a fake in tests. */
  workers: WorkerHost;
}

interface Retired {
  slot: number;
  worker: number;
  at: number;
  wasRendering: boolean;
  zombie: boolean;
}

/** Runs two DSP workers in lockstep and keeps the output fed through their failures. */
export class Supervisor {
  readonly metrics = new Metrics();
  readonly ctrl: Int32Array;
  #o:
    & Required<Omit<SupervisorOptions, "onAccept" | "onEvent">>
    & Pick<SupervisorOptions, "onAccept" | "onEvent">;
  #primary: Live | null = null;
  #standby: Live | null = null;
  #retired: Retired[] = [];
  #launcher: Launcher;
  #lockstep: Lockstep;
  #snapshotFor: "standby" | null = null;
  #failTimes: number[] = [];
  #notBefore = 0;
  #backedOffAt = 0;
  #hashChecked = -1;
  #stopped = false;
  #health: HealthEnv;

  constructor(opts: SupervisorOptions) {
    this.#o = {
      ...opts,
      hangBlocks: opts.hangBlocks ?? 2,
      restartLimit: opts.restartLimit ?? 5,
      restartWindowMs: opts.restartWindowMs ?? 10_000,
      maxZombies: opts.maxZombies ?? 4,
      now: opts.now ?? (() => performance.timeOrigin + performance.now()),
      threadRunNs: opts.threadRunNs ?? threadRunNs,
    };
    this.#o.workers.onError = (id, message) => this.workerError(id, message);
    this.ctrl = controlView(opts.sab);
    const blockMs = (opts.block / opts.sampleRate) * 1000;
    const limits = healthLimits(blockMs, this.#o.hangBlocks);
    this.#health = {
      ctrl: this.ctrl,
      limits,
      startLimits: startupLimits(limits),
      blockMs,
      threadRunNs: this.#o.threadRunNs,
    };
    this.#launcher = new Launcher({
      sab: opts.sab,
      module: opts.module,
      settings: { sampleRate: opts.sampleRate, block: opts.block, seed: opts.seed },
      workers: opts.workers,
      metrics: this.metrics,
      now: this.#o.now,
    });
    this.#lockstep = new Lockstep(opts.block, opts.onAccept);
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
    // Never before the block the output plays next: a primary catching up from scratch would otherwise apply an
    // "as soon as possible" command in blocks that have already been heard without it.
    const stamp = Math.max(frame, Atomics.load(this.ctrl, L.CTRL_OUT_BLOCK) * this.#o.block);
    const first = this.#lockstep.stamp(cmds, stamp, reply);
    if (cmds.length > 0) this.#lockstep.flush(this.#primary);
    return first;
  }

  /** One supervision step: read progress, detect failures, forward commands, rebuild. Cheap; call often. */
  tick(): void {
    if (this.#stopped) return;
    const now = this.#o.now();
    const p = this.#primary;
    if (p && !p.failed) this.#check(p, true, now);
    const s = this.#standby; // after the primary's check: a failover there promotes the standby
    if (s && !s.failed) this.#check(s, false, now);
    if (this.#primary) this.#lockstep.pump(this.#primary, this.#standby, this.#snapshotFor !== null);
    this.#lockstep.flush(this.#primary);
    this.#checkSnapshot(now);
    this.#checkRebuilt(now);
    this.#checkDivergence();
    this.#checkRetired(now);
    if (!this.#primary && now >= this.#notBefore) this.#rebuildFromScratch(now);
  }

  /** Reports a worker's `error` event (2–5 ms after a trap, by DESIGN.md §4b). */
  workerError(worker: number, message: string): void {
    for (const live of [this.#primary, this.#standby]) {
      if (live && live.worker === worker && !live.failed) {
        this.#fail(live, "error-event", message);
        return;
      }
    }
  }

  /** Ends every worker. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#primary = this.#standby = null;
    this.#retired = [];
    await this.#o.workers.shutdown();
  }

  /** Accepted commands so far, with their effective frames. */
  get history(): readonly StampedCommand[] {
    return this.#lockstep.history;
  }

  #check(live: Live, primary: boolean, now: number): void {
    const failure = checkHealth(this.#health, live, primary, now);
    if (failure) this.#fail(live, failure.kind, failure.detail);
  }

  #fail(live: Live, kind: FailureKind, detail: string): void {
    if (live.failed) return;
    live.failed = true;
    const t0 = this.#o.now();
    const hdr = live.views.hdr;
    Atomics.store(hdr, L.H_EPOCH, -live.epoch); // fence: it may no longer publish into its slot
    const wasRendering = Atomics.load(hdr, L.H_STATE) === L.W_RENDERING;
    const faultAt = live.views.hdrF64[L.HF_FAULT_AT] || live.views.hdrF64[L.HF_RENDER_START] || t0;
    this.metrics.failure(kind, live === this.#primary ? "primary" : "standby");
    this.#failTimes.push(t0);
    if (live === this.#primary) this.#failPrimary(live, kind, detail, faultAt);
    else {
      this.#standby = null;
      Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
      this.#event("standby-lost", `standby (slot ${live.slot}) failed: ${kind} (${detail}); rebuilding`);
    }
    this.#o.workers.terminate(live.worker);
    this.#retired.push({ slot: live.slot, worker: live.worker, at: t0, wasRendering, zombie: false });
    this.#planStandby(t0);
  }

  #failPrimary(p: Live, kind: FailureKind, detail: string, faultAt: number): void {
    p.commands.readBack();
    const failedBlock = done(p);
    const s = this.#standby;
    // Accept what the primary published before the failing block: only that block's commands are suspects.
    this.#lockstep.pump(p, s, this.#snapshotFor !== null);
    // Commands the primary took into the failing block may be what failed it (a poison): quarantine them.
    // Not after a stall: an idle worker that did not wake up is no evidence against any command (a command
    // that loops forever is caught inside the render, as a hang), and at engine start the failing block
    // holds the whole patch.
    const suspect = (e: Entry) =>
      kind !== "stall" && e.effective >= 0 && Math.floor(e.effective / this.#o.block) === failedBlock &&
      !e.accepted;
    for (const e of p.commands.entries) {
      if (suspect(e)) {
        this.metrics.quarantined++;
        const msg =
          `quarantined: the DSP failed (${kind}) in block ${failedBlock}, where this command applies`;
        e.reply?.rejected?.(msg);
        this.#event("quarantine", `command #${e.seq} (op ${e.op}) ${msg}`);
      }
    }
    this.#primary = null;
    if (!s || s.failed) {
      this.#event(
        "both-dead",
        `primary failed (${kind}: ${detail}) with no standby: output is silent until rebuilt`,
      );
      this.#lockstep.carry(p, suspect);
      Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
      return;
    }
    // Promote the standby: give it what the primary had and it had not, then switch the output to its ring.
    this.#lockstep.handOver(p, s, suspect);
    const t0 = performance.now();
    Atomics.store(s.views.hdr, L.H_GATE, UNGATED);
    Atomics.store(this.ctrl, L.CTRL_SELECTOR, s.slot);
    Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
    const switchUs = (performance.now() - t0) * 1000;
    ringDoorbell(s.views.hdr);
    this.#primary = s;
    this.#standby = null;
    s.health.lastProgressAt = this.#o.now();
    const detectMs = this.#o.now() - faultAt;
    this.metrics.failover(detectMs, switchUs);
    this.#event(
      "failover",
      `primary (slot ${p.slot}) failed: ${kind} (${detail}); output moved to slot ${s.slot} ` +
        `in ${detectMs.toFixed(2)} ms (switch ${switchUs.toFixed(1)} µs)`,
    );
  }

  // Asks the primary for a snapshot; the replacement standby is spawned from it in #checkSnapshot.
  #planStandby(now: number): void {
    const p = this.#primary;
    // A primary rebuilt from scratch replays history it holds outside its command ring: a snapshot taken
    // before it has caught up would leave its standby without the rest of that history.
    if (!p || p.rebuilding || this.#standby || this.#snapshotFor) return;
    const recent = this.#failTimes.filter((t) => now - t < this.#o.restartWindowMs);
    this.#failTimes = recent;
    // Back off once per new failure past the limit, not again for the same failures when the back-off ends.
    const total = this.metrics.failuresByRole.primary + this.metrics.failuresByRole.standby;
    if (recent.length >= this.#o.restartLimit && this.#notBefore <= now && total > this.#backedOffAt) {
      this.#backedOffAt = total;
      const backoffMs = Math.min(30_000, 1000 * 2 ** (recent.length - this.#o.restartLimit));
      this.#notBefore = now + backoffMs;
      this.metrics.backoffs++;
      this.#event(
        "backoff",
        `${recent.length} failures in ${this.#o.restartWindowMs / 1000} s: ` +
          `next standby in ${backoffMs} ms; output stays on slot ${p.slot}`,
      );
    }
    if (now < this.#notBefore) return;
    if (this.#freeSlot() < 0) return;
    Atomics.store(p.views.hdr, L.H_SNAP_REQ, L.SNAP_REQUESTED);
    ringDoorbell(p.views.hdr);
    this.#snapshotFor = "standby";
  }

  #checkSnapshot(now: number): void {
    const p = this.#primary;
    if (!this.#snapshotFor) {
      if (p && !this.#standby) this.#planStandby(now);
      return;
    }
    if (!p) {
      this.#snapshotFor = null;
      return;
    }
    const hdr = p.views.hdr;
    if (Atomics.load(hdr, L.H_SNAP_REQ) !== L.SNAP_READY) return;
    const bytes = snapshotView(this.#o.sab).slice(0, Atomics.load(hdr, L.H_SNAP_BYTES));
    const block = Atomics.load(hdr, L.H_SNAP_BLOCK);
    Atomics.store(hdr, L.H_SNAP_REQ, L.SNAP_NONE);
    this.#snapshotFor = null;
    const slot = this.#freeSlot();
    if (slot < 0) return;
    this.#lockstep.inSnapshot(p, block);
    const s = this.#launcher.open(slot, block, block);
    this.#launcher.launch(s, bytes);
    this.#standby = s;
    s.spawnedAt = now;
    Atomics.store(this.ctrl, L.CTRL_OTHER, slot);
    this.metrics.rebuildsStarted++;
  }

  #checkRebuilt(now: number): void {
    const p0 = this.#primary;
    if (
      p0?.rebuilding && done(p0) >= Atomics.load(this.ctrl, L.CTRL_OUT_BLOCK) && done(p0) > p0.replayUntil
    ) {
      p0.rebuilding = false;
      this.metrics.rebuilt(now - p0.spawnedAt);
      this.#event(
        "rebuilt",
        `primary (slot ${p0.slot}) rebuilt from scratch, caught up at block ${done(p0)}`,
      );
    }
    const s = this.#standby, p = this.#primary;
    if (!s || !p || !s.rebuilding) return;
    // Back in lockstep: it has rendered since it started and is at most one block behind the primary.
    if (Atomics.load(s.views.hdr, L.H_RENDER_COUNT) > 0 && done(s) >= done(p) - 1) {
      s.rebuilding = false;
      const ms = now - s.spawnedAt;
      this.metrics.rebuilt(ms);
      this.#event(
        "rebuilt",
        `standby (slot ${s.slot}) back in lockstep at block ${done(s)} in ${ms.toFixed(1)} ms`,
      );
    }
  }

  // Both workers gone: start a new primary from the initial state, replaying every accepted command.
  #rebuildFromScratch(now: number): void {
    const slot = this.#freeSlot();
    if (slot < 0) return;
    const resume = (Atomics.load(this.ctrl, L.CTRL_OUT_BLOCK) + Atomics.load(this.ctrl, L.CTRL_LEAD)) *
      this.#o.block;
    const replay = this.#lockstep.replay(resume);
    this.metrics.scratchRebuilds++;
    const p = this.#launcher.open(slot, 0, UNGATED);
    this.#launcher.launch(p, undefined, replay);
    this.#primary = p;
    p.spawnedAt = now;
    p.replayUntil = replay.length ? Math.floor(replay[replay.length - 1].frame / this.#o.block) : 0;
    Atomics.store(this.ctrl, L.CTRL_SELECTOR, slot);
    Atomics.store(this.ctrl, L.CTRL_OTHER, -1);
    this.#lockstep.flush(p);
  }

  #freeSlot(): number {
    const busy = new Set<number>();
    for (const live of [this.#primary, this.#standby]) if (live) busy.add(live.slot);
    for (const r of this.#retired) busy.add(r.slot);
    for (let s = 0; s < L.MAX_SLOTS; s++) if (!busy.has(s)) return s;
    return -1;
  }

  // A retired slot is reused once its old worker is provably out of render; a worker still rendering
  // 3 s after termination (longer than any finite injected hang) is a zombie thread that cannot be reclaimed.
  #checkRetired(now: number): void {
    this.#retired = this.#retired.filter((r) => {
      const state = Atomics.load(slotViews(this.#o.sab, r.slot).hdr, L.H_STATE);
      if (state !== L.W_RENDERING) return now - r.at < 100;
      if (!r.zombie && now - r.at > 3000) {
        r.zombie = true;
        this.metrics.zombies++;
        this.#event(
          "zombie",
          `worker in slot ${r.slot} still spinning 3 s after terminate(): zombie thread ` +
            `(${this.metrics.zombies} of at most ${this.#o.maxZombies})`,
        );
      }
      return true;
    });
    if (this.metrics.zombies >= this.#o.maxZombies) this.#notBefore = Number.POSITIVE_INFINITY;
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
      (type, message) => this.#event(type, message),
    );
  }

  #event(type: EngineEvent["type"], message: string): void {
    this.metrics.events.push({ type, message, timeMs: this.#o.now() });
    this.#o.onEvent?.({ type, message });
  }
}
