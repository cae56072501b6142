// What a module kernel sees of the graph: its instance (Inst), its parameters (Param) and its ports. A kernel
// file in modules/ imports this file and nothing else of the graph, so the graph's arena, cables and plan can
// change without touching a kernel.
//
// The kernel of type <type> (patch/schema.ts) is the file in modules/ that exports these hooks; the build
// finds them by name (scripts/gen_defs.ts) and writes the dispatch (asm/gen/dispatch.ts):
//   <type>Process(m: Inst, from: i32, to: i32)   required: frames [from, to) of the current block
//   <type>StateBytes(): i32                       bytes of private state (the sample rate is known: G.sampleRate)
//   <type>Init(m: Inst): void                     state from the parameters' defaults (memory is zeroed)
//   <type>Param(m: Inst, p: i32): void            after parameter p's target changed
//   <type>Gate(m: Inst, on: bool, vel: f64): void the gate command, at its exact frame
//   <type>Level(m: Inst): f64                     the envelope's current level times the velocity (0: silent);
//                                                 the voice allocator's `quietest` and `free` read it (groups.ts)
//   <type>QuadProcess(m0, m1, m2, m3: Inst, from: i32, to: i32)
//                                                 four adjacent modules of the type, none feeding another, at
//                                                 once: the same samples as four Process calls
// Every hook but Process may be left out. Write them as `export function <name>` at the start of a line.
//
// What a kernel may rely on, and must keep:
// - Ports. inp(m, j) is a block of f32 indexed by frame, valid over [from, to) of the current span: the source's
//   output itself, a sum of cables, or ZERO. outp(m, j) is the kernel's own output block: it writes exactly
//   [from, to) (a reader behind a cycle reads the rest, from the previous block).
// - Parameters. prm(m, p).value is the current value, read once per span (control rate). An audio-rate
//   parameter (rate "audio" in the schema) is read per sample with at(q, i); q.step == 0 means it holds one
//   value over the span (a kernel may take a cheaper path then). Values are already clamped to the schema's
//   range, modulation included.
// - State. m.state points at StateBytes() bytes, 16-byte aligned, zeroed at creation. All DSP state lives in
//   linear memory (never in WASM globals), so a copy of memory is the whole state of the engine.
// - Randomness comes from m.seed (already mixed with the engine seed, never 0), never from a clock.
import { G } from "./globals";
import { MAX_BLOCK } from "./layout";

/** One parameter of one module: its smoothed value, its target and how a kernel reads it per sample. */
@unmanaged
export class Param {
  value: f64; // smoothed base value
  target: f64;
  coef: f64; // one-pole coefficient per sample; 1 = the value jumps
  min: f64;
  max: f64;
  constant: f32; // what `ptr` points at when the value is constant over the span
  step: i32; // 0: read `constant`; 4: read `buf`
  ptr: usize; // kernels read sample i at ptr + i·step
  buf: usize; // per-sample buffer (audio-rate parameters), or 0
  modHead: i32; // first connection that modulates this parameter, or -1
  modExp: i32; // 1: modulation multiplies by 2^(depth·signal)
}

/** One module instance (a row of the graph's instance table). */
@unmanaged
export class Inst {
  type: i32;
  active: i32;
  nIn: i32;
  nOut: i32;
  nParam: i32;
  seed: u32;
  params: usize;
  outs: usize;
  ins: usize; // resolved input pointers for the current span
  heads: usize; // first connection into each input, or -1
  scratch: usize;
  state: usize;
  size: i32;
  rendered: i32; // 0 until the first span: values set before it apply without smoothing
  still: i32; // 1 when every parameter held still and unmodulated at the last prepare: nothing to prepare
  mods: i32; // cables into parameters (modulation)
}

export const PARAM_BYTES: usize = 64;

/** A block of zeros: what an unconnected input reads. */
export const ZERO = memory.data(MAX_BLOCK * 4, 16);

/** Parameter p of module m. */
@inline
export function prm(m: Inst, p: i32): Param {
  return changetype<Param>(m.params + <usize> p * PARAM_BYTES);
}

/** Where module m's input j is for the current span (a block of f32 indexed by frame). */
@inline
export function inp(m: Inst, j: i32): usize {
  return load<usize>(m.ins + (<usize> j << 2));
}

/** True when something is connected to input j. */
@inline
export function connected(m: Inst, j: i32): bool {
  return load<i32>(m.heads + (<usize> j << 2)) >= 0;
}

/** Module m's output buffer j. */
@inline
export function outp(m: Inst, j: i32): usize {
  return m.outs + <usize> (j * G.block) * 4;
}

/** Sample i of an audio-rate parameter, as prepared for the current span. */
@inline
export function at(p: Param, i: i32): f32 {
  return load<f32>(p.ptr + <usize> (i * p.step));
}

/** A limiter applied gain `g` (≤ 1) to a sample of this block: the listener reports the smallest (asm/probe.ts). */
@inline
export function noteLimiterGain(g: f64): void {
  if (g < G.limiterMin) G.limiterMin = g;
}

/** One-pole coefficient for a time constant in ms (0 ms = jump): what Param.coef holds (a glide sets it). */
export function smoothingCoef(ms: f64): f64 {
  return ms <= 0 ? 1.0 : 1.0 - Math.exp(-1.0 / (ms * 0.001 * G.sampleRate));
}

/**
 * 2^x as exponential parameter modulation computes it: exact at integers, within 2e-7 relative between
 * (degree-6 polynomial on the fraction). Kernels that bend a pitch themselves use it too, so a cable and a
 * kernel agree.
 */
@inline
export function exp2f(x: f32): f32 {
  const xc = min<f32>(max<f32>(x, -60), 60);
  const fl = Mathf.floor(xc);
  const f = xc - fl;
  const p = <f32> 1.0 + f * (<f32> 0.6931472 + f * (<f32> 0.2402265 + f * (<f32> 0.05550411 +
    f * (<f32> 0.009618129 + f * (<f32> 0.001333355 + f * <f32> 0.0001540353)))));
  return reinterpret<f32>(reinterpret<i32>(p) + (<i32> fl << 23));
}
