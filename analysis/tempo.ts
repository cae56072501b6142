// Tempo from the onset-strength envelope (analysis/onsets.ts): its autocorrelation scored at each candidate
// period and three of its multiples, searched from 60 to 200 BPM in 0.1 BPM steps. A beat's multiples are
// periodic too, so the half tempo scores nearly as well; the faster of a pair wins when it holds at least
// half the slower one's score and stays in range (drum and bass at 175 reads 175, not 87.5; a 70 BPM piece
// with running eighths reads 140: the octave of a tempo is a matter of taste the signal cannot settle).

/** The slowest tempo reported, BPM. */
export const TEMPO_MIN = 60;
/** The fastest tempo reported, BPM. */
export const TEMPO_MAX = 200;

/** The tempo of an onset-strength envelope sampled every `hopSeconds`; null when it is not periodic. */
export function estimateTempo(
  flux: Float64Array,
  hopSeconds: number,
): { value: number; confidence: number } | null {
  const len = flux.length;
  // Smooth (Gaussian, σ = 2 hops) and remove the mean, so the autocorrelation sees pulses, not level.
  const o = new Float64Array(len);
  let mean = 0;
  for (let j = 0; j < len; j++) {
    let s = 0, ws = 0;
    for (let d = -6; d <= 6; d++) {
      if (j + d < 0 || j + d >= len) continue;
      const w = Math.exp(-(d * d) / 8);
      s += w * flux[j + d];
      ws += w;
    }
    o[j] = s / ws;
    mean += o[j] / len;
  }
  for (let j = 0; j < len; j++) o[j] -= mean;
  const maxLag = Math.min(len - 1, Math.ceil((4 * 60) / (TEMPO_MIN * hopSeconds)) + 1);
  const r = new Float64Array(maxLag + 1);
  for (let l = 0; l <= maxLag; l++) {
    let s = 0;
    for (let j = 0; j + l < len; j++) s += o[j] * o[j + l];
    r[l] = s / len;
  }
  if (!(r[0] > 0)) return null;
  const at = (l: number) => {
    const i = Math.floor(l), f = l - i;
    return i + 1 <= maxLag ? r[i] * (1 - f) + r[i + 1] * f : NaN;
  };
  const score = (bpm: number) => {
    const L = 60 / (bpm * hopSeconds);
    let s = 0, m = 0;
    for (let k = 1; k <= 4 && k * L <= 0.75 * len; k++, m++) s += at(k * L);
    return m > 0 ? s / m : -Infinity;
  };
  let best = -1, bestScore = -Infinity;
  for (let b = TEMPO_MIN; b <= TEMPO_MAX; b += 0.1) {
    const s = score(b);
    if (s > bestScore) [best, bestScore] = [b, s];
  }
  if (best < 0 || !(bestScore > 0)) return null;
  // Octave: look for the double near 2·best (±1 %) and take it when it scores at least half as well.
  if (2 * best <= TEMPO_MAX) {
    let d = 2 * best, ds = -Infinity;
    for (let b = 2 * best * 0.99; b <= Math.min(TEMPO_MAX, 2 * best * 1.01); b += 0.1) {
      const s = score(b);
      if (s > ds) [d, ds] = [b, s];
    }
    if (ds >= 0.5 * bestScore) [best, bestScore] = [d, ds];
  }
  // Refine between grid points with a parabola through the neighbours' scores.
  const a = score(best - 0.1), c = score(best + 0.1);
  const den = a - 2 * bestScore + c;
  const value = den < 0 ? best + (0.1 * 0.5 * (a - c)) / den : best;
  return { value, confidence: Math.max(0, Math.min(1, at(60 / (value * hopSeconds)) / r[0])) };
}
