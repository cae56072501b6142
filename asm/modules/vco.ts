// vco: band-limited oscillator (osc.ts) with detune, linear FM, hard sync and glide.
// Frequency per sample: freq · 2^(detune/1200) + fm · in.fm, kept within 0 … 0.45·sr.
// Hard sync: a rising zero crossing on `sync` restarts the phase at the crossing's sub-sample position.
// Glide: the freq parameter's one-pole smoothing takes the glide time (0 = notes jump at their frame).
import { G } from "../globals";
import { at, exp2f, Inst, inp, outp, prm, smoothingCoef } from "../module_abi";
import { VCO_DETUNE, VCO_FM, VCO_FREQ, VCO_GLIDE, VCO_IN_FM, VCO_IN_SYNC, VCO_LEVEL, VCO_PW, VCO_WAVE } from "../gen/defs";
import { oscSample } from "./osc";

@unmanaged
class Vco {
  phase: f64;
  lastSync: f32;
}

export function vcoStateBytes(): i32 {
  return <i32> offsetof<Vco>();
}

export function vcoInit(m: Inst): void {
  vcoParam(m, VCO_GLIDE);
}

export function vcoParam(m: Inst, p: i32): void {
  if (p == VCO_GLIDE) prm(m, VCO_FREQ).coef = smoothingCoef(prm(m, VCO_GLIDE).value);
}

export function vcoProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Vco>(m.state);
  const wave = <i32> prm(m, VCO_WAVE).value;
  const freq = prm(m, VCO_FREQ), detune = prm(m, VCO_DETUNE), pw = prm(m, VCO_PW);
  const fmAmt = prm(m, VCO_FM), level = prm(m, VCO_LEVEL);
  const fmIn = inp(m, VCO_IN_FM), syncIn = inp(m, VCO_IN_SYNC);
  const out = outp(m, 0);
  const isr = 1.0 / G.sampleRate;
  const maxDt = 0.45;
  let phase = s.phase, last = s.lastSync;
  let ratio: f64 = exp2f(at(detune, from) * <f32> (1.0 / 1200.0));
  const detuneMoves = detune.step != 0;
  for (let i = from; i < to; i++) {
    if (detuneMoves) ratio = exp2f(at(detune, i) * <f32> (1.0 / 1200.0));
    let f = <f64> at(freq, i) * ratio + <f64> at(fmAmt, i) * <f64> load<f32>(fmIn + (<usize> i << 2));
    let dt = f * isr;
    dt = dt < 0.0 ? 0.0 : dt > maxDt ? maxDt : dt;
    const sy = load<f32>(syncIn + (<usize> i << 2));
    if (last <= 0 && sy > 0) {
      // The crossing happened (sy / (sy − last)) of a sample ago: restart there.
      phase = dt * <f64> (sy / (sy - last));
    }
    last = sy;
    const v = oscSample(wave, phase, dt, <f64> at(pw, i));
    store<f32>(out + (<usize> i << 2), <f32> v * at(level, i));
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
  }
  s.phase = phase;
  s.lastSync = last;
}
