// Meters for /viz: peak and RMS per channel in dBFS, and an 8-band spectrum (octaves from 62.5 Hz, the last
// band up to Nyquist) in dB, from the most recent output. Runs on the main thread at 10 Hz, off the audio path.
import { fft } from "../core/fft.ts";

/** The meter values: levels [peakL, peakR, rmsL, rmsR] and spectrum (8 bands), dB, floored at −120. */
export interface Meters {
  /** [peakL, peakR, rmsL, rmsR] in dBFS, to 0.1 dB, floored at −120. */
  levels: number[];
  /** Energy of 8 octave bands from 62.5 Hz (the last one up to Nyquist) in dB, to 0.1 dB, floored at −120. */
  spectrum: number[];
}

const FLOOR = -120;
const db = (x: number) => Math.max(FLOOR, 20 * Math.log10(x || 1e-12));

/** Computes the meters of interleaved stereo audio. */
export function meters(x: Float32Array, sampleRate: number): Meters {
  const frames = x.length / 2;
  const peak = [0, 0], sum = [0, 0];
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < 2; c++) {
      const v = x[2 * i + c];
      peak[c] = Math.max(peak[c], Math.abs(v));
      sum[c] += v * v;
    }
  }
  const n = 1 << Math.floor(Math.log2(Math.max(frames, 2)));
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    re[i] = 0.5 * (x[2 * (frames - n + i)] + x[2 * (frames - n + i) + 1]) * w;
  }
  fft(re, im);
  const spectrum: number[] = [];
  for (let b = 0; b < 8; b++) {
    const lo = 62.5 * 2 ** b, hi = b === 7 ? sampleRate / 2 : lo * 2;
    let p = 0;
    for (let k = Math.ceil((lo * n) / sampleRate); k < Math.min(n / 2, (hi * n) / sampleRate); k++) {
      p += re[k] * re[k] + im[k] * im[k];
    }
    spectrum.push(Number((10 * Math.log10(Math.max(p * 4 / (n * n) / 0.375, 1e-12))).toFixed(1)));
  }
  const rms = sum.map((s) => Math.sqrt(s / Math.max(frames, 1)));
  return {
    levels: [...peak.map(db), ...rms.map(db)].map((v) => Number(v.toFixed(1))),
    spectrum: spectrum.map((v) => Math.max(FLOOR, v)),
  };
}
