// The engine: shared memory, the supervisor, the DSP workers and the output worker, wired together and
// started and stopped cleanly. Everything a front end (CLI, OSC, tests) needs goes through this class.
import { AUTO_LEAD_MAX, initialLead, type LeadSetting, LeadWidener } from "./lead.ts";
import * as L from "../asm/layout.ts";
import type { SinkSpec } from "../core/messages.ts";
import type { OutputStart } from "../core/messages.ts";
import { failedOutput, type OutputDone } from "../core/messages.ts";
import { type Command, command } from "../core/command.ts";
import { arenaBudget, compileDsp } from "../core/dsp_host.ts";
import { type ClientKey, QueueBudget } from "./admission.ts";
import { MODULES } from "../patch/schema.ts";
import { armInjections, type Injection } from "./faults.ts";
import { ClientError } from "../core/errors.ts";
import {
  Recorder,
  type RecordingResult,
  type RecordingStarted,
  type RecordingStatus,
  type RecordOptions,
} from "./recorder.ts";
import { SessionLogWriter } from "./session_log.ts";
import { type Heard, Listener, type ListenOptions } from "./listener.ts";
import type { AnalysisCost } from "../workers/analysis_messages.ts";
import { SpawnerHost } from "./spawner_host.ts";
import { audioOffset, controlView, createShared, slotViews, tapCapacity, tapViews } from "../core/shared.ts";
import type { WavFormat } from "../core/wav.ts";
import { type CommandReply, type EngineEvent, Supervisor } from "./supervisor.ts";
import { type Commit, Patch } from "../patch/graph.ts";
import type { PatchFile } from "../core/files.ts";
import { checkSequence, Sequencer } from "../sequencer/sequencer.ts";
import { History } from "../sequencer/history.ts";
import { type ModuleValues, ReadBack } from "./readback.ts";
import { Instrument, type StealPolicy } from "../patch/instrument.ts";
import {
  describeMemoryLock,
  describeRealtime,
  planRealtime,
  type RealtimePlan,
  type RealtimeRequest,
} from "../core/realtime.ts";
import { lockRange, type RealtimeLimits, realtimeLimits } from "../ffi/realtime.ts";
import {
  decodeHere,
  SampleLibrary,
  type SampleLoader,
  type SampleSource,
  sampleSource,
} from "../patch/samples.ts";
import { SamplePool } from "../core/sample_pool.ts";
import { SampleDecoder } from "./sample_decoder.ts";
import { DEFAULT_DATA_DIR } from "../core/sandbox.ts";

/** How to run an engine. Every field has a default. */
export interface EngineOptions {
  /** Sample rate in Hz. Default 48000. */
  sampleRate?: number;
  /** Frames per block. Default 128. */
  block?: number;
  /** PRNG seed of the DSP. Default 1. */
  seed?: number;
  /** Blocks the primary renders ahead of the output, or "auto": from the smallest lead measured safe, wider
   * by a block after each late block (engine/lead.ts, docs/latency.md). Default 6 (`deno task start`: auto). */
  lead?: LeadSetting;
  /** Where the audio goes. Default null. */
  sink?: SinkSpec;
  /** Pace the null/wav sink at real time (default) or run as fast as the DSP renders. */
  realtime?: boolean;
  /** Stop after this many seconds of output (rounded up to a whole block). Default: run until stop(). */
  seconds?: number;
  /** Session log path (JSON Lines). */
  logPath?: string;
  /** Which busy voice a group note takes when none is free, for groups that name none. Default "oldest". */
  steal?: StealPolicy;
  /** Faults to inject; requires allowFaultInjection. */
  injections?: Injection[];
  /** Permits fault injection (injections, stallRecorder): the --allow-fault-injection flag. Default false. */
  allowFaultInjection?: boolean;
  /** Blocks inside one render before a worker counts as hung. Default 2. */
  hangBlocks?: number;
  /** Failures within 10 s that make the supervisor back off before rebuilding. Default 5. */
  restartLimit?: number;
  /** Called with every event the supervisor and the recorder report (failovers, rebuilds, overruns …). */
  onEvent?: (e: EngineEvent) => void;
  /** The patch loaded at frame 0 (one transaction). Default: none (an empty patch: silence). */
  patch?: PatchFile;
  /** The sample pool: its cap in MB (--sample-memory, default 256) and where files come from (--samples). */
  samples?: { megabytes?: number; source?: SampleSource };
  /** Record the output from frame 0 into this WAV file (see startRecording). Start fails if it cannot be
   * created. */
  record?: { path: string; format?: WavFormat };
  /** Seconds of audio between the recorder's flushes (what a crash may lose, plus its lag). Default 0.5. */
  recordFlushSeconds?: number;
  /** Real-time threads for the output and DSP workers (docs/realtime.md): "auto" tries SCHED_FIFO where the
   * system permits it. Default off (the CLI's --realtime defaults to auto). */
  realtimeThreads?: RealtimeRequest;
  /** Limit the record tap to this many blocks (default: all of TAP_FRAMES, 5.5 s at 48 kHz / 128). Tests use a
   * small tap to make the recorder overrun it. */
  tapBlocks?: number;
}

/** A snapshot of the engine for status lines and replies. */
export interface EngineStatus {
  /** Sample rate in Hz. */
  sampleRate: number;
  /** Frames per block. */
  block: number;
  /** Seconds since the engine was built (wall clock). */
  uptimeS: number;
  /** The next block the output will play: how many it has played. */
  outBlock: number;
  /** The slot whose ring feeds the output (CTRL_SELECTOR); it changes at a failover. */
  activeSlot: number;
  /** True while a healthy standby is in lockstep behind the primary, ready to take over. */
  redundant: boolean;
  /** Failovers so far: times the output moved to the standby after the primary failed. */
  failovers: number;
  /** Blocks the output played as silence because no ring held them in time. */
  lateBlocks: number;
  /** Blocks the primary renders ahead of the output now, and whether `auto` may still widen it. */
  lead: { blocks: number; ms: number; auto: boolean };
  /** Blocks the output took from a ring other than the selected one (core/merge.ts). */
  mergedBlocks: number;
  /** Device underflows so far (PortAudio). */
  underflows: number;
  /** Commands rejected so far because the primary failed in the block they apply in. */
  quarantined: number;
  /** Blocks whose hashes differed between primary and standby so far (non-determinism). */
  divergences: number;
  /** Terminated workers still rendering: threads that cannot be reclaimed. */
  zombies: number;
  /** Render time / block time of each live slot over the last status interval, 0…1. */
  cpu: Record<string, number>;
  /** The audio threads' scheduling: "fifo 4 (output), fifo 3 (dsp ×2), shared memory locked", or why it is off or
   * denied ("off (--realtime off)", "denied: not permitted (…)"); docs/realtime.md. */
  realtime: string;
}

/** What an engine run ends with. */
export interface EngineSummary {
  /** Frames the output played (its blocks × the block size). */
  frames: number;
  /** Blocks played as silence because no ring held them in time. */
  lateBlocks: number;
  /** Blocks taken from a ring other than the selected one (core/merge.ts). */
  mergedBlocks: number;
  /** Blocks the standby covered for a late primary (core/merge.ts coverLate; each demoted that primary). */
  coveredBlocks: number;
  /** The output worker's own report. */
  output: OutputDone;
  /** The supervisor's counts and timings of failures, failovers and rebuilds. */
  metrics: ReturnType<Supervisor["metrics"]["toJSON"]>;
  /** The recording that was on when the engine stopped, finalized; or why it could not be. */
  recording?: RecordingResult;
  /** Every recording that was on when the engine stopped, finalized, in the order they started. */
  recordings?: RecordingResult[];
  /** Why the recording that was on could not be finalized, when it could not. */
  recordingError?: string;
}

const outputWorkerUrl = new URL("../workers/output_worker.ts", import.meta.url);

/** How long pauseOutput() and resumeOutput() take to fade the output out and in: short, but no click. */
export const OUTPUT_FADE_MS = 10;

/**
 * The command that takes the output's master gain (after the whole patch) to `gain` (0 … 1) over
 * OUTPUT_FADE_MS, linearly: what pauseOutput() and resumeOutput() send, for any stand-in that stamps commands
 * (an offline score) to do the same.
 */
export function outputGainCommand(gain: number, sampleRate: number): Command {
  return command({ op: L.OP_OUTPUT_GAIN, f0: gain, i0: Math.round((OUTPUT_FADE_MS / 1000) * sampleRate) });
}

/** A running Chronus engine. */
export class Engine {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frames per block. */
  readonly block: number;
  /** The supervisor of the two DSP workers: commands, failures and metrics go through it. */
  readonly supervisor: Supervisor;
  /** The patch: stage changes on it (create, connect, set …), then commit(). */
  readonly patch: Patch;
  /** The sequencer's tracks and transport (their commands play in the DSP). */
  readonly sequencer: Sequencer;
  /** Every client's edits, for /undo, /redo and /history (control-side state: a failover keeps it). */
  readonly history: History = new History();
  /** Voice groups with their allocator, and the session's scale (patch/instrument.ts). */
  readonly instrument: Instrument;
  /** The samples `sampler` modules play, in the pool every DSP worker imports (patch/samples.ts). */
  samples!: SampleLibrary;
  #decoder!: SampleDecoder;
  /** Resolves when the output has ended (duration reached or stop()) and everything is closed. */
  readonly finished: Promise<EngineSummary>;
  #ctrl: Int32Array;
  #sab: SharedArrayBuffer;
  #output!: Worker;
  #log?: SessionLogWriter;
  #recorder!: Recorder;
  #listener: Listener;
  #faultsAllowed = false;
  #paused = false;
  #leadWidener?: LeadWidener;
  #peakViews: Float32Array[] = [];
  #onEvent?: (e: EngineEvent) => void;
  #throwInTick = false;
  #running = true;
  #startedAt = performance.now();
  #cpuPrev = new Map<number, { sum: number; timeMs: number }>();
  #queue = new QueueBudget();
  // Commands of transactions the patch admitted (Patch.admit) that the next sends carry: counted as the
  // engine's, against the whole queue, not against the sender's cap.
  #transactionCredit = 0;
  #createFailed = 0;
  #hdrViews: Float64Array[] = [];
  #readBack: ReadBack;
  #rt: { plan: RealtimePlan; limits: RealtimeLimits | undefined; memory?: string; wanted: boolean } = {
    plan: { policy: 0, output: 0, dsp: 0, lockMemory: false, declined: "off" },
    limits: undefined,
    wanted: false,
  };
  /**
   * Who the sends are counted for in the event-queue admission (engine/admission.ts): the OSC server sets the
   * sender's address while it handles a packet; "" (the default) is the engine's own.
   */
  client: ClientKey = "";
  #resolve!: (s: EngineSummary) => void;
  #reject!: (e: unknown) => void;

  private constructor(
    sab: SharedArrayBuffer,
    supervisor: Supervisor,
    sampleRate: number,
    block: number,
    patch: Patch,
  ) {
    this.patch = patch;
    this.instrument = new Instrument(patch, sampleRate);
    this.sequencer = new Sequencer(patch, this.instrument);
    this.#sab = sab;
    this.#ctrl = controlView(sab);
    this.supervisor = supervisor;
    this.sampleRate = sampleRate;
    this.block = block;
    patch.admit = (n) => {
      this.#release();
      this.#queue.admit(n, "", true);
      this.#transactionCredit += n;
    };
    this.#readBack = new ReadBack({
      sab,
      selected: () => this.supervisor.selected,
      send: (c, rejected) => {
        const client = this.client; // a read counts against the event queue as the engine's own
        this.client = "";
        try {
          this.send(c, undefined, { rejected });
        } finally {
          this.client = client;
        }
      },
    });
    this.#listener = new Listener(
      { sab, sampleRate, block, patch, send: (c) => this.send(c) },
      () => this.outBlock,
    );
    this.finished = new Promise((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
  }

  /** Builds and starts an engine; resolves once the output is running. */
  static async start(options: EngineOptions = {}): Promise<Engine> {
    const sampleRate = options.sampleRate ?? 48000;
    const block = options.block ?? 128;
    const seed = options.seed ?? 1;
    const leadSetting = options.lead ?? 6;
    if (!Number.isInteger(block) || block < 16 || block > L.MAX_BLOCK) {
      throw new RangeError(`Cannot start: --block ${block} is outside 16…${L.MAX_BLOCK}`);
    }
    if (
      leadSetting !== "auto" &&
      (!Number.isInteger(leadSetting) || leadSetting < 1 || leadSetting > L.RING_BLOCKS - 2)
    ) {
      throw new RangeError(`Cannot start: --lead ${leadSetting} is outside 1…${L.RING_BLOCKS - 2}`);
    }
    if (!(sampleRate >= 8000 && sampleRate <= 384000)) {
      throw new RangeError(`Cannot start: sample rate ${sampleRate} is outside 8000…384000`);
    }
    // Staged here, so that a bad patch is a ClientError before anything starts.
    const patch = new Patch();
    const pool = new SamplePool(options.samples?.megabytes ?? 256);
    const samples = new SampleLibrary(
      pool,
      options.samples?.source ?? sampleSource(DEFAULT_DATA_DIR),
      patch,
      sampleRate,
    );
    // Nothing plays yet: the patch's samples decode here (any format: decodeHere awaits the WebAssembly
    // decoders), all or none, before its modules can name them.
    if (options.patch) await samples.loadFileSamplesAsync(options.patch, decodeHere(pool.memory));
    if (options.patch) patch.load(options.patch);
    if (options.patch) checkSequence(options.patch);
    if (options.patch) new Instrument(patch, sampleRate).load(options.patch); // groups and scale: refused early
    const injections = options.injections ?? [];
    if (injections.length > 0 && !options.allowFaultInjection) {
      throw new Error("Cannot inject faults: start the engine with --allow-fault-injection");
    }
    const module = await compileDsp();
    patch.setArena(arenaBudget(module, { sampleRate, block, seed }, MODULES.length));
    patch.checkArena();
    const limits = realtimeLimits();
    const rtRequest = options.realtimeThreads ?? { mode: "off" };
    const plan = planRealtime(rtRequest, {
      limits,
      cpus: navigator.hardwareConcurrency,
      paced: options.realtime ?? true,
    });
    const lead = initialLead(leadSetting);
    const sab = createShared(lead);
    const ctrl = controlView(sab);
    // Before any worker starts: each reads its priority from these words as it starts (docs/realtime.md).
    Atomics.store(ctrl, L.CTRL_RT_POLICY, plan.policy);
    Atomics.store(ctrl, L.CTRL_RT_OUT_PRIO, plan.output);
    Atomics.store(ctrl, L.CTRL_RT_DSP_PRIO, plan.dsp);
    const memory = describeMemoryLock(plan, plan.lockMemory ? lockRange(new Uint8Array(sab)) : undefined);
    if (options.seconds !== undefined) {
      Atomics.store(ctrl, L.CTRL_END_BLOCK, Math.ceil((options.seconds * sampleRate) / block));
    }
    armInjections(ctrl, injections);
    Atomics.store(tapViews(sab).hdr, L.TAP_CAP, tapCapacity(block, options.tapBlocks));
    const recorder = new Recorder(sab, sampleRate, block, {
      flushSeconds: options.recordFlushSeconds,
      onEvent: options.onEvent,
    });
    if (options.record) {
      try {
        await recorder.ready();
        await recorder.startAt(options.record.path, options.record.format ?? "float32", 0);
      } catch (e) {
        await recorder.close(0);
        throw new Error(`Cannot start: ${(e as Error).message}`);
      }
    }
    const log = options.logPath
      ? new SessionLogWriter(options.logPath, { sampleRate, block, seed, channels: L.CHANNELS })
      : undefined;
    // DSP workers come from a spawner worker, off the main thread (engine/spawner_host.ts says why).
    const workers = new SpawnerHost({
      type: "park",
      spareId: 0,
      sab,
      module,
      settings: { sampleRate, block, seed, pool: pool.memory },
    });
    const supervisor = new Supervisor({
      sab,
      module,
      sampleRate,
      block,
      seed,
      pool: pool.memory,
      lead,
      workers,
      hangBlocks: options.hangBlocks,
      restartLimit: options.restartLimit,
      // A read (OP_READ) observes and changes no sample: it stays out of the log, which holds what shaped the
      // sound (the autosave alone reads every module once a second).
      onAccept: log ? (c) => c.op !== L.OP_READ && log.command(c) : undefined,
      onEvent: options.onEvent,
    });
    const engine = new Engine(sab, supervisor, sampleRate, block, patch);
    engine.#log = log;
    engine.samples = samples;
    engine.#decoder = new SampleDecoder(pool.memory);
    // A load goes into the log before any command naming it (those are accepted later): a replay loads it.
    samples.onLoad = (info) => log?.sample({ ...info, onsets: info.slices > 0 });
    for (const info of samples.list()) log?.sample({ ...info, onsets: info.slices > 0 });
    engine.#recorder = recorder;
    engine.#faultsAllowed = options.allowFaultInjection ?? false;
    engine.#onEvent = options.onEvent;
    engine.#rt = { plan, limits, memory, wanted: rtRequest.mode !== "off" && (options.realtime ?? true) };
    // Before start(): the first primary holds the patch before its first block (the patch plays from frame 0).
    engine.instrument.defaultSteal = options.steal ?? "oldest";
    if (options.patch) engine.instrument.load(options.patch);
    if (options.patch) engine.commit(0);
    if (options.patch?.sequence) engine.sendBatch(engine.sequencer.load(options.patch.sequence), 0);
    supervisor.start();
    for (const inj of injections) {
      if (inj.kind === "poison") {
        supervisor.send(command({ op: L.OP_POISON }), inj.block * block, {
          rejected: (msg) => options.onEvent?.({ type: "quarantine", message: `injected poison: ${msg}` }),
        });
      }
    }
    try {
      await engine.#waitForLead(lead);
    } catch (e) {
      await recorder.close(0);
      throw e;
    }
    await engine.#waitForSpares(2, 3000);
    try {
      await recorder.ready();
    } catch (e) {
      await Promise.all([supervisor.stop(), recorder.close(0)]);
      throw new Error(`Cannot start: ${(e as Error).message}`);
    }
    engine.#startOutput(options.sink ?? { kind: "null" }, options.realtime ?? true);
    if (plan.policy !== 0) await engine.#waitForWord(L.CTRL_RT_OUT_GOT, 2000); // status says what it got
    if (leadSetting === "auto") engine.#autoLead((block / sampleRate) * 1000);
    engine.#loop();
    engine.#listener.warm();
    return engine;
  }

  /**
   * Sends a command (see Supervisor.send); `frame` omitted = as soon as possible. Throws ClientError "queue
   * full" when the sender (`client`) has too many events pending (engine/admission.ts); `reserved`: the event
   * was counted already (reserve()).
   */
  send(cmd: Command, frame?: number, reply?: CommandReply, reserved = false): number {
    if (!this.#running) throw new Error("Cannot send: the engine has stopped");
    if (!reserved) this.#admit(1, frame);
    return this.supervisor.send(cmd, frame, reply);
  }

  /**
   * Counts `n` events for the sender at `frame` before they are sent (a /note's gate-off, sent once the
   * note is accepted, with send(…, true)); throws ClientError "queue full" as send does. `withNext`: the
   * commands about to be sent with them (the note's start), checked together so that neither goes alone.
   */
  reserve(n: number, frame: number, withNext = 0): void {
    this.#release();
    if (withNext > 0) this.#queue.admit(n + withNext, this.client); // all or none: checked together
    this.#admit(n, frame);
  }

  /** Events counted as pending in the DSP's queue: in all, and for the current `client`. */
  queuePending(): { all: number; client: number } {
    this.#release();
    return { all: this.#queue.pending, client: this.#queue.pendingFor(this.client) };
  }

  // Admits n events at `frame` (as soon as possible when omitted) and counts them until the output passes
  // it; commands of an admitted transaction go first, on its credit.
  #admit(n: number, frame?: number): void {
    this.#release();
    const at = Math.max(frame ?? 0, this.asap());
    const credit = Math.min(n, this.#transactionCredit);
    if (n > credit) this.#queue.admit(n - credit, this.client);
    this.#transactionCredit -= credit;
    this.#queue.add(credit, at, "");
    this.#queue.add(n - credit, at, this.client);
  }

  #release(): void {
    this.#queue.release(this.outBlock * this.block);
  }

  /**
   * Applies the patch's staged transaction at one frame in both workers (omitted = as soon as possible).
   * Throws ClientError when the transaction is invalid (nothing changes then).
   */
  commit(frame?: number, reply?: CommandReply): Commit {
    if (!this.#running) throw new Error("Cannot commit: the engine has stopped");
    const c = this.patch.commit();
    const cmds = [...c.commands, ...this.instrument.declare()];
    this.#admit(cmds.length, frame);
    this.supervisor.sendBatch(cmds, frame, reply);
    return c;
  }

  /** Sends commands that apply at one frame (see Supervisor.sendBatch). */
  sendBatch(cmds: readonly Command[], frame?: number, reply?: CommandReply): number {
    if (!this.#running) throw new Error("Cannot send: the engine has stopped");
    this.#admit(cmds.length, frame);
    return this.supervisor.sendBatch(cmds, frame, reply);
  }

  /** The earliest frame a command can still be stamped with exactly: the first block beyond the lead. */
  asap(): number {
    return (this.outBlock + Atomics.load(this.#ctrl, L.CTRL_LEAD)) * this.block;
  }

  /** Sets a patch module's parameter at `frame` (omitted = as soon as possible); throws ClientError. */
  set(module: string, param: string, value: number | string, frame?: number, reply?: CommandReply): number {
    return this.send(this.patch.setNow(module, param, value), frame, reply);
  }

  /** Gate on/off for a patch module at `frame`; throws ClientError. */
  gate(module: string, on: boolean, velocity = 1, frame?: number, reply?: CommandReply): number {
    return this.send(this.patch.gate(module, on, velocity), frame, reply);
  }

  /**
   * Every parameter of the named modules as the DSP has them after the block the read applies in (read back
   * from the output's slot: engine/readback.ts), by name. Throws ClientError for a name not in the patch, or
   * when the sender (`client`) has too many reads waiting.
   */
  async readModules(names: readonly string[]): Promise<Map<string, ModuleValues>> {
    if (!this.#running) throw new ClientError("the engine has stopped");
    const ids = names.map((n) => this.patch.module(n).id);
    const values = await this.#readBack.read(ids, this.client);
    return new Map(names.map((n, i) => [n, values[i]]));
  }

  /** True from pauseOutput() until resumeOutput(): the output is silent, the engine keeps running. */
  get outputPaused(): boolean {
    return this.#paused;
  }

  /**
   * Silences the output with a fade of OUTPUT_FADE_MS, stops the sequencer (its gates close) and stops the
   * recording if one is on; the engine, its workers, the patch and every module's state stay as they are, so
   * notes held by gates sound again after resumeOutput(). The fade and the stop are stamped commands at one
   * frame (as soon as possible), so a session log replays them exactly. A recording that cannot be finalized
   * is reported as a record-failed event.
   */
  pauseOutput(): void {
    this.sendBatch([outputGainCommand(0, this.sampleRate), ...this.sequencer.stop()]);
    this.#paused = true;
    if (this.#recorder.recording) {
      this.#recorder.stopAll().catch((e: Error) =>
        this.#onEvent?.({ type: "record-failed", message: `stopping the recording: ${e.message}` })
      );
    }
  }

  /** Fades the output back in over OUTPUT_FADE_MS (a stamped command); the sequencer stays stopped. */
  resumeOutput(): void {
    this.send(outputGainCommand(1, this.sampleRate));
    this.#paused = false;
  }

  /**
   * Each named module's output peak (the largest |sample| on any of its outputs, linear) over the blocks the
   * primary rendered since the last call, read from its slot's meters (asm/layout.ts); 0 for a name that is
   * not in the patch. Then starts the next window, so it is meant for one reader (the meter push of
   * osc/viz_push.ts): two readers would share the windows between them.
   */
  peakMeters(names: readonly string[]): number[] {
    const slot = this.supervisor.selected;
    if (slot < 0) return names.map(() => 0);
    this.#peakViews[slot] ??= slotViews(this.#sab, slot).peaks;
    const peaks = this.#peakViews[slot];
    const out = names.map((n) => {
      const id = this.patch.modules.get(n)?.id ?? -1;
      return id > 0 ? peaks[id] : 0;
    });
    Atomics.add(this.#ctrl, L.CTRL_PEAK_WINDOW, 1);
    return out;
  }

  /**
   * The last `frames` frames the output took (interleaved stereo; zeros where a block is no longer in any
   * ring). Read from the rings on the calling thread, off the audio path: for meters, not for recording.
   */
  recentAudio(frames: number): Float32Array {
    const B = this.block, C = L.CHANNELS;
    const blocks = Math.min(Math.ceil(frames / B), L.RING_BLOCKS - 2);
    const out = new Float32Array(blocks * B * C);
    const last = this.outBlock - 1;
    const slot = this.supervisor.selected;
    if (slot < 0) return out;
    const v = slotViews(this.#sab, slot);
    for (let i = 0; i < blocks; i++) {
      const n = last - (blocks - 1 - i);
      if (n < 0) continue;
      const k = n & (L.RING_BLOCKS - 1);
      if (Atomics.load(v.tags, k) !== n) continue;
      out.set(v.audio.subarray(audioOffset(k), audioOffset(k) + B * C), i * B * C);
      if (Atomics.load(v.tags, k) !== n) out.fill(0, i * B * C, (i + 1) * B * C); // overwritten meanwhile
    }
    return out;
  }

  /**
   * Records the output into a WAV file from `options.frame` (a timed bundle's frame; default: the first frame it
   * has not emitted yet) for `options.seconds`, to the `options.bars`th bar line, or until stopRecording(): the
   * file then equals output frames [startFrame, end), through failovers. Up to MAX_RECORDINGS run at once
   * (engine/recorder.ts). Written by the recorder worker, off the audio path; flushed every recordFlushSeconds.
   * `path` resolves against the current directory (default: chronus-YYYYMMDD-HHMMSS.wav there). Rejects with
   * a ClientError when it cannot start (too many on, the same file, bad options, bars while the sequencer is
   * stopped, a file that cannot be created); nothing changes then.
   */
  startRecording(path?: string, options: RecordOptions = {}): Promise<RecordingStarted> {
    try {
      this.checkRecording(path, options);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#recorder.start(path, options);
  }

  /** Throws ClientError when startRecording(path, options) would be refused before reaching the recorder. */
  checkRecording(path: string | undefined, options: RecordOptions = {}): void {
    if (!this.#running) throw new ClientError("the engine has stopped");
    this.#recorder.check(path, options);
    if (options.bars !== undefined && options.frame === undefined && this.sequencePosition() === null) {
      throw new ClientError("--bars counts the sequencer's bars, and it is stopped: seq start first");
    }
  }

  /**
   * Stops one recording at `frame` (default: the output's current frame) and finalizes its file: the one named
   * `name` (its name, path or file name), or the only one on. ClientError if there is no such recording.
   */
  stopRecording(name?: string, frame?: number): Promise<RecordingResult> {
    return this.#recorder.stop(name, frame);
  }

  /** Stops every recording on at `frame` (default: the output's current frame); ClientError if none is. */
  stopRecordings(frame?: number): Promise<RecordingResult[]> {
    return this.#recorder.stopAll(frame);
  }

  /** Every recording on and the last finished ones (engine/recorder.ts RecordingStatus). */
  recordingStatus(): RecordingStatus {
    return this.#recorder.status();
  }

  /** Fault injection (tests): blocks the recorder worker for `ms`, like a disk that stops answering. */
  stallRecorder(ms: number): void {
    if (!this.#faultsAllowed) {
      throw new Error("Cannot inject faults: start the engine with --allow-fault-injection");
    }
    this.#recorder.stall(ms);
  }

  /**
   * Decodes a sample file's bytes (transferred) in the sample worker at nice 19, which writes it into the pool
   * at the range `reserve` gives: the control thread neither decodes nor copies (patch/samples.ts loadAsync).
   */
  decodeSample: SampleLoader = (job, reserve) => this.#decoder.load(job, reserve);

  /**
   * A report of the last `seconds` (default 2, at most the record tap's 5.46 s) of what the output played, or
   * of module `module`'s main output (the DSP's probe: the first request for a module waits `seconds` for its
   * audio). Analysed in the analysis worker (engine/listener.ts); rejects with a ClientError for a bad window,
   * an unknown module, or when too many requests are queued.
   */
  analyze(seconds?: number, module?: string, options?: ListenOptions): Promise<Heard> {
    return this.#listener.analyze(seconds, module, options);
  }

  /** What the last analyses cost the analysis worker, oldest first (wait, wall and CPU time). */
  get analysisCosts(): readonly AnalysisCost[] {
    return this.#listener.costs;
  }

  /** Fault injection (tests): the analysis worker crashes; it is started again at the next request. */
  crashListener(): void {
    if (!this.#faultsAllowed) {
      throw new Error("Cannot inject faults: start the engine with --allow-fault-injection");
    }
    this.#listener.crash();
  }

  /** False once the output has ended. */
  get running(): boolean {
    return this.#running;
  }

  /** Blocks the primary renders ahead of the output (--lead): the control side's share of the latency. */
  get lead(): number {
    return Atomics.load(this.#ctrl, L.CTRL_LEAD);
  }

  /** The next block the output will play. */
  get outBlock(): number {
    return Atomics.load(this.#ctrl, L.CTRL_OUT_BLOCK);
  }

  /**
   * Where the sequencer is at the output (bar and beat from 1, beats from 0), or null while it is stopped. The
   * primary reports its position at the end of each block it renders; the output is `lead` blocks behind.
   */
  sequencePosition(): { bar: number; beat: number; beats: number; bpm: number } | null {
    const slot = this.supervisor.selected;
    if (slot < 0) return null;
    const v = slotViews(this.#sab, slot);
    const beatAtDone = v.hdrF64[L.HF_SEQ_BEAT], bpm = v.hdrF64[L.HF_SEQ_BPM];
    if (!(beatAtDone >= 0)) return null;
    const ahead = (Atomics.load(v.hdr, L.H_DONE) - this.outBlock) * this.block;
    const beats = Math.max(0, beatAtDone - (ahead * bpm) / (60 * this.sampleRate));
    return { bar: Math.floor(beats / 4) + 1, beat: Math.floor(beats % 4) + 1, beats, bpm };
  }

  // A scene chain sends its next scene once the output plays the current one; the scene waits in the DSP for
  // its own bar, so the switch lands on that bar's frame however late this tick runs (within the scene).
  #chainTick(): void {
    if (!this.sequencer.chainState) return;
    const pos = this.sequencePosition();
    const commands = this.sequencer.chainDue(pos ? pos.bar : null);
    if (commands.length) this.sendBatch(commands);
  }

  /** Current status. */
  status(): EngineStatus {
    const m = this.supervisor.metrics;
    const now = performance.now();
    const cpu: Record<string, number> = {};
    for (const slot of [this.supervisor.selected, Atomics.load(this.#ctrl, L.CTRL_OTHER)]) {
      if (slot < 0) continue;
      const sum = slotViews(this.#sab, slot).hdrF64[L.HF_RENDER_MS_SUM];
      const prev = this.#cpuPrev.get(slot);
      cpu[`slot${slot}`] = prev && now > prev.timeMs
        ? Math.max(0, (sum - prev.sum) / (now - prev.timeMs))
        : 0;
      this.#cpuPrev.set(slot, { sum, timeMs: now });
    }
    return {
      sampleRate: this.sampleRate,
      block: this.block,
      uptimeS: (now - this.#startedAt) / 1000,
      outBlock: this.outBlock,
      activeSlot: this.supervisor.selected,
      redundant: this.supervisor.redundant,
      failovers: m.failovers,
      lateBlocks: Atomics.load(this.#ctrl, L.CTRL_LATE),
      lead: {
        blocks: this.lead,
        ms: (this.lead * this.block * 1000) / this.sampleRate,
        auto: this.#leadWidener !== undefined,
      },
      mergedBlocks: Atomics.load(this.#ctrl, L.CTRL_MERGED),
      underflows: Atomics.load(this.#ctrl, L.CTRL_UNDERFLOWS),
      quarantined: m.quarantined,
      divergences: m.divergences,
      zombies: m.zombies,
      cpu,
      realtime: this.#realtimeText(),
    };
  }

  /**
   * What the audio threads got: `text` as EngineStatus.realtime says it; `wanted`: real-time threads were asked
   * for (--realtime not off, and not --fast); `granted`: every one of them got it.
   */
  realtimeReport(): { text: string; wanted: boolean; granted: boolean } {
    const text = this.#realtimeText();
    const granted = this.#rt.plan.policy !== 0 && !/denied|pending/.test(text);
    return { text, wanted: this.#rt.wanted, granted };
  }

  #realtimeText(): string {
    const dsp: number[] = [];
    for (const slot of [this.supervisor.selected, Atomics.load(this.#ctrl, L.CTRL_OTHER)]) {
      if (slot >= 0) dsp.push(Atomics.load(slotViews(this.#sab, slot).hdr, L.H_RT));
    }
    const got = { output: Atomics.load(this.#ctrl, L.CTRL_RT_OUT_GOT), dsp };
    return describeRealtime(this.#rt.plan, got, this.#rt.limits, this.#rt.memory);
  }

  /** Fault injection (--debug-throw-in-timer, only with --allow-fault-injection): the next supervision tick
   * throws, to show that the loop reports it and goes on. Not reachable over OSC. */
  throwInNextTick(): void {
    if (!this.#faultsAllowed) throw new Error("fault injection needs --allow-fault-injection");
    this.#throwInTick = true;
  }

  /** Stops at the next block boundary, closes the sink and the log, ends every worker. */
  stop(): Promise<EngineSummary> {
    const end = Atomics.load(this.#ctrl, L.CTRL_END_BLOCK);
    Atomics.store(this.#ctrl, L.CTRL_END_BLOCK, Math.min(end, this.outBlock + 1));
    Atomics.notify(this.#ctrl, L.CTRL_PROGRESS);
    return this.finished;
  }

  async #waitForLead(lead: number): Promise<void> {
    const deadline = performance.now() + 10_000;
    while (!this.supervisor.ready(lead)) {
      this.supervisor.tick();
      if (performance.now() > deadline) {
        await this.supervisor.stop();
        throw new Error("Cannot start: the DSP workers did not render their first blocks within 10 s");
      }
      const seen = Atomics.load(this.#ctrl, L.CTRL_PROGRESS);
      const w = Atomics.waitAsync(this.#ctrl, L.CTRL_PROGRESS, seen, 5);
      if (w.async) await w.value;
    }
  }

  // Waits until control word `word` is no longer 0, or `timeoutMs` passed.
  async #waitForWord(word: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.#ctrl, word) === 0 && performance.now() < deadline) {
      this.supervisor.tick();
      const w = Atomics.waitAsync(this.#ctrl, word, 0, 5);
      if (w.async) await w.value;
    }
  }

  // Spares load before the first block plays (see workers/spawner_worker.ts); a slow machine starts anyway.
  async #waitForSpares(count: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      // Keep supervising: the health clocks must stay current, or the first block looks like a stall.
      this.supervisor.tick();
      const loaded = Atomics.load(this.#ctrl, L.CTRL_SPARES_LOADED);
      if (loaded >= count || performance.now() > deadline) return;
      const w = Atomics.waitAsync(this.#ctrl, L.CTRL_SPARES_LOADED, loaded, 50);
      if (w.async) await w.value;
    }
  }

  // `auto`: from here on a late block widens the lead by one, and says so (engine/lead.ts).
  #autoLead(blockMs: number): void {
    this.#leadWidener = new LeadWidener(this.#ctrl, AUTO_LEAD_MAX, blockMs, (message) => {
      if (this.#onEvent) this.#onEvent({ type: "lead", message });
      else console.error(`[chronus] lead: ${message}`);
    });
  }

  // A create the arena had no room for (admission should make it impossible): reported, never silent.
  #checkCreates(): void {
    const slot = this.supervisor.selected;
    if (slot < 0) return;
    this.#hdrViews[slot] ??= slotViews(this.#sab, slot).hdrF64;
    const failed = this.#hdrViews[slot][L.HF_CREATE_FAILED];
    if (failed > this.#createFailed) {
      const message = `${
        failed - this.#createFailed
      } module(s) could not be created in the DSP (its arena is full)`;
      console.error(`[chronus] ${message}`);
      this.#onEvent?.({ type: "create-failed", message });
    }
    this.#createFailed = Math.max(this.#createFailed, failed); // a fresh replacement reads 0 until it renders
  }

  #startOutput(sink: SinkSpec, realtime: boolean): void {
    this.#output = new Worker(outputWorkerUrl, { type: "module" });
    this.#output.onmessage = (e: MessageEvent<OutputDone>) => this.#finish(e.data);
    this.#output.onerror = (e) => {
      e.preventDefault();
      this.#finish(failedOutput(this.outBlock, e.message));
    };
    const msg: OutputStart = {
      sab: this.#sab,
      sampleRate: this.sampleRate,
      block: this.block,
      sink,
      realtime,
    };
    this.#output.postMessage(msg);
  }

  // The supervision loop: wakes on any worker's progress (or every millisecond) while the output runs.
  async #loop(): Promise<void> {
    const keepAlive = setInterval(() => this.#log?.flush(), 250);
    try {
      while (this.#running) {
        const seen = Atomics.load(this.#ctrl, L.CTRL_PROGRESS);
        // One bad tick is reported and the next one runs: a loop that ended would stop supervision, and with
        // it the output (nothing else accepts rendered blocks or replaces a failed worker).
        try {
          if (this.#throwInTick) {
            this.#throwInTick = false;
            throw new Error("injected exception in the supervision loop (--debug-throw-in-timer)");
          }
          this.supervisor.tick();
          this.#leadWidener?.tick();
          this.#release();
          this.#checkCreates();
          this.#chainTick();
        } catch (e) {
          const message = `supervision tick: ${(e as Error).message}`;
          if (this.#onEvent) this.#onEvent({ type: "internal", message });
          else console.error(`[chronus] internal: ${message}`);
        }
        const w = Atomics.waitAsync(this.#ctrl, L.CTRL_PROGRESS, seen, 1);
        if (w.async) await w.value;
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  #finish(done: OutputDone): void {
    if (!this.#running) return;
    this.#running = false;
    this.#listener.close();
    this.#decoder.close();
    this.#readBack.close();
    try {
      this.supervisor.tick(); // accept what the primary rendered for the last blocks
      this.#output.terminate();
      const frames = done.blocks * this.block;
      this.#log?.close(frames);
      const summary: EngineSummary = {
        frames,
        lateBlocks: done.late,
        mergedBlocks: done.merged,
        coveredBlocks: Atomics.load(this.#ctrl, L.CTRL_COVERS),
        output: done,
        metrics: this.supervisor.metrics.toJSON(),
      };
      // The recording ends where the output ended: every block it emitted is in the tap.
      const recording = this.#recorder.close(Atomics.load(tapViews(this.#sab).hdr, L.TAP_WRITTEN));
      Promise.all([this.supervisor.stop(), recording]).then(([, rec]) => {
        if (rec.result) summary.recording = rec.result;
        if (rec.results.length) summary.recordings = rec.results;
        if (rec.error) summary.recordingError = rec.error;
        if (done.error) this.#reject(new Error(`Output failed: ${done.error}`));
        else this.#resolve(summary);
      }, this.#reject);
    } catch (e) {
      this.#reject(e);
    }
  }
}
