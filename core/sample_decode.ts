// Decoding a sample file for the pool, off the audio path: WAV (16/24/32-bit integer, 32/64-bit float,
// core/wav.ts), resampled to the engine's rate with a band-limited (windowed-sinc) resampler. FLAC, MP3 and
// Ogg are not read yet (see docs/samples.md). No npm resampler is used: the ones found (wave-resampler) run
// point-by-point over JavaScript arrays and carry no anti-aliasing test; this one is ~40 lines and tested.
import { ClientError } from "./errors.ts";
import type { DecodedSample } from "./sample_pool.ts";
import { readWav } from "./wav.ts";

/** Zero crossings of the resampling kernel on each side (its length is 2·ZEROS / cut taps). */
const ZEROS = 32;
/** Where the pass band ends, as a fraction of the lower Nyquist: flat below ~0.85, −90 dB from 1.0 up. */
const CUT = 0.9;
/** Kernel table points per source frame (linear interpolation between them). */
const TABLE_STEPS = 512;

// Kaiser window of shape β at x in [−1, 1] (I0 by its series).
function i0(x: number): number {
  let sum = 1, term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}
const BETA = 9; // about −90 dB side lobes

/** The kernel cut·sinc(cut·d)·kaiser(d/half) for d = 0 … half source frames, TABLE_STEPS a frame. */
function kernelTable(cut: number, half: number): Float64Array {
  const n = Math.ceil(half * TABLE_STEPS) + 2;
  const t = new Float64Array(n);
  const norm = i0(BETA);
  for (let j = 0; j < n; j++) {
    const d = j / TABLE_STEPS;
    if (d >= half) break;
    const x = d * cut;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = d / half;
    t[j] = cut * sinc * i0(BETA * Math.sqrt(1 - r * r)) / norm;
  }
  return t;
}

/**
 * Resamples interleaved `src` (`ch` channels) from rate `from` to rate `to` with a Kaiser-windowed sinc cut at
 * 0.9 of the lower Nyquist: nothing above the target's Nyquist folds back above −80 dB
 * (tests/samples_test.ts measures it).
 */
export function resample(src: Float32Array, ch: number, from: number, to: number): Float32Array {
  if (from === to) return src;
  const frames = src.length / ch;
  const ratio = to / from;
  const outFrames = Math.round(frames * ratio);
  const out = new Float32Array(outFrames * ch);
  const cut = CUT * Math.min(1, ratio); // cutoff in source Nyquists
  const half = ZEROS / cut; // kernel half-width in source frames
  const table = kernelTable(cut, half);
  const acc = new Float64Array(ch);
  for (let n = 0; n < outFrames; n++) {
    const t = n / ratio; // position in source frames
    const first = Math.max(0, Math.ceil(t - half)), last = Math.min(frames - 1, Math.floor(t + half));
    acc.fill(0);
    for (let i = first; i <= last; i++) {
      const p = Math.abs(i - t) * TABLE_STEPS, j = Math.floor(p), f = p - j;
      const h = table[j] + f * (table[j + 1] - table[j]);
      for (let c = 0; c < ch; c++) acc[c] += src[i * ch + c] * h;
    }
    for (let c = 0; c < ch; c++) out[n * ch + c] = acc[c];
  }
  return out;
}

/** Decodes a sample file's bytes for the pool at `sampleRate`; throws ClientError naming `file`. */
export function decodeSample(bytes: Uint8Array, file: string, sampleRate: number): DecodedSample {
  let wav;
  try {
    wav = readWav(bytes);
  } catch (e) {
    const why = (e as Error).message.replace(/^Cannot read WAV: /, "");
    throw new ClientError(
      `${file}: not a WAV file this engine reads (${why}; WAV 16/24/32-bit or float only)`,
    );
  }
  if (wav.sampleRate < 1000 || wav.sampleRate > 768000) {
    throw new ClientError(`${file}: sample rate ${wav.sampleRate} Hz is out of range (1000 … 768000)`);
  }
  if (wav.channels > 2) throw new ClientError(`${file}: ${wav.channels} channels (the sampler plays 1 or 2)`);
  if (wav.frames < 1) throw new ClientError(`${file}: no audio in it`);
  for (let i = 0; i < wav.samples.length; i++) {
    if (!Number.isFinite(wav.samples[i])) throw new ClientError(`${file}: holds NaN or infinite samples`);
  }
  const samples = resample(wav.samples, wav.channels, wav.sampleRate, sampleRate);
  return {
    channels: wav.channels,
    frames: samples.length / wav.channels,
    samples,
    sourceRate: wav.sampleRate,
  };
}

/** What the engine asks the sample worker (workers/sample_worker.ts): decode a file's bytes. */
export interface SampleDecodeRequest {
  /** The request's number, echoed in the reply. */
  id: number;
  /** The file's bytes (transferred). */
  bytes: Uint8Array;
  /** Its name in the samples directory, for errors. */
  file: string;
  /** The engine's rate, which it is resampled to. */
  sampleRate: number;
  /** Find onset slices too. */
  onsets: boolean;
}

/** The sample worker's answer: the decoded sample with its mip levels, or why it could not be decoded. */
export type SampleDecodeReply =
  | { id: number; ok: true; sample: DecodedSample }
  | { id: number; ok: false; message: string; client: boolean };
