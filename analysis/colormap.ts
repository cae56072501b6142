// The spectrogram's colour map: matplotlib's "inferno" (black through purple and orange to pale yellow),
// perceptually uniform and brighter with every step, so the loudest bin is also the brightest pixel.
import type { Rgb } from "./plot_raster.ts";

// Inferno at 0, 1/8 … 1 (matplotlib's _cm_listed.py table, sampled); the map interpolates between them.
const STOPS: readonly Rgb[] = [
  [0, 0, 4],
  [31, 12, 72],
  [85, 15, 109],
  [136, 34, 106],
  [186, 54, 85],
  [227, 89, 51],
  [249, 140, 10],
  [249, 201, 50],
  [252, 255, 164],
];

const LUT: readonly Rgb[] = Array.from({ length: 256 }, (_, i) => {
  const t = (i / 255) * (STOPS.length - 1), k = Math.min(STOPS.length - 2, Math.floor(t)), f = t - k;
  const a = STOPS[k], b = STOPS[k + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as unknown as Rgb;
});

/** The inferno colour of `t` in 0 … 1 (clamped; NaN is the darkest). */
export function inferno(t: number): Rgb {
  return LUT[t > 0 ? Math.min(255, Math.round(t * 255)) : 0];
}
