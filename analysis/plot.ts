// A picture of a stretch of audio for people who would rather look than read: waveform, spectrogram and
// loudness over time in one PNG. Being written (issue 13): the contract below is what callers use.

/** How to draw. */
export interface PlotOptions {
  /** Sample rate in Hz. */
  sampleRate: number;
  /** A title drawn at the top (the file or module name). */
  title?: string;
  /** Width in pixels (default 1200). */
  width?: number;
  /** Height in pixels (default 800). */
  height?: number;
}

/** Draws interleaved stereo audio as PNG file bytes. */
export function plotPng(_x: Float32Array, _options: PlotOptions): Uint8Array {
  throw new Error("plotPng is not written yet");
}
