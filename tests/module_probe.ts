// Raw offline rendering for module tests: like renderPatch, plus the count of non-finite samples the out
// module had to replace (the out module sanitizes, so the rendered audio alone cannot show a NaN).
import * as L from "../asm/layout.ts";
import { DspHost } from "../core/dsp_host.ts";
import { patchCommands, type PatchEvent } from "../patch/render.ts";
import type { PatchFile } from "../core/files.ts";
import { fft } from "../core/fft.ts";
import { dspModule } from "./helpers.ts";

/** Sample rate of every probe render. */
export const SR = 48000;

/** A rendered patch: left and right channels and how many samples `out` replaced because they were not finite. */
export interface Rendered {
  left: Float32Array;
  right: Float32Array;
  sanitized: number;
}

/** Renders `frames` frames of a patch (128-frame blocks, engine seed 1) and splits the channels. */
export function renderChannels(
  module: WebAssembly.Module,
  file: PatchFile,
  frames: number,
  events: readonly PatchEvent[] = [],
  sampleRate = SR,
): Rendered {
  const settings = { sampleRate, block: 128, seed: 1 };
  const host = new DspHost(module, settings);
  const cmds = patchCommands(file, events).sort((a, b) => a.frame - b.frame || a.seq - b.seq);
  const B = settings.block;
  const blocks = Math.ceil(frames / B);
  const left = new Float32Array(blocks * B), right = new Float32Array(blocks * B);
  let next = 0;
  for (let n = 0; n < blocks; n++) {
    for (; next < cmds.length && cmds[next].frame < (n + 1) * B; next++) host.push(cmds[next]);
    host.render(n);
    for (let i = 0; i < B; i++) {
      left[n * B + i] = host.out[i * L.CHANNELS];
      right[n * B + i] = host.out[i * L.CHANNELS + 1];
    }
  }
  return { left: left.subarray(0, frames), right: right.subarray(0, frames), sanitized: host.sanitized() };
}

/** renderChannels at 48 kHz with the DSP module compiled once. */
export async function renderRaw(
  file: PatchFile,
  frames: number,
  events: readonly PatchEvent[] = [],
): Promise<Rendered> {
  return renderChannels(await dspModule(), file, frames, events);
}

/** Largest |x|. */
export function peak(x: Float32Array): number {
  let p = 0;
  for (const v of x) p = Math.max(p, Math.abs(v));
  return p;
}

/** Mean of x. */
export function mean(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

/** Amplitude of the component at `hz` (a single DFT bin; exact for whole cycles over x). */
export function amplitude(x: Float32Array, hz: number): number {
  let re = 0, im = 0;
  const w = 2 * Math.PI * hz / SR;
  for (let i = 0; i < x.length; i++) {
    re += x[i] * Math.cos(w * i);
    im -= x[i] * Math.sin(w * i);
  }
  return 2 * Math.hypot(re, im) / x.length;
}

/** Total harmonic distortion: √(Σ harmonics 2…n²) / fundamental, harmonics below Nyquist, x holding whole cycles. */
export function thd(x: Float32Array, f0: number, n = 40): number {
  let s = 0;
  for (let h = 2; h <= n && h * f0 < SR / 2; h++) s += amplitude(x, h * f0) ** 2;
  return Math.sqrt(s) / amplitude(x, f0);
}

/**
 * Power spectrum (|X_k|², k = 0 … n/2) of the first n samples (n a power of two) under a 4-term Blackman–Harris
 * window (side lobes below −92 dB, main lobe ±4 bins), so leakage does not pass for aliasing.
 */
export function powerSpectrum(x: ArrayLike<number>, n: number): Float64Array {
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * i / n;
    re[i] = x[i] * (0.35875 - 0.48829 * Math.cos(t) + 0.14128 * Math.cos(2 * t) - 0.01168 * Math.cos(3 * t));
  }
  fft(re, im);
  const p = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) p[k] = re[k] * re[k] + im[k] * im[k];
  return p;
}

/**
 * Aliasing of a periodic signal with fundamental f0: power in bins more than `guard` bins away from every
 * harmonic below Nyquist (and from DC), over the power near the harmonics, in dB.
 */
export function aliasRatioDb(x: ArrayLike<number>, f0: number, n = 32768, guard = 8): number {
  const p = powerSpectrum(x, n);
  const binHz = SR / n;
  let harm = 0, alias = 0;
  for (let k = 1; k <= n / 2; k++) {
    const f = k * binHz;
    const h = Math.round(f / f0);
    const nearHarmonic = h >= 1 && Math.abs(f - h * f0) <= guard * binHz;
    if (nearHarmonic) harm += p[k];
    else if (k > guard) alias += p[k];
  }
  return 10 * Math.log10(alias / harm);
}
