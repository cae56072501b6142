// acid: a TB-303-style line in one loop: band-limited saw/square (osc.ts, glide = the freq smoothing) plus the
// `in` input → drive (tanh) → 4-pole transistor ladder low-pass → VCA.
// Ladder: zero-delay-feedback (TPT) ladder with a tanh in every stage, solved per sample by linearising each
// tanh around the previous state (tanh(x) ≈ x·T(x), T = tanh(x)/x: "cheap non-linear zero-delay filters",
// Teemu Voipio (mystran), KVR 2012). T is a bounded Padé form, so no stage is driven by more than ±1: the
// self-oscillation amplitude is set by the tanh and the output cannot run away at any resonance.
// The ladder runs at the sample rate; its coefficient tan(π·fc/sr) is a Padé form (one division per sample).
// Resonance: feedback r = 4.4·res; the loop oscillates where r·T > 4, from res ≈ 0.91 with a quiet input.
// Half of the passband loss of the feedback is made up at the input (DC gain (1 + r/2)/(1 + r)).
// Cutoff per sample: cutoff · 2^(envmod·env·(1 + a) + 2·sweep), clamped to 0.45·sr, where env jumps to 1 at each
// gate on and falls to 1 % in `decay` ms; a = accent on accented notes (velocity > 0.8), else 0. Accented notes
// also decay faster (towards 200 ms as accent → 1), play louder (×(1 + 0.8·a)) and drive the accent sweep, a
// 40 ms lag of a·env that piles up over consecutive accents (the 303's "wow").
// VCA: smoothstep ramps from the current level: 3 ms to 1 on gate on, held, 9 ms to 0 on gate off. Velocity
// only selects the accent (the 303 has no velocity). While the VCA is closed nothing is heard, so the ladder
// waits (its state kept for the next note) and only the oscillator phase and the envelopes move on.
// A white floor at −120 dB (module PRNG) feeds the ladder so it can self-oscillate with nothing at its input.
import { G } from "../globals";
import { at, exp2f, Inst, inp, outp, prm, smoothingCoef } from "../module_abi";
import {
  ACID_ACCENT,
  ACID_CUTOFF,
  ACID_DECAY,
  ACID_DRIVE,
  ACID_ENVMOD,
  ACID_FREQ,
  ACID_GLIDE,
  ACID_IN_IN,
  ACID_LEVEL,
  ACID_OSC,
  ACID_RES,
  ACID_WAVE,
} from "../gen/defs";
import { oscSample } from "./osc";
import { rand } from "./rng";
import { tanhXdX } from "./shape";

const R_MAX: f64 = 4.4;
const COMP: f64 = 0.5; // share of the feedback's passband loss made up at the input
const LADDER_IN: f64 = 0.5; // drive stage output (±2 at most) → ladder input: the stages saturate musically
const OUT_GAIN: f64 = 1.25; // a default pattern with accents peaks near 0.8
const ATTACK_MS: f64 = 3.0;
const RELEASE_MS: f64 = 9.0;
const ACCENT_DECAY_MS: f64 = 200.0;
const ACCENT_GAIN: f64 = 0.8;
const SWEEP_OCT: f64 = 2.0;
const SWEEP_MS: f64 = 40.0;
const FLOOR: f64 = 1e-6;
const LN100: f64 = 4.605170185988092;
const DB_TO_LOG2: f32 = <f32> (0.05 * 3.321928094887362); // 10^(dB/20) = 2^(dB·log2(10)/20)

@unmanaged
class Acid {
  phase: f64;
  s0: f64; // ladder stage states (trapezoidal integrators)
  s1: f64;
  s2: f64;
  s3: f64;
  zi: f64; // previous ladder input, for the half-sample estimate of the input stage's tanh
  env: f64;
  sweep: f64;
  amp: f64;
  ampFrom: f64;
  ampTo: f64;
  ampInv: f64; // 1 / ramp length in samples
  ampPos: i32; // samples into the ramp
  ampLen: i32; // 0: not ramping
  gate: i32;
  accented: i32;
  rng: u32;
  pad: u32;
}

@inline
function acid(m: Inst): Acid {
  return changetype<Acid>(m.state);
}

/** Bytes of private state. */
export function acidStateBytes(): i32 {
  return <i32> offsetof<Acid>();
}

/** Seeds the noise floor's generator and applies the default glide. */
export function acidInit(m: Inst): void {
  acid(m).rng = m.seed;
  acidParam(m, ACID_GLIDE);
}

/** The glide time is the freq parameter's smoothing (0 = notes jump at their frame). */
export function acidParam(m: Inst, p: i32): void {
  if (p == ACID_GLIDE) prm(m, ACID_FREQ).coef = smoothingCoef(prm(m, ACID_GLIDE).value);
}

// Starts a smoothstep ramp of the amplifier from its current level.
function ramp(s: Acid, to: f64, ms: f64): void {
  const n = <i32> Math.max(1.0, Math.round(ms * 0.001 * G.sampleRate));
  s.ampFrom = s.amp;
  s.ampTo = to;
  s.ampPos = 0;
  s.ampLen = n;
  s.ampInv = 1.0 / <f64> n;
}

/** Gate on: retriggers the filter envelope and opens the amplifier; gate off: closes it. At the exact frame. */
export function acidGate(m: Inst, on: bool, vel: f64): void {
  const s = acid(m);
  if (on) {
    s.gate = 1;
    s.accented = vel > 0.8 ? 1 : 0;
    s.env = 1.0;
    ramp(s, 1.0, ATTACK_MS);
  } else if (s.gate) {
    s.gate = 0;
    ramp(s, 0.0, RELEASE_MS);
  }
}

/** The amplifier's level (0: silent). */
export function acidLevel(m: Inst): f64 {
  return acid(m).amp;
}

/** tan(x) for 0 ≤ x ≤ 0.45π: Padé [5/4], within 2.5e-5 relative (0.005 cents of cutoff) there. */
@inline
function tanPade(x: f64): f64 {
  const a = x * x;
  return x * (945.0 + a * (a - 105.0)) / (945.0 + a * (15.0 * a - 420.0));
}

@inline
function flush(x: f64): f64 {
  return Math.abs(x) < 1e-25 || !isFinite(x) ? 0.0 : x;
}

/** Renders frames [from, to). */
export function acidProcess(m: Inst, from: i32, to: i32): void {
  const s = acid(m), out = outp(m, 0);
  const freq = prm(m, ACID_FREQ), cutoff = prm(m, ACID_CUTOFF), res = prm(m, ACID_RES);
  const drive = prm(m, ACID_DRIVE), oscLevel = prm(m, ACID_OSC), level = prm(m, ACID_LEVEL);
  const sr = G.sampleRate, isr = 1.0 / sr;
  const decay = prm(m, ACID_DECAY).value;
  const a = s.accented ? prm(m, ACID_ACCENT).value : 0.0;
  const decayMs = decay + a * (Math.min(decay, ACCENT_DECAY_MS) - decay);
  const envRate = LN100 / (decayMs * 0.001 * sr); // per sample, in nepers
  const envMul = Math.exp(-envRate);
  const sweepK = smoothingCoef(SWEEP_MS);
  if (s.gate == 0 && s.ampLen == 0 && s.amp == 0.0) {
    for (let i = from; i < to; i++) store<f32>(out + (<usize> i << 2), 0);
    const n = <f64> (to - from);
    const dt = Math.min(<f64> at(freq, to - 1) * isr, 0.45);
    s.phase = (s.phase + dt * n) % 1.0;
    s.env = flush(s.env * Math.exp(-envRate * n));
    s.sweep = flush(s.sweep * Math.exp(-n / (SWEEP_MS * 0.001 * sr)));
    return;
  }
  const wave = 1 + <i32> prm(m, ACID_WAVE).value;
  const envOct = prm(m, ACID_ENVMOD).value * (1.0 + a);
  const gain = OUT_GAIN * (1.0 + ACCENT_GAIN * a);
  const x = inp(m, ACID_IN_IN);
  const wMax = 0.45 * Math.PI, wPerHz = Math.PI * isr;
  // The cutoff holds still over the span once the envelope has died away and nothing modulates it.
  const still = cutoff.step == 0 && envOct * s.env + SWEEP_OCT * s.sweep < 1e-7 && a == 0.0;
  let f = tanPade(Math.min(<f64> at(cutoff, from) * wPerHz, wMax));
  const resMoves = res.step != 0, driveMoves = drive.step != 0;
  let r = R_MAX * <f64> at(res, from);
  let dg: f64 = exp2f(at(drive, from) * DB_TO_LOG2);
  let phase = s.phase, s0 = s.s0, s1 = s.s1, s2 = s.s2, s3 = s.s3, zi = s.zi;
  let env = s.env, sweep = s.sweep, amp = s.amp;
  const rng = changetype<usize>(s) + offsetof<Acid>("rng");
  for (let i = from; i < to; i++) {
    let dt = <f64> at(freq, i) * isr;
    dt = dt < 0.0 ? 0.0 : dt > 0.45 ? 0.45 : dt;
    let src = <f64> at(oscLevel, i) * oscSample(wave, phase, dt, 0.5) + <f64> load<f32>(x + (<usize> i << 2));
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
    if (!(Math.abs(src) < 1e6)) src = 0.0; // NaN/Inf from upstream must not poison the ladder's state
    if (driveMoves) dg = exp2f(at(drive, i) * DB_TO_LOG2);
    // Drive: 2·tanh(g·x/2), nearly clean at 0 dB for a ±1 input, square-like at +24 dB; at most ±2.
    const h = 0.5 * dg * src;
    const u = (LADDER_IN * 2.0) * h * tanhXdX(h) + FLOOR * rand(rng);

    if (!still) {
      sweep += (a * env - sweep) * sweepK;
      const fc = <f64> at(cutoff, i) * <f64> exp2f(<f32> (envOct * env + SWEEP_OCT * sweep));
      f = tanPade(Math.min(fc * wPerHz, wMax));
    }
    env *= envMul;
    if (resMoves) r = R_MAX * <f64> at(res, i);
    const inp0 = u * (1.0 + COMP * r);

    // Non-linear gains at the current operating point (the input stage at the half-sample input).
    const ih = 0.5 * (inp0 + zi);
    zi = inp0;
    const t0 = tanhXdX(ih - r * s3);
    const t1 = tanhXdX(s0), t2 = tanhXdX(s1), t3 = tanhXdX(s2), t4 = tanhXdX(s3);
    const g0 = 1.0 / (1.0 + f * t1), g1 = 1.0 / (1.0 + f * t2);
    const g2 = 1.0 / (1.0 + f * t3), g3 = 1.0 / (1.0 + f * t4);
    const f3 = f * t3 * g3, f2 = f * t2 * g2 * f3, f1 = f * t1 * g1 * f2, f0 = f * t0 * g0 * f1;
    // The linearised feedback loop solved for the last stage, then the stages in order.
    const y3 = (g3 * s3 + f3 * g2 * s2 + f2 * g1 * s1 + f1 * g0 * s0 + f0 * inp0) / (1.0 + r * f0);
    const xx = t0 * (inp0 - r * y3);
    const y0 = t1 * g0 * (s0 + f * xx);
    const y1 = t2 * g1 * (s1 + f * y0);
    const y2 = t3 * g2 * (s2 + f * y1);
    s0 += 2.0 * f * (xx - y0);
    s1 += 2.0 * f * (y0 - y1);
    s2 += 2.0 * f * (y1 - y2);
    s3 += 2.0 * f * (y2 - t4 * y3);

    if (s.ampLen > 0) {
      const p = ++s.ampPos;
      if (p >= s.ampLen) {
        amp = s.ampTo;
        s.ampLen = 0;
      } else {
        const t = <f64> p * s.ampInv;
        amp = s.ampFrom + (s.ampTo - s.ampFrom) * t * t * (3.0 - 2.0 * t);
      }
    }
    store<f32>(out + (<usize> i << 2), <f32> (y3 * gain * amp) * at(level, i));
  }
  s.phase = phase;
  s.s0 = flush(s0);
  s.s1 = flush(s1);
  s.s2 = flush(s2);
  s.s3 = flush(s3);
  s.zi = flush(zi);
  s.env = flush(env);
  s.sweep = flush(sweep);
  s.amp = amp;
}
