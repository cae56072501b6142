// Recording, on the engine's side: the recorder worker (workers/recorder_worker.ts) owns the file and follows
// the record tap; this class starts and stops it, keeps the state that refuses a second start or a stop with
// nothing recording, and answers status from the tap header without asking the worker.
import { resolve } from "node:path";
import * as L from "../asm/layout.ts";
import type { RecorderReply, RecorderRequest, RecordingResult } from "../core/messages.ts";
import { ClientError } from "../core/errors.ts";
import { tapViews } from "../core/shared.ts";
import type { EngineEvent } from "./metrics.ts";
import type { WavFormat } from "../core/wav.ts";

export type { RecordingResult } from "../core/messages.ts";

/** How a recording is written. */
export interface RecordOptions {
  /** "float32" (default: the output exactly) or "pcm24" (rounded to 24 bits, clipped to full scale). */
  format?: WavFormat;
}

/** A recording that has started: its absolute path and the output frame its first sample is. */
export interface RecordingStarted {
  /** The WAV file, as an absolute path. */
  path: string;
  /** The output frame that is the file's first: the first frame of the first block not yet emitted. */
  startFrame: number;
  /** The file's sample format. */
  format: WavFormat;
}

/** /record/status: the current recording, or the last one (recording false), or none (path null). */
export interface RecordingStatus {
  /** True while a recording is on; false for the last one, or when there was none. */
  recording: boolean;
  /** The file's absolute path; null when nothing was recorded yet. */
  path: string | null;
  /** The file's sample format; null when nothing was recorded yet. */
  format: WavFormat | null;
  /** The output frame that is the file's first (0 when nothing was recorded yet). */
  startFrame: number;
  /** Frames taken from the output so far. */
  frames: number;
  /** `frames` in seconds of audio. */
  seconds: number;
  /** Frames a crash would leave in the file: those on disk with a header that counts them. */
  flushedFrames: number;
  /** `flushedFrames` in seconds of audio. */
  flushedSeconds: number;
  /** Times the recorder fell further behind than the tap holds (each a run of blocks recorded as silence). */
  overruns: number;
  /** Frames recorded as silence because the tap had overwritten them. */
  lostFrames: number;
  /** How far the recorder is behind the output now, in ms of audio (0 once it has stopped). */
  lagMs: number;
  /** The most the recorder has been behind the output, in ms of audio. */
  maxLagMs: number;
  /** Why the last recording ended early, if it did. */
  error?: string;
}

/** Frames between flushes by default: half a second at 48 kHz, so a crash loses well under a second. */
export const FLUSH_SECONDS = 0.5;

const workerUrl = new URL("../workers/recorder_worker.ts", import.meta.url);

/** Parses a format word ("float32", "32", "24", "pcm24"); throws ClientError naming the accepted ones. */
export function parseRecordFormat(word: string | number): WavFormat {
  const w = String(word).toLowerCase();
  if (w === "float32" || w === "float" || w === "32") return "float32";
  if (w === "pcm24" || w === "24") return "pcm24";
  throw new ClientError(`unknown recording format "${word}" (float32 or 24)`);
}

/** `chronus-YYYYMMDD-HHMMSS.wav` (local time), `-2`, `-3` … for the `n`th name of one second. */
export function recordingFileName(now: Date, n = 1): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `chronus-${stamp}${n > 1 ? `-${n}` : ""}.wav`;
}

/** recordingFileName in `dir`, the first that does not exist yet. */
export function defaultRecordingPath(dir = Deno.cwd(), now = new Date()): string {
  for (let i = 1;; i++) {
    const path = resolve(dir, recordingFileName(now, i));
    try {
      Deno.lstatSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return path;
      throw e;
    }
  }
}

interface Active {
  /** The id of its start request (the worker names the recording by it). */
  id: number;
  path: string;
  format: WavFormat;
  startBlock: number;
  /** The worker has opened the file (until then the tap header still shows the previous recording). */
  open: boolean;
}

interface Pending {
  resolve: (r: RecorderReply) => void;
}

/** The engine's recorder: one recording at a time, written by the recorder worker. */
export class Recorder {
  #worker: Worker;
  #hdr: Int32Array;
  #sampleRate: number;
  #block: number;
  #flushFrames: number;
  #onEvent?: (e: EngineEvent) => void;
  #active?: Active;
  #last?: RecordingResult;
  #error?: string;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #dead = false;
  #loaded = false;
  #ready: Promise<void>;
  #readyNow!: () => void;
  #notReady!: (e: Error) => void;

  /** Starts the recorder worker (its file work never runs on the main thread or the output worker). */
  constructor(
    sab: SharedArrayBuffer,
    sampleRate: number,
    block: number,
    options: { flushSeconds?: number; onEvent?: (e: EngineEvent) => void } = {},
  ) {
    this.#hdr = tapViews(sab).hdr;
    this.#sampleRate = sampleRate;
    this.#block = block;
    this.#flushFrames = Math.max(block, Math.round((options.flushSeconds ?? FLUSH_SECONDS) * sampleRate));
    this.#onEvent = options.onEvent;
    this.#ready = new Promise((res, rej) => {
      this.#readyNow = res;
      this.#notReady = rej;
    });
    this.#ready.catch(() => {}); // also reported as a record-failed event; ready() callers see it too
    this.#worker = new Worker(workerUrl, { type: "module" });
    this.#worker.onmessage = (e: MessageEvent<RecorderReply>) => this.#reply(e.data);
    this.#worker.onerror = (e) => {
      e.preventDefault();
      this.#dead = true;
      this.#notReady(new Error(`the recorder worker failed: ${e.message}`));
      this.#fail(`the recorder worker failed: ${e.message}`);
    };
    this.#post({ type: "init", sab, sampleRate, block });
  }

  /**
   * Resolves once the worker has loaded and can follow the tap, so that a recording asked for at once does not
   * start seconds behind the output (a worker's first load can take that long). Rejects after `timeoutMs`.
   */
  ready(timeoutMs = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, rej) => {
      timer = setTimeout(
        () => rej(new Error(`the recorder worker did not load within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([this.#ready, late]).finally(() => clearTimeout(timer));
  }

  /** True while a recording is on (from the start request to the stop request). */
  get recording(): boolean {
    return this.#active !== undefined;
  }

  /**
   * Starts recording the output at the first block it has not emitted yet, into `path` (relative paths
   * resolve against the engine's current directory; default `chronus-YYYYMMDD-HHMMSS.wav` there). Rejects with
   * a ClientError when a recording is on or the file cannot be created; nothing changes then.
   */
  start(path: string | undefined, options: RecordOptions = {}): Promise<RecordingStarted> {
    if (this.#closed) return Promise.reject(new ClientError("the engine has stopped"));
    if (this.#active) {
      return Promise.reject(
        new ClientError(`already recording to ${this.#active.path}: stop that recording first`),
      );
    }
    const format = options.format ?? "float32";
    let abs: string;
    try {
      abs = path === undefined ? defaultRecordingPath() : resolve(path);
    } catch (e) {
      return Promise.reject(new ClientError(`cannot choose a file name: ${(e as Error).message}`));
    }
    return this.#begin(abs, format, Atomics.load(this.#hdr, L.TAP_WRITTEN));
  }

  /** Starts recording at `startBlock` (the engine's `record` option: frame 0, before the output starts). */
  startAt(path: string, format: WavFormat, startBlock: number): Promise<RecordingStarted> {
    return this.#begin(resolve(path), format, startBlock);
  }

  async #begin(path: string, format: WavFormat, startBlock: number): Promise<RecordingStarted> {
    const id = this.#nextId++;
    const active: Active = { id, path, format, startBlock, open: false };
    this.#active = active;
    this.#error = undefined;
    const r = await this.#request({
      type: "start",
      id,
      path,
      format,
      startBlock,
      flushFrames: this.#flushFrames,
    }, id);
    if (r.type !== "started") {
      if (this.#active === active) this.#active = undefined;
      throw new ClientError(`cannot record to ${path}: ${"message" in r ? r.message : r.type}`);
    }
    active.open = true;
    return { path, startFrame: startBlock * this.#block, format };
  }

  /**
   * Stops the recording at the block the output is at (the file then holds frames [startFrame, startFrame +
   * frames) of the output) and finalizes the file. Rejects with a ClientError when nothing is recording.
   */
  stop(): Promise<RecordingResult> {
    const active = this.#active;
    if (!active) {
      const why = this.#error ? ` (the last recording ended early: ${this.#error})` : "";
      return Promise.reject(new ClientError(`not recording${why}`));
    }
    this.#active = undefined;
    return this.#end(Atomics.load(this.#hdr, L.TAP_WRITTEN));
  }

  async #end(endBlock: number): Promise<RecordingResult> {
    const id = this.#nextId++;
    const r = await this.#request({ type: "stop", id, endBlock }, id);
    if (r.type === "stopped") {
      this.#last = r.result;
      return r.result;
    }
    if (r.type === "failed") this.#last = r.result;
    throw new ClientError("message" in r ? r.message : `the recorder answered ${r.type}`);
  }

  /** The current (or last) recording. */
  status(): RecordingStatus {
    const a = this.#active;
    const ms = (blocks: number) => (blocks * this.#block * 1000) / this.#sampleRate;
    if (a) {
      const h = this.#hdr;
      const next = a.open ? Atomics.load(h, L.REC_NEXT) : a.startBlock;
      const frames = (next - a.startBlock) * this.#block;
      const lag = Math.max(0, Atomics.load(h, L.TAP_WRITTEN) - next);
      return {
        recording: true,
        path: a.path,
        format: a.format,
        startFrame: a.startBlock * this.#block,
        frames,
        seconds: frames / this.#sampleRate,
        flushedFrames: a.open ? Atomics.load(h, L.REC_FLUSHED) : 0,
        flushedSeconds: (a.open ? Atomics.load(h, L.REC_FLUSHED) : 0) / this.#sampleRate,
        overruns: a.open ? Atomics.load(h, L.REC_OVERRUNS) : 0,
        lostFrames: a.open ? Atomics.load(h, L.REC_LOST) * this.#block : 0,
        lagMs: ms(lag),
        maxLagMs: a.open ? Math.max(ms(lag), ms(Atomics.load(h, L.REC_MAX_LAG))) : ms(lag),
      };
    }
    const l = this.#last;
    return {
      recording: false,
      path: l?.path ?? null,
      format: l?.format ?? null,
      startFrame: l?.startFrame ?? 0,
      frames: l?.frames ?? 0,
      seconds: l?.seconds ?? 0,
      flushedFrames: l?.flushedFrames ?? 0,
      flushedSeconds: (l?.flushedFrames ?? 0) / this.#sampleRate,
      overruns: l?.overruns ?? 0,
      lostFrames: l?.lostFrames ?? 0,
      lagMs: 0,
      maxLagMs: l?.maxLagMs ?? 0,
      ...(this.#error ? { error: this.#error } : {}),
    };
  }

  /** Test hook (fault injection): blocks the recorder worker's thread for `ms`, like a disk that hangs. */
  stall(ms: number): void {
    this.#post({ type: "stall", ms });
  }

  /**
   * Finalizes a recording that is on at `endBlock` (the output's end: clean shutdown), answers every request
   * already made, then ends the worker. Resolves with that recording, or why it could not be finished (also
   * reported as a record-failed event).
   */
  async close(endBlock: number): Promise<{ result?: RecordingResult; error?: string }> {
    if (this.#closed) return {};
    this.#closed = true;
    if (!this.#loaded) {
      // Never loaded (or died loading): nothing was written; requests made meanwhile get their answer here.
      this.#worker.terminate();
      this.#dead = true;
      for (const [id, p] of this.#pending) {
        p.resolve({ type: "stop-failed", id, message: "the recorder did not load" });
      }
      this.#pending.clear();
      this.#active = undefined;
      return {};
    }
    const out: { result?: RecordingResult; error?: string } = {};
    try {
      if (this.#active) {
        this.#active = undefined;
        try {
          out.result = await this.#end(endBlock);
        } catch (e) {
          out.error = (e as Error).message;
        }
      }
      // The worker answers in order: once `closed` arrives, every earlier request has its answer.
      const id = this.#nextId++;
      await this.#request({ type: "close", id }, id);
    } finally {
      this.#worker.terminate();
    }
    return out;
  }

  #post(m: RecorderRequest): void {
    this.#worker.postMessage(m);
  }

  #request(m: RecorderRequest, id: number): Promise<RecorderReply> {
    if (this.#dead) {
      return Promise.resolve({ type: "stop-failed", id, message: "the recorder worker has failed" });
    }
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve });
      this.#post(m);
    });
  }

  #reply(r: RecorderReply): void {
    if (r.type === "ready") {
      this.#loaded = true;
      this.#readyNow();
      return;
    }
    if ("id" in r && r.id !== undefined) {
      const p = this.#pending.get(r.id);
      this.#pending.delete(r.id);
      p?.resolve(r);
      if (r.type !== "failed") return;
    }
    if (r.type === "overrun") {
      const B = this.#block, sr = this.#sampleRate;
      this.#onEvent?.({
        type: "record-overrun",
        message: `recording ${r.path}: frames ${r.fromBlock * B}…${r.toBlock * B} ` +
          `(${
            ((r.toBlock - r.fromBlock) * B / sr).toFixed(3)
          } s) were recorded as silence: the recorder fell ` +
          `more than the tap's ${
            (Atomics.load(this.#hdr, L.TAP_CAP) * B / sr).toFixed(2)
          } s behind the output`,
      });
    } else if (r.type === "failed") {
      this.#last = r.result;
      this.#fail(r.message, r.recording);
    }
  }

  // A recording is over early (a write failed; undefined: the worker died, and every recording with it). Say
  // so, and remember why for status.
  #fail(message: string, recording?: number): void {
    if (this.#active && (recording === undefined || this.#active.id === recording)) this.#active = undefined;
    this.#error = message;
    this.#onEvent?.({ type: "record-failed", message });
    if (recording === undefined) {
      for (const [id, p] of this.#pending) p.resolve({ type: "stop-failed", id, message });
      this.#pending.clear();
    }
  }
}
