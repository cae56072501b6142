// Coloured noise shared by the noise module (noise.ts) and the voice's noise waves (voice_general.ts): one
// sample at a time from a generator the caller keeps in its own state, so each module owns its stream.
//   white  uniform in [−1, 1) from the module's xorshift32 (rng.ts)
//   pink   Paul Kellet's refined 7-pole filter of the white: ±0.05 dB of −3 dB/octave above 10 Hz at 44.1 kHz
//   brown  a leaky integrator of the white: −6 dB/octave above 7.6 Hz at 48 kHz (pole 0.999), RMS ≈ 0.32
// The generator's first word is the PRNG state: seed it with the module's seed (never 0: module_abi.ts).
import { rand } from "./rng";

/** A noise generator's state: the PRNG, the pink filter's seven poles and the brown integrator. */
@unmanaged
export class NoiseSource {
  rng: u32;
  pad: u32;
  b0: f64;
  b1: f64;
  b2: f64;
  b3: f64;
  b4: f64;
  b5: f64;
  b6: f64;
  brown: f64;
}

/** Bytes of a NoiseSource. */
export const NOISE_SOURCE_BYTES: i32 = <i32> offsetof<NoiseSource>();

/** Next sample of colour 0 white, 1 pink or 2 brown (any other colour: white). */
@inline
export function noiseNext(s: NoiseSource, color: i32): f64 {
  const w = rand(changetype<usize>(s));
  if (color == 1) {
    s.b0 = 0.99886 * s.b0 + w * 0.0555179;
    s.b1 = 0.99332 * s.b1 + w * 0.0750759;
    s.b2 = 0.96900 * s.b2 + w * 0.1538520;
    s.b3 = 0.86650 * s.b3 + w * 0.3104856;
    s.b4 = 0.55000 * s.b4 + w * 0.5329522;
    s.b5 = -0.7616 * s.b5 - w * 0.0168980;
    const y = (s.b0 + s.b1 + s.b2 + s.b3 + s.b4 + s.b5 + s.b6 + w * 0.5362) * 0.11;
    s.b6 = w * 0.115926;
    return y;
  }
  if (color == 2) {
    s.brown = 0.999 * s.brown + 0.025 * w;
    return s.brown;
  }
  return w;
}
