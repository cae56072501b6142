// Sample-domain levels of interleaved stereo in one pass: RMS, peak, clipping, DC and the L/R correlation.

/** The per-channel sums one pass collects. */
export interface Levels {
  /** Mean square per channel. */
  meanSquare: [number, number];
  /** Largest |sample| per channel. */
  peak: [number, number];
  /** Mean per channel. */
  mean: [number, number];
  /** Samples with |x| ≥ 1, both channels. */
  clipped: number;
  /** Σ L·R / √(Σ L² · Σ R²): 1 mono, −1 inverted, 0 unrelated (and 0 when either channel is silent). */
  correlation: number;
}

/** One pass over interleaved stereo. */
export function levels(x: Float32Array): Levels {
  const frames = x.length >> 1;
  let ll = 0, rr = 0, lr = 0, sl = 0, sr = 0, pl = 0, pr = 0, clipped = 0;
  for (let i = 0; i < frames; i++) {
    const l = x[2 * i], r = x[2 * i + 1];
    ll += l * l;
    rr += r * r;
    lr += l * r;
    sl += l;
    sr += r;
    const al = Math.abs(l), ar = Math.abs(r);
    if (al > pl) pl = al;
    if (ar > pr) pr = ar;
    if (al >= 1) clipped++;
    if (ar >= 1) clipped++;
  }
  const f = Math.max(1, frames);
  return {
    meanSquare: [ll / f, rr / f],
    peak: [pl, pr],
    mean: [sl / f, sr / f],
    clipped,
    correlation: ll > 0 && rr > 0 ? Math.max(-1, Math.min(1, lr / Math.sqrt(ll * rr))) : 0,
  };
}
