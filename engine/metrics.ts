// Counts and timings of every failure, detection, switch and rebuild (the supervisor's record), and the events
// the engine reports to people and clients.

/** Something the engine reports to people and clients. */
export interface EngineEvent {
  /** What happened: a worker's failure and what recovery did about it, or a recording's trouble or end. */
  type:
    | "failover"
    | "standby-lost"
    | "rebuilt"
    | "quarantine"
    | "divergence"
    | "zombie"
    | "backoff"
    | "both-dead"
    // A module the DSP had no room for (engine/engine.ts; patch/graph.ts's arena admission should prevent it).
    | "create-failed"
    // From the recorder (engine/recorder.ts): audio recorded as silence, a recording that ended early.
    | "record-overrun"
    | "record-failed"
    // The `auto` lead set or widened (engine/lead.ts).
    | "lead"
    // A recording of a length in seconds or bars reached its end and is finalized (engine/recorder.ts).
    | "recorded"
    // An exception on the control plane (a handler, a timer) that was caught and reported (cli/guard.ts).
    | "internal";
  /** The event in plain words (slots, blocks, times), as the console and OSC clients show it. */
  message: string;
}

/** How the supervisor's parts report an event: into Metrics.events, and on to the engine's onEvent. */
export type Report = (type: EngineEvent["type"], message: string) => void;

/** Percentiles of a sample set. */
export interface Summary {
  /** How many values there were. */
  count: number;
  /** The median (the value nearest the 50th percentile, no interpolation); 0 for no values. */
  p50: number;
  /** The value nearest the 95th percentile; 0 for no values. */
  p95: number;
  /** The largest value; 0 for no values. */
  max: number;
}

/** Summarises values (empty → zeros). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, p50: 0, p95: 0, max: 0 };
  const v = [...values].sort((a, b) => a - b);
  const quantile = (q: number) => v[Math.min(v.length - 1, Math.floor(q * (v.length - 1) + 0.5))];
  return { count: v.length, p50: quantile(0.5), p95: quantile(0.95), max: v[v.length - 1] };
}

/** The supervisor's counters. */
export class Metrics {
  /** Workers failed, by FailureKind (core/errors.ts): trap, hang, stall … */
  failures: Record<string, number> = {};
  /** Workers failed while primary and while standby. */
  failuresByRole = { primary: 0, standby: 0 };
  /** Times the output moved to the standby's ring after the primary failed. */
  failovers = 0;
  /** For each failover: ms from the fault (stamped by the worker, else its render's start) to the switch. */
  detectionMs: number[] = [];
  /** For each failover: detectionMs less the time the supervising thread was held off a CPU meanwhile
   * (engine/pause_meter.ts): the part the engine answers for. */
  detectionOwnMs: number[] = [];
  /** For each failover: µs the switch itself took (the stores that move the output to the standby's ring). */
  switchUs: number[] = [];
  /** For each rebuild: ms from a replacement's start until back in lockstep (a primary rebuilt after both were lost: caught up). */
  rebuildMs: number[] = [];
  /** The rebuilds of rebuildMs whose replacement was a parked spare (the claim to lockstep). */
  rebuildWarmMs: number[] = [];
  /** The rebuilds of rebuildMs whose replacement was a new Worker (no spare was parked). */
  rebuildColdMs: number[] = [];
  /** Standbys started from a snapshot of the primary. */
  rebuildsStarted = 0;
  /** Primaries rebuilt after both workers were lost: from the latest checkpoint, replaying what came after. */
  scratchRebuilds = 0;
  /** Commands those rebuilds replayed (at most a checkpoint interval's worth each). */
  replayedCommands = 0;
  /** Snapshots of the primary taken (checkpoints, each also a possible standby's start). */
  checkpoints = 0;
  /** Bytes of the latest snapshot. */
  checkpointBytes = 0;
  /** For each snapshot: ms the main thread spent copying it out of the snapshot area. */
  checkpointCopyMs: number[] = [];
  /** Commands rejected because the primary failed in the block they apply in. */
  quarantined = 0;
  /** Blocks whose hashes differed between primary and standby: non-determinism, reported, never fatal. */
  divergences = 0;
  /** Blocks whose hashes were compared between the primary and the standby. */
  blocksCompared = 0;
  /** Terminated workers still rendering 3 s later: threads that cannot be reclaimed (see maxZombies). */
  zombies = 0;
  /** Times failures came faster than the restart limit, so that the next standby waited. */
  backoffs = 0;
  /** Workers started by claiming the spawner's parked spare. */
  warmStarts = 0;
  /** Workers started as a new Worker (no spare was parked, or a replay too long for the ring). */
  coldStarts = 0;
  /** Replacements (every start after the first two workers) that found no parked spare and started cold. */
  coldReplacements = 0;
  /** For each replacement: the spares loaded and not yet claimed when it started (0: it started cold). */
  sparesReady: number[] = [];
  /** Every event reported, with its wall-clock time (epoch ms). */
  events: { type: string; message: string; timeMs: number }[] = [];

  /** Counts a failure of a kind and role. */
  failure(kind: string, role: "primary" | "standby"): void {
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
    this.failuresByRole[role]++;
  }

  /** Records a completed switch of the output. */
  failover(detectMs: number, switchUs: number, heldOffMs = 0): void {
    this.failovers++;
    this.detectionMs.push(detectMs);
    this.detectionOwnMs.push(Math.max(0, detectMs - heldOffMs));
    this.switchUs.push(switchUs);
  }

  /** Records a snapshot copied out: its size and the copy's time. */
  checkpoint(bytes: number, copyMs: number): void {
    this.checkpoints++;
    this.checkpointBytes = bytes;
    if (this.checkpointCopyMs.length < 10_000) this.checkpointCopyMs.push(copyMs);
  }

  /** Records a replacement back in lockstep, started from a parked spare (`warm`) or as a new Worker. */
  rebuilt(ms: number, warm: boolean): void {
    this.rebuildMs.push(ms);
    (warm ? this.rebuildWarmMs : this.rebuildColdMs).push(ms);
  }

  /** Records a replacement's start: from a parked spare or not, and how many spares were loaded then. */
  replacement(warm: boolean, sparesReady: number): void {
    if (!warm) this.coldReplacements++;
    if (this.sparesReady.length < 10_000) this.sparesReady.push(sparesReady);
  }

  /** Plain data for status replies and reports. */
  toJSON(): MetricsJSON {
    return {
      failures: this.failures,
      failuresByRole: this.failuresByRole,
      failovers: this.failovers,
      detectionMs: summarize(this.detectionMs),
      detectionOwnMs: summarize(this.detectionOwnMs),
      switchUs: summarize(this.switchUs),
      rebuildMs: summarize(this.rebuildMs),
      rebuildWarmMs: summarize(this.rebuildWarmMs),
      rebuildColdMs: summarize(this.rebuildColdMs),
      rebuildsStarted: this.rebuildsStarted,
      scratchRebuilds: this.scratchRebuilds,
      replayedCommands: this.replayedCommands,
      checkpoints: this.checkpoints,
      checkpointBytes: this.checkpointBytes,
      checkpointCopyMs: summarize(this.checkpointCopyMs),
      quarantined: this.quarantined,
      divergences: this.divergences,
      blocksCompared: this.blocksCompared,
      zombies: this.zombies,
      backoffs: this.backoffs,
      warmStarts: this.warmStarts,
      coldStarts: this.coldStarts,
      coldReplacements: this.coldReplacements,
      sparesReadyMin: this.sparesReady.length ? Math.min(...this.sparesReady) : -1,
    };
  }
}

/** Metrics as plain data: the counters, and each list of timings as its Summary. */
export type MetricsJSON =
  & Pick<
    Metrics,
    | "failures"
    | "failuresByRole"
    | "failovers"
    | "rebuildsStarted"
    | "scratchRebuilds"
    | "replayedCommands"
    | "checkpoints"
    | "checkpointBytes"
    | "quarantined"
    | "divergences"
    | "blocksCompared"
    | "zombies"
    | "backoffs"
    | "warmStarts"
    | "coldStarts"
    | "coldReplacements"
  >
  & Record<
    | "detectionMs"
    | "detectionOwnMs"
    | "switchUs"
    | "rebuildMs"
    | "rebuildWarmMs"
    | "rebuildColdMs"
    | "checkpointCopyMs",
    Summary
  >
  & {
    /** The fewest spares loaded and unclaimed at a replacement's start (−1: no replacement yet). */
    sparesReadyMin: number;
  };
