// Typed views over the engine's one SharedArrayBuffer. Offsets come from asm/layout.ts (drawn there).
import * as L from "../asm/layout.ts";

/** Views over the control words and one slot, built once and reused on every block. */
export interface SlotViews {
  /** Header words (H_*). */
  hdr: Int32Array;
  /** Header f64 fields (HF_*). */
  hdrF64: Float64Array;
  /** tag[k] = the block held in audio slot k. */
  tags: Int32Array;
  /** FNV-1a hash of the block in audio slot k. */
  hashes: Int32Array;
  /** Command records as i32 words. */
  cmdI32: Int32Array;
  /** The same records as f64 (arguments f0…f3). */
  cmdF64: Float64Array;
  /** Audio ring, RING_BLOCKS × MAX_BLOCK × CHANNELS float32. */
  audio: Float32Array;
  /** Meters: MAX_MODULES float32, module id → its peak |sample| in the current meter window (layout.ts). */
  peaks: Float32Array;
  /** probeTags[k] = the block held in probe slot k (−1: none). */
  probeTags: Int32Array;
  /** probeIds[k] = the module probed in that block (0: none). */
  probeIds: Int32Array;
  /** Probe ring, PROBE_BLOCKS × MAX_BLOCK × CHANNELS float32. */
  probe: Float32Array;
  /** gainTags[k] = the block whose limiter gain gains[k] holds (−1: none). */
  gainTags: Int32Array;
  /** The smallest gain any limiter applied in that block. */
  gains: Float32Array;
  /** Read-back entry headers: READ_ENTRIES × READ_HDR_WORDS (RH_* of asm/layout.ts). */
  readHdr: Int32Array;
  /** Read-back values: READ_ENTRIES × READ_PARAMS × READ_VALUES f64 (RV_*). */
  readValues: Float64Array;
}

/** Allocates the shared memory of an engine and fills in the initial control words. */
export function createShared(lead: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(L.SHARED_BYTES);
  const ctrl = new Int32Array(sab, 0, L.CTRL_WORDS);
  ctrl[L.CTRL_SELECTOR] = 0;
  ctrl[L.CTRL_OTHER] = -1;
  ctrl[L.CTRL_END_BLOCK] = 0x7fffffff;
  ctrl[L.CTRL_LEAD] = lead;
  for (let s = 0; s < L.MAX_SLOTS; s++) {
    const v = slotViews(sab, s);
    v.tags.fill(-1);
    v.probeTags.fill(-1);
    v.gainTags.fill(-1);
    v.hdr[L.H_GATE] = 0;
  }
  return sab;
}

/** The control words. */
export function controlView(sab: SharedArrayBuffer): Int32Array {
  return new Int32Array(sab, 0, L.CTRL_WORDS);
}

/** Views over slot `slot`. */
export function slotViews(sab: SharedArrayBuffer, slot: number): SlotViews {
  const base = L.CTRL_BYTES + slot * L.SLOT_BYTES;
  return {
    hdr: new Int32Array(sab, base, L.HDR_WORDS),
    hdrF64: new Float64Array(sab, base + L.HDR_F64 * 4, (L.HDR_WORDS - L.HDR_F64) / 2),
    tags: new Int32Array(sab, base + L.SLOT_TAGS, L.RING_BLOCKS),
    hashes: new Int32Array(sab, base + L.SLOT_HASHES, L.RING_BLOCKS),
    cmdI32: new Int32Array(sab, base + L.SLOT_CMDS, L.CMD_CAP * L.CMD_WORDS),
    cmdF64: new Float64Array(sab, base + L.SLOT_CMDS, (L.CMD_CAP * L.CMD_WORDS) / 2),
    audio: new Float32Array(sab, base + L.SLOT_AUDIO, L.RING_BLOCKS * L.MAX_BLOCK * L.CHANNELS),
    peaks: new Float32Array(sab, base + L.SLOT_PEAKS, L.MAX_MODULES),
    probeTags: new Int32Array(sab, base + L.SLOT_PROBE_TAGS, L.PROBE_BLOCKS),
    probeIds: new Int32Array(sab, base + L.SLOT_PROBE_IDS, L.PROBE_BLOCKS),
    probe: new Float32Array(sab, base + L.SLOT_PROBE, L.PROBE_BLOCKS * L.MAX_BLOCK * L.CHANNELS),
    gainTags: new Int32Array(sab, base + L.SLOT_GAIN_TAGS, L.GAIN_BLOCKS),
    gains: new Float32Array(sab, base + L.SLOT_GAINS, L.GAIN_BLOCKS),
    readHdr: new Int32Array(sab, base + L.SLOT_READ_HDR, L.READ_ENTRIES * L.READ_HDR_WORDS),
    readValues: new Float64Array(
      sab,
      base + L.SLOT_READ_VALUES,
      L.READ_ENTRIES * L.READ_PARAMS * L.READ_VALUES,
    ),
  };
}

/** The snapshot area (a copy of one worker's WASM memory). */
export function snapshotView(sab: SharedArrayBuffer): Uint8Array {
  return new Uint8Array(sab, L.SNAP_OFFSET, L.WASM_PAGES * 65536);
}

/** The handoff area: a snapshot copied for the parked spare. */
export function handoffView(sab: SharedArrayBuffer): Uint8Array {
  return new Uint8Array(sab, L.HANDOFF_OFFSET, L.WASM_PAGES * 65536);
}

/** Views over the record tap: its header words (TAP_*, REC_*) and its audio (interleaved float32). */
export interface TapViews {
  /** The header words: TAP_CAP (the engine sets it), TAP_WRITTEN (the output's), REC_* (the recorder's). */
  hdr: Int32Array;
  /** TAP_FRAMES frames of interleaved float32: block n in tap slot n % TAP_CAP. */
  audio: Float32Array;
}

/** Views over the record tap (asm/layout.ts draws it). */
export function tapViews(sab: SharedArrayBuffer): TapViews {
  return {
    hdr: new Int32Array(sab, L.TAP_OFFSET, L.TAP_HDR_WORDS),
    audio: new Float32Array(sab, L.TAP_AUDIO, L.TAP_FRAMES * L.CHANNELS),
  };
}

/** The tap's capacity in blocks of `block` frames: all of it, or `limit` blocks (tests stall the recorder
 * past a small tap). */
export function tapCapacity(block: number, limit = Infinity): number {
  return Math.max(1, Math.min(Math.floor(L.TAP_FRAMES / block), Math.floor(limit)));
}

/** Resets a slot's header, tags and rings for a new worker. */
export function resetSlot(v: SlotViews, epoch: number): void {
  v.tags.fill(-1);
  v.probeTags.fill(-1);
  v.gainTags.fill(-1);
  v.hashes.fill(0);
  v.hdr.fill(0);
  v.hdrF64.fill(0);
  v.peaks.fill(0);
  v.readHdr.fill(0);
  Atomics.store(v.hdr, L.H_EPOCH, epoch);
}

/**
 * Folds the DSP's peaks of the block just rendered into a slot's meter window: a fresh window (its values
 * replaced) when the reader has bumped CTRL_PEAK_WINDOW since `seen`, else the larger of each pair. Returns the
 * window the slot's peaks now belong to.
 */
export function foldPeaks(ctrl: Int32Array, seen: number, from: Float32Array, into: Float32Array): number {
  const window = Atomics.load(ctrl, L.CTRL_PEAK_WINDOW);
  if (window !== seen) into.set(from);
  else for (let i = 0; i < into.length; i++) if (from[i] > into[i]) into[i] = from[i];
  return window;
}

/** Start offset (in floats) of audio slot k. */
export function audioOffset(k: number): number {
  return k * L.MAX_BLOCK * L.CHANNELS;
}
