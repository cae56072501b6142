// Engine-wide state. It lives in linear memory, never in WASM globals, so a copy of the memory taken at a
// block boundary is the whole state of the DSP (the supervisor rebuilds workers from such snapshots).

@unmanaged
export class Globals {
  sampleRate: f64;
  smoothCoef: f64; // one-pole coefficient for parameter smoothing (5 ms time constant)
  block: i32;
  prng: u32; // xorshift32 state; never 0
  queueUsed: i32; // asm/queue.ts: event slots handed out since the last clear
  queueCount: i32; // events pending (the heap's size)
  queueFree: i32; // released slots on the free stack
  hash: u32;
  initialised: i32;
  seed: u32; // the engine seed (module PRNGs mix it with their own)
  planLen: i32;
  sanitized: i32; // non-finite samples the out module replaced by 0
  arenaTop: usize; // end of the used part of linear memory (module arena bump pointer)
  outBus: usize; // the interleaved stereo output of the current block
  span: i32; // counts rendered spans (caches below are valid within one span only)
  edgeBuf: usize; // gate-edge scan cache (voice.ts nextGateEdge, adsr.ts nextEdge: the same function)
  edgeFrom: i32;
  edgeTo: i32;
  edgeHigh: i32;
  edgeSpan: i32;
  edgeAt: i32;
  lastEnd: i64; // the frame after the last rendered block
  outGain: f64; // the output's master gain (OP_OUTPUT_GAIN): 1 leaves the output untouched
  outGainTarget: f64;
  outGainStep: f64; // added per frame while a ramp runs
  outGainLeft: i32; // frames left in the ramp
  createFailed: i32; // OP_CREATEs that found no room (the control side admits none: patch/graph.ts)
  limiterMin: f64; // the smallest gain any limiter applied in the current block (asm/probe.ts)
  probeId: i32; // the module OP_PROBE chose (0: none)
  probeL: i32; // its outputs copied as left and right
  probeR: i32;
  probed: i32; // the module the last block's probe holds (0: none)
  readCount: i32; // OP_READs applied in the current block (asm/readback.ts)
}

export const G = changetype<Globals>(memory.data(offsetof<Globals>(), 16));
