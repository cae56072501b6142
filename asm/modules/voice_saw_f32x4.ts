// voice, the f32x4 kernel: four voices on the f32 path (voice_saw_f32.ts) at once, one voice per lane.
// voice.ts's voiceQuadProcess runs it when the graph hands it four adjacent voices that do not feed each other
// and all four take the f32 path; it splits the span where any of the four has a gate-input edge or an
// envelope segment end, so one run is branch-free for all four.
// Reads: the four lane records (voice_saw_f32.ts laneAt, filled at frame a). Writes: each voice's out over
// [a, b); each voice's phase, filter integrators and envelope recurrence, as voice_saw_f32.ts would (the
// run's end, quadFinish, is shared with the four-voice unison kernel, voice_unison_f32x4.ts).
// Per sample and lane: voice_saw_f32.ts's operations. The PolyBLEP residual and the phase wrap are taken
// out of the loop: the loop runs as long as every lane's phase is clear of its step's window (a lower bound,
// with one sample of margin for the rounding of the phase sum, at most 64 samples), then one sample takes
// the residual and the wrap lane by lane.
// Invariants: lane by lane the same IEEE operations, in the same order, as voice_saw_f32.ts (a voice sounds
// the same rendered alone or in a group: tests/modules_test.ts checks it bit for bit); b − a ≤ every
// envelope's samples left in its segment; a segment that ends at b ends exactly on its end level.
import { Inst, outp } from "../module_abi";
import { polyBlep4 } from "./osc";
import { Lane, LANES, laneAt } from "./voice_saw_f32";
import { env, svf, voice } from "./voice_state";

/** The four voices of the current group (Inst addresses), set by voice.ts's voiceQuadProcess. */
export const GROUP = memory.data(16, 16);

/** Voice k (0 … 3) of the current group. */
@inline
export function member(k: i32): Inst {
  return changetype<Inst>(load<usize>(GROUP + (<usize> k << 2)));
}

/** The same f32 field (offsetof<Lane>) of the four lane records, lane k from record k. */
@inline
export function q4(field: usize): v128 {
  return f32x4(
    load<f32>(LANES + field),
    load<f32>(LANES + 80 + field),
    load<f32>(LANES + 160 + field),
    load<f32>(LANES + 240 + field),
  );
}

/** runSawLowFixed for the four voices of GROUP over [a, b); b − a ≤ every envelope's `left`. */
export function runQuad(a: i32, b: i32): void {
  const m0 = member(0), m1 = member(1), m2 = member(2), m3 = member(3);
  laneAt(m0, a, 0);
  laneAt(m1, a, 1);
  laneAt(m2, a, 2);
  laneAt(m3, a, 3);
  const dt = q4(offsetof<Lane>("dt")), lo = q4(offsetof<Lane>("lo")), hi = q4(offsetof<Lane>("hi"));
  const vg = q4(offsetof<Lane>("vg"));
  const mul = q4(offsetof<Lane>("mul")), add = q4(offsetof<Lane>("add"));
  const ea = q4(offsetof<Lane>("ea")), eb = q4(offsetof<Lane>("eb"));
  const a2 = q4(offsetof<Lane>("a2")), b3 = q4(offsetof<Lane>("b3")), a3 = q4(offsetof<Lane>("a3"));
  const n1 = q4(offsetof<Lane>("n1")), n2 = q4(offsetof<Lane>("n2"));
  const m11 = q4(offsetof<Lane>("m11")), m12 = q4(offsetof<Lane>("m12"));
  const m21 = q4(offsetof<Lane>("m21")), m22 = q4(offsetof<Lane>("m22"));
  const v0 = voice(m0), v1 = voice(m1), v2 = voice(m2), v3 = voice(m3);
  const f0 = svf(m0), f1 = svf(m1), f2 = svf(m2), f3 = svf(m3);
  const e0 = env(m0), e1 = env(m1), e2 = env(m2), e3 = env(m3);
  let phase = f32x4(<f32> v0.phase, <f32> v1.phase, <f32> v2.phase, <f32> v3.phase);
  let ic1 = f32x4(<f32> f0.ic1, <f32> f1.ic1, <f32> f2.ic1, <f32> f3.ic1);
  let ic2 = f32x4(<f32> f0.ic2, <f32> f1.ic2, <f32> f2.ic2, <f32> f3.ic2);
  let w = f32x4(<f32> e0.w, <f32> e1.w, <f32> e2.w, <f32> e3.w);
  let lv = f32x4(<f32> e0.level, <f32> e1.level, <f32> e2.level, <f32> e3.level);
  let y = f32x4.splat(0);
  const one = f32x4.splat(1);
  const o0 = outp(m0, 0), o1 = outp(m1, 0), o2 = outp(m2, 0), o3 = outp(m3, 0);
  let i = a;
  while (i < b) {
    // Samples for which every phase stays clear of the step's residual window (no residual, no wrap): a
    // lower bound, one sample of margin for the rounding of the phase sum.
    let clear = b - i;
    for (let k = 0; k < 4; k++) {
      const L = changetype<Lane>(LANES + <usize> (k * 80));
      const p = k == 0 ? f32x4.extract_lane(phase, 0) : k == 1 ? f32x4.extract_lane(phase, 1)
        : k == 2 ? f32x4.extract_lane(phase, 2) : f32x4.extract_lane(phase, 3);
      const c = p < L.lo || p > L.hi ? 0 : <i32> Mathf.floor((L.hi - p) / L.dt) - 1;
      // At most 64 samples a run: the f32 phase sum then drifts by < 2e-6 from p + j·dt, under the margin
      // down to the slowest pitch (0.1 Hz: dt = 2.1e-6).
      clear = min(clear, min(64, max(0, c)));
    }
    for (const stop = i + clear; i < stop; i++) {
      const x = f32x4.sub(f32x4.add(phase, phase), one);
      phase = f32x4.add(phase, dt);
      w = f32x4.add(f32x4.mul(w, mul), add);
      lv = f32x4.add(ea, f32x4.mul(eb, w));
      y = f32x4.add(f32x4.add(f32x4.mul(a2, ic1), f32x4.mul(b3, ic2)), f32x4.mul(a3, x));
      const j1 = f32x4.add(f32x4.add(f32x4.mul(n1, x), f32x4.mul(m12, ic2)), f32x4.mul(m11, ic1));
      ic2 = f32x4.add(f32x4.add(f32x4.mul(n2, x), f32x4.mul(m21, ic1)), f32x4.mul(m22, ic2));
      ic1 = j1;
      const s = f32x4.mul(f32x4.mul(y, lv), vg);
      const o = <usize> i << 2;
      store<f32>(o0 + o, f32x4.extract_lane(s, 0));
      store<f32>(o1 + o, f32x4.extract_lane(s, 1));
      store<f32>(o2 + o, f32x4.extract_lane(s, 2));
      store<f32>(o3 + o, f32x4.extract_lane(s, 3));
    }
    if (i == b) break;
    // One sample near a step (or a wrap) in some lane: the residual lane by lane, as runSawLowFixed does.
    // (The step below repeats the loop's on purpose: one loop with a per-sample test for this sample measured
    // 15 % slower at 256 voices.)
    let x = f32x4.sub(f32x4.add(phase, phase), one);
    if (v128.any_true(v128.or(f32x4.lt(phase, lo), f32x4.gt(phase, hi)))) {
      const p0 = f32x4.extract_lane(phase, 0), p1 = f32x4.extract_lane(phase, 1);
      const p2 = f32x4.extract_lane(phase, 2), p3 = f32x4.extract_lane(phase, 3);
      const L0 = changetype<Lane>(LANES), L1 = changetype<Lane>(LANES + 80);
      const L2 = changetype<Lane>(LANES + 160), L3 = changetype<Lane>(LANES + 240);
      x = f32x4.sub(x, f32x4(
        p0 < L0.lo || p0 > L0.hi ? <f32> polyBlep4(<f64> p0, <f64> L0.dt) : 0,
        p1 < L1.lo || p1 > L1.hi ? <f32> polyBlep4(<f64> p1, <f64> L1.dt) : 0,
        p2 < L2.lo || p2 > L2.hi ? <f32> polyBlep4(<f64> p2, <f64> L2.dt) : 0,
        p3 < L3.lo || p3 > L3.hi ? <f32> polyBlep4(<f64> p3, <f64> L3.dt) : 0,
      ));
    }
    phase = f32x4.add(phase, dt);
    phase = v128.bitselect(f32x4.sub(phase, one), phase, f32x4.ge(phase, one));
    w = f32x4.add(f32x4.mul(w, mul), add);
    lv = f32x4.add(ea, f32x4.mul(eb, w));
    y = f32x4.add(f32x4.add(f32x4.mul(a2, ic1), f32x4.mul(b3, ic2)), f32x4.mul(a3, x));
    const j1 = f32x4.add(f32x4.add(f32x4.mul(n1, x), f32x4.mul(m12, ic2)), f32x4.mul(m11, ic1));
    ic2 = f32x4.add(f32x4.add(f32x4.mul(n2, x), f32x4.mul(m21, ic1)), f32x4.mul(m22, ic2));
    ic1 = j1;
    const s = f32x4.mul(f32x4.mul(y, lv), vg);
    const o = <usize> i << 2;
    store<f32>(o0 + o, f32x4.extract_lane(s, 0));
    store<f32>(o1 + o, f32x4.extract_lane(s, 1));
    store<f32>(o2 + o, f32x4.extract_lane(s, 2));
    store<f32>(o3 + o, f32x4.extract_lane(s, 3));
    i++;
  }
  quadFinish(a, b, y, lv, vg, phase, ic1, ic2, w);
}

/** The end of a run of the four voices of GROUP over [a, b) (runQuad, voice_unison_f32x4.ts runUnisonQuad): a
 * segment that ends at b ends exactly on its end level, as in runSawLowFixed (its last sample is rewritten
 * with it); then each voice's phase, filter integrators and envelope recurrence are stored back and `left`
 * counts the run. y is the last filter output, lv the last level, vg the gains. Inlined: a function that
 * takes v128 arguments is not callable from every embedding (AssemblyScript's warning AS112). */
@inline
export function quadFinish(
  a: i32,
  b: i32,
  y: v128,
  lv: v128,
  vg: v128,
  phase: v128,
  ic1: v128,
  ic2: v128,
  w: v128,
): void {
  const m0 = member(0), m1 = member(1), m2 = member(2), m3 = member(3);
  const v0 = voice(m0), v1 = voice(m1), v2 = voice(m2), v3 = voice(m3);
  const f0 = svf(m0), f1 = svf(m1), f2 = svf(m2), f3 = svf(m3);
  const e0 = env(m0), e1 = env(m1), e2 = env(m2), e3 = env(m3);
  const o0 = outp(m0, 0), o1 = outp(m1, 0), o2 = outp(m2, 0), o3 = outp(m3, 0);
  const n = b - a;
  if (n > 0) {
    const last = <usize> (b - 1) << 2;
    if (e0.left == n) {
      lv = f32x4.replace_lane(lv, 0, <f32> e0.end);
      store<f32>(o0 + last, (f32x4.extract_lane(y, 0) * <f32> e0.end) * f32x4.extract_lane(vg, 0));
    }
    if (e1.left == n) {
      lv = f32x4.replace_lane(lv, 1, <f32> e1.end);
      store<f32>(o1 + last, (f32x4.extract_lane(y, 1) * <f32> e1.end) * f32x4.extract_lane(vg, 1));
    }
    if (e2.left == n) {
      lv = f32x4.replace_lane(lv, 2, <f32> e2.end);
      store<f32>(o2 + last, (f32x4.extract_lane(y, 2) * <f32> e2.end) * f32x4.extract_lane(vg, 2));
    }
    if (e3.left == n) {
      lv = f32x4.replace_lane(lv, 3, <f32> e3.end);
      store<f32>(o3 + last, (f32x4.extract_lane(y, 3) * <f32> e3.end) * f32x4.extract_lane(vg, 3));
    }
  }
  v0.phase = f32x4.extract_lane(phase, 0);
  v1.phase = f32x4.extract_lane(phase, 1);
  v2.phase = f32x4.extract_lane(phase, 2);
  v3.phase = f32x4.extract_lane(phase, 3);
  f0.ic1 = f32x4.extract_lane(ic1, 0);
  f1.ic1 = f32x4.extract_lane(ic1, 1);
  f2.ic1 = f32x4.extract_lane(ic1, 2);
  f3.ic1 = f32x4.extract_lane(ic1, 3);
  f0.ic2 = f32x4.extract_lane(ic2, 0);
  f1.ic2 = f32x4.extract_lane(ic2, 1);
  f2.ic2 = f32x4.extract_lane(ic2, 2);
  f3.ic2 = f32x4.extract_lane(ic2, 3);
  e0.w = f32x4.extract_lane(w, 0);
  e1.w = f32x4.extract_lane(w, 1);
  e2.w = f32x4.extract_lane(w, 2);
  e3.w = f32x4.extract_lane(w, 3);
  e0.level = f32x4.extract_lane(lv, 0);
  e1.level = f32x4.extract_lane(lv, 1);
  e2.level = f32x4.extract_lane(lv, 2);
  e3.level = f32x4.extract_lane(lv, 3);
  e0.left -= n;
  e1.left -= n;
  e2.left -= n;
  e3.left -= n;
}
