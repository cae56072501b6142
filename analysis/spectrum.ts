// The window's average power spectrum (Welch: Blackman-Harris frames of ~0.34 s, 75 % overlap, of the mono mix
// (L + R) / 2) and the features read from it. Blackman-Harris (4-term, −92 dB sidelobes) so that a tone's
// sidelobes never pass for partials and a parabola through three log-magnitude bins places a peak to a
// hundredth of a bin (analysis/pitch.ts). Centroid, rolloff and flatness are the usual one-line formulas,
// written here rather than taken from meyda, whose extractors work on one frame of its own buffer size.
import { nextPow2, powerSpectrum } from "./real_fft.ts";
import { powDb } from "./floor.ts";

/** An averaged one-sided power spectrum: bin k is k·sampleRate/n Hz. */
export interface Spectrum {
  /** Mean-square contribution per bin (Σ over bins = the mono mix's mean square, for a whole-band signal). */
  power: Float64Array;
  /** The FFT size. */
  n: number;
  /** Sample rate, Hz. */
  sampleRate: number;
  /** A sine centred on a bin puts toneScale⁻¹·A² into that bin: A² = toneScale · power[peak]. */
  toneScale: number;
  /** How many frames were averaged (1 for a window shorter than n): the more, the steadier a noise floor. */
  averages: number;
}

/** Centres of the ten octave bands, Hz (IEC 61260 nominal). */
export const OCTAVE_CENTRES: readonly number[] = [31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000];

/** The FFT size for `sampleRate`: about a third of a second (16384 at 44.1 and 48 kHz). */
export function spectrumSize(sampleRate: number): number {
  return nextPow2(Math.round(sampleRate / 3));
}

/** The averaged power spectrum of the mono mix of interleaved stereo (zero-padded when shorter than n). */
export function averageSpectrum(x: Float32Array, sampleRate: number): Spectrum {
  const n = spectrumSize(sampleRate), frames = x.length >> 1;
  const len = Math.min(n, frames), hop = len >> 2 || 1;
  const w = new Float64Array(len);
  let w2 = 0, w1 = 0;
  for (let i = 0; i < len; i++) {
    const t = (2 * Math.PI * i) / len;
    w[i] = 0.35875 - 0.48829 * Math.cos(t) + 0.14128 * Math.cos(2 * t) - 0.01168 * Math.cos(3 * t);
    w2 += w[i] * w[i];
    w1 += w[i];
  }
  const frame = new Float64Array(n), p = new Float64Array(n / 2 + 1), power = new Float64Array(n / 2 + 1);
  let count = 0;
  for (let from = 0; from + len <= frames; from += hop) {
    for (let i = 0; i < len; i++) frame[i] = 0.5 * (x[2 * (from + i)] + x[2 * (from + i) + 1]) * w[i];
    powerSpectrum(frame, p);
    for (let k = 0; k <= n / 2; k++) power[k] += p[k];
    count++;
  }
  // Parseval: Σ over all n bins of |Y|² = n·Σ(m·w)² ≈ n·w2·(mean square), so this makes bins hold mean square
  // (one-sided: ×2 but for DC); a sine of amplitude A puts A²/2 into its main lobe.
  const scale = count > 0 && w2 > 0 ? 2 / (count * n * w2) : 0;
  for (let k = 0; k <= n / 2; k++) power[k] *= scale;
  power[0] /= 2;
  // A sine of amplitude A centred on bin k: |Y_k| = A·Σw/2, so power[k] = A²·(Σw)² / (2·n·w2).
  return { power, n, sampleRate, toneScale: w1 > 0 ? (2 * n * w2) / (w1 * w1) : 0, averages: count };
}

/** Σ power over bins whose frequency lies in [lo, hi) Hz. */
export function bandPower(s: Spectrum, lo: number, hi: number): number {
  let e = 0;
  const k0 = Math.max(0, Math.ceil((lo * s.n) / s.sampleRate));
  const k1 = Math.min(s.n / 2, Math.ceil((hi * s.n) / s.sampleRate) - 1);
  for (let k = k0; k <= k1; k++) e += s.power[k];
  return e;
}

/** Spectral features: centroid, 85 % rolloff, flatness, octave bands (dB re a full-scale sine, i.e. 2·power). */
export function spectralFeatures(
  s: Spectrum,
): { centroidHz: number; rolloffHz: number; flatness: number; bands: { hz: number; db: number }[] } {
  const { power, n, sampleRate } = s, hz = sampleRate / n;
  let total = 0, moment = 0, logSum = 0, bins = 0;
  for (let k = 1; k <= n / 2; k++) {
    total += power[k];
    moment += k * hz * power[k];
  }
  let rolloffHz = 0;
  for (let k = 1, acc = 0; k <= n / 2 && total > 0; k++) {
    acc += power[k];
    if (acc >= 0.85 * total) {
      rolloffHz = k * hz;
      break;
    }
  }
  // Flatness: geometric over arithmetic mean of the power, bins 1 … n/2; a floor keeps log(0) out.
  const floor = total > 0 ? (total / (n / 2)) * 1e-12 : 0;
  for (let k = 1; k <= n / 2; k++, bins++) logSum += Math.log(power[k] + floor);
  const flatness = total > 0 ? Math.min(1, Math.exp(logSum / bins) / (total / bins + floor)) : 0;
  const bands = OCTAVE_CENTRES.map((c) => ({
    hz: c,
    db: powDb(2 * bandPower(s, c / Math.SQRT2, Math.min(c * Math.SQRT2, sampleRate / 2 + hz))),
  }));
  return { centroidHz: total > 0 ? moment / total : 0, rolloffHz, flatness, bands };
}
