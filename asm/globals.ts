// Engine-wide state. It lives in linear memory, never in WASM globals, so a copy of the memory taken at a
// block boundary is the whole state of the DSP (the supervisor rebuilds workers from such snapshots).

@unmanaged
export class Globals {
  sampleRate: f64;
  smoothCoef: f64; // one-pole coefficient for parameter smoothing (5 ms time constant)
  block: i32;
  prng: u32; // xorshift32 state; never 0
  queueHead: i32;
  queueCount: i32;
  hash: u32;
  initialised: i32;
}

export const G = changetype<Globals>(memory.data(offsetof<Globals>(), 16));
