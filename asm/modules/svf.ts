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
}

/** Sets the coefficients for cutoff fc (Hz, clamped to 20 Hz … 0.45·sr) and resonance 0 … 1. */
@inline
export function svfTune(s: Svf, fc: f64, res: f64): void {
  const f = Math.min(Math.max(fc, 20.0), 0.45 * G.sampleRate);
  const g = Math.tan(Math.PI * f / G.sampleRate);
  const k = Math.max(2.0 - 2.0 * res, K_MIN);
  s.k = k;
  s.a1 = 1.0 / (1.0 + g * (g + k));
  s.a2 = g * s.a1;
  s.a3 = g * s.a2;
}

/** One sample; mode 0 low, 1 band, 2 high, 3 notch. */
@inline
export function svfTick(s: Svf, v0: f64, mode: i32): f64 {
  const v3 = v0 - s.ic2;
  const v1 = s.a1 * s.ic1 + s.a2 * v3;
  const v2 = s.ic2 + s.a2 * s.ic1 + s.a3 * v3;
  s.ic1 = 2.0 * v1 - s.ic1;
  s.ic2 = 2.0 * v2 - s.ic2;
  if (mode == 0) return v2;
  if (mode == 1) return v1;
  if (mode == 2) return v0 - s.k * v1 - v2;
  return v0 - s.k * v1;
}

/** Flushes denormal-range state (called once per span: WASM cannot set flush-to-zero). */
@inline
export function svfFlush(s: Svf): void {
  if (Math.abs(s.ic1) < 1e-25) s.ic1 = 0;
  if (Math.abs(s.ic2) < 1e-25) s.ic2 = 0;
}
