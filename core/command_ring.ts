// One slot's command ring (asm/layout.ts draws it): the supervisor writes command records and publishes them
// with one store of H_CMD_WRITE; the slot's DSP worker drains them into its WASM before a block and stores
// H_CMD_READ. Each side's counter is written by that side only, so the ring needs no lock.
//
// A command stamped before the block the reader renders next applies at that block's first frame; the reader
// writes that effective frame back into the record, and the writer reads it back once the record is drained,
// so that the supervisor forwards the command to the standby at the frame the primary applied it
// (docs/design.md §2). The reader's side runs on the audio path: it reads and writes typed arrays and
// allocates nothing.
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "./command.ts";
import { recordFrame, writeRecord, writeRecordFrame } from "./command_record.ts";
import type { DspHost } from "./dsp_host.ts";
import type { SlotViews } from "./shared.ts";

/** The views a command ring lives in: its slot's header and its records. */
export type RingViews = Pick<SlotViews, "hdr" | "cmdI32" | "cmdF64">;

/** A command as the writer keeps it: with the frame the reader applied it at. */
export interface RingEntry extends StampedCommand {
  /** The effective frame the reader wrote back, once it drained the record; -1 before. */
  effective: number;
}

/** Wakes the worker of the slot whose header is `hdr` (it waits on H_DOORBELL between blocks). */
export function ringDoorbell(hdr: Int32Array): void {
  Atomics.add(hdr, L.H_DOORBELL, 1);
  Atomics.notify(hdr, L.H_DOORBELL);
}

// A ring indexes records with `counter & (capacity − 1)`: that needs a power of two, and a view that holds
// exactly `capacity` records with the f64 arguments overlaid on the same bytes.
function checkRing(v: RingViews, capacity: number): void {
  if (!(Number.isInteger(capacity) && capacity > 0 && (capacity & (capacity - 1)) === 0)) {
    throw new RangeError(`Cannot make a command ring of ${capacity} records: not a power of two`);
  }
  if (
    v.cmdI32.length !== capacity * L.CMD_WORDS || v.cmdF64.length * 2 !== v.cmdI32.length ||
    v.cmdF64.buffer !== v.cmdI32.buffer || v.cmdF64.byteOffset !== v.cmdI32.byteOffset
  ) {
    throw new RangeError(
      `Cannot make a command ring of ${capacity} records over views of ${v.cmdI32.length / L.CMD_WORDS}`,
    );
  }
}

/** What both halves of a ring hold: its views and index mask, checked once at construction. */
export abstract class RingEnd {
  /** Records the ring holds (a power of two). */
  readonly capacity: number;
  /** The slot's header words (H_CMD_WRITE, H_CMD_READ, H_DOORBELL). */
  protected readonly hdr: Int32Array;
  /** The records as i32 words. */
  protected readonly i32: Int32Array;
  /** The same records as f64 (the arguments). */
  protected readonly f64: Float64Array;
  /** capacity − 1: a counter's record index is `counter & mask`. */
  protected readonly mask: number;

  /** One end of a slot's ring; throws a RangeError unless the views hold `capacity` (a power of 2). */
  constructor(views: RingViews, capacity: number = L.CMD_CAP) {
    checkRing(views, capacity);
    this.capacity = capacity;
    this.hdr = views.hdr;
    this.i32 = views.cmdI32;
    this.f64 = views.cmdF64;
    this.mask = capacity - 1;
  }
}

/**
 * The supervisor's half of a command ring: writes records, publishes them, reads back their effective frames.
 * It keeps what it wrote as entries (E carries the caller's bookkeeping) until they are pruned.
 */
export class CommandRingWriter<E extends RingEntry> extends RingEnd {
  /** Entries written and not pruned, oldest first; the last one is the latest record written. */
  readonly entries: E[] = [];
  #written = 0;
  #drained = 0;

  /** True when `n` more records fit: the reader may not have drained what was not read back yet. */
  fits(n: number): boolean {
    return this.#written - this.#drained + n <= this.capacity;
  }

  /** Writes a record (not visible to the reader before publish()); false when the ring is full. */
  write(e: E): boolean {
    if (!this.fits(1)) return false;
    writeRecord(this.i32, this.f64, this.#written & this.mask, e);
    this.entries.push(e);
    this.#written++;
    return true;
  }

  // One store for everything written since the last publish: the reader drains all of it before a block or
  // none of it, so a batch (a patch transaction) applies at one frame.
  /** Makes the records written so far visible to the reader. */
  publish(): void {
    Atomics.store(this.hdr, L.H_CMD_WRITE, this.#written);
  }

  /** Sets `effective` on every entry the reader has drained since the last call, from its record. */
  readBack(): void {
    const read = Atomics.load(this.hdr, L.H_CMD_READ);
    const first = this.#written - this.entries.length; // the record of entries[0]
    for (; this.#drained !== read; this.#drained++) {
      this.entries[this.#drained - first].effective = recordFrame(this.i32, this.#drained & this.mask);
    }
  }

  /** How many entries, from the front, the reader has drained (as of the last readBack). */
  get drained(): number {
    return this.#drained - (this.#written - this.entries.length);
  }

  /** Drops drained entries from the front while `done` holds; the front only, so records keep their entries. */
  prune(done: (e: E) => boolean): void {
    const n = this.drained;
    let k = 0;
    while (k < n && done(this.entries[k])) k++;
    if (k > 0) this.entries.splice(0, k);
  }
}

/** The DSP worker's half of a command ring. Allocation-free: it runs before every block. */
export class CommandRingReader extends RingEnd {
  /**
   * Queues every published record in `host`, at its frame or at `first` (the first frame of the block about
   * to render) if it was stamped earlier, and writes that effective frame back into the record. False when
   * the DSP queue is full: nothing is marked read then.
   */
  drain(host: Pick<DspHost, "pushRecord">, first: number): boolean {
    const hdr = this.hdr, i32 = this.i32, mask = this.mask;
    const r = Atomics.load(hdr, L.H_CMD_READ);
    const w = Atomics.load(hdr, L.H_CMD_WRITE);
    for (let i = r; i !== w; i = (i + 1) | 0) {
      const index = i & mask;
      const frame = recordFrame(i32, index);
      const effective = frame < first ? first : frame;
      if (effective !== frame) writeRecordFrame(i32, index, effective);
      if (host.pushRecord(i32, this.f64, index, effective) !== 0) return false;
    }
    Atomics.store(hdr, L.H_CMD_READ, w);
    return true;
  }

  /** Records drained so far (a snapshot notes it). */
  get read(): number {
    return Atomics.load(this.hdr, L.H_CMD_READ);
  }

  /** The doorbell's count now: wait on it after checking for work, so that a ring in between is not lost. */
  doorbell(): number {
    return Atomics.load(this.hdr, L.H_DOORBELL);
  }

  /** Waits until the doorbell rings past `seen` (never blocks the thread: terminate() can still land). */
  waitDoorbell(seen: number): ReturnType<typeof Atomics.waitAsync> {
    return Atomics.waitAsync(this.hdr, L.H_DOORBELL, seen);
  }
}
