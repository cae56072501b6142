// WAV files: a streaming writer (32-bit float, interleaved) whose header is finalized on close, and a reader.

const HEADER_BYTES = 58; // RIFF + fmt (extensible-free WAVE_FORMAT_IEEE_FLOAT with cbSize) + fact + data

/** Streams interleaved float32 frames into a WAV file. */
export class WavWriter {
  readonly path: string;
  readonly channels: number;
  #file: Deno.FsFile;
  #buf: Uint8Array;
  #f32: Float32Array;
  #fill = 0; // floats in the buffer
  #frames = 0;
  #sampleRate: number;
  #header = new Uint8Array(HEADER_BYTES); // rewritten in place at each flush

  /** Creates (truncates) `path`; `bufferFrames` frames are written per system call. */
  constructor(path: string, sampleRate: number, channels: number, bufferFrames = 8192) {
    this.path = path;
    this.channels = channels;
    this.#sampleRate = sampleRate;
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.#buf = new Uint8Array(bufferFrames * channels * 4);
    this.#f32 = new Float32Array(this.#buf.buffer);
    this.#writeAll(header(sampleRate, channels, 0));
  }

  /** Frames written so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Appends interleaved samples (a whole number of frames). */
  write(samples: Float32Array): void {
    if (samples.length <= this.#f32.length - this.#fill) {
      // The usual case (a block at a time): copy without making a view.
      this.#f32.set(samples, this.#fill);
      this.#fill += samples.length;
      if (this.#fill === this.#f32.length) this.flush();
      this.#frames += samples.length / this.channels;
      return;
    }
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(samples.length - i, this.#f32.length - this.#fill);
      this.#f32.set(samples.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill === this.#f32.length) this.flush();
    }
    this.#frames += samples.length / this.channels;
  }

  /** Writes buffered samples and brings the header up to date, so a crash loses nothing written so far. */
  flush(): void {
    const bytes = this.#fill * 4;
    if (bytes > 0) this.#writeAll(bytes === this.#buf.length ? this.#buf : this.#buf.subarray(0, bytes));
    this.#fill = 0;
    const end = this.#file.seekSync(0, Deno.SeekMode.Current);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    this.#writeAll(header(this.#sampleRate, this.channels, this.#frames, this.#header));
    this.#file.seekSync(end, Deno.SeekMode.Start);
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

function header(sampleRate: number, channels: number, frames: number, into?: Uint8Array): Uint8Array {
  const dataBytes = frames * channels * 4;
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
  h.setUint16(20, 3, true); // IEEE float
  h.setUint16(22, channels, true);
  h.setUint32(24, sampleRate, true);
  h.setUint32(28, sampleRate * channels * 4, true);
  h.setUint16(32, channels * 4, true);
  h.setUint16(34, 32, true);
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
  sampleRate: number;
  channels: number;
  frames: number;
  samples: Float32Array;
}

/** Reads a 32-bit float or 16/24-bit PCM WAV file. */
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
      channels = v.getUint16(body + 2, true);
      sampleRate = v.getUint32(body + 4, true);
      bits = v.getUint16(body + 14, true);
    } else if (id === "data") {
      const n = Math.min(size, bytes.length - body);
      const width = bits / 8;
      const count = Math.floor(n / width);
      const samples = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const p = body + i * width;
        if (format === 3 && bits === 32) samples[i] = v.getFloat32(p, true);
        else if (bits === 16) samples[i] = v.getInt16(p, true) / 32768;
        else if (bits === 24) {
          samples[i] = ((v.getInt8(p + 2) << 16) | (v.getUint8(p + 1) << 8) | v.getUint8(p)) / 8388608;
        } else throw new TypeError(`Cannot read WAV: format ${format} with ${bits} bits is not supported`);
      }
      return { sampleRate, channels, frames: Math.floor(count / channels), samples };
    }
    off = body + size + (size & 1);
  }
  throw new TypeError("Cannot read WAV: no data chunk");
}
