// vco: band-limited oscillator (osc.ts) with detune, linear FM, hard sync and glide.
// Frequency per sample: freq · 2^(detune/1200) + fm · in.fm, kept within 0 … 0.45·sr.
// Hard sync: a rising zero crossing on `sync` restarts the phase at the crossing's sub-sample position.
// Glide: the freq parameter's one-pole smoothing takes the glide time (0 = notes jump at their frame).
// Kernels (all f64 phase, the same IEEE operations in the same order, so every path gives the same samples):
//   general  anything moving or patched: per sample, as the formula above reads
//   fixed    freq, detune, level and (but for the saw) pw hold still over the span (step 0) and nothing is
//            patched into fm or sync: dt and the wave once per span, phase in a local; a saw takes its PolyBLEP residual only
//            inside the step's window (phase < 2·dt or > 1 − 2·dt: outside it the residual is exactly 0)
//   quad     four saws on the fixed path at once (vcoQuadProcess): two f64x2 pairs, lane by lane the fixed
//            path's operations (a vco sounds the same alone or in a group of four, bit for bit:
//            tests/modules_test.ts); runs between steps go without the window test (each lane's count of
//            clear samples counts down), a sample near a step takes the residual in f64x2 too, every
//            branch of osc.ts polyBlep4 computed and the lane's selected (lane by lane under dt < 1/4).
// State: the phase (f64) and the sync input's last sample.
import { G } from "../globals";
import { at, connected, exp2f, Inst, inp, outp, prm, smoothingCoef } from "../module_abi";
import { VCO_DETUNE, VCO_FM, VCO_FREQ, VCO_GLIDE, VCO_IN_FM, VCO_IN_SYNC, VCO_LEVEL, VCO_PW, VCO_WAVE } from "../gen/defs";
import { oscSample, polyBlep4 } from "./osc";

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

const MAX_DT: f64 = 0.45;

// True when vco m renders on the fixed path this span (a saw ignores its pulse width).
@inline
function fixed(m: Inst, wave: i32): bool {
  return prm(m, VCO_FREQ).step == 0 && prm(m, VCO_DETUNE).step == 0 && (wave == 1 || prm(m, VCO_PW).step == 0) &&
    prm(m, VCO_LEVEL).step == 0 && !connected(m, VCO_IN_FM) && !connected(m, VCO_IN_SYNC);
}

// True when vco m renders as a saw on the fixed path this span.
@inline
function fixedSaw(m: Inst): bool {
  return <i32> prm(m, VCO_WAVE).value == 1 && fixed(m, 1);
}

// The phase increment of the fixed path: the general path's with in.fm = 0 (fm · 0 is +0: fm ≥ 0).
@inline
function fixedDt(m: Inst, from: i32): f64 {
  const ratio: f64 = exp2f(at(prm(m, VCO_DETUNE), from) * <f32> (1.0 / 1200.0));
  const f = <f64> at(prm(m, VCO_FREQ), from) * ratio + <f64> at(prm(m, VCO_FM), from) * 0.0;
  const dt = f * (1.0 / G.sampleRate);
  return dt < 0.0 ? 0.0 : dt > MAX_DT ? MAX_DT : dt;
}

export function vcoProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Vco>(m.state);
  const wave = <i32> prm(m, VCO_WAVE).value;
  if (fixed(m, wave)) {
    const dt = fixedDt(m, from), lvl = at(prm(m, VCO_LEVEL), from), out = outp(m, 0);
    let phase = s.phase;
    if (wave == 1) {
      const lo = 2.0 * dt, hi = 1.0 - 2.0 * dt;
      for (let i = from; i < to; i++) {
        let v = 2.0 * phase - 1.0;
        if (phase < lo || phase > hi) v -= polyBlep4(phase, dt);
        store<f32>(out + (<usize> i << 2), <f32> v * lvl);
        phase += dt;
        if (phase >= 1.0) phase -= 1.0;
      }
    } else {
      const pw = <f64> at(prm(m, VCO_PW), from);
      for (let i = from; i < to; i++) {
        store<f32>(out + (<usize> i << 2), <f32> oscSample(wave, phase, dt, pw) * lvl);
        phase += dt;
        if (phase >= 1.0) phase -= 1.0;
      }
    }
    s.phase = phase;
    s.lastSync = 0; // the sync input reads zeros
    return;
  }
  const freq = prm(m, VCO_FREQ), detune = prm(m, VCO_DETUNE), pw = prm(m, VCO_PW);
  const fmAmt = prm(m, VCO_FM), level = prm(m, VCO_LEVEL);
  const fmIn = inp(m, VCO_IN_FM), syncIn = inp(m, VCO_IN_SYNC);
  const out = outp(m, 0);
  const isr = 1.0 / G.sampleRate;
  let phase = s.phase, last = s.lastSync;
  let ratio: f64 = exp2f(at(detune, from) * <f32> (1.0 / 1200.0));
  const detuneMoves = detune.step != 0;
  for (let i = from; i < to; i++) {
    if (detuneMoves) ratio = exp2f(at(detune, i) * <f32> (1.0 / 1200.0));
    let f = <f64> at(freq, i) * ratio + <f64> at(fmAmt, i) * <f64> load<f32>(fmIn + (<usize> i << 2));
    let dt = f * isr;
    dt = dt < 0.0 ? 0.0 : dt > MAX_DT ? MAX_DT : dt;
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

/** Four vcos that do not feed each other, over [from, to): together when all are saws on the fixed path. */
export function vcoQuadProcess(m0: Inst, m1: Inst, m2: Inst, m3: Inst, from: i32, to: i32): void {
  if (!fixedSaw(m0) || !fixedSaw(m1) || !fixedSaw(m2) || !fixedSaw(m3)) {
    vcoProcess(m0, from, to);
    vcoProcess(m1, from, to);
    vcoProcess(m2, from, to);
    vcoProcess(m3, from, to);
    return;
  }
  const s0 = changetype<Vco>(m0.state), s1 = changetype<Vco>(m1.state);
  const s2 = changetype<Vco>(m2.state), s3 = changetype<Vco>(m3.state);
  const d0 = fixedDt(m0, from), d1 = fixedDt(m1, from), d2 = fixedDt(m2, from), d3 = fixedDt(m3, from);
  // Lanes: (m0, m1) in the first pair, (m2, m3) in the second.
  const dtp = f64x2(d0, d1), dtq = f64x2(d2, d3);
  const lop = f64x2.mul(f64x2.splat(2.0), dtp), loq = f64x2.mul(f64x2.splat(2.0), dtq);
  const hip = f64x2.sub(f64x2.splat(1.0), lop), hiq = f64x2.sub(f64x2.splat(1.0), loq);
  const lvl = f32x4(
    at(prm(m0, VCO_LEVEL), from),
    at(prm(m1, VCO_LEVEL), from),
    at(prm(m2, VCO_LEVEL), from),
    at(prm(m3, VCO_LEVEL), from),
  );
  const one = f64x2.splat(1.0), two = f64x2.splat(2.0);
  let pp = f64x2(s0.phase, s1.phase), pq = f64x2(s2.phase, s3.phase);
  const o0 = outp(m0, 0), o1 = outp(m1, 0), o2 = outp(m2, 0), o3 = outp(m3, 0);
  // Per lane, samples from i on that stay inside lo … hi (no residual, no wrap): a lower bound that counts
  // down, recomputed only for a lane that reaches 0 (near its step).
  let r0 = runway(s0.phase, d0), r1 = runway(s1.phase, d1), r2 = runway(s2.phase, d2), r3 = runway(s3.phase, d3);
  // The residual in f64x2 when every lane is on the 4-point PolyBLEP (dt < 1/4), else lane by lane.
  const narrow = d0 < 0.25 && d1 < 0.25 && d2 < 0.25 && d3 < 0.25;
  let i = from;
  while (i < to) {
    const clear = min(to - i, min(min(r0, r1), min(r2, r3)));
    for (const stop = i + clear; i < stop; i++) {
      const vp = f64x2.sub(f64x2.mul(two, pp), one);
      const vq = f64x2.sub(f64x2.mul(two, pq), one);
      const y = f32x4.mul(f32x4.shuffle(f32x4.demote_f64x2_zero(vp), f32x4.demote_f64x2_zero(vq), 0, 1, 4, 5), lvl);
      const o = <usize> i << 2;
      store<f32>(o0 + o, f32x4.extract_lane(y, 0));
      store<f32>(o1 + o, f32x4.extract_lane(y, 1));
      store<f32>(o2 + o, f32x4.extract_lane(y, 2));
      store<f32>(o3 + o, f32x4.extract_lane(y, 3));
      pp = f64x2.add(pp, dtp);
      pq = f64x2.add(pq, dtq);
    }
    if (i == to) break;
    r0 -= clear;
    r1 -= clear;
    r2 -= clear;
    r3 -= clear;
    // One sample near a step (or a wrap) in some lane: the residual where a lane is inside its window, as
    // the fixed path takes it.
    let vp = f64x2.sub(f64x2.mul(two, pp), one);
    let vq = f64x2.sub(f64x2.mul(two, pq), one);
    if (narrow) {
      vp = blep4x2(pp, dtp, lop, hip, vp);
      vq = blep4x2(pq, dtq, loq, hiq, vq);
    } else {
      const p0 = f64x2.extract_lane(pp, 0), p1 = f64x2.extract_lane(pp, 1);
      const p2 = f64x2.extract_lane(pq, 0), p3 = f64x2.extract_lane(pq, 1);
      if (p0 < f64x2.extract_lane(lop, 0) || p0 > f64x2.extract_lane(hip, 0)) {
        vp = f64x2.replace_lane(vp, 0, f64x2.extract_lane(vp, 0) - polyBlep4(p0, d0));
      }
      if (p1 < f64x2.extract_lane(lop, 1) || p1 > f64x2.extract_lane(hip, 1)) {
        vp = f64x2.replace_lane(vp, 1, f64x2.extract_lane(vp, 1) - polyBlep4(p1, d1));
      }
      if (p2 < f64x2.extract_lane(loq, 0) || p2 > f64x2.extract_lane(hiq, 0)) {
        vq = f64x2.replace_lane(vq, 0, f64x2.extract_lane(vq, 0) - polyBlep4(p2, d2));
      }
      if (p3 < f64x2.extract_lane(loq, 1) || p3 > f64x2.extract_lane(hiq, 1)) {
        vq = f64x2.replace_lane(vq, 1, f64x2.extract_lane(vq, 1) - polyBlep4(p3, d3));
      }
    }
    const y = f32x4.mul(f32x4.shuffle(f32x4.demote_f64x2_zero(vp), f32x4.demote_f64x2_zero(vq), 0, 1, 4, 5), lvl);
    const o = <usize> i << 2;
    store<f32>(o0 + o, f32x4.extract_lane(y, 0));
    store<f32>(o1 + o, f32x4.extract_lane(y, 1));
    store<f32>(o2 + o, f32x4.extract_lane(y, 2));
    store<f32>(o3 + o, f32x4.extract_lane(y, 3));
    pp = f64x2.add(pp, dtp);
    pq = f64x2.add(pq, dtq);
    pp = v128.bitselect(f64x2.sub(pp, one), pp, f64x2.ge(pp, one));
    pq = v128.bitselect(f64x2.sub(pq, one), pq, f64x2.ge(pq, one));
    i++;
    r0 = r0 > 0 ? r0 - 1 : runway(f64x2.extract_lane(pp, 0), d0);
    r1 = r1 > 0 ? r1 - 1 : runway(f64x2.extract_lane(pp, 1), d1);
    r2 = r2 > 0 ? r2 - 1 : runway(f64x2.extract_lane(pq, 0), d2);
    r3 = r3 > 0 ? r3 - 1 : runway(f64x2.extract_lane(pq, 1), d3);
  }
  s0.phase = f64x2.extract_lane(pp, 0);
  s1.phase = f64x2.extract_lane(pp, 1);
  s2.phase = f64x2.extract_lane(pq, 0);
  s3.phase = f64x2.extract_lane(pq, 1);
  s0.lastSync = s1.lastSync = s2.lastSync = s3.lastSync = 0;
}

// v − polyBlep4(t, dt) in the lanes whose phase t is inside the step's window (t < lo or t > hi), v elsewhere:
// osc.ts polyBlep4 for dt < 1/4, every branch computed with its operations in its order and the lane's taken.
@inline
function blep4x2(t: v128, dt: v128, lo: v128, hi: v128, v: v128): v128 {
  const below = f64x2.lt(t, lo);
  const inside = v128.or(below, f64x2.gt(t, hi));
  if (!v128.any_true(inside)) return v;
  const one = f64x2.splat(1.0), two = f64x2.splat(2.0), twelfth = f64x2.splat(1.0 / 12.0);
  const d = v128.bitselect(f64x2.div(t, dt), f64x2.div(f64x2.sub(t, one), dt), below);
  const u = f64x2.add(two, d);
  const u2 = f64x2.mul(u, u);
  const before2 = f64x2.mul(f64x2.mul(u2, u2), twelfth); // d < −1
  const d2 = f64x2.mul(d, d);
  const lin = f64x2.mul(d, f64x2.splat(4.0 / 3.0));
  const cube = f64x2.mul(f64x2.mul(d2, d), f64x2.splat(2.0 / 3.0));
  const quart = f64x2.mul(f64x2.mul(d2, d2), f64x2.splat(0.25));
  const before1 = f64x2.sub(f64x2.sub(f64x2.add(one, lin), cube), quart); // −1 ≤ d < 0
  const after1 = f64x2.add(f64x2.sub(f64x2.add(f64x2.splat(-1.0), lin), cube), quart); // 0 ≤ d < 1
  const w = f64x2.sub(two, d);
  const w2 = f64x2.mul(w, w);
  const after2 = f64x2.mul(f64x2.mul(f64x2.neg(w2), w2), twelfth); // d ≥ 1
  const r = v128.bitselect(
    before2,
    v128.bitselect(before1, v128.bitselect(after1, after2, f64x2.lt(d, one)), f64x2.lt(d, f64x2.splat(0.0))),
    f64x2.lt(d, f64x2.splat(-1.0)),
  );
  return v128.bitselect(f64x2.sub(v, r), v, inside);
}

// Samples from phase p on (increment dt) that stay inside the saw's clear window 2·dt … 1 − 2·dt, minus one of
// margin: 0 when p is outside it.
@inline
function runway(p: f64, dt: f64): i32 {
  const lo = 2.0 * dt, hi = 1.0 - 2.0 * dt;
  if (p < lo || p > hi) return 0;
  return max(0, <i32> Math.floor((hi - p) / dt) - 1);
}
