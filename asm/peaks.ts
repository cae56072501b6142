// Meters for the control side: each module's output peak over the last rendered block, by module id. The
// worker copies them into its slot after each block (asm/layout.ts draws where and how they are read), so the
// control side can show per-voice levels without a message per block. Measuring reads the outputs a module
// just wrote and changes nothing the audio depends on; the table is cleared at each block's start, so it is a
// pure function of the block, like the audio (a snapshot that copies it copies what the next block clears).
import { MAX_MODULES } from "./layout";
import { Inst, outp } from "./module_abi";

const PEAKS = memory.data(MAX_MODULES * 4, 16);

/** Address of the table: MAX_MODULES f32, module id → the largest |sample| it wrote in the last block. */
export function peaksPtr(): usize {
  return PEAKS;
}

/** Clears the table: a block starts. */
export function peaksClear(): void {
  memory.fill(PEAKS, 0, <usize> (MAX_MODULES * 4));
}

/** Folds module `id`'s outputs over [from, to) into its peak. */
export function notePeak(id: i32, m: Inst, from: i32, to: i32): void {
  let p: f32 = load<f32>(PEAKS + (<usize> id << 2));
  for (let j = 0; j < m.nOut; j++) p = max<f32>(p, peakOf(outp(m, j), from, to));
  store<f32>(PEAKS + (<usize> id << 2), p);
}

// max |x[i]| over [from, to). For floats without their sign bit, the order of the bit patterns as unsigned
// integers is the order of the values, so the loop is an and and an unsigned integer max, four lanes at a
// time in two independent chains (one instruction each on x86: the f32x4 max's NaN rules cost several, in
// one dependent chain). Output blocks start 16-byte aligned (arena.ts); the unaligned ends go one by one.
function peakOf(x: usize, from: i32, to: i32): f32 {
  let p: u32 = 0;
  let i = from;
  for (; i < to && (i & 3) != 0; i++) p = max<u32>(p, load<u32>(x + (<usize> i << 2)) & 0x7fffffff);
  const mask = i32x4.splat(0x7fffffff);
  let a = i32x4.splat(0), b = i32x4.splat(0);
  for (; i + 8 <= to; i += 8) {
    const at = x + (<usize> i << 2);
    a = i32x4.max_u(a, v128.and(v128.load(at), mask));
    b = i32x4.max_u(b, v128.and(v128.load(at, 16), mask));
  }
  for (; i < to; i++) p = max<u32>(p, load<u32>(x + (<usize> i << 2)) & 0x7fffffff);
  a = i32x4.max_u(a, b);
  p = max<u32>(p, max<u32>(max<u32>(<u32> i32x4.extract_lane(a, 0), <u32> i32x4.extract_lane(a, 1)),
    max<u32>(<u32> i32x4.extract_lane(a, 2), <u32> i32x4.extract_lane(a, 3))));
  return reinterpret<f32>(p);
}
