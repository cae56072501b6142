// limiter: stereo-linked look-ahead peak limiter. The output never exceeds the ceiling, without clipping.
//
// Per sample n, with the look-ahead L = round(1.5 ms · sr) (72 samples at 48 kHz: the module's latency):
//   x_n   = input · gain (a non-finite sample becomes 0)
//   r_n   = min(1, ceiling / max(|xL_n|, |xR_n|))              the gain sample n needs
//   h_n   = min(r_{n−L} … r_n)                                  hold: a monotonic deque, O(1) amortised
//   e_n   = h_n if h_n < e_{n−1}, else e_{n−1} + (h_n − e_{n−1})·k     instant attack, exponential release
//   g_n   = mean(e_{n−L+1} … e_n)                               box average: the attack is a ramp over L samples
//   out_n = x_{n−L} · g_n
// Each e_m in g_n's window has n − L inside its hold window, so e_m ≤ r_{n−L} and out_n ≤ ceiling exactly; the
// final clamp only absorbs rounding. The box sum is kept in integers (e in units of 2^−52, rounded down), so it
// never drifts and stays bit-exact across workers; the gain is exactly 1 when nothing is limited, so a signal
// below the ceiling comes out as the input delayed by L samples.
import { G } from "../globals";
import { at, exp2f, Inst, inp, noteLimiterGain, outp, prm, smoothingCoef } from "../module_abi";
import {
  LIMITER_CEILING,
  LIMITER_GAIN,
  LIMITER_IN_L,
  LIMITER_IN_R,
  LIMITER_OUT_L,
  LIMITER_OUT_R,
  LIMITER_RELEASE,
} from "../gen/defs";

const LOOKAHEAD_S: f64 = 0.0015;
const ONE: f64 = 4503599627370496.0; // 2^52: e = 1 in box-sum units
/** log2(10)/20: dB → log2 of the linear gain. */
const DB_TO_LOG2: f32 = 0.16609640;
/** ln(10)/20: dB → natural log of the linear gain (Math.pow would leave state in a libm global). */
const DB_TO_LN: f64 = 0.11512925464970229;

@unmanaged
class Lim {
  ceilingDb: f64; // the ceiling the envelope was computed for
  ceiling: f64;
  release: f64; // ms the coefficient was computed for
  k: f64;
  e: f64;
  sum: i64; // Σ of the last L quantised e
  n: i64; // samples processed
  clampHi: f32; // the largest f32 not above the ceiling
  len: i32; // L
  pos: i32; // ring position shared by the delay lines and the e history
  head: u32; // deque: [head, tail) masked by qmask
  tail: u32;
  qmask: u32;
}

const HEADER: usize = (offsetof<Lim>() + 15) & ~(<usize> 15);

@inline
function lookahead(): i32 {
  return max<i32>(1, <i32> Math.round(LOOKAHEAD_S * G.sampleRate));
}

@inline
function queueCap(len: i32): i32 {
  let q = 2;
  while (q < len + 2) q <<= 1;
  return q;
}

// Layout after the header: delay L (f64 × L), delay R (f64 × L), e history (i64 × L), deque indices (i64 × Q),
// deque values (f64 × Q).
@inline
function delayL(s: Lim): usize {
  return changetype<usize>(s) + HEADER;
}

@inline
function delayR(s: Lim): usize {
  return delayL(s) + (<usize> s.len << 3);
}

@inline
function hist(s: Lim): usize {
  return delayR(s) + (<usize> s.len << 3);
}

@inline
function qIdx(s: Lim): usize {
  return hist(s) + (<usize> s.len << 3);
}

@inline
function qVal(s: Lim): usize {
  return qIdx(s) + (<usize> (s.qmask + 1) << 3);
}

/** Bytes of private state: the header, two delay lines, the e history and the deque, sized for 1.5 ms. */
export function limiterStateBytes(): i32 {
  const len = lookahead();
  return <i32> HEADER + 24 * len + 16 * queueCap(len);
}

/** Unity gain, empty delay lines. */
export function limiterInit(m: Inst): void {
  const s = changetype<Lim>(m.state);
  s.len = lookahead();
  s.qmask = <u32> queueCap(s.len) - 1;
  s.e = 1.0;
  const h = hist(s);
  for (let j = 0; j < s.len; j++) store<i64>(h + (<usize> j << 3), <i64> ONE);
  s.sum = <i64> ONE * <i64> s.len;
  s.ceilingDb = prm(m, LIMITER_CEILING).value;
  s.ceiling = Math.exp(s.ceilingDb * DB_TO_LN);
  s.clampHi = below(s.ceiling);
  s.release = prm(m, LIMITER_RELEASE).value;
  s.k = smoothingCoef(s.release);
}

/** Recomputes the derived coefficients after the ceiling or release changed. */
export function limiterParam(m: Inst, p: i32): void {
  sync(m, changetype<Lim>(m.state));
}

// The largest f32 that is not above c.
function below(c: f64): f32 {
  let f = <f32> c;
  if (<f64> f > c) f = reinterpret<f32>(reinterpret<i32>(f) - 1);
  return f;
}

@inline
function required(c: f64, a: f64, b: f64): f64 {
  const p = max<f64>(Math.abs(a), Math.abs(b));
  return p > c ? c / p : 1.0;
}

// Brings the state in line with the current parameter values. Also run per span, because a modulated
// control-rate parameter changes without the hook.
function sync(m: Inst, s: Lim): void {
  const rel = prm(m, LIMITER_RELEASE).value;
  if (rel != s.release) {
    s.release = rel;
    s.k = smoothingCoef(rel);
  }
  const db = prm(m, LIMITER_CEILING).value;
  if (db == s.ceilingDb) return;
  const c0 = s.ceiling, c1 = Math.exp(db * DB_TO_LN);
  s.ceilingDb = db;
  s.ceiling = c1;
  s.clampHi = below(c1);
  const len = s.len;
  if (c1 < c0) {
    // Every gain already decided scales with the ceiling (r = c/peak where r < 1; r = 1 ≥ c1/c0 elsewhere), so
    // scaling the envelope and its history keeps the guarantee for the samples already in the look-ahead.
    const ratio = c1 / c0;
    s.e *= ratio;
    const h = hist(s);
    let sum: i64 = 0;
    for (let j = 0; j < len; j++) {
      const a = h + (<usize> j << 3);
      const q = <i64> Math.floor(<f64> load<i64>(a) * ratio);
      store<i64>(a, q);
      sum += q;
    }
    s.sum = sum;
  }
  // Rebuild the hold deque from the samples in the look-ahead (oldest first), judged by the new ceiling.
  const dl = delayL(s), dr = delayR(s), qi = qIdx(s), qv = qVal(s), mask = s.qmask;
  let head: u32 = 0, tail: u32 = 0;
  for (let j = 0; j < len; j++) {
    let idx = s.pos + j;
    if (idx >= len) idx -= len;
    const r = required(c1, load<f64>(dl + (<usize> idx << 3)), load<f64>(dr + (<usize> idx << 3)));
    while (tail != head && load<f64>(qv + (<usize> ((tail - 1) & mask) << 3)) >= r) tail--;
    store<i64>(qi + (<usize> (tail & mask) << 3), s.n - <i64> len + <i64> j);
    store<f64>(qv + (<usize> (tail & mask) << 3), r);
    tail++;
  }
  s.head = head;
  s.tail = tail;
}

/** Renders frames [from, to). */
export function limiterProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Lim>(m.state);
  sync(m, s);
  const xl = inp(m, LIMITER_IN_L), xr = inp(m, LIMITER_IN_R);
  const ol = outp(m, LIMITER_OUT_L), or = outp(m, LIMITER_OUT_R);
  const gain = prm(m, LIMITER_GAIN);
  const gainMoves = gain.step != 0;
  let gl: f64 = exp2f(at(gain, from) * DB_TO_LOG2);
  const len = s.len, dl = delayL(s), dr = delayR(s), h = hist(s), qi = qIdx(s), qv = qVal(s), mask = s.qmask;
  const c = s.ceiling, k = s.k, hi = s.clampHi, lo = -s.clampHi, total = ONE * <f64> len;
  let e = s.e, sum = s.sum, n = s.n, pos = s.pos, head = s.head, tail = s.tail;
  for (let i = from; i < to; i++) {
    if (gainMoves) gl = exp2f(at(gain, i) * DB_TO_LOG2);
    let a = <f64> load<f32>(xl + (<usize> i << 2)) * gl;
    let b = <f64> load<f32>(xr + (<usize> i << 2)) * gl;
    if (!isFinite(a)) a = 0;
    if (!isFinite(b)) b = 0;
    const r = required(c, a, b);
    while (tail != head && load<f64>(qv + (<usize> ((tail - 1) & mask) << 3)) >= r) tail--;
    store<i64>(qi + (<usize> (tail & mask) << 3), n);
    store<f64>(qv + (<usize> (tail & mask) << 3), r);
    tail++;
    while (load<i64>(qi + (<usize> (head & mask) << 3)) < n - <i64> len) head++;
    const hold = load<f64>(qv + (<usize> (head & mask) << 3));
    if (hold < e) e = hold;
    else {
      e += (hold - e) * k;
      if (hold - e < 1e-12) e = hold; // land on it: the release would approach 1 forever
    }
    const q = <i64> Math.floor(e * ONE);
    const ha = h + (<usize> pos << 3);
    sum += q - load<i64>(ha);
    store<i64>(ha, q);
    const g = <f64> sum / total;
    noteLimiterGain(g); // for the listener's report: read, never fed back
    const da = dl + (<usize> pos << 3), db = dr + (<usize> pos << 3);
    const ya = load<f64>(da) * g, yb = load<f64>(db) * g;
    store<f64>(da, a);
    store<f64>(db, b);
    store<f32>(ol + (<usize> i << 2), min<f32>(max<f32>(<f32> ya, lo), hi));
    store<f32>(or + (<usize> i << 2), min<f32>(max<f32>(<f32> yb, lo), hi));
    if (++pos == len) pos = 0;
    n++;
  }
  s.e = e;
  s.sum = sum;
  s.n = n;
  s.pos = pos;
  s.head = head;
  s.tail = tail;
}
