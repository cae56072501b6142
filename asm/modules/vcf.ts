// vcf: the state-variable filter (svf.ts) with per-sample cutoff and resonance; out = y · level, y the mode's
// response (0 low, 1 band, 2 high, 3 notch).
// Kernels (all f64, the same IEEE operations in the same order as svf.ts svfTick, so every path gives the same
// samples):
//   fixed    cutoff, res and level hold still over the span (step 0): the coefficients once per span
//            (svfTune, cached across spans), the integrators and coefficients in locals for the whole span
//   moving   cutoff or res moves (modulation, smoothing): svfTuneFast per sample (Padé tangent)
//   quad     four vcfs on the fixed path with one mode at once (vcfQuadProcess): two f64x2 pairs, lane by
//            lane the fixed path's operations, so a vcf sounds the same alone or in a group of four (bit for
//            bit: tests/modules_test.ts). The filter's state is a recurrence one multiply and one add deep per
//            sample, so one filter alone waits on that latency; four interleaved hide it.
// State: the Svf record (integrators, coefficients and the cutoff and resonance they were computed for).
import { at, Inst, inp, outp, prm } from "../module_abi";
import { VCF_CUTOFF, VCF_IN_IN, VCF_LEVEL, VCF_MODE, VCF_RES } from "../gen/defs";
import { Svf, svfFlush, svfTick, svfTune, svfTuneFast } from "./svf";

export function vcfStateBytes(): i32 {
  return <i32> offsetof<Svf>();
}

export function vcfInit(m: Inst): void {}

// True when vcf m renders on the fixed path this span.
@inline
function fixed(m: Inst): bool {
  return prm(m, VCF_CUTOFF).step == 0 && prm(m, VCF_RES).step == 0 && prm(m, VCF_LEVEL).step == 0;
}

export function vcfProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Svf>(m.state);
  const cutoff = prm(m, VCF_CUTOFF), res = prm(m, VCF_RES), level = prm(m, VCF_LEVEL);
  const mode = <i32> prm(m, VCF_MODE).value;
  const x = inp(m, VCF_IN_IN), out = outp(m, 0);
  if (fixed(m)) {
    svfTune(s, <f64> at(cutoff, from), <f64> at(res, from));
    runFixed(s, x, out, mode, at(level, from), from, to);
    svfFlush(s);
    return;
  }
  const moving = cutoff.step != 0 || res.step != 0;
  if (!moving) svfTune(s, <f64> at(cutoff, from), <f64> at(res, from));
  for (let i = from; i < to; i++) {
    if (moving) svfTuneFast(s, <f64> at(cutoff, i), <f64> at(res, i));
    const y = svfTick(s, <f64> load<f32>(x + (<usize> i << 2)), mode);
    store<f32>(out + (<usize> i << 2), <f32> y * at(level, i));
  }
  svfFlush(s);
}

// svfTick over [from, to) with the coefficients and integrators in locals.
function runFixed(s: Svf, x: usize, out: usize, mode: i32, lvl: f32, from: i32, to: i32): void {
  const a1 = s.a1, a2 = s.a2, a3 = s.a3, b3 = 1.0 - s.a3, k = s.k;
  const n1 = s.n1, n2 = s.n2, m11 = s.m11, m12 = s.m12, m21 = s.m21, m22 = s.m22;
  let ic1 = s.ic1, ic2 = s.ic2;
  for (let i = from; i < to; i++) {
    const xi = <f64> load<f32>(x + (<usize> i << 2));
    const v2 = (a2 * ic1 + b3 * ic2) + a3 * xi; // low
    let y = v2;
    if (mode != 0) {
      const v1 = (a1 * ic1 - a2 * ic2) + a2 * xi; // band
      y = mode == 1 ? v1 : mode == 2 ? (xi - k * v1) - v2 : xi - k * v1;
    }
    const j1 = (n1 * xi + m12 * ic2) + m11 * ic1;
    ic2 = (n2 * xi + m21 * ic1) + m22 * ic2;
    ic1 = j1;
    store<f32>(out + (<usize> i << 2), <f32> y * lvl);
  }
  s.ic1 = ic1;
  s.ic2 = ic2;
}

/** Four vcfs that do not feed each other, over [from, to): together on the fixed path, else one by one. */
export function vcfQuadProcess(m0: Inst, m1: Inst, m2: Inst, m3: Inst, from: i32, to: i32): void {
  const mode = <i32> prm(m0, VCF_MODE).value;
  if (
    !fixed(m0) || !fixed(m1) || !fixed(m2) || !fixed(m3) || <i32> prm(m1, VCF_MODE).value != mode ||
    <i32> prm(m2, VCF_MODE).value != mode || <i32> prm(m3, VCF_MODE).value != mode
  ) {
    vcfProcess(m0, from, to);
    vcfProcess(m1, from, to);
    vcfProcess(m2, from, to);
    vcfProcess(m3, from, to);
    return;
  }
  const s0 = changetype<Svf>(m0.state), s1 = changetype<Svf>(m1.state);
  const s2 = changetype<Svf>(m2.state), s3 = changetype<Svf>(m3.state);
  svfTune(s0, <f64> at(prm(m0, VCF_CUTOFF), from), <f64> at(prm(m0, VCF_RES), from));
  svfTune(s1, <f64> at(prm(m1, VCF_CUTOFF), from), <f64> at(prm(m1, VCF_RES), from));
  svfTune(s2, <f64> at(prm(m2, VCF_CUTOFF), from), <f64> at(prm(m2, VCF_RES), from));
  svfTune(s3, <f64> at(prm(m3, VCF_CUTOFF), from), <f64> at(prm(m3, VCF_RES), from));
  // Lanes: (m0, m1) in the first pair, (m2, m3) in the second.
  const a1p = f64x2(s0.a1, s1.a1), a1q = f64x2(s2.a1, s3.a1);
  const a2p = f64x2(s0.a2, s1.a2), a2q = f64x2(s2.a2, s3.a2);
  const a3p = f64x2(s0.a3, s1.a3), a3q = f64x2(s2.a3, s3.a3);
  const b3p = f64x2(1.0 - s0.a3, 1.0 - s1.a3), b3q = f64x2(1.0 - s2.a3, 1.0 - s3.a3);
  const kp = f64x2(s0.k, s1.k), kq = f64x2(s2.k, s3.k);
  const n1p = f64x2(s0.n1, s1.n1), n1q = f64x2(s2.n1, s3.n1);
  const n2p = f64x2(s0.n2, s1.n2), n2q = f64x2(s2.n2, s3.n2);
  const m11p = f64x2(s0.m11, s1.m11), m11q = f64x2(s2.m11, s3.m11);
  const m12p = f64x2(s0.m12, s1.m12), m12q = f64x2(s2.m12, s3.m12);
  const m21p = f64x2(s0.m21, s1.m21), m21q = f64x2(s2.m21, s3.m21);
  const m22p = f64x2(s0.m22, s1.m22), m22q = f64x2(s2.m22, s3.m22);
  const lvl = f32x4(
    at(prm(m0, VCF_LEVEL), from),
    at(prm(m1, VCF_LEVEL), from),
    at(prm(m2, VCF_LEVEL), from),
    at(prm(m3, VCF_LEVEL), from),
  );
  let ic1p = f64x2(s0.ic1, s1.ic1), ic1q = f64x2(s2.ic1, s3.ic1);
  let ic2p = f64x2(s0.ic2, s1.ic2), ic2q = f64x2(s2.ic2, s3.ic2);
  const x0 = inp(m0, VCF_IN_IN), x1 = inp(m1, VCF_IN_IN), x2 = inp(m2, VCF_IN_IN), x3 = inp(m3, VCF_IN_IN);
  const o0 = outp(m0, 0), o1 = outp(m1, 0), o2 = outp(m2, 0), o3 = outp(m3, 0);
  for (let i = from; i < to; i++) {
    const o = <usize> i << 2;
    const xs = f32x4(load<f32>(x0 + o), load<f32>(x1 + o), load<f32>(x2 + o), load<f32>(x3 + o));
    const xp = f64x2.promote_low_f32x4(xs);
    const xq = f64x2.promote_low_f32x4(f32x4.shuffle(xs, xs, 2, 3, 0, 1));
    const v2p = f64x2.add(f64x2.add(f64x2.mul(a2p, ic1p), f64x2.mul(b3p, ic2p)), f64x2.mul(a3p, xp));
    const v2q = f64x2.add(f64x2.add(f64x2.mul(a2q, ic1q), f64x2.mul(b3q, ic2q)), f64x2.mul(a3q, xq));
    let yp = v2p, yq = v2q;
    if (mode != 0) {
      const v1p = f64x2.add(f64x2.sub(f64x2.mul(a1p, ic1p), f64x2.mul(a2p, ic2p)), f64x2.mul(a2p, xp));
      const v1q = f64x2.add(f64x2.sub(f64x2.mul(a1q, ic1q), f64x2.mul(a2q, ic2q)), f64x2.mul(a2q, xq));
      if (mode == 1) {
        yp = v1p;
        yq = v1q;
      } else if (mode == 2) {
        yp = f64x2.sub(f64x2.sub(xp, f64x2.mul(kp, v1p)), v2p);
        yq = f64x2.sub(f64x2.sub(xq, f64x2.mul(kq, v1q)), v2q);
      } else {
        yp = f64x2.sub(xp, f64x2.mul(kp, v1p));
        yq = f64x2.sub(xq, f64x2.mul(kq, v1q));
      }
    }
    const j1p = f64x2.add(f64x2.add(f64x2.mul(n1p, xp), f64x2.mul(m12p, ic2p)), f64x2.mul(m11p, ic1p));
    const j1q = f64x2.add(f64x2.add(f64x2.mul(n1q, xq), f64x2.mul(m12q, ic2q)), f64x2.mul(m11q, ic1q));
    ic2p = f64x2.add(f64x2.add(f64x2.mul(n2p, xp), f64x2.mul(m21p, ic1p)), f64x2.mul(m22p, ic2p));
    ic2q = f64x2.add(f64x2.add(f64x2.mul(n2q, xq), f64x2.mul(m21q, ic1q)), f64x2.mul(m22q, ic2q));
    ic1p = j1p;
    ic1q = j1q;
    // Both pairs to f32 in one vector (lanes 0, 1 from the first, 2, 3 from the second), then · level.
    const y = f32x4.mul(
      f32x4.shuffle(f32x4.demote_f64x2_zero(yp), f32x4.demote_f64x2_zero(yq), 0, 1, 4, 5),
      lvl,
    );
    store<f32>(o0 + o, f32x4.extract_lane(y, 0));
    store<f32>(o1 + o, f32x4.extract_lane(y, 1));
    store<f32>(o2 + o, f32x4.extract_lane(y, 2));
    store<f32>(o3 + o, f32x4.extract_lane(y, 3));
  }
  s0.ic1 = f64x2.extract_lane(ic1p, 0);
  s1.ic1 = f64x2.extract_lane(ic1p, 1);
  s2.ic1 = f64x2.extract_lane(ic1q, 0);
  s3.ic1 = f64x2.extract_lane(ic1q, 1);
  s0.ic2 = f64x2.extract_lane(ic2p, 0);
  s1.ic2 = f64x2.extract_lane(ic2p, 1);
  s2.ic2 = f64x2.extract_lane(ic2q, 0);
  s3.ic2 = f64x2.extract_lane(ic2q, 1);
  svfFlush(s0);
  svfFlush(s1);
  svfFlush(s2);
  svfFlush(s3);
}
