// voice, the general kernel: any wave, filter mode and setting, in f64. voice.ts runs it for every run of
// samples that the f32 kernel (voice_saw_f32.ts) does not take: a wave other than saw, a filter mode other
// than low-pass, an envelope amount, a moving cutoff, resonance, detune, pitch or gain, or a cable on fm or am.
// Reads: the parameters of voice.ts's contract (wave, fmode and envamt once per run; freq, detune, pw, cutoff,
// res, gain and fm per sample) and inputs fm and am. Writes: out over [a, b); the state of voice_state.ts.
// Per sample, with l the envelope's level (env.ts's recurrence, kept in locals):
//   hz = freq · 2^(detune/1200) + fm · in.fm,  dt = hz/sr clamped to [0, 0.45]
//   x  = the wave at the phase (PolyBLEP saw/square, PolyBLAMP triangle: osc.ts), or the next noise sample
//        (waves 4 … 6: white, pink, brown from noise_source.ts); phase += dt, wrapped
//   the filter (Simper's SVF, svf.ts, in locals), retuned every sample while it moves: fc = cutoff ·
//   2^(envamt · l) clamped to 20 Hz … 0.45·sr, with the Padé tangent; else tuned once, exactly
//   out = y · l · velocity · gain   (y: low, band, high or notch by fmode), times am when it is connected
// With unison > 1 (voice_unison.ts) x is the bank's sum of N oscillators instead (noise: still one).
// Invariants: b − a ≤ the envelope's samples left in its segment, so the segment cannot end inside the
// loop; a segment that ends at b ends exactly on its end level (the recurrence lands within rounding).
import { G } from "../globals";
import { at, connected, exp2f, Inst, inp, outp, prm } from "../module_abi";
import {
  VOICE_CUTOFF,
  VOICE_DETUNE,
  VOICE_ENVAMT,
  VOICE_FM,
  VOICE_FMODE,
  VOICE_FREQ,
  VOICE_GAIN,
  VOICE_IN_AM,
  VOICE_IN_FM,
  VOICE_PW,
  VOICE_RES,
  VOICE_SPREAD,
  VOICE_WAVE,
} from "../gen/defs";
import { Env } from "./env";
import { noiseNext } from "./noise_source";
import { oscSample, polyBlep4 } from "./osc";
import { K_MIN, svfTune, tanPade } from "./svf";
import { noise, svf, unisonPhases, Voice } from "./voice_state";
import { bankSaw, bankTune, bankWave, unisonCount } from "./voice_unison";

// The first noise wave (patch/schema.ts VOICE_WAVES): white, then pink and brown (noise_source.ts's colours).
const WAVE_WHITE: i32 = 4;

/** Renders [a, b) of voice m, any setting; b − a ≤ e.left. */
export function runGeneral(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  const f = svf(m), out = outp(m, 0);
  const wave = <i32> prm(m, VOICE_WAVE).value, mode = <i32> prm(m, VOICE_FMODE).value;
  const freq = prm(m, VOICE_FREQ), detune = prm(m, VOICE_DETUNE), pw = prm(m, VOICE_PW);
  const cutoff = prm(m, VOICE_CUTOFF), res = prm(m, VOICE_RES), gain = prm(m, VOICE_GAIN), fm = prm(m, VOICE_FM);
  const envamt = prm(m, VOICE_ENVAMT).value;
  const fp = freq.ptr, fs = freq.step, gp = gain.ptr, gs = gain.step, wp = pw.ptr, ws = pw.step;
  const fmOn = connected(m, VOICE_IN_FM);
  const ns = noise(m), color = wave - WAVE_WHITE;
  const amOn = connected(m, VOICE_IN_AM), amIn = inp(m, VOICE_IN_AM);
  const fmIn = inp(m, VOICE_IN_FM);
  const isr = 1.0 / G.sampleRate, vel = v.velocity;
  const ratio0: f64 = exp2f(at(detune, a) * <f32> (1.0 / 1200.0));
  const detuneMoves = detune.step != 0;
  // Unison (voice_unison.ts): N > 1 pitched oscillators from the bank in place of the one; retuned every
  // sample while spread moves.
  const uni = unisonCount(m), spread = prm(m, VOICE_SPREAD), uph = unisonPhases(m);
  const bankOn = uni > 1 && color < 0, spreadMoves = spread.step != 0;
  if (bankOn) bankTune(uni, at(spread, a));
  const fixedFilter = envamt == 0.0 && cutoff.step == 0 && res.step == 0;
  if (fixedFilter) svfTune(f, <f64> at(cutoff, a), <f64> at(res, a));
  let phase = v.phase;
  let w = e.w;
  const mul = e.mul, add = e.add, ea = e.a, eb = e.b;
  let lv = e.level;
  let yLast: f64 = 0;
  // The filter in locals (Simper's form); retuned every sample while it moves, with the Padé tangent.
  const cp = cutoff.ptr, cs = cutoff.step, rp = res.ptr, rs = res.step;
  const radPerHz = Math.PI / G.sampleRate, fcMax = 0.45 * G.sampleRate;
  let ic1 = f.ic1, ic2 = f.ic2, a1 = f.a1, a2 = f.a2, a3 = f.a3, k = f.k;
  for (let i = a; i < b; i++) {
    const ratio = detuneMoves ? <f64> exp2f(at(detune, i) * <f32> (1.0 / 1200.0)) : ratio0;
    let hz = <f64> load<f32>(fp + <usize> (i * fs)) * ratio;
    if (fmOn) hz += <f64> at(fm, i) * <f64> load<f32>(fmIn + (<usize> i << 2));
    let dt = hz * isr;
    dt = dt < 0.0 ? 0.0 : dt > 0.45 ? 0.45 : dt;
    if (bankOn && spreadMoves) bankTune(uni, at(spread, i));
    const x = bankOn
      ? (wave == 1 ? <f64> bankSaw(uph, <f32> dt) : bankWave(uph, uni, wave, dt, <f64> load<f32>(wp + <usize> (i * ws))))
      : wave == 1
      ? 2.0 * phase - 1.0 - polyBlep4(phase, dt)
      : color >= 0
      ? noiseNext(ns, color)
      : oscSample(wave, phase, dt, <f64> load<f32>(wp + <usize> (i * ws)));
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
    w = w * mul + add;
    lv = ea + eb * w;
    if (!fixedFilter) {
      let fc = <f64> (load<f32>(cp + <usize> (i * cs)) * exp2f(<f32> (envamt * lv)));
      fc = fc < 20.0 ? 20.0 : fc > fcMax ? fcMax : fc;
      const g = tanPade(fc * radPerHz);
      k = Math.max(2.0 - 2.0 * <f64> load<f32>(rp + <usize> (i * rs)), K_MIN);
      a1 = 1.0 / (1.0 + g * (g + k));
      a2 = g * a1;
      a3 = g * a2;
    }
    const v3 = x - ic2;
    const v1 = a1 * ic1 + a2 * v3;
    const v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2.0 * v1 - ic1;
    ic2 = 2.0 * v2 - ic2;
    const y = mode == 0 ? v2 : mode == 1 ? v1 : mode == 2 ? x - k * v1 - v2 : x - k * v1;
    let o = <f32> (y * lv * vel) * load<f32>(gp + <usize> (i * gs));
    if (amOn) o *= load<f32>(amIn + (<usize> i << 2));
    store<f32>(out + (<usize> i << 2), o);
    yLast = y;
  }
  if (e.left == b - a && b > a) {
    // The segment ends here: its last sample is exactly its end level (the recurrence lands within rounding).
    lv = e.end;
    let o = <f32> (yLast * lv * vel) * load<f32>(gp + <usize> ((b - 1) * gs));
    if (amOn) o *= load<f32>(amIn + (<usize> (b - 1) << 2));
    store<f32>(out + (<usize> (b - 1) << 2), o);
  }
  v.phase = phase;
  f.ic1 = ic1;
  f.ic2 = ic2;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}
