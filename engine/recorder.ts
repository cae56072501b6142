// Recording, on the engine's side: the recorder worker (workers/recorder_worker.ts) owns the files and follows
// the record tap; this class starts and stops recordings (several at once, each a frame range of the output),
// keeps the state that refuses a bad request before the worker sees it, and answers status from what the worker
// last reported without asking it.
import { basename, resolve } from "node:path";
import * as L from "../asm/layout.ts";
import type { RecorderReply, RecorderRequest, RecordingResult } from "../core/messages.ts";
import { ClientError } from "../core/errors.ts";
import { tapViews } from "../core/shared.ts";
import type { EngineEvent } from "./metrics.ts";
import type { WavFormat } from "../core/wav.ts";

export type { RecordingResult } from "../core/messages.ts";

/** Recordings that may be on at once (the --record one included): each costs a file and a copy per block. */
export const MAX_RECORDINGS = 8;

/** The most bars a recording may ask for (at 20 BPM, 33 hours: longer than a WAV file holds anyway). */
export const MAX_BARS = 10_000;

/** How a recording is written, and where it starts and ends. */
export interface RecordOptions {
  /** "float32" (default: the output exactly) or "pcm24" (rounded to 24 bits, clipped to full scale). */
  format?: WavFormat;
  /** Stop by itself after exactly this many seconds (rounded to a whole frame). */
  seconds?: number;
  /** Stop by itself at the `bars`th bar line of the sequencer after the first frame. */
  bars?: number;
  /** The output frame to start at (a timed bundle's frame); default: the first frame not yet emitted. */
  frame?: number;
  /** What status and stop call it (default: its path). */
  name?: string;
}

/** A recording that has started: its absolute path and the output frames it holds. */
export interface RecordingStarted {
  /** The WAV file, as an absolute path. */
  path: string;
  /** What status and stop call it. */
  name: string;
  /** The output frame that is the file's first. */
  startFrame: number;
  /** The frame it ends at (exclusive) when known already (a length, a bar line found); null otherwise. */
  endFrame: number | null;
  /** The file's sample format. */
  format: WavFormat;
}

/** One recording in /record/status: on, or finished. */
export interface RecordingEntry {
  /** What stop calls it: the name given (recordings/take.wav), or the --record path. */
  name: string;
  /** The file's absolute path. */
  path: string;
  /** True while it is on. */
  recording: boolean;
  /** The file's sample format. */
  format: WavFormat;
  /** The output frame that is the file's first. */
  startFrame: number;
  /** The output frame it ends at (exclusive), once known; null while open-ended. */
  endFrame: number | null;
  /** Frames written so far. */
  frames: number;
  /** `frames` in seconds of audio. */
  seconds: number;
  /** Frames a crash would leave in the file: those on disk with a header that counts them. */
  flushedFrames: number;
  /** Times the recorder fell further behind than the tap holds. */
  overruns: number;
  /** Frames recorded as silence because the tap had overwritten them. */
  lostFrames: number;
  /** How far it is behind the output now, in ms of audio (0 once finished). */
  lagMs: number;
  /** The most it has been behind the output, in ms of audio. */
  maxLagMs: number;
  /** Why it ended early, if it did. */
  error?: string;
}

/**
 * /record/status: every recording that is on and the last finished ones (`recordings`); the top-level fields
 * describe one of them as before several could run: the last started that is on, else the last finished
 * (recording false), else none (path null).
 */
export interface RecordingStatus {
  /** True while any recording is on. */
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
  /** Times the recorder fell further behind than the tap holds (each a run of frames recorded as silence). */
  overruns: number;
  /** Frames recorded as silence because the tap had overwritten them. */
  lostFrames: number;
  /** How far the recorder is behind the output now, in ms of audio (0 once it has stopped). */
  lagMs: number;
  /** The most the recorder has been behind the output, in ms of audio. */
  maxLagMs: number;
  /** Why the last recording ended early, if it did. */
  error?: string;
  /** Each recording that is on (in the order started), then the last finished ones (newest last). */
  recordings: RecordingEntry[];
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

/** The frames a WAV file of `format` holds (a RIFF file counts its bytes in 32 bits). */
export function maxRecordingFrames(format: WavFormat): number {
  return Math.floor((0xffffffff - 64) / (L.CHANNELS * (format === "pcm24" ? 3 : 4)));
}

/**
 * Checks a recording's length options; throws ClientError in plain words (nothing is started then). Returns
 * the length in frames for `seconds` (undefined for an open or bar-long recording).
 */
export function checkRecordLength(options: RecordOptions, sampleRate: number): number | undefined {
  const { seconds, bars } = options;
  if (seconds !== undefined && bars !== undefined) {
    throw new ClientError("give --seconds or --bars, not both");
  }
  if (bars !== undefined && !(Number.isInteger(bars) && bars >= 1 && bars <= MAX_BARS)) {
    throw new ClientError(`--bars must be a whole number from 1 to ${MAX_BARS}, not ${bars}`);
  }
  if (seconds === undefined) return undefined;
  const frames = Math.round(seconds * sampleRate);
  const most = maxRecordingFrames(options.format ?? "float32");
  if (!(Number.isFinite(seconds) && seconds > 0) || frames < 1) {
    throw new ClientError(`--seconds must be more than 0, not ${seconds}`);
  }
  if (frames > most) {
    throw new ClientError(
      `--seconds ${seconds} is longer than a WAV file holds (${(most / sampleRate).toFixed(0)} s)`,
    );
  }
  return frames;
}

interface Entry {
  /** The id of its start request (the worker names the recording by it). */
  id: number;
  name: string;
  path: string;
  format: WavFormat;
  startFrame: number;
  endFrame: number | null;
  next: number;
  flushedFrames: number;
  overruns: number;
  lostFrames: number;
  maxLagFrames: number;
  /** A stop was asked for (it no longer counts as on). */
  stopping: boolean;
  /** Its end, once finished. */
  result?: RecordingResult;
  error?: string;
}

interface Pending {
  resolve: (r: RecorderReply) => void;
}

/** The engine's recorder: up to MAX_RECORDINGS recordings at once, written by the recorder worker. */
export class Recorder {
  #worker: Worker;
  #hdr: Int32Array;
  #sampleRate: number;
  #block: number;
  #flushFrames: number;
  #onEvent?: (e: EngineEvent) => void;
  /** Recordings on (started or starting, not yet asked to stop), by id, in the order started. */
  #on = new Map<number, Entry>();
  /** Recordings asked to stop, until finalized. */
  #stopping = new Map<number, Entry>();
  /** The last finished ones (at most MAX_RECORDINGS), newest last. */
  #done: Entry[] = [];
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

  /** True while any recording is on (from its start request to its stop request or its end). */
  get recording(): boolean {
    return this.#on.size > 0;
  }

  /**
   * Starts recording the output at `options.frame` (default: the first frame it has not emitted yet) into
   * `path` (relative paths resolve against the engine's current directory; default `chronus-YYYYMMDD-HHMMSS.wav`
   * there), for `seconds` or `bars` or until stopped. Rejects with a ClientError when MAX_RECORDINGS are on,
   * that file is being recorded already, the options are wrong or the file cannot be created; nothing changes
   * then.
   */
  start(path: string | undefined, options: RecordOptions = {}): Promise<RecordingStarted> {
    let abs: string;
    try {
      abs = path === undefined ? defaultRecordingPath() : resolve(path);
    } catch (e) {
      return Promise.reject(new ClientError(`cannot choose a file name: ${(e as Error).message}`));
    }
    const B = this.#block;
    const frame = options.frame ?? Atomics.load(this.#hdr, L.TAP_WRITTEN) * B;
    return this.#begin(abs, { ...options, frame });
  }

  /** Starts recording at `startFrame` (the engine's `record` option: frame 0, before the output starts). */
  startAt(path: string, format: WavFormat, startFrame: number): Promise<RecordingStarted> {
    return this.#begin(resolve(path), { format, frame: startFrame });
  }

  /** Throws ClientError when a recording with these options could not start now (nothing is started). */
  check(path: string | undefined, options: RecordOptions = {}): void {
    if (this.#closed) throw new ClientError("the engine has stopped");
    if (this.#on.size + this.#stopping.size >= MAX_RECORDINGS) {
      throw new ClientError(`${MAX_RECORDINGS} recordings are on already (the most at once): stop one first`);
    }
    const abs = path === undefined ? undefined : resolve(path);
    for (const e of [...this.#on.values(), ...this.#stopping.values()]) {
      if (e.path === abs || (options.name !== undefined && e.name === options.name)) {
        throw new ClientError(`already recording to ${e.name}: stop that recording first`);
      }
    }
    if (options.frame !== undefined && !(Number.isInteger(options.frame) && options.frame >= 0)) {
      throw new ClientError(`a recording starts at a frame from 0, not ${options.frame}`);
    }
    checkRecordLength(options, this.#sampleRate);
  }

  async #begin(path: string, options: RecordOptions & { frame: number }): Promise<RecordingStarted> {
    this.check(path, options);
    const format = options.format ?? "float32";
    const length = checkRecordLength(options, this.#sampleRate);
    const id = this.#nextId++;
    const startFrame = options.frame;
    const endFrame = length === undefined ? null : startFrame + length;
    const entry: Entry = {
      id,
      name: options.name ?? path,
      path,
      format,
      startFrame,
      endFrame,
      next: startFrame,
      flushedFrames: 0,
      overruns: 0,
      lostFrames: 0,
      maxLagFrames: 0,
      stopping: false,
    };
    this.#on.set(id, entry);
    this.#error = undefined;
    const r = await this.#request({
      type: "start",
      id,
      path,
      format,
      startFrame,
      ...(endFrame !== null ? { endFrame } : {}),
      ...(options.bars !== undefined ? { bars: options.bars } : {}),
      flushFrames: this.#flushFrames,
    }, id);
    if (r.type !== "started") {
      this.#on.delete(id);
      throw new ClientError(`cannot record to ${path}: ${"message" in r ? r.message : r.type}`);
    }
    if (entry.endFrame === null) entry.endFrame = r.endFrame;
    return { path, name: entry.name, startFrame, endFrame: entry.endFrame, format };
  }

  /** The recording that is on named `name`: its name, its absolute path, or its file's name when unique. */
  #find(name: string): Entry {
    const on = [...this.#on.values()];
    const exact = on.find((e) => e.name === name || e.path === name || e.path === resolve(name));
    if (exact) return exact;
    const byFile = on.filter((e) => basename(e.path) === name || basename(e.name) === name);
    if (byFile.length === 1) return byFile[0];
    const names = on.map((e) => e.name).join(", ");
    if (byFile.length > 1) throw new ClientError(`"${name}" names several recordings: ${names}`);
    throw new ClientError(
      on.length ? `not recording ${name} (recording ${names})` : `not recording ${name}${this.#why()}`,
    );
  }

  #why(): string {
    return this.#error ? ` (the last recording ended early: ${this.#error})` : "";
  }

  /**
   * Stops one recording at `frame` (a timed bundle's; default: the frame the output is at) and finalizes its
   * file, which then holds output frames [startFrame, that frame). `name` chooses it (see #find); without a name
   * there must be exactly one on. Rejects with a ClientError when there is no such recording.
   */
  stop(name?: string, frame?: number): Promise<RecordingResult> {
    let e: Entry;
    try {
      if (name === undefined) {
        if (this.#on.size === 0) throw new ClientError(`not recording${this.#why()}`);
        if (this.#on.size > 1) {
          const names = [...this.#on.values()].map((x) => x.name).join(", ");
          throw new ClientError(`${this.#on.size} recordings are on (${names}): name one, or stop them all`);
        }
        e = [...this.#on.values()][0];
      } else e = this.#find(name);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#end(e, frame ?? Atomics.load(this.#hdr, L.TAP_WRITTEN) * this.#block);
  }

  /** Stops every recording that is on at `frame` (default: where the output is); ClientError when none is. */
  stopAll(frame?: number): Promise<RecordingResult[]> {
    if (this.#on.size === 0) return Promise.reject(new ClientError(`not recording${this.#why()}`));
    const at = frame ?? Atomics.load(this.#hdr, L.TAP_WRITTEN) * this.#block;
    return Promise.all([...this.#on.values()].map((e) => this.#end(e, at)));
  }

  async #end(e: Entry, endFrame: number): Promise<RecordingResult> {
    this.#on.delete(e.id);
    this.#stopping.set(e.id, e);
    e.stopping = true;
    const id = this.#nextId++;
    const r = await this.#request({ type: "stop", id, recording: e.id, endFrame }, id);
    this.#stopping.delete(e.id);
    if (r.type === "stopped") {
      this.#finished(e, r.result);
      return r.result;
    }
    if (r.type === "failed") this.#finished(e, r.result, r.message);
    throw new ClientError("message" in r ? r.message : `the recorder answered ${r.type}`);
  }

  #finished(e: Entry, result: RecordingResult, error?: string): void {
    this.#on.delete(e.id);
    this.#stopping.delete(e.id);
    if (e.result) return;
    e.result = result;
    if (error) e.error = error;
    this.#done.push(e);
    if (this.#done.length > MAX_RECORDINGS) this.#done.shift();
  }

  /** Every recording on and the last finished ones; the top-level fields as RecordingStatus says. */
  status(): RecordingStatus {
    const entries = [...this.#on.values(), ...this.#stopping.values()].map((e) => this.#entry(e));
    const finished = this.#done.map((e) => this.#entry(e));
    const recordings = [...entries, ...finished];
    const top = entries[entries.length - 1] ?? finished[finished.length - 1];
    return {
      recording: this.#on.size > 0,
      path: top?.path ?? null,
      format: top?.format ?? null,
      startFrame: top?.startFrame ?? 0,
      frames: top?.frames ?? 0,
      seconds: top?.seconds ?? 0,
      flushedFrames: top?.flushedFrames ?? 0,
      flushedSeconds: (top?.flushedFrames ?? 0) / this.#sampleRate,
      overruns: top?.overruns ?? 0,
      lostFrames: top?.lostFrames ?? 0,
      lagMs: top?.lagMs ?? 0,
      maxLagMs: top?.maxLagMs ?? 0,
      ...(entries.length === 0 && this.#error ? { error: this.#error } : {}),
      recordings,
    };
  }

  #entry(e: Entry): RecordingEntry {
    const ms = (frames: number) => (frames * 1000) / this.#sampleRate;
    const r = e.result;
    if (r) {
      return {
        name: e.name,
        path: e.path,
        recording: false,
        format: e.format,
        startFrame: r.startFrame,
        endFrame: r.startFrame + r.frames,
        frames: r.frames,
        seconds: r.seconds,
        flushedFrames: r.flushedFrames,
        overruns: r.overruns,
        lostFrames: r.lostFrames,
        lagMs: 0,
        maxLagMs: r.maxLagMs,
        ...(e.error ? { error: e.error } : {}),
      };
    }
    const out = Atomics.load(this.#hdr, L.TAP_WRITTEN) * this.#block;
    const lag = Math.max(0, Math.min(out, e.endFrame ?? Infinity) - e.next);
    const frames = e.next - e.startFrame;
    return {
      name: e.name,
      path: e.path,
      recording: !e.stopping,
      format: e.format,
      startFrame: e.startFrame,
      endFrame: e.endFrame,
      frames,
      seconds: frames / this.#sampleRate,
      flushedFrames: e.flushedFrames,
      overruns: e.overruns,
      lostFrames: e.lostFrames,
      lagMs: ms(lag),
      maxLagMs: Math.max(ms(lag), ms(e.maxLagFrames)),
    };
  }

  /** Test hook (fault injection): blocks the recorder worker's thread for `ms`, like a disk that hangs. */
  stall(ms: number): void {
    this.#post({ type: "stall", ms });
  }

  /**
   * Finalizes every recording still on at `endBlock` (the output's end: clean shutdown; a timed one that would
   * end later ends there), answers every request already made, then ends the worker. Resolves with those
   * recordings (`result`: the first started), or why one could not be finished (also reported as a
   * record-failed event).
   */
  async close(
    endBlock: number,
  ): Promise<{ result?: RecordingResult; results: RecordingResult[]; error?: string }> {
    if (this.#closed) return { results: [] };
    this.#closed = true;
    if (!this.#loaded) {
      // Never loaded (or died loading): nothing was written; requests made meanwhile get their answer here.
      this.#worker.terminate();
      this.#dead = true;
      for (const [id, p] of this.#pending) {
        p.resolve({ type: "stop-failed", id, message: "the recorder did not load" });
      }
      this.#pending.clear();
      this.#on.clear();
      return { results: [] };
    }
    const out: { result?: RecordingResult; results: RecordingResult[]; error?: string } = { results: [] };
    try {
      const ends = [...this.#on.values()].map((e) =>
        this.#end(e, endBlock * this.#block).then(
          (r) => out.results.push(r),
          (err: Error) => out.error ??= err.message,
        )
      );
      await Promise.all(ends);
      out.results.sort((a, b) => a.startFrame - b.startFrame);
      if (out.results.length) out.result = out.results[0];
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
    if (r.type === "progress") {
      for (const p of r.recordings) {
        const e = this.#on.get(p.recording) ?? this.#stopping.get(p.recording);
        if (!e) continue;
        e.next = p.next;
        e.endFrame = p.endFrame;
        e.flushedFrames = p.flushedFrames;
        e.overruns = p.overruns;
        e.lostFrames = p.lostFrames;
        e.maxLagFrames = p.maxLagFrames;
      }
    } else if (r.type === "finished") {
      const e = this.#on.get(r.recording) ?? this.#stopping.get(r.recording);
      if (!e) return;
      this.#finished(e, r.result);
      const x = r.result, sr = this.#sampleRate;
      this.#onEvent?.({
        type: "recorded",
        message: `${e.name}: output frames ${x.startFrame}…${x.startFrame + x.frames} ` +
          `(${x.frames} frames, ${(x.frames / sr).toFixed(3)} s) in ${x.path}`,
      });
    } else if (r.type === "overrun") {
      const sr = this.#sampleRate;
      this.#onEvent?.({
        type: "record-overrun",
        message: `recording ${r.path}: frames ${r.fromFrame}…${r.toFrame} ` +
          `(${((r.toFrame - r.fromFrame) / sr).toFixed(3)} s) were recorded as silence: the recorder fell ` +
          `more than the tap's ${
            (Atomics.load(this.#hdr, L.TAP_CAP) * this.#block / sr).toFixed(2)
          } s behind the output`,
      });
    } else if (r.type === "failed") {
      const e = this.#on.get(r.recording) ?? this.#stopping.get(r.recording);
      if (e) this.#finished(e, r.result, r.message);
      this.#fail(r.message, r.recording);
    }
  }

  // A recording is over early (a write failed; undefined: the worker died, and every recording with it). Say
  // so, and remember why for status.
  #fail(message: string, recording?: number): void {
    if (recording === undefined) this.#on.clear();
    else this.#on.delete(recording);
    this.#error = message;
    this.#onEvent?.({ type: "record-failed", message });
    if (recording === undefined) {
      for (const [id, p] of this.#pending) p.resolve({ type: "stop-failed", id, message });
      this.#pending.clear();
    }
  }
}
