// Recovery: what the supervisor does when a worker fails. It fences and retires the worker, quarantines the
// commands that may have failed the primary, promotes the standby, and rebuilds a standby from the primary's
// snapshot, or a primary from the latest checkpoint when both are lost. When failures come too fast it backs
// off, but only the standby waits: a primary the output needs is rebuilt at once (docs/design.md §5, §6). A
// retired slot is reused once its worker is out of render; one that never gets out is a zombie thread.
import * as L from "../asm/layout.ts";
import { ringDoorbell } from "../core/command_ring.ts";
import type { FailureKind } from "../core/errors.ts";
import type { StampedCommand } from "../core/command.ts";
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
  /** The primary is gone with no standby: nothing renders until a primary is rebuilt from the checkpoint. */
  losePrimary(): void;
  /** The standby is gone: the primary renders alone until a new standby is rebuilt. */
  loseStandby(): void;
  /** A standby rebuilt from a snapshot joins the primary. */
  addStandby(s: Live): void;
  /** A primary rebuilt from the checkpoint: the output reads its ring. */
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
  /** How often a healthy primary is checkpointed (ms): a rebuild after both are lost replays at most this. */
  checkpointMs: number;
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
  /** The ms since a time the supervising thread was held off a CPU (engine/pause_meter.ts); none: 0. */
  heldOffSince?: (since: number, now: number) => number;
  /** Puts a failed worker's real-time thread back to SCHED_OTHER, by its thread id (docs/realtime.md). */
  demote?: (tid: number) => void;
}

/** A slot whose worker failed, held until the worker is provably out of render. */
interface Retired {
  slot: number;
  worker: number;
  retiredAt: number;
  wasRendering: boolean;
  zombie: boolean;
}

/** A snapshot of a healthy primary: a primary rebuilt after both are lost starts from it, not from block 0. */
interface Checkpoint {
  /** Taken before rendering this block: it holds every command applied before it, none queued for later. */
  block: number;
  /** The worker's state (its WASM memory up to usedBytes). */
  bytes: Uint8Array;
}

/** Failures a worker declares itself (or its error event reports): the only evidence against a command. */
const DECLARED: ReadonlySet<FailureKind> = new Set([
  "trap",
  "throw",
  "nonfinite",
  "queue-full",
  "error-event",
]);

/** Replayed commands up to which a rebuilt primary gets them through its command ring (a parked spare can
 * start then); a longer replay goes with the start message to a new worker. Half the ring: room for the backlog. */
const RING_REPLAY_MAX = L.CMD_CAP / 2;

/** Failing workers and replacing them. */
export class Recovery {
  #o: RecoveryOptions;
  #retired: Retired[] = [];
  #failTimes: number[] = [];
  /** No standby before this time (a back-off). A lost primary never waits for it. */
  #notBefore = 0;
  /** The zombie cap is reached: no worker is started any more. */
  #noMore = false;
  /** Failures counted when the last back-off started. */
  #backedOffAt = 0;
  /** The primary asked for a snapshot (a checkpoint, and a new standby's start when one is wanted). */
  #snapFrom: Live | null = null;
  /** The latest checkpoint, and when it was taken (epoch ms). */
  #checkpoint: Checkpoint | null = null;
  #checkpointAt = Number.NEGATIVE_INFINITY;
  /** Where checkpoints are kept, reused (grown when a snapshot outgrows it): a fresh 3 MB every second cost
   * up to 7 ms of page faults on the main thread, next to a standby's start. */
  #checkpointStore = new Uint8Array(0);
  /** Where the last primary rebuilt after both were lost started from, for its `rebuilt` event. */
  #rebuiltFrom = "";

  /** Recovery with no failures seen and nothing retired. */
  constructor(o: RecoveryOptions) {
    this.#o = o;
  }

  /** True while a snapshot is on its way (the primary's ring entries must stay: a standby may start from it). */
  get snapshotPending(): boolean {
    return this.#snapFrom !== null;
  }

  /** No standby is started before this time (epoch ms); a lost primary is rebuilt regardless. */
  get notBefore(): number {
    return this.#notBefore;
  }

  /** False once the zombie cap is reached: no worker, not even a primary, is started any more. */
  get mayStart(): boolean {
    return !this.#noMore;
  }

  /** The block of the latest checkpoint (−1: none yet). */
  get checkpointBlock(): number {
    return this.#checkpoint?.block ?? -1;
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
    // A hung render keeps spinning after terminate() (up to a zombie's forever): in a real-time thread it
    // would hold a CPU from every normal thread, the supervisor's among them. Lowered, it only competes.
    if (Atomics.load(hdr, L.H_RT) > 0) o.demote?.(Atomics.load(hdr, L.H_TID));
    o.workers.terminate(live.worker);
    this.#retired.push({
      slot: live.slot,
      worker: live.worker,
      retiredAt: failedAt,
      wasRendering,
      zombie: false,
    });
    this.#backOff(failedAt);
    this.checkSnapshot(failedAt);
  }

  #failover(p: Live, kind: FailureKind, detail: string, faultAt: number): void {
    const o = this.#o;
    p.commands.readBack();
    const failedBlock = done(p);
    const s = o.crew.standby();
    // Accept what the primary published before the failing block: only that block's commands are suspects.
    o.lockstep.pump(p, s, this.snapshotPending);
    // Commands the primary took into the failing block may be what failed it (a poison): quarantine them,
    // but only when the worker declared the fault (a trap, a throw, a NaN, a full queue). A late, hung,
    // stalled or vanished worker is no evidence against any command: no command can make a render loop (every
    // kernel is bounded by the block; the poison op traps), and at engine start the failing block holds the
    // whole patch. The standby may also have played that block without them already (covered, design §2):
    // they are re-stamped instead, to the first block the new primary renders (handOver), and logged there.
    // A read (OP_READ) is never a suspect: it only copies parameters out, and the engine's own autosave reads
    // every module once a second, so a fault would otherwise quarantine a whole read of the patch with it.
    const evidence = DECLARED.has(kind);
    const suspect = (e: Entry) =>
      evidence && e.op !== L.OP_READ && e.effective >= 0 &&
      Math.floor(e.effective / o.block) === failedBlock && !e.accepted;
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
    const switchedAt = o.now();
    const detectMs = switchedAt - faultAt;
    const heldOff = o.heldOffSince?.(faultAt, switchedAt) ?? 0;
    o.metrics.failover(detectMs, switchUs, heldOff);
    o.report(
      "failover",
      `primary (slot ${p.slot}) failed: ${kind} (${detail}); output moved to slot ${s.slot} ` +
        `in ${detectMs.toFixed(2)} ms (switch ${switchUs.toFixed(1)} µs` +
        (heldOff >= 1 ? `; the supervisor was held off a CPU for ${heldOff.toFixed(1)} ms of it)` : ")"),
    );
  }

  // Too many failures in the window: the next *standby* waits (1 s, doubling per further failure, at most
  // 30 s). Redundancy can wait; the output cannot: a primary the output needs is rebuilt at once regardless
  // (rebuildFromScratch), from the checkpoint. Once per new failure past the limit, not again for the same
  // failures when the back-off ends.
  #backOff(now: number): void {
    const o = this.#o;
    const recent = this.#failTimes.filter((t) => now - t < o.restartWindowMs);
    this.#failTimes = recent;
    const total = o.metrics.failuresByRole.primary + o.metrics.failuresByRole.standby;
    if (recent.length < o.restartLimit || this.#notBefore > now || total <= this.#backedOffAt) return;
    this.#backedOffAt = total;
    const backoffMs = Math.min(30_000, 1000 * 2 ** (recent.length - o.restartLimit));
    this.#notBefore = now + backoffMs;
    o.metrics.backoffs++;
    const p = o.crew.primary();
    o.report(
      "backoff",
      `${recent.length} failures in ${o.restartWindowMs / 1000} s: next standby in ${backoffMs} ms ` +
        `(the back-off delays only the standby; a lost primary is rebuilt at once from the checkpoint); ` +
        (p ? `output stays on slot ${p.slot}` : `primary being rebuilt`),
    );
  }

  // A standby may start now: there is none, no back-off, a slot and a primary that holds its whole history
  // in its ring (a primary replaying from a start message would leave its standby without the rest).
  #standbyWanted(p: Live, now: number): boolean {
    return !this.#o.crew.standby() && !p.rebuilding && now >= this.#notBefore && !this.#noMore &&
      this.#freeSlot() >= 0;
  }

  /**
   * Takes the primary's snapshots, one at a time (one snapshot area): when a standby is wanted, and every
   * checkpointMs for the checkpoint. A ready one becomes the checkpoint, and a new standby's start if one is
   * wanted. The copy (~1 ms for 2 MB) is on the main thread, off the audio path.
   */
  checkSnapshot(now: number): void {
    const o = this.#o;
    const p = o.crew.primary();
    const asked = this.#snapFrom;
    if (asked && (asked.failed || asked !== p)) this.#snapFrom = null; // its worker is fenced: none will come
    else if (asked && Atomics.load(asked.views.hdr, L.H_SNAP_REQ) === L.SNAP_READY) {
      const hdr = asked.views.hdr;
      const block = Atomics.load(hdr, L.H_SNAP_BLOCK);
      // The snapshot area holds it until the next request, which only this method makes.
      const area = snapshotView(o.sab).subarray(0, Atomics.load(hdr, L.H_SNAP_BYTES));
      if (this.#standbyWanted(asked, now)) {
        // The standby first: a parked spare gets the snapshot straight from the area (one copy into the
        // handoff area, design §5), and its gate opens at once rather than at the next tick.
        o.lockstep.inSnapshot(asked, block);
        const s = o.launcher.open(this.#freeSlot(), block, block);
        o.launcher.launch(s, area);
        s.spawnedAt = now;
        o.crew.addStandby(s);
        o.metrics.rebuildsStarted++;
        o.lockstep.pump(asked, s, true);
      }
      const t0 = performance.now();
      if (this.#checkpointStore.length < area.length) {
        this.#checkpointStore = new Uint8Array(Math.ceil(area.length * 1.25));
      }
      const bytes = this.#checkpointStore.subarray(0, area.length);
      bytes.set(area);
      o.metrics.checkpoint(bytes.length, performance.now() - t0);
      Atomics.store(hdr, L.H_SNAP_REQ, L.SNAP_NONE);
      this.#snapFrom = null;
      this.#checkpoint = { block, bytes };
      this.#checkpointAt = now;
    }
    if (this.#snapFrom || !p || p.failed || p.rebuilding) return;
    if (this.#standbyWanted(p, now) || now - this.#checkpointAt >= o.checkpointMs) {
      Atomics.store(p.views.hdr, L.H_SNAP_REQ, L.SNAP_REQUESTED);
      ringDoorbell(p.views.hdr);
      this.#snapFrom = p;
    }
  }

  /** Ends the rebuilding of a primary that has caught up, or of a standby back in lockstep. */
  checkRebuilt(now: number): void {
    const o = this.#o;
    const p = o.crew.primary();
    if (p?.rebuilding && done(p) >= Atomics.load(o.ctrl, L.CTRL_OUT_BLOCK) && done(p) > p.replayUntil) {
      p.rebuilding = false;
      o.metrics.rebuilt(now - p.spawnedAt, p.warm);
      o.report(
        "rebuilt",
        `primary (slot ${p.slot}) rebuilt from ${this.#rebuiltFrom}, caught up at block ${done(p)} ` +
          `in ${(now - p.spawnedAt).toFixed(1)} ms`,
      );
    }
    const s = o.crew.standby();
    if (!s || !p || !s.rebuilding) return;
    // Back in lockstep: it has rendered since it started and is at most one block behind the primary.
    if (Atomics.load(s.views.hdr, L.H_RENDER_COUNT) > 0 && done(s) >= done(p) - 1) {
      s.rebuilding = false;
      const ms = now - s.spawnedAt;
      o.metrics.rebuilt(ms, s.warm);
      o.report(
        "rebuilt",
        `standby (slot ${s.slot}) back in lockstep at block ${done(s)} in ${ms.toFixed(1)} ms`,
      );
    }
  }

  /**
   * Both workers gone: starts a new primary from the latest checkpoint (from the initial state before the
   * first), replaying the accepted commands stamped at or after its block. Those before it are inside the
   * snapshot; the later ones are not, even those the snapshotted worker had queued, since restore drops the
   * queue: the rule a standby's rebuild follows (Lockstep.inSnapshot). So the replay is at most checkpointMs of
   * session, whatever the session's length. Never delayed by a back-off: the output is silent meanwhile.
   */
  rebuildFromScratch(now: number): void {
    const o = this.#o;
    const slot = this.#freeSlot();
    if (slot < 0) return;
    const cp = this.#checkpoint;
    const from = cp?.block ?? 0;
    const resume = (Atomics.load(o.ctrl, L.CTRL_OUT_BLOCK) + Atomics.load(o.ctrl, L.CTRL_LEAD)) * o.block;
    const replay = o.lockstep.replay(resume).filter((c) => c.frame >= from * o.block);
    o.metrics.scratchRebuilds++;
    o.metrics.replayedCommands += replay.length;
    const p = o.launcher.open(slot, from, UNGATED);
    if (replay.length <= RING_REPLAY_MAX) {
      // Through its ring, already accepted (never logged twice): any worker can start so, a parked spare too.
      for (const c of replay) p.commands.write(replayEntry(c));
      p.commands.publish();
      o.launcher.launch(p, cp?.bytes);
    } else o.launcher.launch(p, cp?.bytes, replay);
    p.rebuilding = true;
    p.spawnedAt = now;
    p.replayUntil = replay.length ? Math.floor(replay[replay.length - 1].frame / o.block) : 0;
    o.crew.replacePrimary(p);
    o.lockstep.flush(p);
    this.#rebuiltFrom = `${cp ? `the checkpoint at block ${from}` : "the initial state"} ` +
      `(${replay.length} commands replayed)`;
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
    if (o.metrics.zombies >= o.maxZombies) this.#noMore = true;
  }

  /** Forgets the retired slots (the engine is stopping). */
  clear(): void {
    this.#retired = [];
  }
}

// A replayed command as a ring entry: applied at its logged frame, accepted already (not logged or answered
// again), in no standby yet (a standby started later gets it through its snapshot or the gate).
function replayEntry(c: StampedCommand): Entry {
  return { ...c, effective: c.frame, accepted: true, inStandby: false };
}
