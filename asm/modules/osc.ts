// Band-limited oscillator core shared by vco, voice and acid: one sample from a phase in [0, 1) and the phase
// increment dt (cycles per sample). Discontinuities are smoothed with 2-point polynomial residuals:
// PolyBLEP for steps (saw, square), PolyBLAMP for slope changes (triangle) (Välimäki & Huovilainen 2007;
// Esqueda, Välimäki & Bilbao 2016).

/** Residual of a band-limited unit step of height 2 at phase 0 (subtract for a falling step). */
@inline
export function polyBlep(t: f64, dt: f64): f64 {
  if (t < dt) {
    const x = t / dt;
    return x + x - x * x - 1.0;
  }
  if (t > 1.0 - dt) {
    const x = (t - 1.0) / dt;
    return x * x + x + x + 1.0;
  }
  return 0.0;
}

/** Residual of a band-limited corner (slope change) at phase 0, in units of dt. */
@inline
export function polyBlamp(t: f64, dt: f64): f64 {
  if (t < dt) {
    const x = t / dt - 1.0;
    return -(1.0 / 3.0) * x * x * x;
  }
  if (t > 1.0 - dt) {
    const x = (t - 1.0) / dt + 1.0;
    return (1.0 / 3.0) * x * x * x;
  }
  return 0.0;
}

@inline
function wrap(t: f64): f64 {
  return t >= 1.0 ? t - 1.0 : t;
}

/** One sample of wave 0 sine, 1 saw, 2 square (pulse width pw), 3 triangle, at phase t with increment dt. */
@inline
export function oscSample(wave: i32, t: f64, dt: f64, pw: f64): f64 {
  if (wave == 1) return 2.0 * t - 1.0 - polyBlep(t, dt);
  if (wave == 2) {
    const naive = t < pw ? 1.0 : -1.0;
    return naive + polyBlep(t, dt) - polyBlep(wrap(t - pw + 1.0), dt);
  }
  if (wave == 3) {
    const naive = t < 0.5 ? 4.0 * t - 1.0 : 3.0 - 4.0 * t;
    return naive + 4.0 * dt * (polyBlamp(t, dt) - polyBlamp(wrap(t + 0.5), dt));
  }
  return Math.sin(t * (2.0 * Math.PI));
}
