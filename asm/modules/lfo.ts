// lfo: sine, triangle, saw (rising), square, sample-and-hold (a new random value each cycle, module PRNG).
// out = offset + depth·wave, wave in −1 … 1. Naive waveforms on purpose: it modulates, it is not heard.
import { G } from "../globals";
import { at, Inst, outp, prm } from "../module_abi";
import { LFO_DEPTH, LFO_OFFSET, LFO_RATE, LFO_WAVE } from "../gen/defs";
import { rand } from "./rng";

@unmanaged
class Lfo {
  rng: u32;
  pad: u32;
  phase: f64;
  held: f64;
}

export function lfoStateBytes(): i32 {
  return <i32> offsetof<Lfo>();
}

export function lfoInit(m: Inst): void {
  const s = changetype<Lfo>(m.state);
  s.rng = m.seed;
  s.held = rand(changetype<usize>(s));
}

export function lfoProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Lfo>(m.state);
  const wave = <i32> prm(m, LFO_WAVE).value;
  const rate = prm(m, LFO_RATE), depth = prm(m, LFO_DEPTH), offset = prm(m, LFO_OFFSET);
  const out = outp(m, 0), isr = 1.0 / G.sampleRate;
  let ph = s.phase;
  for (let i = from; i < to; i++) {
    let w: f64;
    if (wave == 0) w = Math.sin(ph * (2.0 * Math.PI));
    else if (wave == 1) w = ph < 0.5 ? 4.0 * ph - 1.0 : 3.0 - 4.0 * ph;
    else if (wave == 2) w = 2.0 * ph - 1.0;
    else if (wave == 3) w = ph < 0.5 ? 1.0 : -1.0;
    else w = s.held;
    store<f32>(out + (<usize> i << 2), at(offset, i) + at(depth, i) * <f32> w);
    ph += <f64> at(rate, i) * isr;
    if (ph >= 1.0) {
      ph -= 1.0;
      if (wave == 4) s.held = rand(changetype<usize>(s));
    }
  }
  s.phase = ph;
}
