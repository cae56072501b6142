// Zero-delay-feedback state-variable filter core (Andrew Simper, "Linear trapezoidal integrated SVF", 2013;
// Zavalishin, "The Art of VA Filter Design"). g = tan(π·fc/sr) pre-warps the cutoff, so the bilinear response
// hits the analogue one exactly at fc; k = 1/Q = 2·(1 − res), kept ≥ K_MIN so res = 1 rings but stays bounded.
import { G } from "../globals";

export const K_MIN: f64 = 0.005;

@unmanaged
export class Svf {
  ic1: f64;
  ic2: f64;
  a1: f64;
  a2: f64;
  a3: f64;
  k: f64;
  // The same update as a 2×2 state-space step (ic' = M·ic + N·x): the state's dependency chain is one
  // multiply and two adds instead of five operations, which is what bounds a single voice's speed.
  m11: f64;
  m12: f64;
  m21: f64;
  m22: f64;
  n1: f64;
  n2: f64;
  tunedFc: f64; // the cutoff and resonance the coefficients were computed for (svfTune skips a repeat)
  tunedRes: f64;
}

/** Sets the coefficients for cutoff fc (Hz, clamped to 20 Hz … 0.45·sr) and resonance 0 … 1. */
@inline
export function svfTune(s: Svf, fc: f64, res: f64): void {
  if (fc == s.tunedFc && res == s.tunedRes) return;
  s.tunedFc = fc;
  s.tunedRes = res;
  const f = Math.min(Math.max(fc, 20.0), 0.45 * G.sampleRate);
  setCoefficients(s, Math.tan(Math.PI * f / G.sampleRate), res);
}

@inline
function setCoefficients(s: Svf, g: f64, res: f64): void {
  const k = Math.max(2.0 - 2.0 * res, K_MIN);
  s.k = k;
  s.a1 = 1.0 / (1.0 + g * (g + k));
  s.a2 = g * s.a1;
  s.a3 = g * s.a2;
  s.m11 = 2.0 * s.a1 - 1.0;
  s.m12 = -2.0 * s.a2;
  s.m21 = 2.0 * s.a2;
  s.m22 = 1.0 - 2.0 * s.a3;
  s.n1 = 2.0 * s.a2;
  s.n2 = 2.0 * s.a3;
}

/** tan(x) for 0 ≤ x ≤ 0.45π by a Padé [5/4] form (one division): for cutoffs that move every sample. */
@inline
export function tanPade(x: f64): f64 {
  const a = x * x;
  return x * (945.0 + a * (a - 105.0)) / (945.0 + a * (15.0 * a - 420.0));
}

/** svfTune with the Padé tangent: per-sample retuning (modulation, envelopes) at a fraction of the cost. */
@inline
export function svfTuneFast(s: Svf, fc: f64, res: f64): void {
  s.tunedFc = -1; // not the exact tangent: a later svfTune must recompute
  const f = Math.min(Math.max(fc, 20.0), 0.45 * G.sampleRate);
  setCoefficients(s, tanPade(Math.PI * f / G.sampleRate), res);
}

/** One sample; mode 0 low, 1 band, 2 high, 3 notch. */
@inline
export function svfTick(s: Svf, x: f64, mode: i32): f64 {
  const ic1 = s.ic1, ic2 = s.ic2;
  const v1 = s.a1 * ic1 - s.a2 * ic2 + s.a2 * x; // band
  const v2 = s.a2 * ic1 + (1.0 - s.a3) * ic2 + s.a3 * x; // low
  s.ic1 = (s.n1 * x + s.m12 * ic2) + s.m11 * ic1;
  s.ic2 = (s.n2 * x + s.m21 * ic1) + s.m22 * ic2;
  if (mode == 0) return v2;
  if (mode == 1) return v1;
  if (mode == 2) return x - s.k * v1 - v2;
  return x - s.k * v1;
}

/** Flushes denormal-range state (called once per span: WASM cannot set flush-to-zero). */
@inline
export function svfFlush(s: Svf): void {
  if (Math.abs(s.ic1) < 1e-25) s.ic1 = 0;
  if (Math.abs(s.ic2) < 1e-25) s.ic2 = 0;
}
