// The messages that cross postMessage between the engine and its workers: plain data, declared here so that
// neither side imports the other (the engine and the OSC server start workers by URL; workers import only
// core/, sinks/ and patch/).
import type { StampedCommand } from "./command.ts";
import type { DspSettings } from "./dsp_host.ts";
import type { WavFormat } from "./wav.ts";

// ── DSP workers (workers/dsp_worker.ts) ──

/** The one message a DSP worker receives. */
export interface DspStart {
  /** The engine's shared memory (asm/layout.ts draws it). */
  sab: SharedArrayBuffer;
  /** The compiled DSP (core/dsp_host.ts compileDsp). */
  module: WebAssembly.Module;
  /** The slot it owns while it lives: 0 … MAX_SLOTS−1. */
  slot: number;
  /** Its identity in the slot's H_EPOCH: once the supervisor changes that word, the worker is fenced out. */
  epoch: number;
  /** First block to render (the snapshot's block, or 0). */
  startBlock: number;
  /** The session's sample rate, block and seed. */
  settings: DspSettings;
  /** State to start from; absent = the initial state. */
  snapshot?: Uint8Array;
  /** Commands to apply while rendering from startBlock, sorted by (frame, seq): a rebuild from scratch. */
  replay?: StampedCommand[];
}

/** A spare: load and instantiate now, wait in the mailbox (CTRL_SPARE_*) to be made a standby. */
export interface DspPark {
  /** Tells a park from a DspStart. */
  type: "park";
  /** The spawner's number for this spare, written to CTRL_SPARE_ID while parked. */
  spareId: number;
  /** The engine's shared memory; the mailbox is its CTRL_SPARE_* words. */
  sab: SharedArrayBuffer;
  /** The compiled DSP, instantiated while parked. */
  module: WebAssembly.Module;
  /** The session's sample rate, block and seed. */
  settings: DspSettings;
  /**
   * The nice value to set when claimed: a spare loads and waits at a higher one, inherited from the spawner's
   * thread (workers/spawner_worker.ts). Absent: it loads at the engine's own and keeps it.
   */
  runNice?: number;
}

// ── The output worker (workers/output_worker.ts) ──

/** The one message the output worker receives. */
export interface OutputStart {
  /** The engine's shared memory: control words, the slots' audio rings, the record tap. */
  sab: SharedArrayBuffer;
  /** Sample rate in Hz. */
  sampleRate: number;
  /** Frames per block. */
  block: number;
  /** The sink the worker builds and writes every block to. */
  sink: SinkSpec;
  /** Pace at real time (null/wav); false = as fast as the DSP renders. */
  realtime: boolean;
}

/** How to build a sink inside the output worker (plain data: it crosses postMessage). */
export type SinkSpec =
  | { kind: "null" }
  | { kind: "wav"; path: string }
  | { kind: "portaudio"; device?: string; latency?: number; tapPath?: string; verbose?: boolean };

/** The output worker's final report. */
export interface OutputDone {
  /** Tells the report from the worker's other messages. */
  type: "done";
  /** Blocks handed to the sink: the output stopped before block `blocks`. */
  blocks: number;
  /** Blocks played as silence because no ring held them in time (CTRL_LATE). */
  late: number;
  /** Blocks taken from the other ring, not the selected one (CTRL_MERGED; core/merge.ts). */
  merged: number;
  /** The furthest a block's write ended past its deadline, ms (0 unless the worker paced the output). */
  maxLatenessMs: number;
  /** Device underflows (PortAudio). */
  underflows: number;
  /** Output latency the device reported, ms (PortAudio; 0 otherwise). */
  deviceLatencyMs: number;
  /** Time between consecutive block writes, ms (the device's pace with PortAudio). */
  writeIntervalMs?: { p50: number; p99: number; max: number };
  /** The first blocks played as silence (up to asm/layout.ts LATE_AT_MAX), where each late block went. */
  lateAt: number[];
  /** Why the output stopped early (the sink failed), when it did. */
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

// ── The recorder worker (workers/recorder_worker.ts) ──

/** What the engine asks of the recorder worker. */
export type RecorderRequest =
  | { type: "init"; sab: SharedArrayBuffer; sampleRate: number; block: number }
  /**
   * Opens a recording of output frames [startFrame, end): `endFrame` when it is known (a length in seconds),
   * or the `bars`th bar line of the sequencer after startFrame (the worker finds it), or open until a stop.
   */
  | {
    type: "start";
    id: number;
    path: string;
    format: WavFormat;
    startFrame: number;
    endFrame?: number;
    bars?: number;
    flushFrames: number;
  }
  /**
   * Ends recording `recording` (the id of its start) at `endFrame`, or where the recorder already is when it
   * went further between the request and its arrival (at most one poll); answered once the file is finalized.
   */
  | { type: "stop"; id: number; recording: number; endFrame: number }
  /** Test hook (fault injection): the worker's thread blocks for `ms`, like a write to a disk that hangs. */
  | { type: "stall"; ms: number }
  /** Answered after every request before it: the engine then ends the worker. */
  | { type: "close"; id: number };

/** A finished (or failed) recording. */
export interface RecordingResult {
  /** The WAV file written. */
  path: string;
  /** Its sample format. */
  format: WavFormat;
  /** First frame of the output in the file: the file holds output frames [startFrame, startFrame + frames). */
  startFrame: number;
  /** Frames written to the file (each frame one sample per channel), silence for lost blocks included. */
  frames: number;
  /** `frames` in seconds of audio at the session's sample rate. */
  seconds: number;
  /** Frames the file holds with a header that counts them (all of them, unless writing failed). */
  flushedFrames: number;
  /** Times the recorder fell further behind than the tap holds, and the frames recorded as silence then. */
  overruns: number;
  /** Frames recorded as silence because the tap had overwritten them. */
  lostFrames: number;
  /** The output frame ranges recorded as silence, [from, to) (the first 64). */
  lost: [number, number][];
  /** The most the recorder was behind the output, in ms of audio. */
  maxLagMs: number;
}

/** How far one recording has got: what the worker reports after each poll that moved it. */
export interface RecordingProgress {
  /** The id of its start request. */
  recording: number;
  /** The next output frame it takes (startFrame + frames written). */
  next: number;
  /** Its end frame once known (a length, a bar line found, a stop); null while open. */
  endFrame: number | null;
  /** Frames on disk with a header that counts them. */
  flushedFrames: number;
  /** Overruns and frames lost to them so far. */
  overruns: number;
  /** Frames recorded as silence so far. */
  lostFrames: number;
  /** The most it has been behind the output, in frames. */
  maxLagFrames: number;
}

/** What the recorder worker tells the engine; `id` answers the request with that id. */
export type RecorderReply =
  | { type: "ready" }
  | { type: "started"; id: number; path: string; startFrame: number; endFrame: number | null }
  | { type: "start-failed"; id: number; path: string; message: string }
  | { type: "stopped"; id: number; result: RecordingResult }
  | { type: "stop-failed"; id: number; message: string }
  | { type: "closed"; id: number }
  /** Recordings that moved in the last poll. */
  | { type: "progress"; recordings: RecordingProgress[] }
  /** Recording `recording` reached the end it was started with (a length or a bar) and is finalized. */
  | { type: "finished"; recording: number; result: RecordingResult }
  /** Frames [fromFrame, toFrame) of the recording started by request `recording` were overwritten in the tap
   * before the recorder took them. */
  | { type: "overrun"; recording: number; path: string; fromFrame: number; toFrame: number }
  /** Writing the recording started by request `recording` failed (while following the tap: no id; or while
   * stopping): it ended, and the file holds what was flushed. */
  | { type: "failed"; id?: number; recording: number; message: string; result: RecordingResult };

// ── The spawner worker (workers/spawner_worker.ts) ──

/** Requests from the supervisor. */
export type SpawnerRequest =
  | { type: "init"; park: DspPark }
  | { type: "start"; id: number; start: DspStart }
  | { type: "adopted"; id: number; spareId: number }
  | { type: "terminate"; id: number }
  | { type: "shutdown" };

/** Reports to the supervisor. */
export type SpawnerReport = { type: "error"; id: number; message: string } | { type: "shutdown-done" };

// ── The OSC socket worker (osc/socket_worker.ts) ──

/** Main thread → socket worker. */
export type SocketRequest =
  | { type: "listen"; hostname: string; port: number }
  | { type: "send"; bytes: Uint8Array; hostname: string; port: number }
  | { type: "close" };

/** Socket worker → main thread. */
export type SocketEvent =
  | { type: "listening"; port: number; receiveBuffer: number; receiveBufferNote?: string }
  | { type: "failed"; message: string }
  | { type: "packets"; packets: { bytes: Uint8Array; hostname: string; port: number }[] }
  | { type: "closed" };
