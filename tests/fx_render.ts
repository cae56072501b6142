// Offline rendering for the effect-module tests: the patch's stereo output as two channels, plus the count of
// non-finite samples the out module had to replace (the raw DSP output, before sanitizing, was finite iff 0).
import type { PatchFile } from "../core/files.ts";
import type { PatchEvent } from "../patch/render.ts";
import { renderChannels } from "./module_probe.ts";

/** The sample rate the effect tests render at unless they say otherwise. */
export const SR = 48000;

/** A rendered patch: the left and right channels and how many samples `out` found non-finite. */
export interface Stereo {
  L: Float32Array;
  R: Float32Array;
  sanitized: number;
}

/** Renders `frames` frames of a patch with timed events (at 128-frame blocks, engine seed 1). */
export function renderStereo(
  module: WebAssembly.Module,
  file: PatchFile,
  frames: number,
  events: readonly PatchEvent[] = [],
  sampleRate = SR,
): Stereo {
  const r = renderChannels(module, file, frames, events, sampleRate);
  return { L: r.left, R: r.right, sanitized: r.sanitized };
}

/** Sum of squares of x over [from, to). */
export function energy(x: Float32Array, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return e;
}

/**
 * Brightness of x over [from, to): energy of the first difference over energy. The first difference is a
 * high-pass (|H|² = 4·sin²(πf/sr)), so this is the power-weighted mean of 4·sin²(πf/sr): 0 for DC, 2 for white
 * noise, 4 at Nyquist. Low-passing a signal lowers it.
 */
export function brightness(x: Float32Array, from = 0, to = x.length): number {
  let d = 0, e = 0;
  for (let i = from + 1; i < to; i++) {
    d += (x[i] - x[i - 1]) ** 2;
    e += x[i] * x[i];
  }
  return d / e;
}

/** Index of the largest |x| in [from, to). */
export function peakIndex(x: Float32Array, from = 0, to = x.length): number {
  let best = from;
  for (let i = from; i < to; i++) if (Math.abs(x[i]) > Math.abs(x[best])) best = i;
  return best;
}

/** Largest |x| over the whole signal (Infinity or NaN propagate as NaN/Infinity). */
export function peak(x: Float32Array): number {
  let p = 0;
  for (const v of x) {
    if (!Number.isFinite(v)) return NaN;
    p = Math.max(p, Math.abs(v));
  }
  return p;
}
