// A short-time Fourier transform for pictures: one Hann-windowed FFT per column, centred on the column's time,
// as magnitudes in dB where a full-scale sine's peak bin is 0 dB. The FFT is npm:fft.js (MIT, radix-4, real
// input), which is several times faster than core/fft.ts's plain radix-2 on the thousand frames of a plot.
import FFT from "fft.js";

/** Magnitudes in dB: `columns` frames of `bins` values (bin k is k · sampleRate / size Hz). */
export interface Spectrogram {
  /** The FFT size (a power of two). */
  size: number;
  /** Values per column: size / 2 + 1. */
  bins: number;
  /** How many columns. */
  columns: number;
  /** Column-major: column c's bin k at c · bins + k, in dB, floored at `floorDb`. */
  db: Float32Array;
}

/**
 * The spectrogram of mono audio in `columns` frames of `size` samples (a power of two ≥ 4), each centred on
 * (c + 0.5) / columns of the signal (zeros beyond its ends).
 */
export function spectrogram(mono: Float32Array, columns: number, size = 2048, floorDb = -120): Spectrogram {
  const fft = new FFT(size);
  const bins = size / 2 + 1;
  const input = new Float64Array(size), out = fft.createComplexArray() as number[];
  const hann = Float64Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
  const db = new Float32Array(columns * bins);
  // A full-scale sine of amplitude 1 peaks at size / 4 through a Hann window.
  const scale = 4 / size;
  for (let c = 0; c < columns; c++) {
    const start = Math.round(((c + 0.5) / columns) * mono.length) - size / 2;
    for (let i = 0; i < size; i++) {
      const j = start + i;
      input[i] = j >= 0 && j < mono.length ? mono[j] * hann[i] : 0;
    }
    fft.realTransform(out, input);
    for (let k = 0; k < bins; k++) {
      const m = Math.hypot(out[2 * k], out[2 * k + 1]) * scale;
      db[c * bins + k] = Math.max(floorDb, 20 * Math.log10(m || 1e-30));
    }
  }
  return { size, bins, columns, db };
}
