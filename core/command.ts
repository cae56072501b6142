// Commands as plain data, and their fixed-size binary records (asm/layout.ts draws the record).
import * as L from "../asm/layout.ts";

/** One change to the sound, applied at one frame. */
export interface Command {
  op: number;
  target: number;
  param: number;
  i0: number;
  i1: number;
  f0: number;
  f1: number;
}

/** A command with its sequence number and frame. */
export interface StampedCommand extends Command {
  seq: number;
  frame: number;
}

/** A command with every field defaulted to 0 except those given. */
export function command(fields: Partial<Command> & { op: number }): Command {
  return { target: 0, param: 0, i0: 0, i1: 0, f0: 0, f1: 0, ...fields };
}

/** Writes a record at record index `index` (already masked) of a ring. */
export function writeRecord(i32: Int32Array, f64: Float64Array, index: number, c: StampedCommand): void {
  const w = index * L.CMD_WORDS;
  i32[w + L.C_SEQ] = c.seq;
  i32[w + L.C_FRAME_LO] = c.frame % 0x100000000 | 0;
  i32[w + L.C_FRAME_HI] = Math.floor(c.frame / 0x100000000);
  i32[w + L.C_OP] = c.op;
  i32[w + L.C_TARGET] = c.target;
  i32[w + L.C_PARAM] = c.param;
  i32[w + L.C_I0] = c.i0;
  i32[w + L.C_I1] = c.i1;
  const f = w / 2 + L.C_F64;
  f64[f] = c.f0;
  f64[f + 1] = c.f1;
}

/** Reads the frame field of record `index`. */
export function recordFrame(i32: Int32Array, index: number): number {
  const w = index * L.CMD_WORDS;
  return i32[w + L.C_FRAME_HI] * 0x100000000 + (i32[w + L.C_FRAME_LO] >>> 0);
}

/** Writes the frame field of record `index` (the primary writes back the effective frame). */
export function writeRecordFrame(i32: Int32Array, index: number, frame: number): void {
  const w = index * L.CMD_WORDS;
  i32[w + L.C_FRAME_LO] = frame % 0x100000000 | 0;
  i32[w + L.C_FRAME_HI] = Math.floor(frame / 0x100000000);
}
