// Power spectra of real frames through fft.js (indutny, MIT): a radix-4 transform several times faster than
// core/fft.ts, which stays the plain radix-2 the meters use. One instance per size, reused across calls.
import FFT from "fft.js";

const cache = new Map<number, { fft: FFT; out: Float64Array }>();

/**
 * Writes |X[k]|² for k = 0 … n/2 of a real frame of n = 2^m samples into `power` (length ≥ n/2 + 1).
 * The frame is read, not changed.
 */
export function powerSpectrum(frame: Float64Array, power: Float64Array): void {
  const n = frame.length;
  let c = cache.get(n);
  if (!c) {
    c = { fft: new FFT(n), out: new Float64Array(2 * n) };
    cache.set(n, c);
  }
  c.fft.realTransform(c.out, frame);
  const o = c.out;
  for (let k = 0; k <= n >> 1; k++) power[k] = o[2 * k] * o[2 * k] + o[2 * k + 1] * o[2 * k + 1];
}

/** The smallest power of two ≥ n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}
