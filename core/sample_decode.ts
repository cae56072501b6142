// Decoding a sample file for the pool, off the audio path: WAV (16/24/32-bit integer, 32/64-bit float,
// core/wav.ts) here, FLAC, MP3 and Ogg Vorbis through core/sample_formats.ts; the format is told by the file's
// first bytes, never by its name. Then resampled to the engine's rate with a band-limited (windowed-sinc)
// resampler. No npm resampler is used: the ones found (wave-resampler) run point-by-point over JavaScript
// arrays and carry no anti-aliasing test; this one is ~40 lines and tested.
import { createHash } from "node:crypto";
import { ClientError } from "./errors.ts";
import { DataDir } from "./sandbox.ts";
import { type DecodedSample, fullMessage, type Range, type WrittenSample } from "./sample_pool.ts";
import {
  decodeCompressed,
  FORMAT_NAMES,
  FormatError,
  type PcmAudio,
  READABLE,
  sniffFormat,
  TooLongError,
} from "./sample_formats.ts";
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

/** The error for a file this engine cannot read, `why` saying what is wrong with it. */
export function notReadable(file: string, why: string): ClientError {
  return new ClientError(`"${file}" is not a sample this engine reads: ${why}`);
}

// The checks every format's audio passes, then the resampling to the engine's rate.
function toEngineRate(pcm: PcmAudio, file: string, sampleRate: number): DecodedSample {
  if (pcm.sampleRate < 1000 || pcm.sampleRate > 768000) {
    throw notReadable(file, `its rate ${pcm.sampleRate} Hz is out of range (1000 … 768000)`);
  }
  if (pcm.channels > 2) throw notReadable(file, `${pcm.channels} channels (the sampler plays 1 or 2)`);
  if (pcm.samples.length < pcm.channels) throw notReadable(file, "no audio in it");
  for (let i = 0; i < pcm.samples.length; i++) {
    if (!Number.isFinite(pcm.samples[i])) throw notReadable(file, "it holds NaN or infinite samples");
  }
  const samples = resample(pcm.samples, pcm.channels, pcm.sampleRate, sampleRate);
  return {
    channels: pcm.channels,
    frames: samples.length / pcm.channels,
    samples,
    sourceRate: pcm.sampleRate,
  };
}

/**
 * Decodes a WAV file's bytes for the pool at `sampleRate` (the synchronous path: a score's line not decoded
 * ahead); throws ClientError naming `file`, also for a compressed file, which decodeSampleAsync reads.
 */
export function decodeSample(bytes: Uint8Array, file: string, sampleRate: number): DecodedSample {
  const format = sniffFormat(bytes);
  if (format && format !== "wav") {
    throw notReadable(
      file,
      `it is ${FORMAT_NAMES[format]}, which a score reads only when it was decoded ahead (deno task render ` +
        `does that for its score's files; a live engine reads ${READABLE})`,
    );
  }
  let wav;
  try {
    wav = readWav(bytes);
  } catch (e) {
    const why = (e as Error).message.replace(/^Cannot read WAV: /, "");
    throw notReadable(file, `${why} (it reads ${READABLE})`);
  }
  return toEngineRate(wav, file, sampleRate);
}

/**
 * Reads a job's file under the sandbox's rules (core/sandbox.ts: inside its root, a regular file, at most the
 * pool's free bytes) and hashes it (SHA-256, hex: the session log's check); ClientError when it cannot.
 */
export function readSampleFile(
  job: Pick<SampleJob, "root" | "path" | "room">,
): { bytes: Uint8Array; hash: string } {
  let bytes: Uint8Array;
  try {
    bytes = new DataDir(job.root).readBytes(job.path, job.room.free);
  } catch (e) {
    // The pool's free space is the cap: a bigger file cannot fit once decoded (4 bytes a sample, or more).
    const over = /(\d+) bytes, over the cap/.exec((e as Error).message);
    throw over ? new ClientError(fullMessage(Number(over[1]), job.room.free, job.room.capacity, true)) : e;
  }
  return { bytes, hash: createHash("sha256").update(bytes).digest("hex") };
}

/** Where a decode must stop: the pool's free bytes and capacity when the load began (its error's numbers). */
export interface DecodeRoom {
  /** Bytes free in the pool. */
  free: number;
  /** The pool's capacity in bytes. */
  capacity: number;
}

/**
 * Decodes a sample file's bytes of any format this engine reads (told by content) for the pool at
 * `sampleRate`; throws ClientError naming `file` for an unknown format, a cut or damaged file, or one whose
 * audio cannot fit `room` (a compressed file stops decoding there).
 */
export async function decodeSampleAsync(
  bytes: Uint8Array,
  file: string,
  sampleRate: number,
  room?: DecodeRoom,
): Promise<DecodedSample> {
  const format = sniffFormat(bytes);
  if (format === "wav") return decodeSample(bytes, file, sampleRate);
  if (!format) {
    throw notReadable(file, `its first bytes are none of the formats it reads (${READABLE})`);
  }
  // Frames at the file's rate that could fit at the engine's (4 bytes a sample, mono at best, no mip levels).
  const maxFrames = room ? room.free / 4 : Infinity;
  let pcm: PcmAudio;
  try {
    pcm = await decodeCompressed(bytes, format, maxFrames);
  } catch (e) {
    if (e instanceof TooLongError && room) {
      const bytes = Math.ceil((e.frames * e.channels * 4 * sampleRate) / e.sampleRate);
      throw new ClientError(fullMessage(bytes, room.free, room.capacity, true));
    }
    if (e instanceof FormatError || e instanceof TooLongError) {
      throw notReadable(file, `${FORMAT_NAMES[format]}: ${e.message}`);
    }
    // The decoder itself failed on these bytes (a WebAssembly trap, a parser's exception): still the file's.
    throw notReadable(file, `${FORMAT_NAMES[format]}: the decoder failed (${(e as Error).message})`);
  }
  return toEngineRate(pcm, file, sampleRate);
}

/** A sample file to read and decode: what a SampleLoader (patch/samples.ts) is given. */
export interface SampleJob {
  /** The directory sample files are read in (the sandbox's root: core/sandbox.ts DataDir). */
  root: string;
  /** The file's path there, checked (checkName): "samples/NAME", or NAME in a --samples directory. */
  path: string;
  /** Its name in the samples directory, for errors and the session log. */
  file: string;
  /** The engine's rate, which it is resampled to. */
  sampleRate: number;
  /** Find onset slices too. */
  onsets: boolean;
  /** The pool's room when the load began: a compressed file stops decoding past it. */
  room: DecodeRoom;
}

/**
 * What the engine tells the sample worker (workers/sample_worker.ts): the pool's memory (first), a file to
 * decode, where to write a decoded one (a range the control thread reserved), or to drop one (no room).
 */
export type SampleWorkerRequest =
  | { type: "pool"; memory: WebAssembly.Memory }
  | ({ type: "decode"; id: number } & SampleJob)
  | { type: "write"; id: number; range: Range }
  | { type: "drop"; id: number };

/** The sample worker's answers: the file's size once read, the bytes it needs decoded, its data written (and its file's hash), or why it failed. */
export type SampleWorkerReply =
  | { type: "read"; id: number; bytes: number }
  | { type: "size"; id: number; bytes: number }
  | { type: "written"; id: number; sample: WrittenSample; hash: string }
  | { type: "failed"; id: number; message: string; client: boolean };
