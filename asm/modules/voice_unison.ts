// voice, the unison bank: `unison` (N = 1 … 7) oscillators in place of the voice's one, detuned across `spread`
// cents, summed before the filter. voice.ts picks runUnisonFixed (below), voice_unison_f32x4.ts's
// runUnisonQuad (four unison voices at once) or voice_general.ts (which calls bankSaw/bankWave per sample)
// when N > 1; N = 1 never reaches this file, so a voice without unison renders exactly as before.
// The law (patch/schema.ts `unison`, `spread`):
//   oscillator k of N (k = 0 … N−1) plays at pitch · 2^(spread · (k/(N−1) − ½) / 1200): symmetric around the
//   pitch, the outer two `spread` cents apart (N = 2: ±spread/2)
//   each at level 1/√N: uncorrelated partials add in power, so the sum keeps the loudness of one oscillator
//   oscillator k starts at phase frac(k · 0.618…) (the golden ratio's: no two alike, none aligned), set at
//   init (UNISON_START), and runs free like the voice's own phase
//   the saw is the voice's 4-point PolyBLEP saw (osc.ts polyBlep4); other pitched waves use osc.ts oscSample;
//   the noises ignore unison (one generator)
// SIMD: the eight phases (N ≤ 7 used, the rest with ratio 0 and weight 0 stand still) are two f32x4; the
// residual is taken lane by lane, for the lanes inside their step's window (p < 2·dt or p > 1 − 2·dt, tested
// in f32), only on a sample where some lane is.
// The sum on the f32 path (runUnisonFixed) is a left fold in oscillator order, ((x0·g + x1·g) + x2·g) + …
// over k < N only: the order the four-voice kernel (voice_unison_f32x4.ts) computes lane by lane, where a
// lane is a voice and a vector one oscillator of four voices. So a unison voice sounds the same alone or in a
// group of four, bit for bit (tests/modules_unison_test.ts).
// State: the phases (voice_state.ts unisonPhases); per run, the ratios and weights in a static record (BANK),
// filled by bankTune. Everything is a pure function of the state and the parameters: both workers agree.
import { at, exp2f, Inst, outp, prm } from "../module_abi";
import { VOICE_SPREAD, VOICE_UNISON } from "../gen/defs";
import { Env } from "./env";
import { oscSample, polyBlep4 } from "./osc";
import { laneAt } from "./voice_saw_f32";
import { svf, unisonPhases, Voice } from "./voice_state";

/** The most oscillators of a voice. */
export const UNISON_MAX: i32 = 7;

// The bank's run constants: ratios (r0: oscillators 0 … 3, r1: 4 … 7), weights (g0, g1), then scratch for the
// lane-by-lane residual (phases at 64, increments at 96, waves at 128, window masks at 160), eight each.
const BANK = memory.data(192, 16);
const R0: usize = 0, R1: usize = 16, G0: usize = 32, G1: usize = 48, SP: usize = 64, SD: usize = 96;
const SX: usize = 128, SE: usize = 160;

/** Start phases: frac(k · 0.6180339887), k = 0 … 7. */
const UNISON_START = memory.data<f32>([0.0, 0.618034, 0.236068, 0.854102, 0.472136, 0.090170, 0.708204, 0.326238]);

/** The voice's oscillator count: the `unison` parameter (a cable may move it) rounded into 1 … 7. */
@inline
export function unisonCount(m: Inst): i32 {
  const n = <i32> Math.round(prm(m, VOICE_UNISON).value);
  return n < 1 ? 1 : n > UNISON_MAX ? UNISON_MAX : n;
}

/** Oscillator k's frequency ratio from the last bankTune (0 for k ≥ N). */
@inline
export function bankRatio(k: i32): f32 {
  return load<f32>(BANK + R0 + (<usize> k << 2));
}

/** Oscillator k's weight from the last bankTune: 1/√N for k < N, else 0. */
@inline
export function bankWeight(k: i32): f32 {
  return load<f32>(BANK + G0 + (<usize> k << 2));
}

/** Sets the oscillators' start phases (at init). */
export function unisonInit(m: Inst): void {
  memory.copy(unisonPhases(m), UNISON_START, 32);
}

/** Fills the bank's ratios and weights for n oscillators spread over `cents`. */
export function bankTune(n: i32, cents: f32): void {
  const w = <f32> (1.0 / Math.sqrt(<f64> n));
  const step = <f32> 1.0 / <f32> (n - 1);
  for (let k = 0; k < 8; k++) {
    const on = k < n;
    const c = cents * (<f32> k * step - <f32> 0.5);
    store<f32>(BANK + R0 + (<usize> k << 2), on ? exp2f(c * <f32> (1.0 / 1200.0)) : 0);
    store<f32>(BANK + G0 + (<usize> k << 2), on ? w : 0);
  }
}

// Oscillator increments for a base increment dt (cycles per sample), each at most 0.45 as the voice's.
@inline
function increments(dt: f32, r: usize): v128 {
  return f32x4.min(f32x4.mul(f32x4.splat(dt), v128.load(BANK + r)), f32x4.splat(0.45));
}

// The lanes whose phase is inside the step's window: p < 2·dt or p > 1 − 2·dt.
@inline
function near(p: v128, d: v128): v128 {
  const lo = f32x4.add(d, d);
  return v128.or(f32x4.lt(p, lo), f32x4.gt(p, f32x4.sub(f32x4.splat(1), lo)));
}

// Wraps each phase into [0, 1).
@inline
function wrap(p: v128): v128 {
  const one = f32x4.splat(1);
  return v128.bitselect(f32x4.sub(p, one), p, f32x4.ge(p, one));
}

/** The next sample of the bank's saws at base increment dt (advances the phases at `ph`). */
export function bankSaw(ph: usize, dt: f32): f32 {
  let p0 = v128.load(ph), p1 = v128.load(ph, 16);
  const d0 = increments(dt, R0), d1 = increments(dt, R1);
  const one = f32x4.splat(1);
  let x0 = f32x4.sub(f32x4.add(p0, p0), one), x1 = f32x4.sub(f32x4.add(p1, p1), one);
  const e0 = near(p0, d0), e1 = near(p1, d1);
  if (v128.any_true(v128.or(e0, e1))) {
    residual(p0, p1, d0, d1, x0, x1, e0, e1);
    x0 = v128.load(BANK + SX);
    x1 = v128.load(BANK + SX, 16);
  }
  v128.store(ph, wrap(f32x4.add(p0, d0)));
  v128.store(ph, wrap(f32x4.add(p1, d1)), 16);
  const s = f32x4.add(f32x4.mul(x0, v128.load(BANK + G0)), f32x4.mul(x1, v128.load(BANK + G1)));
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}

/** The next sample of the bank's n oscillators of a pitched wave other than saw (osc.ts oscSample). */
export function bankWave(ph: usize, n: i32, wave: i32, dt: f64, pw: f64): f64 {
  let s: f64 = 0;
  for (let k = 0; k < n; k++) {
    const o = <usize> k << 2;
    let d = dt * <f64> load<f32>(BANK + R0 + o);
    d = d > 0.45 ? 0.45 : d;
    const p = <f64> load<f32>(ph + o);
    s += oscSample(wave, p, d, pw);
    let q = p + d;
    if (q >= 1.0) q -= 1.0;
    store<f32>(ph + o, <f32> q);
  }
  return s * (1.0 / Math.sqrt(<f64> n));
}

// The lane-by-lane residual for the lanes inside their step's window (masks e0, e1: a sample in a few
// percent); the waves land at BANK + SX. Only those lanes: the f32 window test decides, as in the four-voice
// kernel (polyBlep4's own f64 test can differ from it at the window's edge).
function residual(p0: v128, p1: v128, d0: v128, d1: v128, x0: v128, x1: v128, e0: v128, e1: v128): void {
  v128.store(BANK + SP, p0);
  v128.store(BANK + SP, p1, 16);
  v128.store(BANK + SD, d0);
  v128.store(BANK + SD, d1, 16);
  v128.store(BANK + SX, x0);
  v128.store(BANK + SX, x1, 16);
  v128.store(BANK + SE, e0);
  v128.store(BANK + SE, e1, 16);
  for (let k = 0; k < 8; k++) {
    const o = <usize> k << 2;
    if (load<i32>(BANK + SE + o) == 0) continue;
    const p = load<f32>(BANK + SP + o), d = load<f32>(BANK + SD + o);
    store<f32>(BANK + SX + o, load<f32>(BANK + SX + o) - <f32> polyBlep4(<f64> p, <f64> d));
  }
}

// The weighted waves of oscillators 0 … n−1 summed left to right (n ≥ 2): s0 holds oscillators 0 … 3, s1
// 4 … 7. voice_unison_f32x4.ts adds in this order lane by lane.
@inline
function foldSum(s0: v128, s1: v128, n: i32): f32 {
  let s = f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1);
  if (n > 2) s += f32x4.extract_lane(s0, 2);
  if (n > 3) s += f32x4.extract_lane(s0, 3);
  if (n > 4) s += f32x4.extract_lane(s1, 0);
  if (n > 5) s += f32x4.extract_lane(s1, 1);
  if (n > 6) s += f32x4.extract_lane(s1, 2);
  return s;
}

/** runSawLowFixed (voice_saw_f32.ts) with the bank's saws for the voice's saw: N > 1, spread holding still.
 * The bank in locals (oscillators 4 … 7 only when N > 4); the sum a left fold over k < N (foldSum). Lane by
 * lane the same IEEE operations, in the same order, as voice_unison_f32x4.ts runUnisonQuad. */
export function runUnisonFixed(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  const f = svf(m), out = outp(m, 0), ph = unisonPhases(m);
  const L = laneAt(m, a, 0);
  const n = unisonCount(m), wide = n > 4;
  bankTune(n, at(prm(m, VOICE_SPREAD), a));
  const d0 = increments(L.dt, R0), d1 = increments(L.dt, R1);
  const g0 = v128.load(BANK + G0), g1 = v128.load(BANK + G1);
  const one = f32x4.splat(1);
  const lo0 = f32x4.add(d0, d0), lo1 = f32x4.add(d1, d1);
  const hi0 = f32x4.sub(one, lo0), hi1 = f32x4.sub(one, lo1);
  let p0 = v128.load(ph), p1 = v128.load(ph, 16);
  let phase = <f32> v.phase, ic1 = <f32> f.ic1, ic2 = <f32> f.ic2, w = <f32> e.w, lv = <f32> e.level;
  let y: f32 = 0;
  for (let i = a; i < b; i++) {
    let x0 = f32x4.sub(f32x4.add(p0, p0), one), x1 = f32x4.sub(f32x4.add(p1, p1), one);
    const e0 = v128.or(f32x4.lt(p0, lo0), f32x4.gt(p0, hi0));
    const e1 = wide ? v128.or(f32x4.lt(p1, lo1), f32x4.gt(p1, hi1)) : i32x4.splat(0);
    if (v128.any_true(v128.or(e0, e1))) {
      residual(p0, p1, d0, d1, x0, x1, e0, e1);
      x0 = v128.load(BANK + SX);
      x1 = v128.load(BANK + SX, 16);
    }
    p0 = wrap(f32x4.add(p0, d0));
    if (wide) p1 = wrap(f32x4.add(p1, d1));
    const x = foldSum(f32x4.mul(x0, g0), f32x4.mul(x1, g1), n);
    phase += L.dt; // the voice's own phase runs on, for when unison returns to 1
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
  v128.store(ph, p0);
  v128.store(ph, p1, 16);
  v.phase = phase;
  f.ic1 = ic1;
  f.ic2 = ic2;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}
