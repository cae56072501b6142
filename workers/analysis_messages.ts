// The messages between the engine's listener (engine/listener.ts) and the analysis worker
// (workers/analysis_worker.ts): plain data, declared apart from the worker so that importing them does not
// start one.
import type { Analysis } from "../analysis/analyze.ts";

/** What the listener asks of the analysis worker. */
export type AnalysisRequest =
  | {
    /** The first message: the engine's shared memory and its settings. */
    type: "init";
    /** The engine's shared memory (asm/layout.ts). */
    sab: SharedArrayBuffer;
    /** Sample rate in Hz. */
    sampleRate: number;
    /** Frames per block. */
    block: number;
  }
  | {
    /** Collect module `module`'s probe from block `fromBlock` on (0: stop collecting). */
    type: "probe";
    /** The module id OP_PROBE selected (0: none). */
    module: number;
    /** The first block the probe command applies in. */
    fromBlock: number;
  }
  | {
    /** Analyse the last `frames` frames of the output (module 0) or of the probed module. */
    type: "analyze";
    /** Names the reply. */
    id: number;
    /** Frames to analyse. */
    frames: number;
    /** 0: the output (the record tap); else the probed module's id. */
    module: number;
    /** The patch has a limiter: report its gain reduction. */
    limiter: boolean;
    /** Write a PNG of the window here (plotPng), when given. */
    plotPath?: string;
    /** The plot's title. */
    title?: string;
    /** Give up after this many ms of waiting for audio. */
    timeoutMs: number;
  }
  | {
    /** Test hook (fault injection): the worker throws, as a crash would. */
    type: "crash";
  };

/** What the analysis worker answers. */
export type AnalysisReply =
  | { type: "ready" }
  | { type: "analysis"; id: number; analysis: Analysis; plot?: string; cost: AnalysisCost }
  | { type: "error"; id: number; message: string };

/** What one analysis cost the worker: the evidence a timing check needs to tell slow code from a busy machine. */
export interface AnalysisCost {
  /** From the request's arrival at the worker to the start of its analysis (queue, rest, waiting for audio). */
  waitMs: number;
  /** Wall time of the analysis (and the plot). */
  analyseMs: number;
  /** Time the worker's thread spent on a CPU during it (undefined where the thread clock cannot be read). */
  cpuMs?: number;
}
