// A picture of a stretch of audio for people who would rather look than read: the waveform (each column's
// min and max of L above R), a spectrogram (log frequency, inferno colours in dB) and the momentary loudness
// over time (analysis/loudness.ts), one above the other on a shared time axis, in one PNG. The PNG encoder is
// npm:fast-png (MIT, pure JS, from image-js); the drawing is analysis/plot_raster.ts, the spectrogram
// analysis/stft.ts, the colours analysis/colormap.ts.
import { encode } from "fast-png";
import { inferno } from "./colormap.ts";
import { momentaryLoudness } from "./loudness.ts";
import { textWidth } from "./plot_font.ts";
import { Raster, type Rgb } from "./plot_raster.ts";
import { spectrogram } from "./stft.ts";

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

/** A rectangle of the image in pixels: columns [x, x + w), rows [y, y + h). */
export interface PanelRect {
  /** Left column. */
  x: number;
  /** Top row. */
  y: number;
  /** Width in columns. */
  w: number;
  /** Height in rows. */
  h: number;
}

/** Where each panel is drawn in an image of a given size (the panels share their columns: one time axis). */
export interface PlotLayout {
  /** Min and max per column, L in the upper half and R in the lower one. */
  waveform: PanelRect;
  /** Log frequency from SPECTRUM_LO_HZ (bottom) to the top frequency, time left to right. */
  spectrogram: PanelRect;
  /** Momentary loudness, LOUDNESS_MIN_LUFS (bottom) … 0 LUFS (top). */
  loudness: PanelRect;
}

/** The lowest frequency the spectrogram shows. */
export const SPECTRUM_LO_HZ: number = 20;
/** The loudness strip's floor (its bottom row) in LUFS; its top is 0 LUFS. */
export const LOUDNESS_MIN_LUFS: number = -60;
/** The loudness strip's line colour (tests find the line by it). */
export const LOUDNESS_COLOUR: Rgb = [120, 230, 140];

const BG: Rgb = [18, 18, 24], PANEL: Rgb = [0, 0, 4], GRID: Rgb = [60, 60, 72], LABEL: Rgb = [200, 200, 210];
const LEFT: Rgb = [110, 170, 255], RIGHT: Rgb = [255, 170, 90];
const FLOOR_DB = -100; // the spectrogram's darkest colour

/** The panels of a `width` × `height` plot. */
export function plotLayout(width: number, height: number): PlotLayout {
  const x = 56, w = Math.max(1, width - x - 12);
  const top = 30, bottom = height - 22, gap = 8;
  const room = Math.max(3, bottom - top - 2 * gap);
  const hw = Math.max(1, Math.round(room * 0.28)), hs = Math.max(1, Math.round(room * 0.47));
  const hl = Math.max(1, room - hw - hs);
  return {
    waveform: { x, y: top, w, h: hw },
    spectrogram: { x, y: top + hw + gap, w, h: hs },
    loudness: { x, y: top + hw + hs + 2 * gap, w, h: hl },
  };
}

/** The highest frequency the spectrogram shows at `sampleRate`: 20 kHz, or Nyquist below that. */
export function spectrumTopHz(sampleRate: number): number {
  return Math.min(20_000, sampleRate / 2);
}

/** The row of the spectrogram panel (from its top) where `hz` is drawn. */
export function frequencyRow(hz: number, panel: PanelRect, sampleRate: number): number {
  const lo = Math.log(SPECTRUM_LO_HZ), hi = Math.log(spectrumTopHz(sampleRate));
  return Math.floor((1 - (Math.log(hz) - lo) / (hi - lo)) * panel.h);
}

/** Draws interleaved stereo audio as PNG file bytes. */
export function plotPng(x: Float32Array, options: PlotOptions): Uint8Array {
  const width = Math.max(120, Math.floor(options.width ?? 1200));
  const height = Math.max(120, Math.floor(options.height ?? 800));
  const sr = options.sampleRate;
  if (!(sr > 0)) throw new RangeError(`Cannot plot: sample rate ${sr} is not positive`);
  const img = new Raster(width, height, BG);
  const layout = plotLayout(width, height);
  const frames = x.length >> 1, seconds = frames / sr;
  const title = `${options.title ?? "chronus"}  ${seconds.toFixed(2)} s  ${sr} Hz`;
  img.text(title, layout.waveform.x, 8, LABEL, 2);
  for (const p of Object.values(layout)) img.rect(p.x, p.y, p.w, p.h, PANEL);
  drawTimeAxis(img, layout, seconds); // first: the signal draws over its dotted lines
  drawWaveform(img, layout.waveform, x);
  drawSpectrogram(img, layout.spectrogram, x, sr);
  drawLoudness(img, layout.loudness, x, sr);
  return encode({ width, height, data: img.data, channels: 4, depth: 8 });
}

function drawWaveform(img: Raster, p: PanelRect, x: Float32Array): void {
  const frames = x.length >> 1, half = p.h / 2;
  for (const [ch, colour, y0] of [[0, LEFT, p.y], [1, RIGHT, p.y + half]] as const) {
    const mid = y0 + Math.floor(half / 2), amp = half / 2 - 1;
    img.hline(p.x, p.x + p.w - 1, mid, GRID);
    for (let c = 0; c < p.w; c++) {
      const a = Math.floor((c * frames) / p.w), b = Math.max(a + 1, Math.floor(((c + 1) * frames) / p.w));
      let lo = 0, hi = 0;
      for (let i = a; i < b && i < frames; i++) {
        const v = x[2 * i + ch];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const clip = (v: number) => Math.max(-1, Math.min(1, v));
      img.vline(p.x + c, mid - Math.round(clip(hi) * amp), mid - Math.round(clip(lo) * amp), colour);
    }
    img.text(ch === 0 ? "L" : "R", p.x - 12, mid - 3, colour);
  }
}

function drawSpectrogram(img: Raster, p: PanelRect, x: Float32Array, sr: number): void {
  const frames = x.length >> 1;
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) mono[i] = 0.5 * (x[2 * i] + x[2 * i + 1]);
  const size = 2048;
  const s = spectrogram(mono, p.w, size, FLOOR_DB);
  // Each row shows the strongest bin between its lower and upper frequency (at least the nearest bin).
  const lo = Math.log(SPECTRUM_LO_HZ), hi = Math.log(spectrumTopHz(sr));
  const hz = (row: number) => Math.exp(hi - (row / p.h) * (hi - lo));
  const bin = (f: number) => Math.min(s.bins - 1, Math.max(0, (f * size) / sr));
  const rows = Array.from({ length: p.h }, (_, r) => {
    const a = Math.round(bin(hz(r + 1))), b = Math.round(bin(hz(r)));
    return [Math.min(a, b), Math.max(a, b)];
  });
  for (let c = 0; c < p.w; c++) {
    const col = c * s.bins;
    for (let r = 0; r < p.h; r++) {
      let m = FLOOR_DB;
      for (let k = rows[r][0]; k <= rows[r][1]; k++) m = Math.max(m, s.db[col + k]);
      img.set(p.x + c, p.y + r, inferno((m - FLOOR_DB) / -FLOOR_DB));
    }
  }
  for (const f of [100, 1000, 10_000]) {
    if (f >= spectrumTopHz(sr)) continue;
    const r = p.y + frequencyRow(f, p, sr);
    img.hline(p.x - 4, p.x - 1, r, LABEL);
    const label = f >= 1000 ? `${f / 1000}k` : `${f}`;
    img.text(label, p.x - 6 - textWidth(label), r - 3, LABEL);
  }
  img.text("Hz", p.x - 6 - textWidth("Hz"), p.y, LABEL);
}

function drawLoudness(img: Raster, p: PanelRect, x: Float32Array, sr: number): void {
  const frames = x.length >> 1, seconds = frames / sr;
  const rowOf = (lufs: number) =>
    p.y + Math.round((Math.min(0, Math.max(LOUDNESS_MIN_LUFS, lufs)) / LOUDNESS_MIN_LUFS) * (p.h - 1));
  for (const l of [-20, -40]) {
    img.hline(p.x, p.x + p.w - 1, rowOf(l), GRID);
    img.text(`${l}`, p.x - 6 - textWidth(`${l}`), rowOf(l) - 3, LABEL);
  }
  img.text("LUFS", p.x - 6 - textWidth("LUFS"), p.y, LABEL);
  // One value per column at most, and no finer than 10 ms (a short clip) or coarser than 100 ms.
  const hop = Math.min(0.1, Math.max(0.01, seconds / p.w));
  const values = momentaryLoudness(x, sr, hop);
  // Value k covers the 400 ms window that ends at 0.4 s + k hops: drawn at that end, as a meter shows it.
  let prev: number | undefined;
  for (let c = 0; c < p.w; c++) {
    const t = ((c + 0.5) / p.w) * seconds;
    const k = Math.floor((t - 0.4) / hop + 1e-9);
    if (k < 0 || k >= values.length) {
      prev = undefined;
      continue;
    }
    const row = rowOf(values[k]);
    img.vline(p.x + c, prev ?? row, row, LOUDNESS_COLOUR);
    prev = row;
  }
}

function drawTimeAxis(img: Raster, layout: PlotLayout, seconds: number): void {
  const p = layout.loudness, y = p.y + p.h + 3;
  if (!(seconds > 0)) return;
  // A step of 1, 2 or 5 × 10^n seconds that gives at most ten ticks.
  const raw = seconds / 10, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let t = 0; t <= seconds + 1e-9; t += step) {
    const col = layout.waveform.x + Math.round((t / seconds) * (p.w - 1));
    for (const q of [layout.waveform, layout.loudness]) {
      for (let r = q.y; r < q.y + q.h; r += 4) img.set(col, r, GRID);
    }
    img.vline(col, y - 2, y, LABEL);
    const label = `${t.toFixed(decimals)}s`;
    img.text(label, Math.min(col - textWidth(label) / 2, img.width - textWidth(label) - 1), y + 3, LABEL);
  }
}
