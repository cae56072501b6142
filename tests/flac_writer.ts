// A minimal FLAC writer for tests: STREAMINFO, then frames of VERBATIM subframes (the samples as they are),
// each frame header with its CRC-8 and each frame with its CRC-16. A lossless round trip through any decoder
// must then give back the same integers. No npm FLAC encoder runs under Deno without a native build, and the
// tests must not depend on a command-line encoder being installed.

const BLOCK = 4096;

const RATE_CODES: Record<number, number> = {
  88200: 0b0001,
  176400: 0b0010,
  192000: 0b0011,
  8000: 0b0100,
  16000: 0b0101,
  22050: 0b0110,
  24000: 0b0111,
  32000: 0b1000,
  44100: 0b1001,
  48000: 0b1010,
  96000: 0b1011,
};

class Bits {
  #bytes: number[] = [];
  #acc = 0;
  #n = 0;

  /** Appends the low `width` bits of `value` (two's complement for negatives), most significant first. */
  put(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) {
      const bit = Math.floor(value / 2 ** i) & 1; // works for widths above 32 and for negatives mod 2^width
      this.#acc = (this.#acc << 1) | bit;
      if (++this.#n === 8) {
        this.#bytes.push(this.#acc);
        this.#acc = 0;
        this.#n = 0;
      }
    }
  }

  /** Pads with 0 bits to a whole byte. */
  align(): void {
    while (this.#n !== 0) this.put(0, 1);
  }

  get bytes(): number[] {
    return this.#bytes;
  }
}

function crc8(b: readonly number[], from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= b[i];
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(b: readonly number[], from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= b[i] << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

// FLAC's UTF-8-like coding of a frame number (up to 2^16 here).
function utf8(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

/**
 * A FLAC stream of interleaved integer samples `ints` (`channels` of them, `bits` 16 or 24 bits, at `rate`
 * Hz): STREAMINFO with the total, then VERBATIM frames of 4096 (the last shorter).
 */
export function encodeFlac(ints: Int32Array, channels: number, bits: 16 | 24, rate: number): Uint8Array {
  const frames = ints.length / channels;
  const out = new Bits();
  out.put(0x664c6143, 32); // "fLaC"
  out.put(1, 1); // the last metadata block
  out.put(0, 7); // STREAMINFO
  out.put(34, 24);
  out.put(BLOCK, 16);
  out.put(BLOCK, 16);
  out.put(0, 24); // frame sizes unknown
  out.put(0, 24);
  out.put(rate, 20);
  out.put(channels - 1, 3);
  out.put(bits - 1, 5);
  out.put(frames, 36);
  for (let i = 0; i < 4; i++) out.put(0, 32); // no MD5
  for (let f = 0, index = 0; f < frames; f += BLOCK, index++) {
    const n = Math.min(BLOCK, frames - f);
    const start = out.bytes.length;
    out.put(0b11111111111110, 14);
    out.put(0, 1);
    out.put(0, 1); // fixed block size
    out.put(0b0111, 4); // block size − 1 in 16 bits after the frame number
    // The rate in every frame header: the decoder gets frames without STREAMINFO (codec-parser finds them).
    const rateCode = RATE_CODES[rate] ?? 0b1101; // else 16 bits of Hz after the block size
    out.put(rateCode, 4);
    out.put(channels - 1, 4); // independent channels
    out.put(bits === 16 ? 0b100 : 0b110, 3);
    out.put(0, 1);
    for (const byte of utf8(index)) out.put(byte, 8);
    out.put(n - 1, 16);
    if (rateCode === 0b1101) out.put(rate, 16);
    out.put(crc8(out.bytes, start, out.bytes.length), 8);
    for (let c = 0; c < channels; c++) {
      out.put(0, 1);
      out.put(0b000001, 6); // VERBATIM
      out.put(0, 1); // no wasted bits
      for (let i = 0; i < n; i++) out.put(ints[(f + i) * channels + c], bits);
    }
    out.align();
    out.put(crc16(out.bytes, start, out.bytes.length), 16);
  }
  return new Uint8Array(out.bytes);
}

/** A 16-bit PCM WAV of interleaved integer samples (core/wav.ts writes float and 24-bit only). */
export function encodeWav16(ints: Int32Array, channels: number, rate: number): Uint8Array {
  const data = ints.length * 2;
  const b = new Uint8Array(44 + data);
  const v = new DataView(b.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => b[at + i] = c.charCodeAt(0));
  text(0, "RIFF");
  v.setUint32(4, 36 + data, true);
  text(8, "WAVE");
  text(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  text(36, "data");
  v.setUint32(40, data, true);
  for (let i = 0; i < ints.length; i++) v.setInt16(44 + 2 * i, ints[i], true);
  return b;
}
