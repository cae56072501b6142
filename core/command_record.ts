// The command record codec: the only code that reads or writes the words of a command record (asm/layout.ts
// draws the record). The supervisor encodes with it, the DSP worker reads frames and writes back the effective
// frame with it, and DspHost.pushRecord reads the fields it hands to the WASM `push` export.
// A record index is already masked to the ring's capacity. Everything here but readRecord is allocation-free:
// the worker calls it on the audio path.
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "./command.ts";

/** Writes command `c` into record `index`. */
export function writeRecord(i32: Int32Array, f64: Float64Array, index: number, c: StampedCommand): void {
  const w = index * L.CMD_WORDS;
  i32[w + L.C_SEQ] = c.seq;
  writeRecordFrame(i32, index, c.frame);
  i32[w + L.C_OP] = c.op;
  i32[w + L.C_TARGET] = c.target;
  i32[w + L.C_PARAM] = c.param;
  i32[w + L.C_I0] = c.i0;
  i32[w + L.C_I1] = c.i1;
  const f = w / 2 + L.C_F64;
  f64[f] = c.f0;
  f64[f + 1] = c.f1;
}

/** The frame of record `index` (frames are i64 in WASM: two words, so they pass 2^32). */
export function recordFrame(i32: Int32Array, index: number): number {
  const w = index * L.CMD_WORDS;
  return i32[w + L.C_FRAME_HI] * 0x100000000 + (i32[w + L.C_FRAME_LO] >>> 0);
}

/** Writes the frame of record `index` (the primary writes back the frame it applied the command at). */
export function writeRecordFrame(i32: Int32Array, index: number, frame: number): void {
  const w = index * L.CMD_WORDS;
  i32[w + L.C_FRAME_LO] = frame % 0x100000000 | 0;
  i32[w + L.C_FRAME_HI] = Math.floor(frame / 0x100000000);
}

/** Integer field `field` (C_SEQ, C_OP, C_TARGET, C_PARAM, C_I0, C_I1) of record `index`. */
export function recordWord(i32: Int32Array, index: number, field: number): number {
  return i32[index * L.CMD_WORDS + field];
}

/** The f64 argument f`k` of record `index`. */
export function recordArg(f64: Float64Array, index: number, k: number): number {
  return f64[(index * L.CMD_WORDS) / 2 + L.C_F64 + k];
}

/** Record `index` as a command (allocates: for tests and diagnostics, never on the audio path). */
export function readRecord(i32: Int32Array, f64: Float64Array, index: number): StampedCommand {
  return {
    seq: recordWord(i32, index, L.C_SEQ),
    frame: recordFrame(i32, index),
    op: recordWord(i32, index, L.C_OP),
    target: recordWord(i32, index, L.C_TARGET),
    param: recordWord(i32, index, L.C_PARAM),
    i0: recordWord(i32, index, L.C_I0),
    i1: recordWord(i32, index, L.C_I1),
    f0: recordArg(f64, index, 0),
    f1: recordArg(f64, index, 1),
  };
}
