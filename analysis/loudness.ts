// Loudness per ITU-R BS.1770-4 and EBU R128: K-weighted mean square summed over the two channels (weights 1),
// L = −0.691 + 10·log10(z). Integrated loudness gates 400 ms blocks (75 % overlap) at −70 LUFS absolute, then
// at 10 LU below the mean of the blocks left; short-term is one 3 s window, momentary 400 ms windows.
// Hand-written: the gating is a few lines and no maintained npm library does it without a DOM.
import { FLOOR_DB } from "./floor.ts";
import { kWeightedEnergy } from "./k_weighting.ts";

/** The absolute gate of BS.1770-4, LUFS. */
export const ABSOLUTE_GATE: number = -70;
/** The relative gate of BS.1770-4, LU below the absolutely gated mean. */
export const RELATIVE_GATE: number = -10;

/** The loudness of a mean square z (summed over channels), LUFS; −Infinity for 0. */
const lufsOf = (z: number): number => -0.691 + 10 * Math.log10(z);

/** Both channels' K-weighted running energies (see kWeightedEnergy), summed: what every measure reads. */
export class KEnergy {
  /** sum[i]: Σ over both channels of the first i K-weighted squared samples. */
  readonly sum: Float64Array;
  /** The frames measured. */
  readonly frames: number;
  /** K-weights interleaved stereo `x` at `sampleRate` Hz. */
  constructor(x: Float32Array, readonly sampleRate: number) {
    const l = kWeightedEnergy(x, 0, sampleRate), r = kWeightedEnergy(x, 1, sampleRate);
    for (let i = 0; i < l.length; i++) l[i] += r[i];
    this.sum = l;
    this.frames = l.length - 1;
  }

  /** The mean square over frames [from, to). */
  meanSquare(from: number, to: number): number {
    return Math.max(0, this.sum[to] - this.sum[from]) / (to - from);
  }
}

/** Integrated loudness (gated), LUFS; null when the window is shorter than one block or every block is gated. */
export function integratedLoudness(k: KEnergy): number | null {
  const block = Math.round(0.4 * k.sampleRate), step = Math.round(0.1 * k.sampleRate);
  const z: number[] = [];
  for (let from = 0; from + block <= k.frames; from += step) {
    const m = k.meanSquare(from, from + block);
    if (lufsOf(m) > ABSOLUTE_GATE) z.push(m);
  }
  if (z.length === 0) return null;
  const relative = lufsOf(z.reduce((s, v) => s + v, 0) / z.length) + RELATIVE_GATE;
  const kept = z.filter((m) => lufsOf(m) > relative);
  return lufsOf(kept.reduce((s, v) => s + v, 0) / kept.length);
}

/** Short-term loudness: the last 3 s (the whole window when shorter), ungated, LUFS; null for no energy. */
export function shortTermLoudness(k: KEnergy): number | null {
  if (k.frames === 0) return null;
  const from = Math.max(0, k.frames - Math.round(3 * k.sampleRate));
  const m = k.meanSquare(from, k.frames);
  return m > 0 ? lufsOf(m) : null;
}

/**
 * Momentary loudness (400 ms windows, BS.1770-4) of interleaved stereo, one value per hop (default 100 ms):
 * value k measures frames [k·hop, k·hop + 400 ms), so the first is the window ending 400 ms in; LUFS, floored
 * at FLOOR_DB. Empty when the signal is shorter than 400 ms.
 */
export function momentaryLoudness(x: Float32Array, sampleRate: number, hopSeconds = 0.1): Float64Array {
  return momentaryOf(new KEnergy(x, sampleRate), hopSeconds);
}

/** momentaryLoudness from K-weighted energies already computed. */
export function momentaryOf(k: KEnergy, hopSeconds = 0.1): Float64Array {
  const win = Math.round(0.4 * k.sampleRate), hop = Math.max(1, Math.round(hopSeconds * k.sampleRate));
  const n = k.frames < win ? 0 : Math.floor((k.frames - win) / hop) + 1;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = Math.max(FLOOR_DB, lufsOf(k.meanSquare(j * hop, j * hop + win)));
  return out;
}
