// What the output worker reports when it ends (plain data across postMessage).

/** The output worker's final report. */
export interface OutputDone {
  type: "done";
  blocks: number;
  late: number;
  merged: number;
  maxLatenessMs: number;
  /** Device underflows (PortAudio). */
  underflows: number;
  /** Output latency the device reported, ms (PortAudio; 0 otherwise). */
  deviceLatencyMs: number;
  /** Time between consecutive block writes, ms (the device's pace with PortAudio). */
  writeIntervalMs?: { p50: number; p99: number; max: number };
  /** The first blocks played as silence (up to 64), for diagnosis. */
  lateAt: number[];
  error?: string;
}

/** The report of an output that failed after `blocks` blocks. */
export function failedOutput(blocks: number, error: string): OutputDone {
  return {
    type: "done",
    blocks,
    late: 0,
    merged: 0,
    maxLatenessMs: 0,
    underflows: 0,
    deviceLatencyMs: 0,
    lateAt: [],
    error,
  };
}
