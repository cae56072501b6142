// Bounded saturation shared by kernels: a Padé [3/2] tanh that meets ±1 with zero slope at |x| = 3 and stays
// there, so whatever goes in, nothing beyond ±1 comes out (and it costs one division, no exp).

/** tanh(x)/x: Padé [2/2] of tanh up to |x| = 3 (where it meets ±1 with zero slope), 1/|x| beyond. */
@inline
export function tanhXdX(x: f64): f64 {
  const a = x * x;
  if (a >= 9.0) return 1.0 / Math.sqrt(a);
  return (27.0 + a) / (27.0 + 9.0 * a);
}

/** A tanh-like soft clip, odd, monotonic, within ±1 for every finite x (0.29 → 0.291, 1 → 0.78, ≥ 3 → 1). */
@inline
export function softClip(x: f64): f64 {
  return x * tanhXdX(x);
}
