// The listening report: what a stretch of the output sounds like, measured. Pure functions of interleaved
// stereo samples, off the audio path (the analysis worker, the offline render, the MCP preview). The report is
// plain JSON: a level that has no finite value in dB (silence) is the floor, FLOOR_DB; a measure that does not
// exist for the signal (no pitch, no tempo) is null or an empty list.
// The implementation is being written (issue 13); the interface below is the contract its callers use.

/** dB values are floored here: silence is −120 dB, never −Infinity (JSON has no infinities). */
export const FLOOR_DB: number = -120;

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

/** Analyses interleaved stereo samples (L, R, L, R …). */
export function analyze(x: Float32Array, options: AnalyzeOptions): Analysis {
  const frames = x.length >> 1;
  const db = (v: number) => Math.max(FLOOR_DB, 20 * Math.log10(v || 1e-30));
  const sum = [0, 0], peak = [0, 0];
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < 2; c++) {
      const v = x[2 * i + c];
      sum[c] += v * v;
      peak[c] = Math.max(peak[c], Math.abs(v));
    }
  }
  const rms = sum.map((s) => Math.sqrt(s / Math.max(1, frames)));
  return {
    window: { startFrame: options.startFrame ?? 0, frames, seconds: frames / options.sampleRate },
    lufs: null,
    lufsShort: null,
    truePeakDb: db(Math.max(...peak)),
    rmsDb: [db(rms[0]), db(rms[1])],
    crestDb: 0,
    clipped: 0,
    silent: Math.max(...peak) < 10 ** (-90 / 20),
    dcOffset: [0, 0],
    correlation: 0,
    centroidHz: 0,
    rolloffHz: 0,
    flatness: 0,
    bands: [],
    pitches: [],
    chroma: new Array(12).fill(0),
    key: null,
    onsets: [],
    bpm: null,
    ...(options.sequencerBpm !== undefined ? { sequencerBpm: options.sequencerBpm } : {}),
    ...(options.limiterDb !== undefined ? { limiterDb: options.limiterDb } : {}),
  };
}
