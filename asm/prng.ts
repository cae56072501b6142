// Seeded xorshift32 (Marsaglia 2003). The only source of randomness in the DSP; its state is in Globals.
import { G } from "./globals";

/** Seeds the generator; a zero seed is replaced because xorshift has a fixed point at 0. */
export function seedPrng(seed: u32): void {
  G.prng = seed == 0 ? 0x9e3779b9 : seed;
}

/** Next uniform sample in [-1, 1). */

@inline
export function nextBipolar(): f32 {
  let x = G.prng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  G.prng = x;
  return <f32> (<i32> x) * (1.0 / 2147483648.0);
}

/** Next uniform sample in [0, 1), from the same generator (the sequencer's chance steps draw here). */
export function nextUnit(): f64 {
  let x = G.prng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  G.prng = x;
  return <f64> x * (1.0 / 4294967296.0);
}
