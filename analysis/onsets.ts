// Onsets: spectral flux of the mono mix (Hann frames of ~21 ms every ~2.7 ms, log-compressed magnitudes,
// positive differences summed) picked against an adaptive threshold, then each placed in the time domain at
// the first ~0.7 ms block where the envelope of the first difference (a gentle high-pass, so that a hat's
// attack shows over a loud bass) makes its steepest rise near the flux peak (the flux peak alone lags the
// attack by up to half a frame). The flux envelope is also what analysis/tempo.ts reads. An attack in the
// first frame (~21 ms) of the window has no frame before it to differ from, and is not reported.
import { nextPow2, powerSpectrum } from "./real_fft.ts";

/** The onset-strength envelope: flux[j] belongs to the frame centred at (j·hop + n/2) / sampleRate s. */
export interface Flux {
  /** Summed positive log-magnitude differences, one per frame (the first is 0). */
  flux: Float64Array;
  /** Hop between frames, frames. */
  hop: number;
  /** Frame size, frames. */
  n: number;
  /** Sample rate, Hz. */
  sampleRate: number;
}

/** The spectral flux of the mono mix of interleaved stereo. */
export function spectralFlux(x: Float32Array, sampleRate: number): Flux {
  const n = nextPow2(Math.round(sampleRate * 0.021)), hop = n >> 3, frames = x.length >> 1;
  const count = frames >= n ? Math.floor((frames - n) / hop) + 1 : 0;
  const w = new Float64Array(n);
  let w1 = 0;
  for (let i = 0; i < n; i++) w1 += w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  // log(1 + γ·amplitude) with amplitude scaled so a full-scale sine reads 1: level changes count, not level.
  const gain = (100 * 2) / w1;
  const frame = new Float64Array(n), p = new Float64Array(n / 2 + 1);
  let prev = new Float64Array(n / 2 + 1), cur = new Float64Array(n / 2 + 1);
  const flux = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    const from = j * hop;
    for (let i = 0; i < n; i++) frame[i] = 0.5 * (x[2 * (from + i)] + x[2 * (from + i) + 1]) * w[i];
    powerSpectrum(frame, p);
    let f = 0;
    for (let k = 1; k <= n / 2; k++) {
      cur[k] = Math.log1p(gain * Math.sqrt(p[k]));
      const d = cur[k] - prev[k];
      if (d > 0) f += d;
    }
    flux[j] = j === 0 ? 0 : f;
    [prev, cur] = [cur, prev];
  }
  return { flux, hop, n, sampleRate };
}

/** The least flux an onset needs: a steady full-scale sine's frame-to-frame wobble stays below 0.2. */
const MIN_FLUX = 1;

/** Onset times in seconds from the window's start, from the flux and the samples. */
export function detectOnsets(x: Float32Array, fx: Flux): number[] {
  const { flux, hop, n, sampleRate } = fx;
  if (flux.length < 3) return [];
  let max = 0;
  for (const v of flux) max = Math.max(max, v);
  if (max <= 0) return [];
  // A peak must be the largest within ±40 ms and stand above 1.5 × the median of the surrounding ±100 ms
  // plus 10 % of the window's largest flux (so steady tones and noise beds do not trigger).
  const gap = Math.max(1, Math.round((0.04 * sampleRate) / hop)), ctx = Math.round((0.1 * sampleRate) / hop);
  const peaks: number[] = [];
  const near: number[] = [];
  for (let j = 1; j < flux.length - 1; j++) {
    const v = flux[j];
    if (v < 0.1 * max || v < MIN_FLUX) continue;
    let isMax = true;
    for (let i = Math.max(0, j - gap); i <= Math.min(flux.length - 1, j + gap) && isMax; i++) {
      if (flux[i] > v || (flux[i] === v && i < j)) isMax = false;
    }
    if (!isMax) continue;
    near.length = 0;
    for (let i = Math.max(0, j - ctx); i <= Math.min(flux.length - 1, j + ctx); i++) near.push(flux[i]);
    near.sort((a, b) => a - b);
    if (v > 1.5 * near[near.length >> 1] + 0.1 * max) peaks.push(j);
  }
  return peaks.map((j) => refine(x, j * hop, n, sampleRate) / sampleRate);
}

/** The frame of an attack whose flux peaked in the frame starting at `from`: the steepest envelope rise. */
function refine(x: Float32Array, from: number, n: number, sampleRate: number): number {
  const b = Math.max(8, Math.round(sampleRate / 1500)), frames = x.length >> 1;
  const start = Math.max(0, from - (n >> 1)), end = Math.min(frames, from + n + (n >> 1));
  const blocks = Math.floor((end - start) / b);
  const env = new Float64Array(blocks);
  for (let i = 0; i < blocks; i++) {
    let s = 0;
    for (let t = Math.max(1, start + i * b); t < start + (i + 1) * b; t++) {
      const d = x[2 * t] + x[2 * t + 1] - x[2 * t - 2] - x[2 * t - 1];
      s += d * d;
    }
    env[i] = Math.sqrt(s / b);
  }
  const rise = new Float64Array(blocks);
  let best = 0;
  for (let i = 1; i < blocks; i++) {
    rise[i] = env[i] - Math.max(env[i - 1], i > 1 ? env[i - 2] : 0);
    best = Math.max(best, rise[i]);
  }
  if (best <= 0) return from + (n >> 1);
  // The first block that makes half the steepest rise: an attack that spans two blocks starts in the first.
  let i = 1;
  while (rise[i] < 0.5 * best) i++;
  return start + i * b;
}
