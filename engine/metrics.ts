// Counts and timings of every failure, detection, switch and rebuild (the supervisor's record), and the events
// the engine reports to people and clients.

/** Something the engine reports to people and clients. */
export interface EngineEvent {
  type:
    | "failover"
    | "standby-lost"
    | "rebuilt"
    | "quarantine"
    | "divergence"
    | "zombie"
    | "backoff"
    | "both-dead"
    // From the recorder (engine/recorder.ts): audio recorded as silence, a recording that ended early.
    | "record-overrun"
    | "record-failed";
  message: string;
}

/** How the supervisor's parts report an event: into Metrics.events, and on to the engine's onEvent. */
export type Report = (type: EngineEvent["type"], message: string) => void;

/** Percentiles of a sample set. */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
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
  failures: Record<string, number> = {};
  failuresByRole = { primary: 0, standby: 0 };
  failovers = 0;
  detectionMs: number[] = [];
  switchUs: number[] = [];
  rebuildMs: number[] = [];
  rebuildsStarted = 0;
  scratchRebuilds = 0;
  quarantined = 0;
  divergences = 0;
  blocksCompared = 0;
  zombies = 0;
  backoffs = 0;
  warmStarts = 0;
  coldStarts = 0;
  /** Every event reported, with its wall-clock time (epoch ms). */
  events: { type: string; message: string; timeMs: number }[] = [];

  /** Counts a failure of a kind and role. */
  failure(kind: string, role: "primary" | "standby"): void {
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
    this.failuresByRole[role]++;
  }

  /** Records a completed switch of the output. */
  failover(detectMs: number, switchUs: number): void {
    this.failovers++;
    this.detectionMs.push(detectMs);
    this.switchUs.push(switchUs);
  }

  /** Records a replacement back in lockstep. */
  rebuilt(ms: number): void {
    this.rebuildMs.push(ms);
  }

  /** Plain data for status replies and reports. */
  toJSON() {
    return {
      failures: this.failures,
      failuresByRole: this.failuresByRole,
      failovers: this.failovers,
      detectionMs: summarize(this.detectionMs),
      switchUs: summarize(this.switchUs),
      rebuildMs: summarize(this.rebuildMs),
      rebuildsStarted: this.rebuildsStarted,
      scratchRebuilds: this.scratchRebuilds,
      quarantined: this.quarantined,
      divergences: this.divergences,
      blocksCompared: this.blocksCompared,
      zombies: this.zombies,
      backoffs: this.backoffs,
      warmStarts: this.warmStarts,
      coldStarts: this.coldStarts,
    };
  }
}
