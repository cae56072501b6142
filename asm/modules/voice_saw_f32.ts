// voice, the f32 kernel: the common case, alone. voice.ts runs it for a run of samples when the wave is saw,
// the filter a low-pass with no envelope amount, cutoff, resonance, detune, pitch and gain hold still over the
// span (step 0) and nothing is patched into fm (sawLowFixed in voice.ts).
// Reads: the parameters at frame a only (they are constant over the span): freq, detune, cutoff, res, gain;
// the velocity. Writes: out over [a, b); the phase, the filter's integrators, the envelope's recurrence.
// Per sample, in f32, with every constant of the run in a lane record (Lane, filled by laneAt):
//   x  = 2·phase − 1, minus the 4-point PolyBLEP residual only near the step (phase < 2·dt or > 1 − 2·dt)
//   phase += dt, wrapped;  dt = freq · 2^(detune/1200) / sr, at most 0.45
//   l  = the envelope's level (w ← w·mul + add, l = A + B·w: env.ts)
//   y  = the low-pass output of the filter as a 2×2 state-space step (svf.ts: m11 … m22, n1, n2)
//   out = (y · l) · (velocity · gain)
// Why f32: the phase error stays below 0.05 cents and the filter's poles move by less than 0.2 % down to
// 60 Hz, and it is what voice_saw_f32x4.ts computes four lanes at a time.
// Invariants: lane by lane the same IEEE operations, in the same order, as voice_saw_f32x4.ts, so a voice
// sounds the same rendered alone or in a group of four (tests/modules_test.ts checks it bit for bit);
// b − a ≤ the envelope's samples left in its segment; a segment that ends at b ends exactly on its end level.
import { G } from "../globals";
import { at, exp2f, Inst, outp, prm } from "../module_abi";
import { VOICE_CUTOFF, VOICE_DETUNE, VOICE_FREQ, VOICE_GAIN, VOICE_RES } from "../gen/defs";
import { Env } from "./env";
import { polyBlep4 } from "./osc";
import { svfTune } from "./svf";
import { env, svf, Voice, voice } from "./voice_state";

// One voice's constants for the f32 fast path (a lane), in a static scratch record.
@unmanaged
export class Lane {
  dt: f32;
  lo: f32;
  hi: f32;
  vg: f32; // velocity · gain
  mul: f32;
  add: f32;
  ea: f32;
  eb: f32;
  a2: f32;
  b3: f32;
  a3: f32;
  n1: f32;
  n2: f32;
  m11: f32;
  m12: f32;
  m21: f32;
  m22: f32;
}

/** Four lane records (80 bytes apart): lane 0 for one voice alone, lanes 0 … 3 for voice_saw_f32x4.ts. */
export const LANES = memory.data(4 * 80, 16);

/** Fills lane record k (0 … 3) for voice m at frame a and returns it. */
export function laneAt(m: Inst, a: i32, k: i32): Lane {
  const L = changetype<Lane>(LANES + <usize> (k * 80));
  const f = svf(m), e = env(m), v = voice(m);
  svfTune(f, <f64> at(prm(m, VOICE_CUTOFF), a), <f64> at(prm(m, VOICE_RES), a));
  const ratio = <f64> exp2f(at(prm(m, VOICE_DETUNE), a) * <f32> (1.0 / 1200.0));
  let dt = <f32> (<f64> at(prm(m, VOICE_FREQ), a) * ratio / G.sampleRate);
  dt = dt > <f32> 0.45 ? <f32> 0.45 : dt;
  L.dt = dt;
  L.lo = <f32> 2.0 * dt;
  L.hi = <f32> 1.0 - <f32> 2.0 * dt;
  L.vg = <f32> v.velocity * at(prm(m, VOICE_GAIN), a);
  L.mul = <f32> e.mul;
  L.add = <f32> e.add;
  L.ea = <f32> e.a;
  L.eb = <f32> e.b;
  L.a2 = <f32> f.a2;
  L.b3 = <f32> (1.0 - f.a3);
  L.a3 = <f32> f.a3;
  L.n1 = <f32> f.n1;
  L.n2 = <f32> f.n2;
  L.m11 = <f32> f.m11;
  L.m12 = <f32> f.m12;
  L.m21 = <f32> f.m21;
  L.m22 = <f32> f.m22;
  return L;
}

@inline
function lane(m: Inst, a: i32): Lane {
  return laneAt(m, a, 0);
}

/** Renders [a, b) of voice m on the fast path; b − a ≤ e.left. */
export function runSawLowFixed(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  const f = svf(m), out = outp(m, 0);
  const L = lane(m, a);
  let phase = <f32> v.phase, ic1 = <f32> f.ic1, ic2 = <f32> f.ic2, w = <f32> e.w, lv = <f32> e.level;
  let y: f32 = 0;
  for (let i = a; i < b; i++) {
    let x: f32 = (phase + phase) - <f32> 1.0;
    if (phase < L.lo || phase > L.hi) x -= <f32> polyBlep4(<f64> phase, <f64> L.dt);
    phase += L.dt;
    if (phase >= <f32> 1.0) phase -= <f32> 1.0;
    w = w * L.mul + L.add;
    lv = L.ea + L.eb * w;
    y = (L.a2 * ic1 + L.b3 * ic2) + L.a3 * x;
    const j1 = (L.n1 * x + L.m12 * ic2) + L.m11 * ic1;
    ic2 = (L.n2 * x + L.m21 * ic1) + L.m22 * ic2;
    ic1 = j1;
    store<f32>(out + (<usize> i << 2), (y * lv) * L.vg);
  }
  if (e.left == b - a && b > a) {
    lv = <f32> e.end; // a segment that ends here ends exactly on its end level
    store<f32>(out + (<usize> (b - 1) << 2), (y * lv) * L.vg);
  }
  v.phase = phase;
  f.ic1 = ic1;
  f.ic2 = ic2;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}
