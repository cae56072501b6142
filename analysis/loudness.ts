// Loudness over time, for the plot of a report. Being written (issue 13): the contract below is what callers
// use; the first implementation is plain mean-square in 400 ms windows, not yet K-weighted or gated.
import { FLOOR_DB } from "./analyze.ts";

/**
 * Momentary loudness (400 ms windows, BS.1770-4) of interleaved stereo, one value per hop (default 100 ms)
 * from the window ending at the first hop, in LUFS, floored at FLOOR_DB.
 */
export function momentaryLoudness(x: Float32Array, sampleRate: number, hopSeconds = 0.1): Float64Array {
  const frames = x.length >> 1, win = Math.round(0.4 * sampleRate), hop = Math.round(hopSeconds * sampleRate);
  const n = frames < win ? 0 : Math.floor((frames - win) / hop) + 1;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = k * hop; i < k * hop + win; i++) s += x[2 * i] ** 2 + x[2 * i + 1] ** 2;
    out[k] = Math.max(FLOOR_DB, -0.691 + 10 * Math.log10(s / win || 1e-30));
  }
  return out;
}
