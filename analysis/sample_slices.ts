// Onset slices of a sample, found when it loads (`sample load NAME FILE onsets`): the attacks analysis/onsets.ts
// finds in it, as frames, with frame 0 always first (an attack in the first ~21 ms is not reported by the
// detector, and a slice must start where the sample does). The sampler's `slice` k then plays from onset k to
// onset k + 1 (asm/modules/sampler.ts).
import * as L from "../asm/layout.ts";
import type { DecodedSample } from "../core/sample_pool.ts";
import { detectOnsets, spectralFlux } from "./onsets.ts";

/** The most onset slices kept (the sampler's `slice` reaches 255). */
export const MAX_ONSET_SLICES: number = L.POOL_SAMPLES;

/** The shortest onset slice, ms: closer attacks count as one. */
export const MIN_SLICE_MS = 20;

/** Slice starts in frames at `sampleRate`: 0, then each onset found (ascending, at most MAX_ONSET_SLICES). */
export function onsetSlices(s: DecodedSample, sampleRate: number): number[] {
  const stereo = new Float32Array(s.frames * 2);
  for (let i = 0; i < s.frames; i++) {
    stereo[2 * i] = s.samples[i * s.channels];
    stereo[2 * i + 1] = s.samples[i * s.channels + s.channels - 1];
  }
  const at = detectOnsets(stereo, spectralFlux(stereo, sampleRate)).map((t) => Math.round(t * sampleRate));
  // An attack within MIN_SLICE_MS of the slice before it is the same hit (the first hit's rise right after
  // frame 0, which the detector may place a few ms in).
  const min = Math.round((MIN_SLICE_MS / 1000) * sampleRate);
  const starts = [0];
  for (const f of at.filter((f) => f > 0 && f < s.frames).sort((a, b) => a - b)) {
    if (f - starts[starts.length - 1] >= min) starts.push(f);
  }
  return starts.slice(0, MAX_ONSET_SLICES);
}
