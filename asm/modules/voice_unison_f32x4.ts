// voice, the four-voice unison kernel: four unison voices (N > 1) on the saw-into-fixed-low-pass path at once,
// one voice per lane. voice.ts's voiceQuadProcess runs it when the graph hands it four adjacent voices that do
// not feed each other and all four would render through voice_unison.ts runUnisonFixed (spread holding
// still); it splits the span where any of the four has a gate-input edge or an envelope segment end.
// Layout: oscillator k (0 … Nmax−1, Nmax the group's largest N) of the four voices is one f32x4 of phases, one
// of increments and one of weights (a row of QB), so a vector step advances one oscillator of every voice.
// A voice with fewer oscillators keeps its rows k ≥ N at increment 0 and weight 0 (the phase stands still, as
// it does alone), and its lane of the sum is held (a `live` mask) instead of adding x·0 (which would turn a
// −0 sum into +0): the sum is exactly the one the voice computes alone, whatever its neighbours' N. Why voices in lanes rather than oscillators
// (runUnisonFixed's layout): the filter and envelope, most of a voice's cost, then run four voices to a
// vector as in voice_saw_f32x4.ts, which is what brings unison 2 under the per-oscillator budget
// (docs/performance.md "Unison").
// Reads: the four lane records (voice_saw_f32.ts laneAt, at frame a), each voice's unison count, spread (at
// frame a) and unison phases. Writes: each voice's out over [a, b); its unison phases, own phase (it runs on,
// for when unison returns to 1), filter integrators and envelope recurrence.
// Per sample and lane, runUnisonFixed's operations in its order: for each oscillator k, x = 2p − 1, minus the
// PolyBLEP residual where p is inside its window (p < 2·d or p > 1 − 2·d, tested in f32), p ← wrap(p + d);
// the weighted waves summed left to right over k < N; then the filter and envelope step of runSawLowFixed.
// As in voice_saw_f32x4.ts, the window test, residual and wrap are taken out of the loop: it runs as long as
// every phase of every oscillator is clear of its window (clearOf), then one sample takes them.
// Invariants: lane by lane the same IEEE operations, in the same order, as runUnisonFixed (a voice sounds the
// same alone or in a group of four: tests/modules_unison_test.ts checks it bit for bit); b − a ≤ every
// envelope's samples left in its segment; a segment that ends at b ends exactly on its end level.
import { at, outp, prm } from "../module_abi";
import { VOICE_SPREAD } from "../gen/defs";
import { polyBlep4 } from "./osc";
import { Lane, laneAt } from "./voice_saw_f32";
import { member, q4, quadFinish } from "./voice_saw_f32x4";
import { bankRatio, bankTune, bankWeight, UNISON_MAX, unisonCount } from "./voice_unison";
import { env, svf, unisonPhases, voice } from "./voice_state";

// One row per oscillator k (ROW bytes apart), each field one f32x4 across the four voices: phases,
// increments, weights, the window's bounds (2·d and 1 − 2·d) and the live mask (all ones where k < N).
const ROW: usize = 96;
const P: usize = 0, D: usize = 16, W: usize = 32, LO: usize = 48, HI: usize = 64, LIVE: usize = 80;
const QB = memory.data(96 * 7, 16); // ROW · UNISON_MAX

// Fills the rows for the group at frame a from each voice's unison count, spread and phases; returns the
// group's largest N in the low half and its smallest in the high half.
function tuneRows(a: i32): i32 {
  let lo = UNISON_MAX, hi = 1;
  for (let j = 0; j < 4; j++) {
    const m = member(j), lane = <usize> j << 2;
    const n = unisonCount(m), ph = unisonPhases(m);
    lo = min(lo, n);
    hi = max(hi, n);
    bankTune(n, at(prm(m, VOICE_SPREAD), a));
    for (let k = 0; k < UNISON_MAX; k++) {
      const row = QB + <usize> k * ROW + lane;
      store<f32>(row + P, load<f32>(ph + (<usize> k << 2)));
      store<f32>(row + D, bankRatio(k)); // the ratio for now: the increment below
      store<f32>(row + W, bankWeight(k));
      store<i32>(row + LIVE, k < n ? -1 : 0);
    }
  }
  // voice_unison.ts increments: d = min(dt · ratio, 0.45), lane by lane the same operations.
  const dt = q4(offsetof<Lane>("dt")), one = f32x4.splat(1);
  for (let k = 0; k < UNISON_MAX; k++) {
    const row = QB + <usize> k * ROW;
    const d = f32x4.min(f32x4.mul(dt, v128.load(row + D)), f32x4.splat(0.45));
    const lo2 = f32x4.add(d, d);
    v128.store(row + D, d);
    v128.store(row + LO, lo2);
    v128.store(row + HI, f32x4.sub(one, lo2));
  }
  return hi | (lo << 16);
}

// Stores the rows' phases back to each voice's unison phases.
function storePhases(): void {
  for (let j = 0; j < 4; j++) {
    const ph = unisonPhases(member(j)), lane = <usize> j << 2;
    for (let k = 0; k < UNISON_MAX; k++) {
      store<f32>(ph + (<usize> k << 2), load<f32>(QB + <usize> k * ROW + P + lane));
    }
  }
}

// x minus the residual in the lanes whose mask `e` is set (the rest minus 0, which leaves them as they are).
function residual(x: v128, p: v128, d: v128, e: v128): v128 {
  return f32x4.sub(
    x,
    f32x4(
      i32x4.extract_lane(e, 0) != 0
        ? <f32> polyBlep4(<f64> f32x4.extract_lane(p, 0), <f64> f32x4.extract_lane(d, 0))
        : 0,
      i32x4.extract_lane(e, 1) != 0
        ? <f32> polyBlep4(<f64> f32x4.extract_lane(p, 1), <f64> f32x4.extract_lane(d, 1))
        : 0,
      i32x4.extract_lane(e, 2) != 0
        ? <f32> polyBlep4(<f64> f32x4.extract_lane(p, 2), <f64> f32x4.extract_lane(d, 2))
        : 0,
      i32x4.extract_lane(e, 3) != 0
        ? <f32> polyBlep4(<f64> f32x4.extract_lane(p, 3), <f64> f32x4.extract_lane(d, 3))
        : 0,
    ),
  );
}

// One oscillator's saw for the four voices at phases p (increments d, window bounds lo and hi), not weighted.
@inline
function saw(p: v128, d: v128, lo: v128, hi: v128): v128 {
  const x = f32x4.sub(f32x4.add(p, p), f32x4.splat(1));
  const e = v128.or(f32x4.lt(p, lo), f32x4.gt(p, hi));
  return v128.any_true(e) ? residual(x, p, d, e) : x;
}

// The phases p advanced by d and wrapped into [0, 1).
@inline
function advance(p: v128, d: v128): v128 {
  const q = f32x4.add(p, d), one = f32x4.splat(1);
  return v128.bitselect(f32x4.sub(q, one), q, f32x4.ge(q, one));
}

// Per lane, the samples phases p (increments d) stay clear of the window [lo, hi]: floor((hi − p)/d) − 2,
// at most 0 inside it. A row at increment 0 (k ≥ N) gives a huge count: it never enters the window.
@inline
function clearOf(p: v128, d: v128, lo: v128, hi: v128): v128 {
  const c = i32x4.sub(i32x4.trunc_sat_f32x4_s(f32x4.floor(f32x4.div(f32x4.sub(hi, p), d))), i32x4.splat(2));
  return v128.andnot(c, v128.or(f32x4.lt(p, lo), f32x4.gt(p, hi)));
}

/** runUnisonFixed for the four voices of GROUP over [a, b), one voice per lane; b − a ≤ every envelope's
 * `left`. Every voice has unison > 1 and spread holding still (voice.ts quadKind). */
export function runUnisonQuad(a: i32, b: i32): void {
  const m0 = member(0), m1 = member(1), m2 = member(2), m3 = member(3);
  laneAt(m0, a, 0);
  laneAt(m1, a, 1);
  laneAt(m2, a, 2);
  laneAt(m3, a, 3);
  const range = tuneRows(a);
  const nmax = range & 0xffff, nmin = range >>> 16;
  const dt = q4(offsetof<Lane>("dt")), vg = q4(offsetof<Lane>("vg"));
  const mul = q4(offsetof<Lane>("mul")), add = q4(offsetof<Lane>("add"));
  const ea = q4(offsetof<Lane>("ea")), eb = q4(offsetof<Lane>("eb"));
  const a2 = q4(offsetof<Lane>("a2")), b3 = q4(offsetof<Lane>("b3")), a3 = q4(offsetof<Lane>("a3"));
  const n1 = q4(offsetof<Lane>("n1")), n2 = q4(offsetof<Lane>("n2"));
  const m11 = q4(offsetof<Lane>("m11")), m12 = q4(offsetof<Lane>("m12"));
  const m21 = q4(offsetof<Lane>("m21")), m22 = q4(offsetof<Lane>("m22"));
  const f0 = svf(m0), f1 = svf(m1), f2 = svf(m2), f3 = svf(m3);
  const e0 = env(m0), e1 = env(m1), e2 = env(m2), e3 = env(m3);
  let phase = f32x4(<f32> voice(m0).phase, <f32> voice(m1).phase, <f32> voice(m2).phase, <f32> voice(m3).phase);
  let ic1 = f32x4(<f32> f0.ic1, <f32> f1.ic1, <f32> f2.ic1, <f32> f3.ic1);
  let ic2 = f32x4(<f32> f0.ic2, <f32> f1.ic2, <f32> f2.ic2, <f32> f3.ic2);
  let w = f32x4(<f32> e0.w, <f32> e1.w, <f32> e2.w, <f32> e3.w);
  let lv = f32x4(<f32> e0.level, <f32> e1.level, <f32> e2.level, <f32> e3.level);
  let y = f32x4.splat(0);
  const one = f32x4.splat(1);
  const o0 = outp(m0, 0), o1 = outp(m1, 0), o2 = outp(m2, 0), o3 = outp(m3, 0);
  // Oscillators 0 and 1, which every voice has, in locals; the rest (N > 2) through their rows.
  const row1 = QB + ROW;
  let p0 = v128.load(QB + P), p1 = v128.load(row1 + P);
  const d0 = v128.load(QB + D), lo0 = v128.load(QB + LO), hi0 = v128.load(QB + HI), w0 = v128.load(QB + W);
  const d1 = v128.load(row1 + D), lo1 = v128.load(row1 + LO), hi1 = v128.load(row1 + HI), w1 = v128.load(row1 + W);
  let i = a;
  while (i < b) {
    // Samples for which every live phase stays clear of its window (no residual, no wrap): as in runQuad,
    // a lower bound, here with two samples of margin for the rounding of the phase sums (at most 64 of them:
    // < 2e-6 of drift, under two increments down to the slowest pitch and the widest spread).
    let cv = i32x4.min_s(clearOf(p0, d0, lo0, hi0), clearOf(p1, d1, lo1, hi1));
    for (let k = 2; k < nmax; k++) {
      const row = QB + <usize> k * ROW;
      cv = i32x4.min_s(cv, clearOf(v128.load(row + P), v128.load(row + D), v128.load(row + LO), v128.load(row + HI)));
    }
    const c = min(min(i32x4.extract_lane(cv, 0), i32x4.extract_lane(cv, 1)), min(i32x4.extract_lane(cv, 2), i32x4.extract_lane(cv, 3)));
    // The clear samples: the step below without the window test and the wrap, which would change nothing.
    // (Written twice, as in runQuad: a per-sample test costs more than the duplicated step.)
    for (const stop = i + min(b - i, min(64, max(0, c))); i < stop; i++) {
      const one = f32x4.splat(1);
      let x = f32x4.add(
        f32x4.mul(f32x4.sub(f32x4.add(p0, p0), one), w0),
        f32x4.mul(f32x4.sub(f32x4.add(p1, p1), one), w1),
      );
      p0 = f32x4.add(p0, d0);
      p1 = f32x4.add(p1, d1);
      for (let k = 2; k < nmax; k++) {
        const row = QB + <usize> k * ROW;
        const p = v128.load(row + P);
        const t = f32x4.add(x, f32x4.mul(f32x4.sub(f32x4.add(p, p), one), v128.load(row + W)));
        v128.store(row + P, f32x4.add(p, v128.load(row + D)));
        x = k < nmin ? t : v128.bitselect(t, x, v128.load(row + LIVE));
      }
      phase = f32x4.add(phase, dt); // the voice's own phase runs on, for when unison returns to 1
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
    }
    if (i == b) break;
    // One sample near a step (or a wrap) in some lane of some oscillator: the window test, the residual
    // lane by lane, and the wrap.
    let x = f32x4.add(f32x4.mul(saw(p0, d0, lo0, hi0), w0), f32x4.mul(saw(p1, d1, lo1, hi1), w1));
    p0 = advance(p0, d0);
    p1 = advance(p1, d1);
    for (let k = 2; k < nmax; k++) {
      // Each lane adds oscillator k only while k < its N: a voice's sum is the one it computes alone.
      const row = QB + <usize> k * ROW;
      const p = v128.load(row + P), d = v128.load(row + D);
      const t = f32x4.add(x, f32x4.mul(saw(p, d, v128.load(row + LO), v128.load(row + HI)), v128.load(row + W)));
      v128.store(row + P, advance(p, d));
      x = k < nmin ? t : v128.bitselect(t, x, v128.load(row + LIVE));
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
  v128.store(QB + P, p0);
  v128.store(row1 + P, p1);
  storePhases();
  quadFinish(a, b, y, lv, vg, phase, ic1, ic2, w);
}
