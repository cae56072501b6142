// Recovery: what the supervisor does when a worker fails. It fences and retires the worker, quarantines the
// commands that may have failed the primary, promotes the standby, and rebuilds a standby from the primary's
// snapshot, or a primary from scratch when both are lost, backing off when failures come too fast. A retired
// slot is reused once its worker is out of render; one that never gets out is a zombie thread.
import * as L from "../asm/layout.ts";
import { ringDoorbell } from "../core/command_ring.ts";
import type { FailureKind } from "../core/errors.ts";
import { slotViews, snapshotView } from "../core/shared.ts";
import type { Lockstep } from "./lockstep.ts";
import { done, type Entry, type Launcher, type Live, UNGATED } from "./live.ts";
import type { Metrics, Report } from "./metrics.ts";
import type { WorkerHost } from "./worker_host.ts";

/**
 * The pair of live workers and the output selector (the atomic ring switch). The supervisor owns them
 * (engine/supervisor.ts); recovery changes them only through these moves.
 */
export interface Crew {
  /** The worker whose ring the output reads, or null while both are lost. */
  primary(): Live | null;
  /** The worker in lockstep behind it (or catching up to it), or null while there is none. */
  standby(): Live | null;
  /** The standby becomes the primary, ungated, and the output reads its ring. Returns the switch time (µs). */
  promote(s: Live): number;
  /** The primary is gone with no standby: nothing renders until a primary is rebuilt from scratch. */
  losePrimary(): void;
  /** The standby is gone: the primary renders alone until a new standby is rebuilt. */
  loseStandby(): void;
  /** A standby rebuilt from a snapshot joins the primary. */
  addStandby(s: Live): void;
  /** A primary rebuilt from scratch: the output reads its ring. */
  replacePrimary(p: Live): void;
}

/** What recovery works with. */
export interface RecoveryOptions {
  /** The engine's shared memory: the slots and the snapshot area. */
  sab: SharedArrayBuffer;
  /** Its control words (the output's block, the lead). */
  ctrl: Int32Array;
  /** Frames per block. */
  block: number;
  /** Failures within restartWindowMs that trigger a back-off. */
  restartLimit: number;
  /** The window in which failures are counted against restartLimit (ms). */
  restartWindowMs: number;
  /** Hung threads tolerated before no more replacements are spawned. */
  maxZombies: number;
  /** The supervisor's clock (epoch ms). */
  now: () => number;
  /** Terminates failed workers. */
  workers: WorkerHost;
  /** Where failures, failovers, rebuilds, quarantines, back-offs and zombies are counted. */
  metrics: Metrics;
  /** Reports each of those as an event. */
  report: Report;
  /** The supervisor's pair of workers and output selector, moved only through it. */
  crew: Crew;
  /** Opens slots for replacements and starts them. */
  launcher: Launcher;
  /** The command flow: what a failover hands over, what a snapshot holds, what a rebuild replays. */
  lockstep: Lockstep;
}

/** A slot whose worker failed, held until the worker is provably out of render. */
interface Retired {
  slot: number;
  worker: number;
  retiredAt: number;
  wasRendering: boolean;
  zombie: boolean;
}

/** Failing workers and replacing them. */
export class Recovery {
  #o: RecoveryOptions;
  #retired: Retired[] = [];
  #failTimes: number[] = [];
  /** No replacement before this time (a back-off, or forever once the zombie cap is reached). */
  #notBefore = 0;
  /** Failures counted when the last back-off started. */
  #backedOffAt = 0;
  /** The primary was asked for a snapshot to start a standby from. */
  #snapshotPending = false;

  /** Recovery with no failures seen and nothing retired. */
  constructor(o: RecoveryOptions) {
    this.#o = o;
  }

  /** True while a snapshot for a new standby is on its way (the primary's ring entries must stay until then). */
  get snapshotPending(): boolean {
    return this.#snapshotPending;
  }

  /** No worker is started before this time (epoch ms). */
  get notBefore(): number {
    return this.#notBefore;
  }

  /** Fences the worker out of its slot, terminates it, replaces it (a failover first, for the primary). */
  fail(live: Live, kind: FailureKind, detail: string): void {
    if (live.failed) return;
    live.failed = true;
    const o = this.#o;
    const failedAt = o.now();
    const hdr = live.views.hdr;
    Atomics.store(hdr, L.H_EPOCH, -live.epoch); // fence: it may no longer publish into its slot
    const wasRendering = Atomics.load(hdr, L.H_STATE) === L.W_RENDERING;
    const faultAt = live.views.hdrF64[L.HF_FAULT_AT] || live.views.hdrF64[L.HF_RENDER_START] || failedAt;
    const primary = live === o.crew.primary();
    o.metrics.failure(kind, primary ? "primary" : "standby");
    this.#failTimes.push(failedAt);
    if (primary) this.#failover(live, kind, detail, faultAt);
    else {
      o.crew.loseStandby();
      o.report("standby-lost", `standby (slot ${live.slot}) failed: ${kind} (${detail}); rebuilding`);
    }
    o.workers.terminate(live.worker);
    this.#retired.push({
      slot: live.slot,
      worker: live.worker,
      retiredAt: failedAt,
      wasRendering,
      zombie: false,
    });
    this.#planStandby(failedAt);
  }

  #failover(p: Live, kind: FailureKind, detail: string, faultAt: number): void {
    const o = this.#o;
    p.commands.readBack();
    const failedBlock = done(p);
    const s = o.crew.standby();
    // Accept what the primary published before the failing block: only that block's commands are suspects.
    o.lockstep.pump(p, s, this.#snapshotPending);
    // Commands the primary took into the failing block may be what failed it (a poison): quarantine them.
    // Not after a stall: an idle worker that did not wake up is no evidence against any command (a command
    // that loops forever is caught inside the render, as a hang), and at engine start the failing block
    // holds the whole patch.
    const suspect = (e: Entry) =>
      kind !== "stall" && e.effective >= 0 && Math.floor(e.effective / o.block) === failedBlock &&
      !e.accepted;
    for (const e of p.commands.entries) {
      if (!suspect(e)) continue;
      o.metrics.quarantined++;
      const msg = `quarantined: the DSP failed (${kind}) in block ${failedBlock}, where this command applies`;
      e.reply?.rejected?.(msg);
      o.report("quarantine", `command #${e.seq} (op ${e.op}) ${msg}`);
    }
    if (!s || s.failed) {
      o.crew.losePrimary();
      o.report(
        "both-dead",
        `primary failed (${kind}: ${detail}) with no standby: output is silent until rebuilt`,
      );
      o.lockstep.carry(p, suspect);
      return;
    }
    // Promote the standby: it gets what the primary had and it had not, then the output switches to its ring.
    o.lockstep.handOver(p, s, suspect);
    const switchUs = o.crew.promote(s);
    s.health.lastProgressAt = o.now();
    const detectMs = o.now() - faultAt;
    o.metrics.failover(detectMs, switchUs);
    o.report(
      "failover",
      `primary (slot ${p.slot}) failed: ${kind} (${detail}); output moved to slot ${s.slot} ` +
        `in ${detectMs.toFixed(2)} ms (switch ${switchUs.toFixed(1)} µs)`,
    );
  }

  // Asks the primary for a snapshot; the replacement standby is spawned from it in checkSnapshot.
  #planStandby(now: number): void {
    const o = this.#o;
    const p = o.crew.primary();
    // A primary rebuilt from scratch replays history it holds outside its command ring: a snapshot taken
    // before it has caught up would leave its standby without the rest of that history.
    if (!p || p.rebuilding || o.crew.standby() || this.#snapshotPending) return;
    const recent = this.#failTimes.filter((t) => now - t < o.restartWindowMs);
    this.#failTimes = recent;
    // Back off once per new failure past the limit, not again for the same failures when the back-off ends.
    const total = o.metrics.failuresByRole.primary + o.metrics.failuresByRole.standby;
    if (recent.length >= o.restartLimit && this.#notBefore <= now && total > this.#backedOffAt) {
      this.#backedOffAt = total;
      const backoffMs = Math.min(30_000, 1000 * 2 ** (recent.length - o.restartLimit));
      this.#notBefore = now + backoffMs;
      o.metrics.backoffs++;
      o.report(
        "backoff",
        `${recent.length} failures in ${o.restartWindowMs / 1000} s: ` +
          `next standby in ${backoffMs} ms; output stays on slot ${p.slot}`,
      );
    }
    if (now < this.#notBefore) return;
    if (this.#freeSlot() < 0) return;
    Atomics.store(p.views.hdr, L.H_SNAP_REQ, L.SNAP_REQUESTED);
    ringDoorbell(p.views.hdr);
    this.#snapshotPending = true;
  }

  /** Starts a standby from the primary's snapshot once it is ready (or asks for one when there is no standby). */
  checkSnapshot(now: number): void {
    const o = this.#o;
    const p = o.crew.primary();
    if (!this.#snapshotPending) {
      if (p && !o.crew.standby()) this.#planStandby(now);
      return;
    }
    if (!p) {
      this.#snapshotPending = false;
      return;
    }
    const hdr = p.views.hdr;
    if (Atomics.load(hdr, L.H_SNAP_REQ) !== L.SNAP_READY) return;
    const bytes = snapshotView(o.sab).slice(0, Atomics.load(hdr, L.H_SNAP_BYTES));
    const block = Atomics.load(hdr, L.H_SNAP_BLOCK);
    Atomics.store(hdr, L.H_SNAP_REQ, L.SNAP_NONE);
    this.#snapshotPending = false;
    const slot = this.#freeSlot();
    if (slot < 0) return;
    o.lockstep.inSnapshot(p, block);
    const s = o.launcher.open(slot, block, block);
    o.launcher.launch(s, bytes);
    s.spawnedAt = now;
    o.crew.addStandby(s);
    o.metrics.rebuildsStarted++;
  }

  /** Ends the rebuilding of a primary that has caught up, or of a standby back in lockstep. */
  checkRebuilt(now: number): void {
    const o = this.#o;
    const p = o.crew.primary();
    if (p?.rebuilding && done(p) >= Atomics.load(o.ctrl, L.CTRL_OUT_BLOCK) && done(p) > p.replayUntil) {
      p.rebuilding = false;
      o.metrics.rebuilt(now - p.spawnedAt);
      o.report("rebuilt", `primary (slot ${p.slot}) rebuilt from scratch, caught up at block ${done(p)}`);
    }
    const s = o.crew.standby();
    if (!s || !p || !s.rebuilding) return;
    // Back in lockstep: it has rendered since it started and is at most one block behind the primary.
    if (Atomics.load(s.views.hdr, L.H_RENDER_COUNT) > 0 && done(s) >= done(p) - 1) {
      s.rebuilding = false;
      const ms = now - s.spawnedAt;
      o.metrics.rebuilt(ms);
      o.report(
        "rebuilt",
        `standby (slot ${s.slot}) back in lockstep at block ${done(s)} in ${ms.toFixed(1)} ms`,
      );
    }
  }

  /** Both workers gone: starts a new primary from the initial state, replaying every accepted command. */
  rebuildFromScratch(now: number): void {
    const o = this.#o;
    const slot = this.#freeSlot();
    if (slot < 0) return;
    const resume = (Atomics.load(o.ctrl, L.CTRL_OUT_BLOCK) + Atomics.load(o.ctrl, L.CTRL_LEAD)) * o.block;
    const replay = o.lockstep.replay(resume);
    o.metrics.scratchRebuilds++;
    const p = o.launcher.open(slot, 0, UNGATED);
    o.launcher.launch(p, undefined, replay);
    p.spawnedAt = now;
    p.replayUntil = replay.length ? Math.floor(replay[replay.length - 1].frame / o.block) : 0;
    o.crew.replacePrimary(p);
    o.lockstep.flush(p);
  }

  #freeSlot(): number {
    const busy = new Set<number>();
    for (const live of [this.#o.crew.primary(), this.#o.crew.standby()]) if (live) busy.add(live.slot);
    for (const r of this.#retired) busy.add(r.slot);
    for (let s = 0; s < L.MAX_SLOTS; s++) if (!busy.has(s)) return s;
    return -1;
  }

  /**
   * Frees the slots of retired workers that are provably out of render. A worker still rendering 3 s after
   * termination (longer than any finite injected hang) is a zombie thread that cannot be reclaimed: past
   * maxZombies of them, no more workers are started.
   */
  checkRetired(now: number): void {
    const o = this.#o;
    this.#retired = this.#retired.filter((r) => {
      const state = Atomics.load(slotViews(o.sab, r.slot).hdr, L.H_STATE);
      if (state !== L.W_RENDERING) return now - r.retiredAt < 100;
      if (!r.zombie && now - r.retiredAt > 3000) {
        r.zombie = true;
        o.metrics.zombies++;
        o.report(
          "zombie",
          `worker in slot ${r.slot} still spinning 3 s after terminate(): zombie thread ` +
            `(${o.metrics.zombies} of at most ${o.maxZombies})`,
        );
      }
      return true;
    });
    if (o.metrics.zombies >= o.maxZombies) this.#notBefore = Number.POSITIVE_INFINITY;
  }

  /** Forgets the retired slots (the engine is stopping). */
  clear(): void {
    this.#retired = [];
  }
}
