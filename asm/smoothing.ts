// Parameters between commands and kernels. A command sets a target (setTarget); before a module renders a
// span, prepareParams leaves each parameter where a kernel reads it (module_abi.ts):
//   control rate  value = the target, its cables sampled at the span's first frame
//   audio rate    a per-sample buffer over [from, to): a one-pole from value toward the target (the schema's
//                 smoothing time, or a glide that a kernel put in Param.coef), plus depth·signal for each
//                 cable (times 2^(depth·signal) for exponential ones), clamped to the range. While the
//                 parameter holds still and unmodulated, a constant instead (step 0): a kernel may take a
//                 cheaper path then.
// A module whose parameters all held still and unmodulated at the last prepare is skipped (Inst.still).
import { Inst, exp2f, outp, Param, prm, smoothingCoef } from "./module_abi";
import { P_DEFAULT, P_MAX, P_MIN, P_MOD_EXP, P_SMOOTH_MS, T_NPARAM, T_PBASE } from "./gen/defs";
import { inst } from "./arena";
import { conn } from "./cables";

/** Sets a new module's parameters from the schema's tables: range, default, smoothing, modulation kind. */
export function paramsInit(m: Inst, type: i32): void {
  const nP = load<i32>(T_NPARAM + (<usize> type << 2));
  const base = load<i32>(T_PBASE + (<usize> type << 2));
  for (let p = 0; p < nP; p++) {
    const q = prm(m, p);
    const k = base + p;
    q.min = load<f64>(P_MIN + (<usize> k << 3));
    q.max = load<f64>(P_MAX + (<usize> k << 3));
    q.value = q.target = load<f64>(P_DEFAULT + (<usize> k << 3));
    q.coef = smoothingCoef(load<f64>(P_SMOOTH_MS + (<usize> k << 3)));
    q.modHead = -1;
    q.modExp = load<i32>(P_MOD_EXP + (<usize> k << 2));
    q.constant = <f32> q.value;
    q.ptr = changetype<usize>(q) + offsetof<Param>("constant");
    q.step = 0;
  }
}

/** Sets parameter p's target (clamped to its range); v is finite. */
export function setTarget(m: Inst, p: i32, v: f64): void {
  const q = prm(m, p);
  q.target = Math.min(Math.max(v, q.min), q.max);
  m.still = 0;
  // A module's initial values (set in the transaction that creates it) must not glide from the defaults.
  if (q.coef >= 1.0 || !m.rendered) q.value = q.target;
}

/** Prepares module m's parameters for the span [from, to). */
export function prepareParams(m: Inst, from: i32, to: i32): void {
  if (m.still) return; // every pointer still points at a constant that has not changed
  let still = 1;
  for (let p = 0; p < m.nParam; p++) {
    const q = prm(m, p);
    if (q.buf == 0) {
      if (q.modHead < 0) q.value = q.target;
      else {
        q.value = control(q, from);
        still = 0;
      }
      continue;
    }
    if (q.modHead < 0 && q.value == q.target) {
      q.constant = <f32> q.value;
      q.ptr = changetype<usize>(q) + offsetof<Param>("constant");
      q.step = 0;
      continue;
    }
    still = 0;
    const buf = q.buf;
    let v = q.value;
    const t = q.target, k = q.coef;
    if (v == t) {
      const c = <f32> v;
      for (let i = from; i < to; i++) store<f32>(buf + (<usize> i << 2), c);
    } else {
      for (let i = from; i < to; i++) {
        v += (t - v) * k;
        store<f32>(buf + (<usize> i << 2), <f32> v);
      }
      // Land exactly on the target once closer than the f32 resolution: later spans take the constant path.
      if (Math.abs(t - v) <= Math.abs(t) * 1e-7 + 1e-12) v = t;
      q.value = v;
    }
    if (q.modHead >= 0) {
      let c = q.modHead;
      while (c >= 0) {
        const k2 = conn(c);
        const src = outp(inst(k2.src), k2.srcPort);
        const d = <f32> k2.depth;
        if (q.modExp) {
          for (let i = from; i < to; i++) {
            const a = buf + (<usize> i << 2);
            store<f32>(a, load<f32>(a) * exp2f(load<f32>(src + (<usize> i << 2)) * d));
          }
        } else {
          for (let i = from; i < to; i++) {
            const a = buf + (<usize> i << 2);
            store<f32>(a, load<f32>(a) + load<f32>(src + (<usize> i << 2)) * d);
          }
        }
        c = k2.next;
      }
      const lo = <f32> q.min, hi = <f32> q.max;
      for (let i = from; i < to; i++) {
        const a = buf + (<usize> i << 2);
        store<f32>(a, min<f32>(max<f32>(load<f32>(a), lo), hi));
      }
    }
    q.ptr = buf;
    q.step = 4;
  }
  m.still = still;
}

// A control-rate parameter with modulation: sampled at the span's first frame.
function control(q: Param, from: i32): f64 {
  let v = q.target;
  let c = q.modHead;
  while (c >= 0) {
    const k = conn(c);
    const s = <f64> load<f32>(outp(inst(k.src), k.srcPort) + (<usize> from << 2)) * k.depth;
    v = q.modExp ? v * Math.exp(s * Math.LN2) : v + s; // not Math.pow: it keeps a mutable global
    c = k.next;
  }
  return Math.min(Math.max(v, q.min), q.max);
}
