// The sample pool, control side: one shared WebAssembly memory per engine (or offline render) that every DSP
// instance imports as its second memory (scripts/build_wasm.ts, asm/pool.ts), so both workers, every spare
// and a rebuilt standby read the same bytes and no snapshot copies them (design §5 copies memory 0 only).
//
// What the pool promises the DSP (asm/layout.ts draws the table):
// - A sample's data and table entry are written whole, POOL_E_READY last, before the id is handed out: any
//   command naming the id is sent after that, so every worker sees the sample before the command. A live
//   engine's sample worker writes the data (writeSampleData) into a range the control thread reserved for it
//   (reserve), which no id names yet; the control thread then writes the entry and hands out the id (publish).
// - An entry never changes while a module may play it: the control side refuses /sample/free while a module's
//   `sample` parameter names it, and a freed sample's bytes and id return to use only after FREE_GRACE_MS
//   (the standby renders the last blocks that may still hold a hit of it long before that).
// - Allocation is first fit over the freed ranges, then bump; the memory grows page by page up to the
//   --sample-memory cap, so nothing is committed up front.
import * as L from "../asm/layout.ts";
import { ClientError } from "./errors.ts";

const PAGE = 65536;
const ALIGN = 16;

/** How long a freed sample's bytes and id stay untouched before a load may reuse them (live engines). */
export const FREE_GRACE_MS = 2000;

/** A decoded sample at the engine's rate, before it enters the pool. */
export interface DecodedSample {
  /** 1 or 2. */
  channels: number;
  /** Frames at the engine's rate. */
  frames: number;
  /** Interleaved samples, frames × channels. */
  samples: Float32Array;
  /** The file's own rate in Hz (the samples were resampled from it when it differs). */
  sourceRate: number;
  /** Its mip levels 0 … mipCount − 1 (level 0 is `samples`), when already made (the decode worker makes them). */
  levels?: Float32Array[];
  /** Onset slice starts in frames (analysis/sample_slices.ts), when asked for. */
  onsets?: number[];
}

/** One loaded sample, as /sample/list reports it. */
export interface SampleInfo {
  /** The name clients use (`set smp.sample NAME`). */
  name: string;
  /** The id in the pool's table that commands carry (1 … POOL_SAMPLES − 1). */
  id: number;
  /** The file it came from, relative to the samples directory. */
  file: string;
  /** SHA-256 of the file's bytes, hex: a replay checks it loads the same sample. */
  hash: string;
  /** Frames at the engine's rate. */
  frames: number;
  /** 1 or 2. */
  channels: number;
  /** The file's own sample rate in Hz. */
  sourceRate: number;
  /** Onset slices stored with it (0: none; the sampler's `slices` then cuts equal parts). */
  slices: number;
  /** Bytes of pool it takes (its mip levels and slice table). */
  bytes: number;
}

/** A range of the pool's bytes. */
export interface Range {
  /** Its first byte. */
  at: number;
  /** Its length. */
  bytes: number;
}

/** A sample's data written into the pool at a reserved range, waiting for its table entry and id (publish). */
export interface WrittenSample {
  /** 1 or 2. */
  channels: number;
  /** Frames at the engine's rate. */
  frames: number;
  /** The file's own rate in Hz. */
  sourceRate: number;
  /** The reserved range it was written into. */
  range: Range;
  /** Each mip level's first byte. */
  levelAt: number[];
  /** The onset slice starts' first byte, and how many there are. */
  sliceAt: number;
  /** Onset slices written (0: none). */
  slices: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

/** The text of a full pool's error: a sample of `bytes` ("at least": before decoding) against `free` of `capacity`. */
export function fullMessage(bytes: number, free: number, capacity: number, atLeast = false): string {
  return `the sample pool is full: needs ${atLeast ? "at least " : ""}${mb(bytes)}, ${mb(free)} free of ${
    mb(capacity)
  } (--sample-memory; free a sample first)`;
}

/** Frames of mip level k of a sample of `frames` frames. */
export function levelFrames(frames: number, k: number): number {
  return Math.ceil(frames / 2 ** k);
}

/** The number of mip levels stored for a sample of `frames` frames (each at least 4 frames long). */
export function mipCount(frames: number): number {
  let k = 1;
  while (k < L.POOL_MIPS && levelFrames(frames, k) >= 4) k++;
  return k;
}

// Half-band low-pass for the 2:1 decimation of each mip level: a Kaiser-windowed sinc cut at a quarter of the
// level's rate (the next level's Nyquist), flat to ~0.22, below −80 dB from 0.28 up (measured). Half-band: every second tap
// but the centre is exactly 0, so a sample costs HALF_TAPS multiplies per side (26 M frames: ~1 s a level).
const HALF_TAPS = 24;
const HALF_BAND = (() => {
  const beta = 7.5, n = HALF_TAPS;
  const i0 = (x: number) => {
    let sum = 1, term = 1;
    for (let k = 1; k < 40; k++) sum += term *= (x / (2 * k)) ** 2;
    return sum;
  };
  // Tap j of the odd offsets ±(2j+1) from the centre (the centre tap is 0.5).
  const h = new Float64Array(n);
  const half = 2 * n; // the window reaches ±2n frames
  for (let j = 0; j < n; j++) {
    const d = 2 * j + 1;
    const r = d / half;
    h[j] = (Math.sin((Math.PI * d) / 2) / (Math.PI * d)) * (i0(beta * Math.sqrt(1 - r * r)) / i0(beta));
  }
  // Unity gain at DC: the centre and the taps scaled together.
  const sum = 0.5 + 2 * h.reduce((a, b) => a + b, 0);
  return { taps: h.map((v) => v / sum), centre: 0.5 / sum };
})();

/** Level k+1 from level k: the half-band low-pass, then every second frame (interleaved, `ch` channels). */
export function decimate(src: Float32Array, ch: number): Float32Array {
  const frames = src.length / ch, outFrames = Math.ceil(frames / 2);
  const out = new Float32Array(outFrames * ch);
  const h = HALF_BAND.taps, n = h.length, reach = 2 * n - 1, centreTap = HALF_BAND.centre;
  const at = (i: number, c: number) => (i >= 0 && i < frames ? src[i * ch + c] : 0);
  for (let c = 0; c < ch; c++) {
    for (let j = 0; j < outFrames; j++) {
      const centre = 2 * j;
      let acc = centreTap * src[centre * ch + c];
      if (centre - reach >= 0 && centre + reach < frames) {
        for (let t = 0; t < n; t++) {
          const d = 2 * t + 1;
          acc += h[t] * (src[(centre - d) * ch + c] + src[(centre + d) * ch + c]);
        }
      } else {
        for (let t = 0; t < n; t++) acc += h[t] * (at(centre - 2 * t - 1, c) + at(centre + 2 * t + 1, c));
      }
      out[j * ch + c] = acc;
    }
  }
  return out;
}

/** The mip levels of a decoded sample: level 0 (the samples) and each decimated by 2 from the one before. */
export function mipLevels(s: DecodedSample): Float32Array[] {
  const levels = [s.samples];
  for (let k = 1; k < mipCount(s.frames); k++) levels.push(decimate(levels[k - 1], s.channels));
  return levels;
}

/** Bytes a decoded sample with mip levels `levels` and onset slices `onsets` takes in the pool. */
export function sampleBytes(levels: readonly Float32Array[], onsets: readonly number[]): number {
  return levels.reduce((n, l) => n + align(l.byteLength), 0) + align(onsets.length * 4);
}

/**
 * Writes a decoded sample's mip levels `levels` and slice starts `onsets` into `memory` at `range` (reserved
 * for it: SamplePool.reserve, at least sampleBytes long); what the sample worker does for a live engine, so the
 * control thread never copies megabytes. Returns what publish needs.
 */
export function writeSampleData(
  memory: WebAssembly.Memory,
  range: Range,
  s: DecodedSample,
  levels: readonly Float32Array[],
  onsets: readonly number[],
): WrittenSample {
  if (sampleBytes(levels, onsets) > range.bytes || range.at + range.bytes > memory.buffer.byteLength) {
    throw new RangeError(`writeSampleData: the sample does not fit the range ${range.at} + ${range.bytes}`);
  }
  const u8 = new Uint8Array(memory.buffer);
  let offset = range.at;
  const levelAt: number[] = [];
  for (const level of levels) {
    levelAt.push(offset);
    u8.set(new Uint8Array(level.buffer, level.byteOffset, level.byteLength), offset);
    offset += align(level.byteLength);
  }
  new Int32Array(memory.buffer, offset, onsets.length).set(onsets);
  return {
    channels: s.channels,
    frames: s.frames,
    sourceRate: s.sourceRate,
    range,
    levelAt,
    sliceAt: offset,
    slices: onsets.length,
  };
}

/** The pool of one engine: the shared memory, its allocator and its table. */
export class SamplePool {
  /** The shared memory every DSP instance imports as "pool" "mem". */
  readonly memory: WebAssembly.Memory;
  /** Bytes the pool may grow to (--sample-memory). */
  readonly capacity: number;
  #byName = new Map<string, SampleInfo>();
  #ranges = new Map<number, Range>(); // id → its bytes
  #free: Range[] = [];
  #pending: { id: number; range: Range; at: number }[] = []; // freed, waiting out the grace
  /** The id published last: new ids go round from it, so a session reuses one only after 255 other loads. */
  #lastId = 0;
  #reserved: Range[] = []; // being written for a load, no id yet
  #top = L.POOL_TABLE_BYTES;
  #grace: number;
  #now: () => number;

  /**
   * A pool of at most `megabytes` MB (the table included). `graceMs`: how long freed bytes and ids wait
   * before reuse (Infinity offline, where every load happens before the first block renders: they never
   * are); `now` is the clock it is measured with.
   */
  constructor(megabytes: number, graceMs = FREE_GRACE_MS, now: () => number = () => performance.now()) {
    if (!Number.isFinite(megabytes) || megabytes < 1 || megabytes > 4096) {
      throw new RangeError(`--sample-memory ${megabytes}: give 1 … 4096 MB`);
    }
    this.capacity = Math.floor(megabytes * 1048576);
    const maximum = Math.ceil(this.capacity / PAGE);
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(L.POOL_TABLE_BYTES / PAGE),
      maximum,
      shared: true,
    });
    this.#grace = graceMs;
    this.#now = now;
  }

  /** The sample of a name, or undefined. */
  get(name: string): SampleInfo | undefined {
    return this.#byName.get(name);
  }

  /** Every loaded sample, by id. */
  list(): SampleInfo[] {
    return [...this.#byName.values()].sort((a, b) => a.id - b.id);
  }

  /** Bytes in use (the table included) and free of the capacity. */
  usage(): { used: number; free: number } {
    const held = [...this.#ranges.values(), ...this.#pending.map((p) => p.range), ...this.#reserved];
    const used = L.POOL_TABLE_BYTES + held.reduce((s, r) => s + r.bytes, 0);
    return { used, free: this.capacity - used };
  }

  /** Bytes a decoded sample takes in the pool (its mip levels and `slices` slice starts). */
  static bytesFor(frames: number, channels: number, slices = 0): number {
    let n = 0;
    for (let k = 0; k < mipCount(frames); k++) n += align(levelFrames(frames, k) * channels * 4);
    return n + align(slices * 4);
  }

  /**
   * Places a decoded sample under `name` (replacing nothing: a taken name is refused) with the slice starts
   * `onsets` (frames, ascending; [] for none), at id `wanted` when given (a replay); returns what it placed.
   * The data is copied here, on the caller's thread (offline renders; a live engine's worker writes it:
   * reserve, writeSampleData, publish). Throws ClientError, with nothing changed, when the name is taken, no id
   * is free or the pool cannot hold it.
   */
  place(
    name: string,
    file: string,
    hash: string,
    s: DecodedSample,
    onsets: readonly number[] = s.onsets ?? [],
    wanted?: number,
  ): SampleInfo {
    if (s.channels < 1 || s.channels > 2) {
      throw new ClientError(`${file}: ${s.channels} channels (the sampler plays 1 or 2)`);
    }
    if (s.frames < 1) throw new ClientError(`${file}: no audio in it`);
    this.#checkName(name);
    this.#collect();
    this.#freeId(wanted); // refused before any byte moves
    const levels = s.levels ?? mipLevels(s);
    const range = this.reserve(sampleBytes(levels, onsets));
    try {
      return this.publish(name, file, hash, writeSampleData(this.memory, range, s, levels, onsets), wanted);
    } catch (e) {
      this.release(range);
      throw e;
    }
  }

  /**
   * Reserves `bytes` of the pool for a sample's data (first fit over the freed ranges, else at the top, the
   * memory grown to hold it): no id names the range, so any thread may write it (writeSampleData) until
   * publish or release. Throws the full pool's ClientError.
   */
  reserve(bytes: number): Range {
    this.#collect();
    const range = { at: this.#allocate(align(bytes)), bytes: align(bytes) };
    this.#reserved.push(range);
    return range;
  }

  /** Returns a reserved range that was never published (a load that failed after reserving). */
  release(range: Range): void {
    const i = this.#reservedIndex(range);
    if (i < 0) return;
    this.#free.push(...this.#reserved.splice(i, 1));
    this.#collect();
  }

  /**
   * Gives a sample written into a reserved range (writeSampleData) its table entry, POOL_E_READY last, then its
   * id (`wanted` when given) and `name`; throws ClientError, the range still reserved, when the name is taken
   * or no id is free.
   */
  publish(name: string, file: string, hash: string, w: WrittenSample, wanted?: number): SampleInfo {
    this.#checkName(name);
    this.#collect();
    const i = this.#reservedIndex(w.range);
    if (i < 0) throw new Error(`publish: the range at ${w.range.at} is not reserved`);
    const id = this.#freeId(wanted);
    this.#lastId = id;
    const [range] = this.#reserved.splice(i, 1);
    this.#ranges.set(id, range);
    const table = new Int32Array(this.memory.buffer, 0, L.POOL_TABLE_BYTES / 4);
    const e = id * L.POOL_ENTRY_WORDS;
    table.fill(0, e, e + L.POOL_ENTRY_WORDS);
    table[e + L.POOL_E_FRAMES] = w.frames;
    table[e + L.POOL_E_CHANNELS] = w.channels;
    table[e + L.POOL_E_MIPS] = w.levelAt.length;
    table[e + L.POOL_E_SLICES] = w.slices;
    table[e + L.POOL_E_SLICE_AT] = w.sliceAt;
    w.levelAt.forEach((a, k) => table[e + L.POOL_E_LEVEL_AT + k] = a);
    // The data was written before this (by this thread, or by the sample worker before it answered, its
    // message ordering the writes): the store below publishes them together.
    Atomics.store(table, e + L.POOL_E_READY, 1);
    const info: SampleInfo = {
      name,
      id,
      file,
      hash,
      frames: w.frames,
      channels: w.channels,
      sourceRate: w.sourceRate,
      slices: w.slices,
      bytes: range.bytes,
    };
    this.#byName.set(name, info);
    return info;
  }

  // A range comes back from the sample worker as a copy (a message): it is found by where it is.
  #reservedIndex(r: Range): number {
    return this.#reserved.findIndex((x) => x.at === r.at && x.bytes === r.bytes);
  }

  #checkName(name: string): void {
    if (this.#byName.has(name)) throw new ClientError(`a sample "${name}" is loaded already (free it first)`);
  }

  /**
   * Forgets `name`: it can no longer be named, and its bytes and id return to use after the grace. The caller
   * has checked no module names it (engine/samples.ts). Throws ClientError for an unknown name.
   */
  free(name: string): SampleInfo {
    const info = this.#byName.get(name);
    if (!info) throw new ClientError(`no sample "${name}"${this.#known()}`);
    this.#byName.delete(name);
    const range = this.#ranges.get(info.id)!;
    this.#ranges.delete(info.id);
    this.#pending.push({ id: info.id, range, at: this.#now() });
    this.#collect();
    return info;
  }

  /** " (loaded: a, b)" or " (none loaded)": what an error about a name adds. */
  #known(): string {
    const names = [...this.#byName.keys()];
    return names.length ? ` (loaded: ${names.slice(0, 24).join(", ")})` : " (none loaded)";
  }

  /** The id of a loaded sample's name; throws ClientError naming the loaded ones. */
  idOf(name: string): number {
    const info = this.#byName.get(name);
    if (!info) throw new ClientError(`no sample "${name}"${this.#known()}`);
    return info.id;
  }

  // Freed samples past their grace: the entry cleared, the bytes back on the free list (merged).
  #collect(): void {
    const now = this.#now();
    const table = new Int32Array(this.memory.buffer, 0, L.POOL_TABLE_BYTES / 4);
    this.#pending = this.#pending.filter((p) => {
      if (now - p.at < this.#grace) return true;
      Atomics.store(table, p.id * L.POOL_ENTRY_WORDS + L.POOL_E_READY, 0);
      this.#free.push(p.range);
      return false;
    });
    this.#free.sort((a, b) => a.at - b.at);
    const merged: Range[] = [];
    for (const r of this.#free) {
      const last = merged[merged.length - 1];
      if (last && last.at + last.bytes === r.at) last.bytes += r.bytes;
      else merged.push({ ...r });
    }
    this.#free = merged;
  }

  /** The error for a sample of `bytes` that does not fit ("at least": the bytes of its file, before decoding). */
  fullError(bytes: number, atLeast = false): ClientError {
    return new ClientError(fullMessage(bytes, this.usage().free, this.capacity, atLeast));
  }

  #freeId(wanted?: number): number {
    const taken = new Set([...this.#ranges.keys(), ...this.#pending.map((p) => p.id)]);
    if (wanted !== undefined) {
      if (!Number.isInteger(wanted) || wanted < 1 || wanted >= L.POOL_SAMPLES || taken.has(wanted)) {
        throw new ClientError(`sample id ${wanted} is taken or out of range (1 … ${L.POOL_SAMPLES - 1})`);
      }
      return wanted;
    }
    // Round from the last id, not the lowest free one: a replay loads every sample of a session up front at its
    // id (cli/render.ts), so a session that freed one and loaded another at the same id could not be replayed.
    const ids = L.POOL_SAMPLES - 1;
    for (let k = 1; k <= ids; k++) {
      const id = ((this.#lastId + k - 1) % ids) + 1;
      if (!taken.has(id)) return id;
    }
    throw new ClientError(`the pool holds ${L.POOL_SAMPLES - 1} samples already (free one first)`);
  }

  #allocate(bytes: number): number {
    const i = this.#free.findIndex((r) => r.bytes >= bytes);
    if (i >= 0) {
      const r = this.#free[i];
      const at = r.at;
      r.at += bytes;
      r.bytes -= bytes;
      if (r.bytes === 0) this.#free.splice(i, 1);
      return at;
    }
    const end = this.#top + bytes;
    if (end > this.capacity) throw this.fullError(bytes);
    const pages = Math.ceil(end / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    const at = this.#top;
    this.#top = end;
    return at;
  }
}
