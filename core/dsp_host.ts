// One instance of the DSP WASM with its own fixed-size memory: the same code renders in the DSP workers and
// offline (cli/render.ts), which is what makes the offline render a reference for the live output.
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "./command.ts";
import { recordArg, recordWord } from "./command_record.ts";

/** The exports of the DSP WASM (asm/engine.ts): its ABI, declared once. */
export interface DspExports {
  /** Resets the whole DSP state (rate in Hz, block in frames, PRNG seed); 0, or 1 for a block out of range. */
  init(sampleRate: number, block: number, seed: number): number;
  /** Queues a command for its frame; 0 = queued, 1 = the queue is full. Frames are whole numbers in an f64. */
  push(
    frame: number,
    seq: number,
    op: number,
    target: number,
    param: number,
    i0: number,
    i1: number,
    f0: number,
    f1: number,
  ): number;
  /** Renders block n with fault `fault` (FAULT_*, 0: none) injected; 0, or 1 when a sample is NaN/Inf. */
  render(block: number, fault: number): number;
  /** Byte address in the WASM memory of the interleaved stereo output of the last rendered block. */
  outPtr(): number;
  /** FNV-1a hash of the last rendered block's sample bits (unsigned). */
  blockHash(): number;
  /** Bytes of memory that hold state, from address 0: a snapshot copies this prefix. */
  usedBytes(): number;
  /** Commands queued and waiting for their frame. */
  pending(): number;
  /** Forgets the queued commands (a replacement restored from a snapshot gets them through its ring). */
  clearQueue(): void;
  /** Non-finite samples the patch's out modules replaced by 0 since init. */
  sanitized(): number;
  /** The sequencer's position in beats at the end of the last rendered block (−1 while stopped). */
  seqBeat(): number;
  /** The sequencer's tempo in BPM. */
  seqTempo(): number;
  /** Byte address of the meters: MAX_MODULES f32, module id → its outputs' peak |sample| in the last block. */
  peaksPtr(): number;
  /** OP_CREATEs that failed since init (no room in the arena, a bad id or type). */
  createFailures(): number;
  /** Byte address of the probe: the probed module's output in the last block, interleaved stereo f32. */
  probePtr(): number;
  /** The module the last block's probe holds (0: none). */
  probedModule(): number;
  /** The smallest gain any limiter applied in the last block (1: none reduced its gain). */
  limiterGain(): number;
  /** Bytes of arena one module of type code `type` takes at this block size and rate (−1: no such type). */
  moduleBytes(type: number): number;
  /** Byte address where the module arena starts; it ends at the end of memory (WASM_PAGES). */
  arenaBase(): number;
  /** OP_READs applied in the last rendered block (asm/readback.ts). */
  readCount(): number;
  /** Byte address of the reads table: rows of four i32 (request id, entry, module, parameters or −1). */
  readsPtr(): number;
  /** Byte address of the read values: row k at k · READ_PARAMS · READ_VALUES f64. */
  readoutPtr(): number;
}

/** Engine settings that every DSP instance of one session shares. */
export interface DspSettings {
  /** Sample rate in Hz (48000 unless the session chose another). */
  sampleRate: number;
  /** Frames per block: 1 … MAX_BLOCK (asm/layout.ts); 128 by default. */
  block: number;
  /** Seed of the DSP's PRNG (taken as an unsigned 32-bit integer): the same seed renders the same noise. */
  seed: number;
  /** The engine's sample pool (core/sample_pool.ts), shared by every instance; absent: an empty one. */
  pool?: WebAssembly.Memory;
}

const wasmUrl = new URL("../build/chronus.wasm", import.meta.url);

/** A sample pool with no samples (its table is all zeros): what an instance without samples reads. */
export function emptyPool(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
}

/** Compiles the DSP module (once per process; a compiled module can be posted to workers). */
export async function compileDsp(): Promise<WebAssembly.Module> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(wasmUrl);
  } catch (e) {
    throw new Error(`Cannot load the DSP: ${wasmUrl.pathname} is missing (run "deno task build")`, {
      cause: e,
    });
  }
  return await WebAssembly.compile(bytes);
}

/** A live DSP instance. */
export class DspHost {
  /** The instance's own linear memory: WASM_PAGES pages, fixed, so views over it never detach. */
  readonly memory: WebAssembly.Memory;
  /** All of `memory` as bytes: a snapshot is its first usedBytes(), and restore() writes it back here. */
  readonly bytes: Uint8Array;
  /** The interleaved stereo output of the last rendered block. */
  readonly out: Float32Array;
  /** Each module's output peak (max |sample|) in the last rendered block, by module id (asm/peaks.ts). */
  readonly peaks: Float32Array;
  /** The probed module's output in the last rendered block (asm/probe.ts), interleaved stereo. */
  readonly probe: Float32Array;
  /** The last rendered block's reads (asm/readback.ts): readCount() rows of request id, entry, module, count. */
  readonly reads: Int32Array;
  /** Their values: row k's parameters at k · READ_PARAMS · READ_VALUES (RV_* of asm/layout.ts). */
  readonly readout: Float64Array;
  /** The settings the instance was initialised with. */
  readonly settings: DspSettings;
  #x: DspExports;

  /** The instance's exports (for the arena budget's computing exports). */
  get exports(): DspExports {
    return this.#x;
  }

  /**
   * Instantiates `module` over a fresh memory and initialises it; throws for a block size out of range.
   * `pool` is the engine's sample pool (core/sample_pool.ts), the same memory for every instance (default:
   * the settings'); without one the instance gets an empty pool of its own.
   */
  constructor(module: WebAssembly.Module, settings: DspSettings, pool = settings.pool ?? emptyPool()) {
    this.settings = settings;
    this.memory = new WebAssembly.Memory({ initial: L.WASM_PAGES, maximum: L.WASM_PAGES });
    const clock = () => performance.timeOrigin + performance.now();
    const instance = new WebAssembly.Instance(module, {
      env: { memory: this.memory, clock },
      pool: { mem: pool },
    });
    this.#x = instance.exports as unknown as DspExports;
    if (this.#x.init(settings.sampleRate, settings.block, settings.seed >>> 0) !== 0) {
      throw new RangeError(`Cannot start the DSP: block ${settings.block} is outside 1…${L.MAX_BLOCK}`);
    }
    this.bytes = new Uint8Array(this.memory.buffer);
    this.out = new Float32Array(this.memory.buffer, this.#x.outPtr(), settings.block * L.CHANNELS);
    this.peaks = new Float32Array(this.memory.buffer, this.#x.peaksPtr(), L.MAX_MODULES);
    this.probe = new Float32Array(this.memory.buffer, this.#x.probePtr(), settings.block * L.CHANNELS);
    this.reads = new Int32Array(this.memory.buffer, this.#x.readsPtr(), L.READ_ENTRIES * 4);
    this.readout = new Float64Array(
      this.memory.buffer,
      this.#x.readoutPtr(),
      L.READ_ENTRIES * L.READ_PARAMS * L.READ_VALUES,
    );
  }

  /** OP_READs applied in the last rendered block: rows of `reads` and `readout`. */
  readCount(): number {
    return this.#x.readCount();
  }

  /** Queues a command; throws when the DSP queue is full. */
  push(c: StampedCommand): void {
    const r = this.#x.push(c.frame, c.seq, c.op, c.target, c.param, c.i0, c.i1, c.f0, c.f1);
    if (r !== 0) throw new RangeError("Cannot queue the command: the DSP event queue is full");
  }

  /** Queues the command in record `index` of a command ring at `frame`, without building an object. */
  pushRecord(i32: Int32Array, f64: Float64Array, index: number, frame: number): number {
    return this.#x.push(
      frame,
      recordWord(i32, index, L.C_SEQ),
      recordWord(i32, index, L.C_OP),
      recordWord(i32, index, L.C_TARGET),
      recordWord(i32, index, L.C_PARAM),
      recordWord(i32, index, L.C_I0),
      recordWord(i32, index, L.C_I1),
      recordArg(f64, index, 0),
      recordArg(f64, index, 1),
    );
  }

  /** Renders block n into `out`; returns 0, or 1 when the block holds NaN/Inf. */
  render(block: number, fault = 0): number {
    return this.#x.render(block, fault);
  }

  /** The sequencer's position in beats at the end of the last rendered block (−1 while stopped). */
  seqBeat(): number {
    return this.#x.seqBeat();
  }

  /** The sequencer's tempo in BPM. */
  seqTempo(): number {
    return this.#x.seqTempo();
  }

  /** The module the last block's probe holds (0: none). */
  probedModule(): number {
    return this.#x.probedModule();
  }

  /** The smallest gain any limiter applied in the last rendered block (1: none). */
  limiterGain(): number {
    return this.#x.limiterGain();
  }

  /** Hash of the last rendered block (as a signed 32-bit integer). */
  hash(): number {
    return this.#x.blockHash() | 0;
  }

  /** Bytes of memory holding state. */
  usedBytes(): number {
    return this.#x.usedBytes();
  }

  /** Non-finite samples the patch's out modules replaced by 0 since init (the raw DSP produced them). */
  sanitized(): number {
    return this.#x.sanitized();
  }

  /** OP_CREATEs that failed since init: a worker reports a change, so a failed create is never silent. */
  createFailures(): number {
    return this.#x.createFailures();
  }

  /** Number of queued commands. */
  pending(): number {
    return this.#x.pending();
  }

  /**
   * Replaces the whole state with a snapshot taken by another instance at a block boundary, without the
   * commands that instance had queued for later frames (they are re-sent through the command ring).
   */
  restore(snapshot: Uint8Array): void {
    this.bytes.set(snapshot);
    this.#x.clearQueue();
  }
}

/** What the DSP's module arena holds: the control side refuses a commit that would not fit (patch/graph.ts). */
export interface ArenaBudget {
  /** Bytes one module takes, by type code (patch/schema.ts typeCode). */
  bytes: readonly number[];
  /** Bytes of the arena in all (16 MiB of memory less the static data). */
  capacity: number;
}

/**
 * Asks a throwaway instance (it only computes) how many bytes each module type takes at these settings: the
 * DSP's own arithmetic (asm/arena.ts), so the budget is exact at any sample rate and block size.
 */
export function arenaBudget(
  module: WebAssembly.Module,
  settings: DspSettings,
  typeCount: number,
): ArenaBudget {
  const host = new DspHost(module, settings);
  const x = host.exports;
  const bytes = Array.from({ length: typeCount }, (_, t) => x.moduleBytes(t));
  return { bytes, capacity: L.WASM_PAGES * 65536 - x.arenaBase() };
}

/**
 * Runs every module type once in a throwaway instance. V8 compiles WASM functions lazily, on first call, in
 * each worker; a worker that warms up before it reports ready renders its first real block (often the whole
 * patch at frame 0) in ~1 ms instead of ~3 ms, well inside the hang deadline even under VM steal.
 */
export function warmUp(module: WebAssembly.Module, settings: DspSettings, typeCount: number): void {
  const host = new DspHost(module, settings);
  let seq = 0;
  const queue = (op: number, fields: Partial<StampedCommand>) =>
    host.push({ op, target: 0, param: 0, i0: 0, i1: 0, f0: 0, f1: 0, seq: ++seq, frame: 0, ...fields });
  for (let t = 0; t < typeCount; t++) {
    queue(L.OP_CREATE, { target: t + 1, i0: t, i1: t + 1 });
    queue(L.OP_PLAN, { target: t + 1, i0: t });
    queue(L.OP_GATE, { target: t + 1, i0: 1, f0: 1 });
  }
  queue(L.OP_PLAN_LEN, { i0: typeCount });
  // The sequencer too: a one-step track on the first module, playing.
  queue(L.OP_SEQ_TRACK, { target: 0, i0: 1, i1: 4, param: 1, f0: 0.5 });
  queue(L.OP_SEQ_TARGET, { target: 0, i0: 0, i1: 1, param: 0 });
  queue(L.OP_SEQ_STEPS, { target: 0, i0: 0, i1: L.SEQ_HIT });
  queue(L.OP_SEQ_NOTE, { target: 0, i0: 0, i1: 1, f0: 220 });
  queue(L.OP_SEQ_COMMIT, { target: 0, i0: L.SEQ_NOW });
  queue(L.OP_SEQ_TRANSPORT, { i0: L.SEQ_START });
  for (let n = 0; n < 2; n++) host.render(n);
}
