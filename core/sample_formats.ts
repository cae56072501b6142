// Sample file formats: which one a file is, told by its first bytes (never by its name), and the compressed
// ones decoded. FLAC and Ogg Vorbis go through the @wasm-audio-decoders family (libFLAC and libvorbis compiled
// to WebAssembly, MIT), MP3 through mpg123-decoder (mpg123 compiled to WebAssembly; mpg123 is LGPL-2.1, the
// package is published MIT): the decoders audio-decode wraps, taken directly because their streaming calls let
// a decode stop as soon as its output passes the pool's room (audio-decode decodes a whole file at once; a
// small file that expands without bound must not take the worker's memory first). docs/samples.md has the
// licences. The decoders are async (they compile WebAssembly): callers are the sample worker
// (workers/sample_worker.ts) and the engine's start, never the audio path.
//
// Each decoder is checked against the file's own framing before its output is trusted: a FLAC stream must
// give the frames its STREAMINFO counts, an Ogg stream's pages must carry good checksums and end on the last
// page, an MP3's last frame must be whole. A decoder that reports an error refuses the file.

/** The formats a sample file can be (by content). */
export type SampleFormat = "wav" | "flac" | "ogg-vorbis" | "ogg-flac" | "ogg-opus" | "ogg" | "mp3";

/** What each format is called in messages. */
export const FORMAT_NAMES: Readonly<Record<SampleFormat, string>> = {
  wav: "WAV",
  flac: "FLAC",
  "ogg-vorbis": "Ogg Vorbis",
  "ogg-flac": "Ogg FLAC",
  "ogg-opus": "Ogg Opus",
  ogg: "Ogg (of an unknown codec)",
  mp3: "MPEG audio (MP3)",
};

/** The formats this engine reads, as messages list them. */
export const READABLE = "WAV, FLAC, MP3 or Ogg Vorbis";

const ascii = (b: Uint8Array, at: number, text: string) =>
  b.length >= at + text.length && [...text].every((c, i) => b[at + i] === c.charCodeAt(0));

// The ID3v2 tag's length at the start of `b` (header, body and footer), or 0 when there is none.
function id3Length(b: Uint8Array): number {
  if (!ascii(b, 0, "ID3") || b.length < 10) return 0;
  const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
  return 10 + size + (b[5] & 0x10 ? 10 : 0);
}

interface MpegFrame {
  /** Bytes of the frame, its header included. */
  bytes: number;
  /** Samples per channel it decodes to. */
  samples: number;
}

const MPEG_RATES = [[11025, 12000, 8000], [0, 0, 0], [22050, 24000, 16000], [44100, 48000, 32000]];
// kbit/s by [MPEG-1?][layer index 3 = I, 2 = II, 1 = III][bitrate index]
const MPEG1_KBPS = [
  [],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
];
const MPEG2_KBPS = [
  [],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
];

// The MPEG audio frame whose header starts at `at`, or undefined when none does (free format counts as none).
function mpegFrame(b: Uint8Array, at: number): MpegFrame | undefined {
  if (at + 4 > b.length || b[at] !== 0xff || (b[at + 1] & 0xe0) !== 0xe0) return undefined;
  const version = (b[at + 1] >> 3) & 3, layer = (b[at + 1] >> 1) & 3;
  const bitrate = b[at + 2] >> 4, rate = (b[at + 2] >> 2) & 3, padding = (b[at + 2] >> 1) & 1;
  if (version === 1 || layer === 0 || bitrate === 0 || bitrate === 15 || rate === 3) return undefined;
  const hz = MPEG_RATES[version][rate], mpeg1 = version === 3;
  const kbps = (mpeg1 ? MPEG1_KBPS : MPEG2_KBPS)[layer][bitrate] * 1000;
  if (layer === 3) return { bytes: (Math.floor((12 * kbps) / hz) + padding) * 4, samples: 384 };
  const samples = layer === 1 && !mpeg1 ? 576 : 1152;
  return { bytes: Math.floor((samples / 8) * kbps / hz) + padding, samples };
}

/** The format of a sample file's bytes, read from its first bytes; undefined when it is none of them. */
export function sniffFormat(b: Uint8Array): SampleFormat | undefined {
  if (ascii(b, 0, "RIFF") || ascii(b, 0, "RF64")) return "wav";
  if (ascii(b, 0, "fLaC")) return "flac";
  if (ascii(b, 0, "OggS")) {
    // The first page's first packet names the codec.
    const at = 27 + (b[26] ?? 0);
    if (ascii(b, at, "\x01vorbis")) return "ogg-vorbis";
    if (ascii(b, at, "OpusHead")) return "ogg-opus";
    if (ascii(b, at, "\x7fFLAC")) return "ogg-flac";
    return "ogg";
  }
  const tag = id3Length(b);
  if (tag > 0) return ascii(b, tag, "fLaC") ? "flac" : "mp3";
  if (mpegFrame(b, 0)) return "mp3";
  return undefined;
}

/** Decoded audio at the file's own rate. */
export interface PcmAudio {
  /** Channels (the caller refuses more than it plays). */
  channels: number;
  /** The file's rate in Hz. */
  sampleRate: number;
  /** Interleaved samples, frames × channels. */
  samples: Float32Array;
}

/** Why a compressed file cannot be read: a plain reason the caller puts after the file's name. */
export class FormatError extends Error {}

/** Why a file's decoded audio will not fit: the samples (per channel, at the file's rate) it reached. */
export class TooLongError extends Error {
  /** Frames decoded when it stopped (at the file's rate). */
  readonly frames: number;
  /** Channels. */
  readonly channels: number;
  /** The file's rate. */
  readonly sampleRate: number;

  /** Stopped after `frames` frames of `channels` at `sampleRate` Hz. */
  constructor(frames: number, channels: number, sampleRate: number) {
    super(`more than ${frames} frames`);
    this.frames = frames;
    this.channels = channels;
    this.sampleRate = sampleRate;
  }
}

// ---- framing checks ---------------------------------------------------------------------------------------

/** FLAC's STREAMINFO: the rate, channels, bits and total frames (0: not stated) it declares. */
export function flacStreamInfo(
  b: Uint8Array,
): { rate: number; channels: number; bits: number; frames: number } {
  const at = id3Length(b) + 4; // "fLaC", then the first metadata block, which must be STREAMINFO
  if (b.length < at + 38 || (b[at] & 0x7f) !== 0) throw new FormatError("no STREAMINFO block");
  const s = at + 4;
  const rate = (b[s + 10] << 12) | (b[s + 11] << 4) | (b[s + 12] >> 4);
  const channels = ((b[s + 12] >> 1) & 7) + 1;
  const bits = (((b[s + 12] & 1) << 4) | (b[s + 13] >> 4)) + 1;
  const frames = (b[s + 13] & 0x0f) * 2 ** 32 +
    ((b[s + 14] << 24) >>> 0) + (b[s + 15] << 16) + (b[s + 16] << 8) + b[s + 17];
  return { rate, channels, bits, frames };
}

const OGG_CRC = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/**
 * Walks an Ogg file's pages: each checksum must hold and the last page must end a stream (its end-of-stream
 * flag); returns the last page's granule position (the samples per channel of a Vorbis stream).
 */
export function checkOggPages(b: Uint8Array): number {
  let at = 0, granule = 0, pages = 0;
  while (at < b.length) {
    if (!ascii(b, at, "OggS") || at + 27 > b.length) {
      throw new FormatError(`no Ogg page at byte ${at} (page ${pages + 1}): the file is cut or damaged`);
    }
    const segments = b[at + 26];
    let body = 0;
    for (let i = 0; i < segments; i++) body += b[at + 27 + i] ?? 0;
    const end = at + 27 + segments + body;
    if (end > b.length) throw new FormatError(`it is cut short in Ogg page ${pages + 1}`);
    let crc = 0;
    for (let i = at; i < end; i++) {
      const byte = i >= at + 22 && i < at + 26 ? 0 : b[i]; // the checksum field counts as 0
      crc = ((crc << 8) ^ OGG_CRC[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
    }
    const stored = (b[at + 22] | (b[at + 23] << 8) | (b[at + 24] << 16) | (b[at + 25] << 24)) >>> 0;
    if (crc !== stored) {
      throw new FormatError(`Ogg page ${pages + 1}'s checksum is wrong: the file is damaged`);
    }
    const lo = (b[at + 6] | (b[at + 7] << 8) | (b[at + 8] << 16) | (b[at + 9] << 24)) >>> 0;
    const hi = (b[at + 10] | (b[at + 11] << 8) | (b[at + 12] << 16) | (b[at + 13] << 24)) >>> 0;
    if (hi !== 0xffffffff) granule = hi * 2 ** 32 + lo; // −1: no packet ends on this page
    pages++;
    // A chained file holds one stream after another: it is whole when the last page ends a stream.
    if (end === b.length && b[at + 5] & 4) return granule;
    at = end;
  }
  throw new FormatError("the Ogg stream has no last page: the file is cut short");
}

/**
 * Walks an MP3's frames from the first (after an ID3v2 tag): a frame that runs past the end of the file means
 * it was cut. Returns the frames' samples per channel, the rate and the channels (the first frame's mode:
 * mpg123-decoder answers a mono file in two equal channels); stops judging at anything that is not a
 * frame header (tags at the end, junk a decoder skips).
 */
export function checkMpegFrames(b: Uint8Array): { samples: number; rate: number; channels: number } {
  let at = id3Length(b), samples = 0, frames = 0, rate = 0, channels = 0;
  while (at < b.length) {
    const f = mpegFrame(b, at);
    if (!f) break;
    if (frames === 0) {
      rate = MPEG_RATES[(b[at + 1] >> 3) & 3][(b[at + 2] >> 2) & 3];
      channels = b[at + 3] >> 6 === 3 ? 1 : 2; // channel mode 3: single channel
    }
    if (at + f.bytes > b.length) {
      throw new FormatError(`it is cut short in MPEG frame ${frames + 1} (byte ${at} of ${b.length})`);
    }
    samples += f.samples;
    frames++;
    at += f.bytes;
  }
  if (frames === 0) throw new FormatError("no MPEG audio frame at its start");
  return { samples, rate, channels };
}

// ---- decoding ---------------------------------------------------------------------------------------------

/** What a streaming decoder from the @wasm-audio-decoders family answers for a chunk. */
interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth?: number;
  errors: { message: string }[];
}

/** Bytes fed to a decoder at a time: its output per call stays bounded (≈100 MB for FLAC's worst). */
const CHUNK = 4096;

// Feeds `bytes` in chunks, collecting the output and stopping once it passes `maxFrames`; `integers`: the
// decoder's output stands for integers of its bit depth (FLAC).
async function stream(
  bytes: Uint8Array,
  decode: (chunk: Uint8Array) => Decoded | Promise<Decoded>,
  flush: (() => Promise<Decoded>) | undefined,
  maxFrames: number,
  integers = false,
): Promise<PcmAudio> {
  const parts: Float32Array[][] = [];
  let frames = 0, channels = 0, rate = 0, bits = 0;
  const take = (d: Decoded) => {
    if (integers) bits ||= d.bitDepth ?? 0;
    if (d.errors.length) throw new FormatError(`the decoder found it damaged (${d.errors[0].message})`);
    if (d.samplesDecoded === 0) return;
    channels ||= d.channelData.length;
    rate ||= d.sampleRate;
    if (d.channelData.length !== channels || d.sampleRate !== rate) {
      throw new FormatError("its channels or rate change part way through");
    }
    parts.push(d.channelData.map((c) => c.slice(0, d.samplesDecoded)));
    frames += d.samplesDecoded;
    if (frames > maxFrames) throw new TooLongError(frames, channels, rate);
  };
  for (let at = 0; at < bytes.length; at += CHUNK) take(await decode(bytes.subarray(at, at + CHUNK)));
  if (flush) take(await flush());
  if (frames === 0) throw new FormatError("no audio in it");
  // libFLAC's wrapper scales an integer k of b bits to k / (2^(b−1) − 1); core/wav.ts reads k / 2^(b−1), as
  // is usual. Back to k (exact up to 24 bits: each k is recovered from its float32, checked for all k) and
  // to the WAV's scale, so a lossless file decodes to the same samples in either format.
  const toWav = bits >= 8 && bits <= 24
    ? (x: number) => Math.round(x * (2 ** (bits - 1) - 1)) / 2 ** (bits - 1)
    : undefined;
  const samples = new Float32Array(frames * channels);
  let f0 = 0;
  for (const part of parts) {
    const n = part[0].length;
    for (let c = 0; c < channels; c++) {
      const src = part[c];
      if (toWav) { for (let i = 0; i < n; i++) samples[(f0 + i) * channels + c] = toWav(src[i]); }
      else for (let i = 0; i < n; i++) samples[(f0 + i) * channels + c] = src[i];
    }
    f0 += n;
  }
  return { channels, sampleRate: rate, samples };
}

// The left channel of two: a mono file that a decoder answered in stereo stays mono.
function firstChannel(pcm: PcmAudio): PcmAudio {
  const samples = new Float32Array(pcm.samples.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = pcm.samples[2 * i];
  return { channels: 1, sampleRate: pcm.sampleRate, samples };
}

/**
 * Decodes a compressed sample file of `format` (sniffFormat) to interleaved float32 at its own rate, stopping
 * with TooLongError past `maxFrames` frames; FormatError for a cut, damaged or unreadable file (never a hang:
 * each decoder gets the bytes once and stops at their end).
 */
export async function decodeCompressed(
  bytes: Uint8Array,
  format: SampleFormat,
  maxFrames = Infinity,
): Promise<PcmAudio> {
  switch (format) {
    case "flac":
    case "ogg-flac": {
      let declared = 0;
      if (format === "flac") {
        const info = flacStreamInfo(bytes);
        if (info.channels > 2) throw new FormatError(`${info.channels} channels (the sampler plays 1 or 2)`);
        declared = info.frames;
      } else checkOggPages(bytes);
      const { FLACDecoder } = await import("@wasm-audio-decoders/flac");
      const d = new FLACDecoder();
      await d.ready;
      try {
        const out = await stream(bytes, (c) => d.decode(c), () => d.flush(), maxFrames, true);
        const frames = out.samples.length / out.channels;
        if (declared > 0 && frames !== declared) {
          // A damaged frame is dropped by the frame finder (codec-parser) without an error: it shows here.
          throw new FormatError(
            `it holds ${frames} of the ${declared} frames its STREAMINFO declares (cut short or damaged)`,
          );
        }
        return out;
      } finally {
        d.free();
      }
    }
    case "ogg-vorbis": {
      checkOggPages(bytes);
      const { OggVorbisDecoder } = await import("@wasm-audio-decoders/ogg-vorbis");
      const d = new OggVorbisDecoder();
      await d.ready;
      try {
        return await stream(bytes, (c) => d.decode(c), () => d.flush(), maxFrames);
      } finally {
        d.free();
      }
    }
    case "mp3": {
      const { channels } = checkMpegFrames(bytes);
      const { MPEGDecoder } = await import("mpg123-decoder");
      const d = new MPEGDecoder();
      await d.ready;
      try {
        const out = await stream(bytes, (c) => d.decode(c), undefined, maxFrames);
        return channels === 1 && out.channels === 2 ? firstChannel(out) : out;
      } finally {
        d.free();
      }
    }
    case "ogg-opus":
      throw new FormatError(`it is Ogg Opus, which is not read (${READABLE} are)`);
    case "ogg":
      throw new FormatError(`it is Ogg of a codec this engine does not read (${READABLE} are)`);
    case "wav":
      throw new Error("decodeCompressed: WAV is read by core/wav.ts");
  }
}
