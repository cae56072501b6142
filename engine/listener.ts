// The engine's ears: `/analyze` and `listen` ask here for a report of what the output (or one module) played
// over the last seconds. The work runs in the analysis worker (workers/analysis_worker.ts), never on the main
// thread, whose supervision ticks must not wait for an FFT. This class checks the request, bounds how many are
// in flight, points the DSP's probe at a module (a stamped command: every worker probes the same blocks), and
// restarts the worker when it dies (its requests get an error; the sound never notices: the worker only reads).
import * as L from "../asm/layout.ts";
import type { Analysis } from "../analysis/analyze.ts";
import { type Command, command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import type { Patch } from "../patch/graph.ts";
import { moduleDef } from "../patch/schema.ts";
import type { AnalysisCost, AnalysisReply, AnalysisRequest } from "../workers/analysis_messages.ts";

/** Seconds analysed when the request names none. */
export const DEFAULT_SECONDS = 2;

/** How many analyses' costs the listener keeps. */
export const COSTS_KEPT = 64;

/** The most requests waiting for the analysis worker; one more is refused as busy. */
export const MAX_QUEUED = 4;

/** What the listener needs of the engine. */
export interface ListenerHost {
  /** The engine's shared memory. */
  sab: SharedArrayBuffer;
  /** Sample rate in Hz. */
  sampleRate: number;
  /** Frames per block. */
  block: number;
  /** The committed patch (module names, ids and types). */
  patch: Patch;
  /** Sends a command as soon as possible; returns its frame. */
  send(cmd: Command): number;
}

/** A report, with the PNG's path when one was asked for. */
export type Heard = Analysis & { plot?: string };

/** How to listen, besides how long and to what. */
export interface ListenOptions {
  /** Write a PNG of the window to this (absolute) path. */
  plotPath?: string;
}

/** The longest window, in seconds: what the record tap holds at this block size and rate. */
export function maxSeconds(sampleRate: number, block: number): number {
  return (Math.floor(L.TAP_FRAMES / block) * block) / sampleRate;
}

/** Checks a window length: a number of seconds in (0, maxSeconds]; throws ClientError naming the bounds. */
export function checkSeconds(seconds: unknown, sampleRate: number, block: number): number {
  const max = maxSeconds(sampleRate, block);
  const s = typeof seconds === "string" && seconds.trim() !== "" ? Number(seconds) : seconds;
  if (typeof s !== "number" || !Number.isFinite(s)) {
    throw new ClientError(`seconds must be a number (0 … ${max.toFixed(2)}), not ${JSON.stringify(seconds)}`);
  }
  if (s <= 0) throw new ClientError(`seconds must be more than 0, not ${s}`);
  if (s > max) {
    throw new ClientError(`at most ${max.toFixed(2)} s can be analysed (the record tap's length), not ${s}`);
  }
  return s;
}

const workerUrl = new URL("../workers/analysis_worker.ts", import.meta.url);

interface Pending {
  resolve: (a: Heard) => void;
  reject: (e: Error) => void;
}

/** The engine's listener: one analysis worker, at most MAX_QUEUED requests, the probe's module. */
export class Listener {
  #host: ListenerHost;
  #worker?: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #probe?: { name: string; id: number; fromBlock: number };
  #outBlock: () => number;
  #closed = false;
  /** Times the analysis worker died and was started again. */
  restarts = 0;
  /** The costs of the last COSTS_KEPT analyses, oldest first (for benchmarks and timing tests). */
  readonly costs: AnalysisCost[] = [];

  /** A listener for `host`; `outBlock` reads the output's next block. */
  constructor(host: ListenerHost, outBlock: () => number) {
    this.#host = host;
    this.#outBlock = outBlock;
  }

  /**
   * Starts the worker ahead of the first request, which would otherwise wait for it to load (~0.9 s here); it
   * loads at the lowest priority (workers/analysis_worker.ts).
   */
  warm(): void {
    if (!this.#closed) this.#ensureWorker();
  }

  /** Requests in flight. */
  get queued(): number {
    return this.#pending.size;
  }

  /**
   * The report of the last `seconds` (default 2) of the output, or of module `module`'s main output. Rejects
   * with a ClientError for a bad window, an unknown module, one without audio output, or when MAX_QUEUED
   * requests are already waiting. The first request for a module not probed yet waits `seconds` for its audio.
   */
  analyze(seconds: unknown = DEFAULT_SECONDS, module?: string, options: ListenOptions = {}): Promise<Heard> {
    try {
      if (this.#closed) throw new ClientError("the engine has stopped");
      const { sampleRate, block } = this.#host;
      const s = checkSeconds(seconds ?? DEFAULT_SECONDS, sampleRate, block);
      if (this.#pending.size >= MAX_QUEUED) {
        throw new ClientError(`busy: ${this.#pending.size} analyses queued`);
      }
      const frames = Math.max(1, Math.round(s * sampleRate));
      const id = module === undefined ? 0 : this.#probeFor(module);
      const limiter = [...this.#host.patch.modules.values()].some((m) => m.type === "limiter");
      const worker = this.#ensureWorker();
      const reqId = this.#nextId++;
      const p = new Promise<Heard>((resolve, reject) => this.#pending.set(reqId, { resolve, reject }));
      const waitMs = id === 0 ? 2000 : s * 1000 + 3000; // a probe's first request collects `seconds` first
      const req: AnalysisRequest = {
        type: "analyze",
        id: reqId,
        frames,
        module: id,
        limiter,
        timeoutMs: waitMs,
        ...(options.plotPath ? { plotPath: options.plotPath, title: module ?? "output" } : {}),
      };
      worker.postMessage(req);
      return p;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Test hook (fault injection): the analysis worker throws, as a crash would. */
  crash(): void {
    this.#worker?.postMessage({ type: "crash" } satisfies AnalysisRequest);
  }

  /** Ends the worker; requests in flight get an error. */
  close(): void {
    this.#closed = true;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#failAll("the engine has stopped");
  }

  // The module's id, with the probe pointed at it (a stamped command) unless it already is.
  #probeFor(name: string): number {
    const m = this.#host.patch.module(name); // ClientError naming the modules when there is none
    const def = moduleDef(m.type);
    const outs = def?.outputs ?? [];
    if (outs.length === 0) {
      throw new ClientError(`${name} (${m.type}) has no audio output to analyse`);
    }
    if (this.#probe && this.#probe.name === name && this.#probe.id === m.id) return m.id;
    const l = outs.indexOf("L"), r = outs.indexOf("R");
    const [left, right] = l >= 0 && r >= 0 ? [l, r] : [0, 0];
    const frame = this.#host.send(command({ op: L.OP_PROBE, target: m.id, i0: left, i1: right }));
    this.#probe = { name, id: m.id, fromBlock: Math.ceil(frame / this.#host.block) };
    this.#worker?.postMessage(this.#probeMessage());
    return m.id;
  }

  #probeMessage(): AnalysisRequest {
    const p = this.#probe;
    // A fresh worker collects from the block the output is at (the probe is on in the DSP already).
    return { type: "probe", module: p?.id ?? 0, fromBlock: Math.max(p?.fromBlock ?? 0, this.#outBlock()) };
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(workerUrl, { type: "module" });
    w.onmessage = (e: MessageEvent<AnalysisReply>) => this.#reply(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.#died(w, e.message);
    };
    const { sab, sampleRate, block } = this.#host;
    w.postMessage({ type: "init", sab, sampleRate, block } satisfies AnalysisRequest);
    if (this.#probe) w.postMessage(this.#probeMessage());
    this.#worker = w;
    return w;
  }

  // The worker died: its requests get an error, and the next request starts a new one.
  #died(w: Worker, message: string): void {
    if (this.#worker !== w) return;
    w.terminate();
    this.#worker = undefined;
    this.restarts++;
    this.#failAll(`the analysis worker failed (${message}); it is started again for the next request`);
  }

  #failAll(message: string): void {
    for (const p of this.#pending.values()) p.reject(new ClientError(message));
    this.#pending.clear();
  }

  #reply(r: AnalysisReply): void {
    if (r.type === "ready") return;
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if (r.type === "analysis") {
      this.costs.push(r.cost);
      if (this.costs.length > COSTS_KEPT) this.costs.shift();
      p.resolve(r.plot ? { ...r.analysis, plot: r.plot } : r.analysis);
    } else p.reject(new ClientError(r.message));
  }
}
