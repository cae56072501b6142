// Signal measurements for the DSP tests: pitch from zero crossings, spectra from an FFT, levels in dB.
import { fft } from "../core/fft.ts";

export { fft };

/** Every `stride`-th sample starting at `offset` (one channel of interleaved audio). */
export function channel(x: Float32Array, ch = 0, stride = 2): Float64Array {
  const out = new Float64Array(Math.floor(x.length / stride));
  for (let i = 0; i < out.length; i++) out[i] = x[i * stride + ch];
  return out;
}

/** Frequency from rising zero crossings, interpolated between samples (mean removed first). */
export function zeroCrossingHz(x: ArrayLike<number>, sampleRate: number, from = 0, to = x.length): number {
  let mean = 0;
  for (let i = from; i < to; i++) mean += x[i];
  mean /= to - from;
  let first = -1, last = -1, count = 0;
  for (let i = from + 1; i < to; i++) {
    const a = x[i - 1] - mean, b = x[i] - mean;
    if (a <= 0 && b > 0) {
      const t = i - 1 + a / (a - b);
      if (first < 0) first = t;
      last = t;
      count++;
    }
  }
  return ((count - 1) * sampleRate) / (last - first);
}

/** Cents between two frequencies. */
export function cents(f: number, ref: number): number {
  return 1200 * Math.log2(f / ref);
}

/** Magnitude spectrum (Blackman-Harris window, n = 2^k samples from `from`); bin k is k·sr/n Hz. */
export function spectrum(x: ArrayLike<number>, n: number, from = 0): Float64Array {
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / (n - 1);
    const w = 0.35875 - 0.48829 * Math.cos(t) + 0.14128 * Math.cos(2 * t) - 0.01168 * Math.cos(3 * t);
    re[i] = x[from + i] * w;
  }
  fft(re, im);
  const mag = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) mag[k] = Math.hypot(re[k], im[k]);
  return mag;
}

/** Power of a signal in a frequency band [lo, hi) Hz, from a magnitude spectrum. */
export function bandPower(mag: Float64Array, sampleRate: number, lo: number, hi: number): number {
  const n = mag.length * 2;
  let p = 0;
  for (let k = Math.ceil((lo * n) / sampleRate); k < Math.min(mag.length, (hi * n) / sampleRate); k++) {
    p += mag[k] ** 2;
  }
  return p;
}

/** Amplitude of a sinusoid of frequency f (Goertzel over x[from, to), normalised to peak amplitude). */
export function toneAmplitude(
  x: ArrayLike<number>,
  f: number,
  sampleRate: number,
  from = 0,
  to = x.length,
): number {
  const w = (2 * Math.PI * f) / sampleRate;
  let re = 0, im = 0;
  for (let i = from; i < to; i++) {
    re += x[i] * Math.cos(w * i);
    im -= x[i] * Math.sin(w * i);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

/** 20·log10. */
export function db(x: number): number {
  return 20 * Math.log10(x);
}

/** Largest |x|. */
export function peak(x: ArrayLike<number>): number {
  let p = 0;
  for (let i = 0; i < x.length; i++) p = Math.max(p, Math.abs(x[i]));
  return p;
}

/** Root mean square over [from, to). */
export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}
