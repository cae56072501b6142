// Offline rendering for the effect-module tests: the patch's stereo output as two channels, plus the count of
// non-finite samples the out module had to replace (the raw DSP output, before sanitizing, was finite iff 0).
import * as L from "../asm/layout.ts";
import { DspHost } from "../engine/dsp_host.ts";
import type { PatchFile } from "../patch/graph.ts";
import { patchCommands, type PatchEvent } from "../patch/render.ts";

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
  const settings = { sampleRate, block: 128, seed: 1 };
  const host = new DspHost(module, settings);
  const B = settings.block;
  const blocks = Math.ceil(frames / B);
  const Lc = new Float32Array(blocks * B), Rc = new Float32Array(blocks * B);
  const cmds = patchCommands(file, events).sort((a, b) => a.frame - b.frame || a.seq - b.seq);
  let next = 0;
  for (let n = 0; n < blocks; n++) {
    for (; next < cmds.length && cmds[next].frame < (n + 1) * B; next++) host.push(cmds[next]);
    host.render(n);
    for (let i = 0; i < B; i++) {
      Lc[n * B + i] = host.out[i * L.CHANNELS];
      Rc[n * B + i] = host.out[i * L.CHANNELS + 1];
    }
  }
  return { L: Lc.subarray(0, frames), R: Rc.subarray(0, frames), sanitized: host.sanitized() };
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
