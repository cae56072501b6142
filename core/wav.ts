// WAV files: a streaming writer (32-bit float or 24-bit PCM, interleaved) whose header is rewritten at each
// flush, so a file cut off after a flush is a valid WAV of everything flushed; and a reader.

const HEADER_BYTES = 58; // RIFF + fmt (18 bytes: the format, then cbSize 0) + fact + data

/** Sample formats the writer produces: IEEE float (exact) or 24-bit integer PCM (quantised, clipped). */
export type WavFormat = "float32" | "pcm24";

/** How a WavWriter writes. */
export interface WavWriterOptions {
  /** Sample format. Default "float32". */
  format?: WavFormat;
  /** Frames buffered between system calls; the header is brought up to date whenever they are written.
   * Default 8192. */
  bufferFrames?: number;
}

const PCM24_MAX = 8388607; // 2^23 − 1: the largest 24-bit sample, 1 − 2^-23 of full scale

/** Streams interleaved float32 frames into a WAV file. */
export class WavWriter {
  /** The file written (created or truncated by the constructor). */
  readonly path: string;
  /** Samples per frame (2 for Chronus's stereo output). */
  readonly channels: number;
  /** The sample format in the file ("float32" unless the options said otherwise). */
  readonly format: WavFormat;
  #file: Deno.FsFile;
  #buf: Uint8Array;
  #f32: Float32Array;
  #width: number; // bytes per sample in the file
  #cap: number; // samples the buffer holds
  #fill = 0; // samples in the buffer
  #frames = 0;
  #flushed = 0;
  #sampleRate: number;
  #header = new Uint8Array(HEADER_BYTES); // rewritten in place at each flush

  /** Creates (truncates) `path`; throws Deno's error when it cannot. */
  constructor(path: string, sampleRate: number, channels: number, options: WavWriterOptions = {}) {
    const bufferFrames = options.bufferFrames ?? 8192;
    this.path = path;
    this.channels = channels;
    this.format = options.format ?? "float32";
    this.#sampleRate = sampleRate;
    this.#width = this.format === "pcm24" ? 3 : 4;
    this.#cap = bufferFrames * channels;
    this.#buf = new Uint8Array(this.#cap * this.#width);
    // The float view is used only for float32 (a pcm24 buffer is 3 bytes a sample, not aligned to floats).
    this.#f32 = new Float32Array(this.#buf.buffer, 0, this.format === "float32" ? this.#cap : 0);
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.#writeAll(header(sampleRate, channels, 0, this.format));
  }

  /** Frames written so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Frames on disk with a header that counts them: what a crash of this process leaves readable. */
  get flushedFrames(): number {
    return this.#flushed;
  }

  /** Appends interleaved samples (a whole number of frames). */
  write(samples: Float32Array): void {
    if (this.format === "float32" && samples.length <= this.#cap - this.#fill) {
      // The usual case (a block at a time, the wav sink on the audio path): copy without making a view.
      this.#f32.set(samples, this.#fill);
      this.#fill += samples.length;
      this.#frames += samples.length / this.channels;
      if (this.#fill === this.#cap) this.flush();
      return;
    }
    for (let i = 0; i < samples.length;) {
      // Buffer and chunk are whole frames, so the header written by a flush here counts whole frames.
      const n = Math.min(samples.length - i, this.#cap - this.#fill);
      if (this.format === "float32") this.#f32.set(samples.subarray(i, i + n), this.#fill);
      else encodePcm24(samples, i, n, this.#buf, this.#fill * 3);
      this.#fill += n;
      this.#frames += n / this.channels;
      i += n;
      if (this.#fill === this.#cap) this.flush();
    }
  }

  /** Writes buffered samples, then brings the header up to date: a crash after this loses nothing so far. */
  flush(): void {
    const bytes = this.#fill * this.#width;
    if (bytes > 0) this.#writeAll(bytes === this.#buf.length ? this.#buf : this.#buf.subarray(0, bytes));
    this.#fill = 0;
    // The data goes first and the header (one write) after it, so the header never counts unwritten data.
    const end = this.#file.seekSync(0, Deno.SeekMode.Current);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    this.#writeAll(header(this.#sampleRate, this.channels, this.#frames, this.format, this.#header));
    this.#file.seekSync(end, Deno.SeekMode.Start);
    this.#flushed = this.#frames;
  }

  /** Flushes, finalizes the header and closes the file. */
  close(): void {
    this.flush();
    this.#file.close();
  }

  #writeAll(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(off === 0 ? bytes : bytes.subarray(off));
  }
}

/**
 * Quantises `n` samples from `src[from]` to 24-bit little-endian PCM at byte `dst[offset]`: rounded to the nearest
 * step (error ≤ half an LSB, 2^-24), clipped to [−1, 1 − 2^-23] (a WAV has no +1.0).
 */
export function encodePcm24(
  src: Float32Array,
  from: number,
  n: number,
  dst: Uint8Array,
  offset: number,
): void {
  for (let i = 0; i < n; i++) {
    let v = Math.round(src[from + i] * 8388608);
    if (v > PCM24_MAX) v = PCM24_MAX;
    else if (v < -8388608) v = -8388608;
    else if (v !== v) v = 0; // NaN (the engine never outputs one; a file must not hold garbage either)
    const p = offset + i * 3;
    dst[p] = v & 0xff;
    dst[p + 1] = (v >> 8) & 0xff;
    dst[p + 2] = (v >> 16) & 0xff;
  }
}

function header(
  sampleRate: number,
  channels: number,
  frames: number,
  format: WavFormat,
  into?: Uint8Array,
): Uint8Array {
  const width = format === "pcm24" ? 3 : 4;
  const dataBytes = frames * channels * width;
  const out = into ?? new Uint8Array(HEADER_BYTES);
  const h = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  const tag = (off: number, s: string) => {
    for (let i = 0; i < 4; i++) h.setUint8(off + i, s.charCodeAt(i));
  };
  tag(0, "RIFF");
  h.setUint32(4, HEADER_BYTES - 8 + dataBytes, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  h.setUint32(16, 18, true);
  h.setUint16(20, format === "pcm24" ? 1 : 3, true); // WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT
  h.setUint16(22, channels, true);
  h.setUint32(24, sampleRate, true);
  h.setUint32(28, sampleRate * channels * width, true);
  h.setUint16(32, channels * width, true);
  h.setUint16(34, width * 8, true);
  h.setUint16(36, 0, true);
  tag(38, "fact");
  h.setUint32(42, 4, true);
  h.setUint32(46, frames, true);
  tag(50, "data");
  h.setUint32(54, dataBytes, true);
  return out;
}

/** A decoded WAV file: interleaved float samples. */
export interface Wav {
  /** Sample rate in Hz, from the fmt chunk. */
  sampleRate: number;
  /** Samples per frame, from the fmt chunk. */
  channels: number;
  /** Whole frames decoded (a trailing partial frame is dropped). */
  frames: number;
  /** The samples, interleaved, as floats in −1 … 1 (frames × channels of them). */
  samples: Float32Array;
  /** Byte offset in the file where the data chunk's samples start. */
  dataOffset: number;
  /** The data chunk's size in bytes as its header declares it (a file cut off after a flush declares exactly
   * the bytes flushed; the file may hold more or fewer). */
  dataBytes: number;
}

/** Reads a 32/64-bit float or 16/24/32-bit PCM WAV file (plain or WAVE_FORMAT_EXTENSIBLE). */
export function readWav(bytes: Uint8Array): Wav {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (off: number) => String.fromCharCode(...bytes.subarray(off, off + 4));
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new TypeError("Cannot read WAV: not a RIFF/WAVE file");
  let off = 12;
  let format = 0, channels = 0, sampleRate = 0, bits = 0;
  while (off + 8 <= bytes.length) {
    const id = tag(off);
    const size = v.getUint32(off + 4, true);
    const body = off + 8;
    if (id === "fmt ") {
      format = v.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format === 0xfffe && size >= 26) format = v.getUint16(body + 24, true);
      channels = v.getUint16(body + 2, true);
      sampleRate = v.getUint32(body + 4, true);
      bits = v.getUint16(body + 14, true);
    } else if (id === "data") {
      const n = Math.min(size, bytes.length - body);
      const width = bits / 8;
      const known = (format === 1 && (bits === 16 || bits === 24 || bits === 32)) ||
        (format === 3 && (bits === 32 || bits === 64));
      if (!known || channels < 1) {
        throw new TypeError(
          `Cannot read WAV: format ${format} with ${bits} bits and ${channels} channels is not supported`,
        );
      }
      const frames = Math.floor(n / (width * channels));
      const count = frames * channels;
      const samples = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const p = body + i * width;
        if (format === 3 && bits === 32) samples[i] = v.getFloat32(p, true);
        else if (format === 3) samples[i] = v.getFloat64(p, true);
        else if (bits === 32) samples[i] = v.getInt32(p, true) / 2147483648;
        else if (bits === 16) samples[i] = v.getInt16(p, true) / 32768;
        else if (bits === 24) {
          samples[i] = ((v.getInt8(p + 2) << 16) | (v.getUint8(p + 1) << 8) | v.getUint8(p)) / 8388608;
        } else throw new TypeError(`Cannot read WAV: format ${format} with ${bits} bits is not supported`);
      }
      return { sampleRate, channels, frames, samples, dataOffset: body, dataBytes: size };
    }
    off = body + size + (size & 1);
  }
  throw new TypeError("Cannot read WAV: no data chunk");
}
