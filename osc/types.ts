// What the router and its routes pass around: decoded OSC arguments, replies, where a message's commands go,
// and the part of the engine they may use. Kept apart from osc/router.ts so the route files (osc/routes/)
// can use them without importing the dispatcher that imports them.
import type { Command } from "../core/command.ts";
import type { Engine } from "../engine/engine.ts";
import type { History } from "../sequencer/history.ts";
import type { SampleLibrary } from "../patch/samples.ts";

/** One OSC argument as osc/codec.ts decodes it (its header maps each type tag to one of these). */
export type OscArg = number | string | boolean | null | Uint8Array | OscArg[];

/** A reply: an address and its arguments. */
export interface OscReply {
  /** Its OSC address: the request's own, `/error`, or a broadcast's (`/event`, `/viz/levels` …). */
  address: string;
  /** Its arguments, in order. */
  args: (number | string)[];
}

/** What the router needs of an engine (the Engine class, or a fake in tests). */
export type OscEngine =
  & Pick<
    Engine,
    | "sampleRate"
    | "block"
    | "patch"
    | "sequencer"
    | "instrument"
    | "sequencePosition"
    | "send"
    | "sendBatch"
    | "commit"
    | "status"
    | "asap"
    | "startRecording"
    | "stopRecording"
    | "stopRecordings"
    | "checkRecording"
    | "recordingStatus"
  >
  & {
    /**
     * Silences the output with a short fade and stops the sequencer and any recording, keeping the workers and
     * the state (/engine/stop); absent where there is no output to pause (a score).
     */
    pauseOutput?(): unknown;
    /** Resumes the output after pauseOutput (/engine/start); absent where there is no output to pause. */
    resumeOutput?(): unknown;
    /**
     * Counts `n` future events for the sender before they are sent (a /note's gate-off; Engine.reserve), with
     * `withNext` commands about to go with them checked too; absent where nothing is queued (a score).
     */
    reserve?(n: number, frame: number, withNext?: number): void;
    /** Each named module's output peak since the previous call (Engine.peakMeters); absent in a score. */
    peakMeters?(names: readonly string[]): number[];
    /** The last `frames` frames of the output (Engine.recentAudio); absent in a score. */
    recentAudio?(frames: number): Float32Array;
    /** Blocks rendered ahead of the output (Engine.lead); absent in a score. */
    readonly lead?: number;
    /** Parameters read back from the DSP (Engine.readModules); absent where nothing plays (a score). */
    readModules?: Engine["readModules"];
    /** The listening report of the output or a module (Engine.analyze); absent where nothing plays (a score). */
    analyze?: Engine["analyze"];
    /** The edit history its clients share (Engine.history); a router without one keeps its own. */
    readonly history?: History;
    /** The samples its `sampler` modules play (patch/samples.ts); absent where there is no pool. */
    readonly samples?: SampleLibrary;
    /** Decodes a sample file off the main thread (Engine.decodeSample); absent: /sample/load decodes in place. */
    decodeSample?: Engine["decodeSample"];
  };

/** Where a message's commands go: sent at once, or collected for a bundle's frame. */
export interface Delivery {
  /** The bundle's frame (undefined: as soon as possible). */
  frame?: number;
  /** Present inside a bundle: commands are appended here and sent together by the server. */
  batch?: Command[];
}

/** The sender of a message, when it came over a socket (the server's subscriptions live behind it). */
export interface OscPeer {
  /** Starts or stops events, meters and copies of replies to the sender (or to `port` on its host). */
  subscribe(on: boolean, port?: number): void;
  /** False for a sender large replies may not go to (neither loopback nor --osc-allow): no reflection. */
  readonly trusted?: boolean;
  /** Its address and port ("127.0.0.1:9001"): the author of its edits in the history. */
  readonly name?: string;
}
