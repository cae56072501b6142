// A DSP worker as the supervisor sees it: the slot it owns, its command ring with the supervisor's bookkeeping
// for every command in it, its health clocks; and how one is started into a slot.
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "../core/command.ts";
import { CommandRingWriter, type RingEntry } from "../core/command_ring.ts";
import type { DspSettings } from "../core/dsp_host.ts";
import { controlView, resetSlot, type SlotViews, slotViews } from "../core/shared.ts";
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
  /** Who to answer once the command is accepted or rejected (the last entry of a batch carries it). */
  reply?: CommandReply;
  /** On the first entry of a batch: how many entries the batch has (they reach a worker in one publish). */
  batch?: number;
}

/** A live DSP worker. */
export interface Live {
  /** The slot it owns: its header, command ring and audio ring in the shared memory. */
  slot: number;
  /** Its identity in the slot's H_EPOCH (unique per worker, from 1); storing −epoch there fences it out. */
  epoch: number;
  /** Views over its slot. */
  views: SlotViews;
  /** Worker id in the WorkerHost (the epoch: unique per worker). */
  worker: number;
  /** The first block it renders. */
  startBlock: number;
  /** Its command ring, with the commands written into it and not yet pruned. */
  commands: CommandRingWriter<Entry>;
  /** What the health check last saw of it (engine/health_check.ts). */
  health: HealthClocks;
  /** When it was started (epoch ms): its startup deadline and its rebuild time count from then. */
  spawnedAt: number;
  /** Set while a replacement catches up; cleared when it is back in lockstep. */
  rebuilding: boolean;
  /** Last block of a from-scratch replay (0 otherwise). */
  replayUntil: number;
  /** Set once recovery has failed it: fenced and terminated, never checked or failed again. */
  failed: boolean;
  /** Started from a parked spare (set by launch; a new Worker otherwise). */
  warm: boolean;
}

/** The gate of a worker that may render as far as the output lets it (the primary). */
export const UNGATED = 0x7fffffff;

/** Blocks the worker has published: the block it renders next. */
export function done(live: Live): number {
  return Atomics.load(live.views.hdr, L.H_DONE);
}

/** What starting a worker takes. */
export interface LauncherOptions {
  /** The engine's shared memory, whose slots it resets. */
  sab: SharedArrayBuffer;
  /** The compiled DSP every worker instantiates. */
  module: WebAssembly.Module;
  /** The session's sample rate, block and seed. */
  settings: DspSettings;
  /** Starts the workers (the spawner in the engine, a fake in tests). */
  workers: WorkerHost;
  /** Where warm and cold starts are counted. */
  metrics: Metrics;
  /** The supervisor's clock (epoch ms): a new worker's spawnedAt and health clocks start from it. */
  now: () => number;
}

/** Starts DSP workers into slots and numbers them: the epoch, unique per worker, is also its WorkerHost id. */
export class Launcher {
  #o: LauncherOptions;
  #nextEpoch = 1;
  #launched = 0;

  /** A launcher whose first worker gets epoch 1. */
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
    Atomics.store(views.hdr, L.H_COMMIT, startBlock);
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
      warm: false,
    };
  }

  /** Starts the worker: from the initial state or a snapshot (a standby, a checkpoint), with a replay or not. */
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
    const metrics = this.#o.metrics;
    // Spares loaded and not claimed before this start: each warm start claimed one.
    const ready = Atomics.load(controlView(this.#o.sab), L.CTRL_SPARES_LOADED) - metrics.warmStarts;
    live.warm = warm;
    if (warm) metrics.warmStarts++;
    else metrics.coldStarts++;
    if (++this.#launched > 2) metrics.replacement(warm, Math.max(0, ready)); // after the first two workers
  }
}
