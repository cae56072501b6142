// noise: white (uniform), pink (Paul Kellet's refined 7-pole filter, ±0.05 dB of −3 dB/octave above 10 Hz at
// 44.1 kHz) or brown (leaky integrator, −6 dB/octave above 7.6 Hz at 48 kHz), from the module's own PRNG.
import { at, Inst, outp, prm } from "../module_abi";
import { NOISE_COLOR, NOISE_LEVEL } from "../gen/defs";
import { rand } from "./rng";

@unmanaged
class Noise {
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

export function noiseStateBytes(): i32 {
  return <i32> offsetof<Noise>();
}

export function noiseInit(m: Inst): void {
  changetype<Noise>(m.state).rng = m.seed;
}

export function noiseProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Noise>(m.state);
  const color = <i32> prm(m, NOISE_COLOR).value, level = prm(m, NOISE_LEVEL);
  const out = outp(m, 0), rng = changetype<usize>(s);
  for (let i = from; i < to; i++) {
    const w = rand(rng);
    let y = w;
    if (color == 1) {
      s.b0 = 0.99886 * s.b0 + w * 0.0555179;
      s.b1 = 0.99332 * s.b1 + w * 0.0750759;
      s.b2 = 0.96900 * s.b2 + w * 0.1538520;
      s.b3 = 0.86650 * s.b3 + w * 0.3104856;
      s.b4 = 0.55000 * s.b4 + w * 0.5329522;
      s.b5 = -0.7616 * s.b5 - w * 0.0168980;
      y = (s.b0 + s.b1 + s.b2 + s.b3 + s.b4 + s.b5 + s.b6 + w * 0.5362) * 0.11;
      s.b6 = w * 0.115926;
    } else if (color == 2) {
      // Leaky integrator: pole 0.999 puts the corner at 7.6 Hz (48 kHz); RMS ≈ 0.32.
      s.brown = 0.999 * s.brown + 0.025 * w;
      y = s.brown;
    }
    store<f32>(out + (<usize> i << 2), <f32> y * at(level, i));
  }
}
