// The status lines on stderr: one a second while the engine runs (at once when the failover state changes),
// and the lines that say how the run ended and where its recording went.
import type { EngineStatus, EngineSummary } from "../engine/engine.ts";

/** The engine status the line shows. */
export type Status =
  & Pick<
    EngineStatus,
    | "uptimeS"
    | "outBlock"
    | "activeSlot"
    | "redundant"
    | "failovers"
    | "lateBlocks"
    | "mergedBlocks"
    | "underflows"
    | "quarantined"
    | "zombies"
    | "cpu"
  >
  & Partial<Pick<EngineStatus, "realtime" | "lead">>;

/** One status line; `recordingS`: seconds recorded, when a recording is on. */
export function statusLine(s: Status, recordingS?: number): string {
  const cpu = Object.entries(s.cpu).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(", ");
  return `[chronus] ${s.uptimeS.toFixed(1)} s · block ${s.outBlock} · active slot ${s.activeSlot} · ` +
    `${s.redundant ? "redundant" : "SINGLE"} · failovers ${s.failovers} · late ${s.lateBlocks} · ` +
    (s.lead ? `lead ${s.lead.blocks}${s.lead.auto ? " (auto)" : ""} · ` : "") +
    `merged ${s.mergedBlocks} · underflows ${s.underflows} · quarantined ${s.quarantined}${
      s.zombies ? ` · zombies ${s.zombies}` : ""
    } · cpu ${cpu}` + (s.realtime ? ` · realtime ${s.realtime}` : "") +
    (recordingS !== undefined ? ` · rec ${recordingS.toFixed(1)} s` : "");
}

/** What must print at once when it changes: the failover state (anything else prints once a second). */
export function statusKey(s: Status): string {
  return `${s.activeSlot}${s.redundant}${s.failovers}${s.lateBlocks}${s.underflows}${s.quarantined}`;
}

/** What the status lines read of the engine (the Engine class has it). */
export interface StatusSource {
  /** False once the engine has stopped. */
  readonly running: boolean;
  /** The engine's status now. */
  status(): Status;
  /** The recording's state now. */
  recordingStatus(): { recording: boolean; seconds: number };
}

/** Prints status lines to stderr until the returned function is called. */
export function startStatusLines(engine: StatusSource): () => void {
  let lastLine = "";
  let lastPrint = 0;
  const timer = setInterval(() => {
    if (!engine.running) return;
    const s = engine.status();
    const rec = engine.recordingStatus();
    const line = statusLine(s, rec.recording ? rec.seconds : undefined);
    const key = statusKey(s);
    if (key !== lastLine || performance.now() - lastPrint >= 1000) {
      console.error(line);
      lastLine = key;
      lastPrint = performance.now();
    }
  }, 100);
  return () => clearInterval(timer);
}

/** How a run ended: what the stop lines say of it. */
export type RunSummary =
  & Pick<EngineSummary, "frames" | "lateBlocks" | "mergedBlocks" | "recordingError" | "recordings">
  & {
    /** The supervisor's counts. */
    metrics: Pick<EngineSummary["metrics"], "failovers" | "quarantined" | "divergences" | "zombies">;
    /** The recording that was on at the end, finalized. */
    recording?: Pick<
      NonNullable<EngineSummary["recording"]>,
      "path" | "format" | "frames" | "seconds" | "lostFrames"
    >;
  };

/** The lines printed when the engine has stopped: the run (unless `quiet`), then where the recording went. */
export function stopLines(summary: RunSummary, sampleRate: number, quiet: boolean): string[] {
  const lines = [];
  if (!quiet) {
    const m = summary.metrics;
    lines.push(
      `[chronus] stopped after ${(summary.frames / sampleRate).toFixed(2)} s: failovers ${m.failovers}, ` +
        `late blocks ${summary.lateBlocks}, merged ${summary.mergedBlocks}, quarantined ${m.quarantined}, ` +
        `divergences ${m.divergences}, zombies ${m.zombies}`,
    );
  }
  // Where the recording went matters even when quiet: it is the one file the run was for.
  for (const r of summary.recordings ?? (summary.recording ? [summary.recording] : [])) {
    const lost = r.lostFrames ? `; ${r.lostFrames} frames lost to overruns, recorded as silence` : "";
    lines.push(
      `[chronus] recorded ${r.seconds.toFixed(2)} s (${r.frames} frames, ${r.format}) to ${r.path}${lost}`,
    );
  }
  if (summary.recordingError) lines.push(`[chronus] the recording failed: ${summary.recordingError}`);
  return lines;
}
