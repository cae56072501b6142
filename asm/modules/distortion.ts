// distortion: drive → shaper → DC blocker → tone low-pass → level, blended with the dry input by mix.
//
// Shapers of u = drive·in: soft = tanh(u); hard = clamp(u, −1, 1); fold = a triangle fold (period 4 in u, so
// any drive stays within ±1 without a recursive reflection loop); crush = clamp to ±1 and round to a step of
// 2^(1−bits) (mid-tread: silence stays silent, the staircase is odd-symmetric, 2^bits steps over −1 … 1).
// Soft, hard and fold use first-order antiderivative anti-aliasing (Parker, Zavalishin & Le Bivic, "Reducing
// the aliasing of nonlinear waveshaping using continuous-time convolution", DAFx 2016): the output is the mean
// of f over the segment between consecutive inputs, (F(u_n) − F(u_{n−1}))/(u_n − u_{n−1}). It costs half a
// sample of delay and a gentle high-frequency droop (−2 dB at 10 kHz at 48 kHz) on the wet path, and by the
// mean-value theorem can never leave f's range. Crush is left naive on purpose: its aliasing is the sound.
// The shaped signal then goes through a 10 Hz DC blocker (asymmetric input makes any shaper emit DC) and a
// one-pole low-pass whose impulse response is non-negative, so it never overshoots: tone 0 = 150 Hz, 1 ≈ 38 kHz.
// A linear DC blocker cannot keep a clipped wave inside ±1: it tilts flat tops (a clipped 45 Hz sine peaks at
// 1.34·level), and at most doubles the peak (the L1 norm of its impulse response is 2). Asymmetric clipping
// cannot be both DC-free and within ±1 anyway (a 60 % duty square without DC spans +0.8 … −1.2).
// Level scales the wet path only, so mix = 0 returns the input sample for sample.
import { G } from "../globals";
import { at, exp2f, Inst, inp, outp, prm } from "../module_abi";
import {
  DISTORTION_BITS,
  DISTORTION_DRIVE,
  DISTORTION_IN_IN,
  DISTORTION_LEVEL,
  DISTORTION_MIX,
  DISTORTION_MODE,
  DISTORTION_TONE,
} from "../gen/defs";

const SOFT = 0;
const HARD = 1;
const FOLD = 2;
const CRUSH = 3;
/** log2(10)/20: dB → log2 of the linear gain. */
const DB_TO_LOG2: f32 = 0.16609640;
/** Below this input step the ADAA quotient loses precision; use f at the midpoint instead (error ~ f''·d²/24). */
const ADAA_EPS: f64 = 1e-5;
const DC_HZ: f64 = 10.0;
const TONE_LO_HZ: f64 = 150.0;
const TONE_OCTAVES: f32 = 8.0;
/** Below this a recursive state is flushed to 0 (WASM has no flush-to-zero; denormals are slow and useless). */
const TINY: f64 = 1e-25;
const LN2: f64 = 0.6931471805599453;

@unmanaged
class Dist {
  prevU: f64; // shaper input of the previous sample
  prevF: f64; // antiderivative at prevU, for `mode`
  hpX: f64; // DC blocker: previous input
  hpY: f64; // DC blocker: previous output
  lp: f64; // tone low-pass state
  mode: i32; // mode prevF was computed for
}

/** Bytes of private state. */
export function distortionStateBytes(): i32 {
  return <i32> offsetof<Dist>();
}

/** Starts silent; the antiderivative at u = 0 is 0 for every shaper. */
export function distortionInit(m: Inst): void {
  changetype<Dist>(m.state).mode = <i32> prm(m, DISTORTION_MODE).value;
}

@inline
function shape(mode: i32, u: f64): f64 {
  if (mode == SOFT) return Math.tanh(u);
  if (mode == HARD) return Math.min(Math.max(u, -1.0), 1.0);
  // fold: w = (u − 1) mod 4 runs 0 … 4 over one period; f = |w − 2| − 1.
  const v = u - 1.0;
  const w = v - 4.0 * Math.floor(v * 0.25);
  return Math.abs(w - 2.0) - 1.0;
}

/** Antiderivative of the shaper, F(0) = 0. */
@inline
function antiderivative(mode: i32, u: f64): f64 {
  const a = Math.abs(u);
  // log(cosh u) without overflow: |u| + log(1 + e^(−2|u|)) − log 2.
  if (mode == SOFT) return a + Math.log1p(Math.exp(-2.0 * a)) - LN2;
  if (mode == HARD) return a <= 1.0 ? 0.5 * u * u : a - 0.5;
  if (mode == FOLD) {
    // Over one period (w in 0 … 4) ∫f is H(w) = w − w²/2 up to w = 2, then ((w − 3)² − 1)/2: back to 0 at
    // w = 4, so F is periodic and stays within ±1/2 at any drive. F(0) = H(3) + 1/2 = 0.
    const v = u - 1.0;
    let w = v - 4.0 * Math.floor(v * 0.25);
    w = Math.min(Math.max(w, 0.0), 4.0);
    const h = w <= 2.0 ? w - 0.5 * w * w : 0.5 * ((w - 3.0) * (w - 3.0) - 1.0);
    return h + 0.5;
  }
  return 0.0;
}

@inline
function driveGain(db: f32): f64 {
  return <f64> exp2f(db * DB_TO_LOG2);
}

@inline
function toneCoef(tone: f32): f64 {
  const fc = TONE_LO_HZ * <f64> exp2f(tone * TONE_OCTAVES);
  return 1.0 - Math.exp(-2.0 * Math.PI * fc / G.sampleRate);
}

/** Renders frames [from, to). */
export function distortionProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Dist>(m.state);
  const mode = <i32> prm(m, DISTORTION_MODE).value;
  const drive = prm(m, DISTORTION_DRIVE), tone = prm(m, DISTORTION_TONE);
  const mix = prm(m, DISTORTION_MIX), level = prm(m, DISTORTION_LEVEL);
  const x = inp(m, DISTORTION_IN_IN), out = outp(m, 0);
  // Mid-tread step 2^(1−bits), exact for whole bits; fractional bits sweep the resolution smoothly.
  const steps = <f64> exp2f(<f32> (prm(m, DISTORTION_BITS).value - 1.0)), istep = 1.0 / steps;
  const R = Math.exp(-2.0 * Math.PI * DC_HZ / G.sampleRate);
  if (mode != s.mode) {
    s.prevF = antiderivative(mode, s.prevU);
    s.mode = mode;
  }
  const driveMoves = drive.step != 0, toneMoves = tone.step != 0;
  let g = driveGain(at(drive, from)), a = toneCoef(at(tone, from));
  let prevU = s.prevU, prevF = s.prevF, hpX = s.hpX, hpY = s.hpY, lp = s.lp;
  for (let i = from; i < to; i++) {
    let dry = <f64> load<f32>(x + (<usize> i << 2));
    if (!isFinite(dry)) dry = 0; // a broken source must not poison the states
    if (driveMoves) g = driveGain(at(drive, i));
    if (toneMoves) a = toneCoef(at(tone, i));
    const u = g * dry;
    let y: f64;
    if (mode == CRUSH) {
      y = nearest<f64>(Math.min(Math.max(u, -1.0), 1.0) * steps) * istep;
      prevF = 0;
    } else {
      const F = antiderivative(mode, u);
      const d = u - prevU;
      y = Math.abs(d) > ADAA_EPS ? (F - prevF) / d : shape(mode, 0.5 * (u + prevU));
      y = Math.min(Math.max(y, -1.0), 1.0); // the mean of f is within f's range; rounding must not leave it
      prevF = F;
    }
    prevU = u;
    hpY = y - hpX + R * hpY;
    hpX = y;
    lp += a * (hpY - lp);
    const wet = lp * <f64> at(level, i);
    const k = <f64> at(mix, i);
    store<f32>(out + (<usize> i << 2), <f32> (dry + k * (wet - dry)));
  }
  if (Math.abs(hpY) < TINY) hpY = 0;
  if (Math.abs(lp) < TINY) lp = 0;
  if (!isFinite(prevF) || !isFinite(hpY) || !isFinite(lp)) {
    prevU = prevF = hpX = hpY = lp = 0; // cannot happen with finite inputs; never let it stick
  }
  s.prevU = prevU;
  s.prevF = prevF;
  s.hpX = hpX;
  s.hpY = hpY;
  s.lp = lp;
}
