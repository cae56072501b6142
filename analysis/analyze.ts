// The listening report: what a stretch of the output sounds like, measured. Pure functions of interleaved
// stereo samples, off the audio path (the analysis worker, the offline render, the MCP preview). The report is
// plain JSON: a level that has no finite value in dB (silence) is the floor, FLOOR_DB; a measure that does not
// exist for the signal (no pitch, no tempo) is null or an empty list. Each measure lives in its own module
// (loudness, true_peak, levels, spectrum, pitch, key, onsets, tempo); this one composes them. docs/listening.md
// defines every key, its units and how it was verified.
import { ampDb, FLOOR_DB, powDb } from "./floor.ts";
import { integratedLoudness, KEnergy, shortTermLoudness } from "./loudness.ts";
import { truePeak } from "./true_peak.ts";
import { levels } from "./levels.ts";
import { averageSpectrum, OCTAVE_CENTRES, spectralFeatures } from "./spectrum.ts";
import { chromaOf, spectralPeaks } from "./pitch.ts";
import { estimateKey } from "./key.ts";
import { detectOnsets, spectralFlux } from "./onsets.ts";
import { estimateTempo } from "./tempo.ts";

/** dB values are floored here: silence is −120 dB, never −Infinity (JSON has no infinities). */
export { FLOOR_DB };

/** What the caller knows besides the samples. */
export interface AnalyzeOptions {
  /** Sample rate in Hz. */
  sampleRate: number;
  /** The output frame of the first sample (the report's window.startFrame). Default 0. */
  startFrame?: number;
  /** The sequencer's tempo while it played the window (BPM), reported beside the estimate. */
  sequencerBpm?: number;
  /** The master limiter's gain reduction over the window (dB, ≤ 0), when the engine can say. */
  limiterDb?: number;
}

/** One strong partial. */
export interface Partial {
  /** Frequency in Hz (interpolated between FFT bins). */
  hz: number;
  /** The nearest equal-tempered note (A4 = 440 Hz), e.g. "A4", "C#3". */
  note: string;
  /** Cents from that note, −50 … +50. */
  cents: number;
  /** Level in dB relative to full scale (a full-scale sine is 0 dB). */
  db: number;
}

/** The report of one window. */
export interface Analysis {
  /** The frames analysed: [startFrame, startFrame + frames) of the output. */
  window: { startFrame: number; frames: number; seconds: number };
  /** Integrated loudness (ITU-R BS.1770-4 with EBU R128 gating), LUFS; null when every block is gated out. */
  lufs: number | null;
  /** Short-term loudness (the last 3 s, or the window when shorter), LUFS; null when silent. */
  lufsShort: number | null;
  /** True peak (4× oversampled, BS.1770-4 Annex 2), dBTP, floored at FLOOR_DB. */
  truePeakDb: number;
  /** RMS per channel [left, right], dBFS (a full-scale sine is −3.01), floored at FLOOR_DB. */
  rmsDb: [number, number];
  /** Sample peak over RMS, dB (the louder channel's); 0 for silence. */
  crestDb: number;
  /** Samples at or above full scale (|x| ≥ 1), both channels counted. */
  clipped: number;
  /** True when nothing in the window reaches −90 dBFS. */
  silent: boolean;
  /** Mean per channel [left, right], linear. */
  dcOffset: [number, number];
  /** L/R correlation −1 … 1 (1: mono; 0 for silence). */
  correlation: number;
  /** Spectral centroid, Hz (0 for silence). */
  centroidHz: number;
  /** The frequency below which 85 % of the spectral energy lies, Hz. */
  rolloffHz: number;
  /** Spectral flatness 0 … 1 (1: white noise; near 0: a few tones). */
  flatness: number;
  /** Octave bands 31.5 Hz … 16 kHz (ten bands, centres per IEC 61260), energy in dB. */
  bands: { hz: number; db: number }[];
  /** The strongest partials, loudest first (empty for silence or noise). */
  pitches: Partial[];
  /** Energy per pitch class C, C#, … B, normalised so that the largest is 1 (zeros for silence). */
  chroma: number[];
  /** The best-matching key ("F minor", "C major"), with a confidence 0 … 1; null when nothing is tonal. */
  key: { name: string; confidence: number } | null;
  /** Onset times in seconds from the window's start. */
  onsets: number[];
  /** The tempo estimate, BPM, with a confidence 0 … 1; null with fewer than four onsets. */
  bpm: { value: number; confidence: number } | null;
  /** The sequencer's tempo, when it was playing (AnalyzeOptions.sequencerBpm). */
  sequencerBpm?: number;
  /** The master limiter's gain reduction, dB (AnalyzeOptions.limiterDb). */
  limiterDb?: number;
}

/** The level below which a window is silent, dBFS (Analysis.silent). */
export const SILENT_DB: number = -90;

/** Analyses interleaved stereo samples (L, R, L, R …). */
export function analyze(x: Float32Array, options: AnalyzeOptions): Analysis {
  const sampleRate = options.sampleRate;
  if (!(sampleRate > 0)) throw new RangeError(`Cannot analyse: sample rate ${sampleRate} is not positive`);
  const frames = x.length >> 1;
  const lv = levels(x);
  const peak = Math.max(lv.peak[0], lv.peak[1]);
  const silent = !(peak >= 10 ** (SILENT_DB / 20));
  const rmsDb: [number, number] = [powDb(lv.meanSquare[0]), powDb(lv.meanSquare[1])];
  const louder = lv.meanSquare[0] >= lv.meanSquare[1] ? 0 : 1;
  const base = {
    window: { startFrame: options.startFrame ?? 0, frames, seconds: frames / sampleRate },
    rmsDb,
    crestDb: lv.meanSquare[louder] > 0 ? ampDb(lv.peak[louder]) - rmsDb[louder] : 0,
    clipped: lv.clipped,
    silent,
    dcOffset: lv.mean,
    correlation: lv.correlation,
    ...(options.sequencerBpm !== undefined ? { sequencerBpm: options.sequencerBpm } : {}),
    ...(options.limiterDb !== undefined ? { limiterDb: options.limiterDb } : {}),
  };
  if (silent) {
    return {
      ...base,
      lufs: null,
      lufsShort: null,
      truePeakDb: ampDb(peak),
      centroidHz: 0,
      rolloffHz: 0,
      flatness: 0,
      bands: OCTAVE_CENTRES.map((hz) => ({ hz, db: FLOOR_DB })),
      pitches: [],
      chroma: new Array(12).fill(0),
      key: null,
      onsets: [],
      bpm: null,
    };
  }
  const k = new KEnergy(x, sampleRate);
  const spectrum = averageSpectrum(x, sampleRate);
  const peaks = spectralPeaks(spectrum, 8);
  const chroma = chromaOf(spectrum);
  const flux = spectralFlux(x, sampleRate);
  const onsets = detectOnsets(x, flux);
  return {
    ...base,
    lufs: integratedLoudness(k),
    lufsShort: shortTermLoudness(k),
    truePeakDb: ampDb(truePeak(x)),
    ...spectralFeatures(spectrum),
    pitches: peaks.map((p) => ({ hz: p.hz, note: p.note, cents: p.cents, db: powDb(p.amp2) })),
    chroma,
    key: peaks.length > 0 ? estimateKey(chroma) : null,
    onsets,
    bpm: onsets.length >= 4 ? estimateTempo(flux.flux, flux.hop / sampleRate) : null,
  };
}
