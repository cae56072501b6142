// The K-weighting of ITU-R BS.1770-4 (a high shelf for the head, then the RLB high-pass) at any sample rate.
// The standard publishes the two biquads for 48 kHz only; like libebur128 and pyloudnorm we derive them from
// their analog prototypes (shelf: f0 1681.97 Hz, gain 4.0 dB, Q 0.7072; high-pass: f0 38.135 Hz, Q 0.5003)
// with the bilinear transform, which reproduces the published 48 kHz coefficients (tests/analysis_test.ts).

/** A biquad's coefficients, a0 normalised to 1. */
export interface Biquad {
  /** Feed-forward b0, b1, b2. */
  b: [number, number, number];
  /** Feedback a1, a2 (a0 = 1). */
  a: [number, number];
}

/** The two K-weighting stages (shelf, then high-pass) at `sampleRate` Hz. */
export function kWeightingFilters(sampleRate: number): [Biquad, Biquad] {
  let K = Math.tan((Math.PI * 1681.974450955533) / sampleRate);
  let Q = 0.7071752369554196;
  const Vh = 10 ** (3.999843853973347 / 20), Vb = Vh ** 0.4996667741545416;
  let a0 = 1 + K / Q + K * K;
  const shelf: Biquad = {
    b: [(Vh + (Vb * K) / Q + K * K) / a0, (2 * (K * K - Vh)) / a0, (Vh - (Vb * K) / Q + K * K) / a0],
    a: [(2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0],
  };
  K = Math.tan((Math.PI * 38.13547087602444) / sampleRate);
  Q = 0.5003270373238773;
  a0 = 1 + K / Q + K * K;
  const highPass: Biquad = { b: [1, -2, 1], a: [(2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0] };
  return [shelf, highPass];
}

/**
 * The squares of one channel of interleaved stereo after K-weighting, as a running sum: out[i] is the sum of
 * the first i squared samples (out has frames + 1 entries), so any window's mean square is a difference.
 */
export function kWeightedEnergy(x: Float32Array, ch: number, sampleRate: number): Float64Array {
  const [s, h] = kWeightingFilters(sampleRate);
  const frames = x.length >> 1;
  const out = new Float64Array(frames + 1);
  // Direct form II transposed, both stages in locals (the loop idiom of ../shared/STYLE.md).
  let s1 = 0, s2 = 0, h1 = 0, h2 = 0, acc = 0;
  const [sb0, sb1, sb2] = s.b, [sa1, sa2] = s.a, [hb0, hb1, hb2] = h.b, [ha1, ha2] = h.a;
  for (let i = 0; i < frames; i++) {
    const v = x[2 * i + ch];
    const y = sb0 * v + s1;
    s1 = sb1 * v - sa1 * y + s2;
    s2 = sb2 * v - sa2 * y;
    const z = hb0 * y + h1;
    h1 = hb1 * y - ha1 * z + h2;
    h2 = hb2 * y - ha2 * z;
    acc += z * z;
    out[i + 1] = acc;
  }
  return out;
}
