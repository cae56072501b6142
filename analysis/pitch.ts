// The strongest partials of an averaged spectrum (analysis/spectrum.ts), their notes and a chroma vector.
// A partial is a local maximum of the power that stands above the median of the bins 5 … 32 away on either
// side (outside the Blackman-Harris main lobe of ±4 bins, so a tone's own skirt never counts) by 6, 10 or
// 20 dB as fewer frames were averaged (see spectralPeaks). Its frequency comes from a parabola through the log
// power of the three bins at the peak: for this window well under a tenth of a cent above 100 Hz
// (tests/analysis_test.ts). Note names come from @tonaljs/tonal (MIT), sharps, A4 = 440 Hz.
import { Midi } from "@tonaljs/tonal";
import type { Spectrum } from "./spectrum.ts";
import { powDb } from "./floor.ts";

/** A spectral peak: frequency (Hz), amplitude² of the sine it stands for, and its note. */
export interface Peak {
  /** Frequency, Hz (interpolated). */
  hz: number;
  /** The sine's amplitude squared (a full-scale sine is 1). */
  amp2: number;
  /** The nearest note, sharps (A4 = 440 Hz). */
  note: string;
  /** Cents from that note. */
  cents: number;
}

/** The Blackman-Harris main lobe's half-width, bins: a peak's neighbourhood starts beyond it. */
const LOBE = 5;
/** The neighbourhood's width on each side, bins (±~80 Hz at 48 kHz). */
const SIDE = 28;
/** Peaks more than this far below the strongest are left out, dB. */
const RANGE_DB = 40;

/** The nearest equal-tempered note name (sharps) and the cents from it, −50 … +50. */
export function noteOf(hz: number): { note: string; cents: number } {
  const midi = 69 + 12 * Math.log2(hz / 440);
  const m = Math.round(midi);
  return { note: Midi.midiToNoteName(m, { sharps: true }), cents: 100 * (midi - m) };
}

/** The highest partial reported, Hz: above the piano's top (4.19 kHz) peaks are timbre (hats), not notes. */
export const PITCH_MAX_HZ = 5000;

/** Up to `max` prominent peaks between 20 Hz and PITCH_MAX_HZ, strongest first. */
export function spectralPeaks(s: Spectrum, max = 8): Peak[] {
  const { power, n, sampleRate } = s, hz = sampleRate / n;
  const top = Math.min(n / 2 - 2, Math.floor(PITCH_MAX_HZ / hz));
  const candidates: number[] = [];
  for (let k = Math.max(2, Math.ceil(20 / hz)); k <= top; k++) {
    const p = power[k];
    if (p > 0 && p > power[k - 1] && p >= power[k + 1]) candidates.push(k);
  }
  candidates.sort((a, b) => power[b] - power[a]);
  const out: Peak[] = [];
  const strongest = candidates.length ? power[candidates[0]] : 0;
  const near: number[] = [];
  // An average of many frames has a steady floor (about ±1.5 dB over 16 frames or more): 6 dB clears it, 10 dB
  // over 8. A single frame's periodogram is exponentially distributed, and only 20 dB keeps its noise out
  // (p ≈ 1e-9 per bin).
  const prominence = s.averages >= 16 ? 6 : s.averages >= 8 ? 10 : 20;
  for (const k of candidates.slice(0, 8 * max)) {
    if (out.length >= max || power[k] < strongest * 10 ** (-RANGE_DB / 10)) break;
    near.length = 0;
    for (let d = LOBE; d < LOBE + SIDE; d++) {
      if (k - d >= 1) near.push(power[k - d]);
      if (k + d <= n / 2) near.push(power[k + d]);
    }
    near.sort((a, b) => a - b);
    const median = near[near.length >> 1];
    if (powDb(power[k]) - powDb(median) < prominence) continue;
    const a = Math.log(power[k - 1] || 1e-300), b = Math.log(power[k]), c = Math.log(power[k + 1] || 1e-300);
    const d = a - 2 * b + c < 0 ? (0.5 * (a - c)) / (a - 2 * b + c) : 0;
    const f = (k + d) * hz;
    const amp2 = s.toneScale * Math.exp(b - 0.25 * (a - c) * d);
    out.push({ hz: f, amp2, ...noteOf(f) });
  }
  return out;
}

/**
 * Energy per pitch class C … B, largest = 1: each bin from 50 Hz to 2 kHz adds the square root of its power
 * above the median of the ±32 bins around it (whitening: the hump of a kick or a noise bed adds nothing, the
 * partials standing on it do) to the pitch class nearest its frequency.
 */
export function chromaOf(s: Spectrum): number[] {
  const { power, n, sampleRate } = s, hz = sampleRate / n;
  const chroma = new Array(12).fill(0);
  const near: number[] = [];
  for (let k = Math.ceil(50 / hz); k <= Math.min(n / 2 - 1, Math.floor(2000 / hz)); k++) {
    if (!(power[k] > power[k - 1] || power[k] > power[k + 1])) continue; // valleys hold nothing above a median
    near.length = 0;
    for (let j = k - 32; j <= k + 32; j++) near.push(power[j]);
    near.sort((a, b) => a - b);
    const excess = power[k] - near[32];
    if (excess <= 0) continue;
    const pc = ((Math.round(69 + 12 * Math.log2((k * hz) / 440)) % 12) + 12) % 12;
    chroma[pc] += Math.sqrt(excess);
  }
  const max = Math.max(...chroma);
  return max > 0 ? chroma.map((v) => v / max) : chroma;
}
