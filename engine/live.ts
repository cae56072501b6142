// A DSP worker as the supervisor sees it: the slot it owns, its command ring with the supervisor's bookkeeping
// for every command in it, its health clocks; and how one is started into a slot.
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "../core/command.ts";
import { CommandRingWriter, type RingEntry } from "../core/command_ring.ts";
import type { DspSettings } from "../core/dsp_host.ts";
import { resetSlot, type SlotViews, slotViews } from "../core/shared.ts";
import { type HealthClocks, healthClocks } from "./health_check.ts";
import type { Metrics } from "./metrics.ts";
import type { WorkerHost } from "./worker_host.ts";

/** Answers to a command's sender. */
export interface CommandReply {
  /** The command was applied at `frame` in a block that rendered cleanly. */
  accepted?(frame: number): void;
  /** The command was refused or quarantined. */
  rejected?(message: string): void;
}

/** A command in a worker's ring, with what the supervisor knows of it. */
export interface Entry extends RingEntry {
  /** The primary published the block it applies in: it is logged, answered and may reach the standby. */
  accepted: boolean;
  /** Present in the current standby (forwarded, or inside its snapshot). */
  inStandby: boolean;
  reply?: CommandReply;
  /** On the first entry of a batch: how many entries the batch has (they reach a worker in one publish). */
  batch?: number;
}

/** A live DSP worker. */
export interface Live {
  slot: number;
  epoch: number;
  views: SlotViews;
  /** Worker id in the WorkerHost (the epoch: unique per worker). */
  worker: number;
  /** The first block it renders. */
  startBlock: number;
  /** Its command ring, with the commands written into it and not yet pruned. */
  commands: CommandRingWriter<Entry>;
  health: HealthClocks;
  spawnedAt: number;
  /** Set while a replacement catches up; cleared when it is back in lockstep. */
  rebuilding: boolean;
  /** Last block of a from-scratch replay (0 otherwise). */
  replayUntil: number;
  failed: boolean;
}

/** The gate of a worker that may render as far as the output lets it (the primary). */
export const UNGATED = 0x7fffffff;

/** Blocks the worker has published: the block it renders next. */
export function done(live: Live): number {
  return Atomics.load(live.views.hdr, L.H_DONE);
}

/** What starting a worker takes. */
export interface LauncherOptions {
  sab: SharedArrayBuffer;
  module: WebAssembly.Module;
  settings: DspSettings;
  workers: WorkerHost;
  metrics: Metrics;
  now: () => number;
}

/** Starts DSP workers into slots and numbers them: the epoch, unique per worker, is also its WorkerHost id. */
export class Launcher {
  #o: LauncherOptions;
  #nextEpoch = 1;

  constructor(o: LauncherOptions) {
    this.#o = o;
  }

  /**
   * Resets `slot` for a new worker that starts at `startBlock` behind `gate`. Nothing runs in it before
   * launch(): what is written into its command ring meanwhile is there when the worker starts.
   */
  open(slot: number, startBlock: number, gate: number): Live {
    const epoch = this.#nextEpoch++;
    const views = slotViews(this.#o.sab, slot);
    resetSlot(views, epoch);
    Atomics.store(views.hdr, L.H_DONE, startBlock);
    Atomics.store(views.hdr, L.H_GATE, gate);
    const now = this.#o.now();
    return {
      slot,
      epoch,
      views,
      worker: epoch,
      startBlock,
      commands: new CommandRingWriter(views),
      health: healthClocks(startBlock, now),
      spawnedAt: now,
      rebuilding: false,
      replayUntil: 0,
      failed: false,
    };
  }

  /** Starts the worker: from the initial state, a snapshot (a rebuilt standby) or a replay (from scratch). */
  launch(live: Live, snapshot?: Uint8Array, replay?: StampedCommand[]): void {
    live.rebuilding = snapshot !== undefined || replay !== undefined;
    const warm = this.#o.workers.start(live.worker, {
      sab: this.#o.sab,
      module: this.#o.module,
      slot: live.slot,
      epoch: live.epoch,
      startBlock: live.startBlock,
      snapshot,
      replay,
      settings: this.#o.settings,
    });
    if (warm) this.#o.metrics.warmStarts++;
    else this.#o.metrics.coldStarts++;
  }
}
