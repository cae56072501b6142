// The listening report (analysis/) on signals whose answers are known: sines, seeded noise, the EBU Tech 3341
// loudness and true-peak cases we can synthesize, and patches rendered offline through the real DSP.
import assert from "node:assert/strict";
import { analyze, FLOOR_DB } from "../analysis/analyze.ts";
import { kWeightingFilters } from "../analysis/k_weighting.ts";
import {
  integratedLoudness,
  KEnergy,
  momentaryLoudness,
  momentaryOf,
  shortTermLoudness,
} from "../analysis/loudness.ts";
import { TRUE_PEAK_PHASES, truePeak } from "../analysis/true_peak.ts";
import { estimateKey } from "../analysis/key.ts";
import { compileDsp } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { scoreCommands } from "../cli/score.ts";
import type { PatchFile } from "../core/files.ts";

const module = await compileDsp();

/** A seeded PRNG (mulberry32), uniform in [−1, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Interleaved stereo of `seconds` from a per-frame generator of [left, right]. */
function stereo(sr: number, seconds: number, f: (i: number, t: number) => [number, number]): Float32Array {
  const n = Math.round(seconds * sr), x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) [x[2 * i], x[2 * i + 1]] = f(i, i / sr);
  return x;
}

/** A sine in both channels (or only left with `mono`), amplitude from dBFS (peak). */
function sine(sr: number, hz: number, dbfs: number, seconds: number, phase = 0, onlyLeft = false) {
  const a = 10 ** (dbfs / 20);
  return stereo(sr, seconds, (_, t) => {
    const v = a * Math.sin(2 * Math.PI * hz * t + phase);
    return [v, onlyLeft ? 0 : v];
  });
}

/** Concatenated 1 kHz stereo sine segments of [dBFS, seconds] (the Tech 3341 programmes), phase-continuous. */
function segments(sr: number, parts: [number, number][]): Float32Array {
  const total = parts.reduce((s, [, d]) => s + Math.round(d * sr), 0), x = new Float32Array(2 * total);
  let i = 0;
  for (const [dbfs, d] of parts) {
    const a = 10 ** (dbfs / 20);
    for (const end = i + Math.round(d * sr); i < end; i++) {
      x[2 * i] = x[2 * i + 1] = a * Math.sin((2 * Math.PI * 1000 * i) / sr);
    }
  }
  return x;
}

const near = (got: number | null, want: number, tol: number, what: string) =>
  assert.ok(got !== null && Math.abs(got - want) <= tol, `${what}: ${got} is not ${want} ± ${tol}`);

Deno.test("analysis: K-weighting at 48 kHz reproduces BS.1770-4's published biquads", () => {
  const [shelf, hp] = kWeightingFilters(48000);
  const want = [1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585];
  [...shelf.b, ...shelf.a].forEach((v, i) => near(v, want[i], 1e-8, `shelf coefficient ${i}`));
  assert.deepEqual(hp.b, [1, -2, 1]);
  near(hp.a[0], -1.99004745483398, 1e-8, "high-pass a1");
  near(hp.a[1], 0.99007225036621, 1e-8, "high-pass a2");
});

for (const sr of [48000, 44100]) {
  Deno.test(`analysis: a −20 dBFS 1 kHz sine in both channels is −20.0 LUFS; 0 dBFS in one is −3.01 (${sr} Hz)`, () => {
    const a = analyze(sine(sr, 1000, -20, 3), { sampleRate: sr });
    near(a.lufs, -20, 0.1, "integrated");
    near(a.lufsShort, -20, 0.1, "short-term");
    const m = momentaryLoudness(sine(sr, 1000, -20, 3), sr);
    assert.equal(m.length, 27);
    for (const v of m) near(v, -20, 0.1, "momentary");
    near(
      analyze(sine(sr, 1000, 0, 3, 0, true), { sampleRate: sr }).lufs,
      -3.01,
      0.05,
      "one channel at 0 dBFS",
    );
  });

  Deno.test(`analysis: EBU Tech 3341 cases 1–5 (integrated), 9 (short-term), 12 (momentary) at ${sr} Hz`, () => {
    const I = (parts: [number, number][]) => integratedLoudness(new KEnergy(segments(sr, parts), sr));
    // Case 1 and 2: a steady stereo sine, M, S and I all read its level.
    for (const [n, db] of [[1, -23], [2, -33]]) {
      const k = new KEnergy(segments(sr, [[db, 20]]), sr);
      near(integratedLoudness(k), db, 0.1, `case ${n} I`);
      near(shortTermLoudness(k), db, 0.1, `case ${n} S`);
      for (const v of momentaryOf(k)) near(v, db, 0.1, `case ${n} M`);
    }
    near(I([[-36, 10], [-23, 60], [-36, 10]]), -23, 0.1, "case 3 (relative gate)");
    near(I([[-72, 10], [-36, 10], [-23, 60], [-36, 10], [-72, 10]]), -23, 0.1, "case 4 (both gates)");
    near(I([[-26, 20], [-20, 20.1], [-26, 20]]), -23, 0.1, "case 5");
    // Case 9: 1.34 s at −20 dBFS, 1.66 s at −30 dBFS, five times; S is −23 ± 0.1 once 3 s have passed.
    const c9 = segments(
      sr,
      Array.from({ length: 5 }, () => [[-20, 1.34], [-30, 1.66]] as [number, number][]).flat(),
    );
    for (let end = 3; end <= 15; end += 0.25) {
      const k = new KEnergy(c9.subarray(0, 2 * Math.round(end * sr)), sr);
      near(shortTermLoudness(k), -23, 0.1, `case 9 S at ${end} s`);
    }
    // Case 12: 0.18 s at −20 dBFS, 0.22 s at −30 dBFS, 25 times; M is −23 ± 0.1 in every full 400 ms window.
    const c12 = segments(
      sr,
      Array.from({ length: 25 }, () => [[-20, 0.18], [-30, 0.22]] as [number, number][]).flat(),
    );
    for (const v of momentaryLoudness(c12, sr, 0.01)) near(v, -23, 0.1, "case 12 M");
  });
}

Deno.test("analysis: the true-peak filter is BS.1770-4 Annex 2's table (its DC gains, mirrored phases)", () => {
  // The Annex's table is not normalised per phase: its phases pass DC at 1.0016 and 0.9730.
  const dc = TRUE_PEAK_PHASES.map((p) => p.reduce((s, v) => s + v, 0));
  [1.0015869140625, 0.9730224609375, 0.9730224609375, 1.0015869140625].forEach((v, i) =>
    near(dc[i], v, 1e-12, `phase ${i}'s DC gain`)
  );
  assert.deepEqual([...TRUE_PEAK_PHASES[3]].reverse(), TRUE_PEAK_PHASES[0]);
  assert.deepEqual([...TRUE_PEAK_PHASES[2]].reverse(), TRUE_PEAK_PHASES[1]);
});

Deno.test("analysis: EBU Tech 3341 true-peak cases 15–19 (48 kHz, +0.2 / −0.4 dB) and 44.1 kHz", () => {
  const tp = (x: Float32Array) => 20 * Math.log10(truePeak(x));
  const cases: [number, number, number, number, number][] = [
    // case, amplitude, frequency (fraction of fs), phase (degrees), expected dBTP as Tech 3341 states it
    [15, 0.5, 1 / 4, 0, -6.0],
    [16, 0.5, 1 / 4, 45, -6.0],
    [17, 0.5, 1 / 6, 60, -6.0],
    [18, 0.5, 1 / 8, 67.5, -6.0],
    [19, 1.41, 1 / 4, 45, 3.0],
  ];
  for (const [n, amp, frac, deg, want] of cases) {
    for (const sr of [48000, 44100]) {
      const x = stereo(sr, 1, (i) => {
        const v = amp * Math.sin(2 * Math.PI * frac * i + (deg * Math.PI) / 180);
        return [v, v];
      });
      const got = tp(x);
      assert.ok(got <= want + 0.2 && got >= want - 0.4, `case ${n} at ${sr} Hz: ${got} dBTP, want ${want}`);
    }
  }
  // Case 19's samples never exceed 1.0 (sample peak 0 dBFS) while its true peak is +3 dBTP.
  const x = stereo(48000, 1, (i) => [1.41 * Math.sin(Math.PI / 2 * i + Math.PI / 4), 0]);
  assert.ok(Math.max(...x.map(Math.abs)) < 1.0);
  assert.equal(analyze(x, { sampleRate: 48000 }).clipped, 0);
});

for (const sr of [48000, 44100]) {
  Deno.test(`analysis: pitches read A4, C4 and +30 cents within 1 cent (${sr} Hz)`, () => {
    for (
      const [hz, note, cents] of [[440, "A4", 0], [261.63, "C4", 0], [
        440 * 2 ** (30 / 1200),
        "A4",
        30,
      ]] as const
    ) {
      const a = analyze(sine(sr, hz, -12, 2), { sampleRate: sr });
      assert.equal(a.pitches[0].note, note);
      near(
        a.pitches[0].cents,
        cents + (hz === 261.63 ? 1200 * Math.log2(261.63 / 261.6256) : 0),
        1,
        `${hz} Hz`,
      );
      near(a.pitches[0].db, -12, 0.1, `${hz} Hz level`);
      assert.equal(a.pitches.length, 1, "a pure sine has one partial");
      assert.ok(a.flatness < 0.01);
    }
  });
}

/** Kellet's refined pink filter on seeded white noise: −3 dB per octave (±0.05 dB above 10 Hz at 44.1 kHz). */
function pinkNoise(sr: number, seconds: number): Float32Array {
  const r = prng(7);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  return stereo(sr, seconds, () => {
    const w = r();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    const v = (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362) * 0.05;
    b6 = w * 0.115926;
    return [v, v];
  });
}

Deno.test("analysis: pink noise is flat per octave band (±1.5 dB, 63 Hz – 8 kHz); white rises 3 dB an octave", () => {
  const sr = 44100;
  const pink = analyze(pinkNoise(sr, 5), { sampleRate: sr }).bands.filter((b) => b.hz >= 63 && b.hz <= 8000);
  const mean = pink.reduce((s, b) => s + b.db, 0) / pink.length;
  for (const b of pink) near(b.db, mean, 1.5, `pink ${b.hz} Hz band`);
  const r = prng(3);
  const white = analyze(
    stereo(sr, 5, () => {
      const v = 0.3 * r();
      return [v, v];
    }),
    { sampleRate: sr },
  );
  const wb = white.bands.filter((b) => b.hz >= 63 && b.hz <= 8000);
  for (let i = 1; i < wb.length; i++) {
    near(wb[i].db - wb[i - 1].db, 3.01, 0.75, `white ${wb[i].hz} Hz over ${wb[i - 1].hz}`);
  }
  assert.ok(white.flatness > 0.8, `white noise flatness ${white.flatness}`);
  assert.deepEqual(white.pitches, [], "noise has no partials");
  assert.equal(white.key, null);
  assert.ok(white.centroidHz > 10000 && white.centroidHz < 12000, `white centroid ${white.centroidHz}`);
  near(white.rolloffHz, 0.85 * sr / 2, 200, "white rolloff");
});

Deno.test("analysis: silence, clipping, DC offset and correlation", () => {
  const s = analyze(new Float32Array(2 * 48000), { sampleRate: 48000, startFrame: 96000, sequencerBpm: 175 });
  assert.equal(s.silent, true);
  assert.equal(s.lufs, null);
  assert.equal(s.lufsShort, null);
  assert.deepEqual(s.pitches, []);
  assert.equal(s.key, null);
  assert.equal(s.bpm, null);
  assert.deepEqual(s.rmsDb, [FLOOR_DB, FLOOR_DB]);
  assert.equal(s.truePeakDb, FLOOR_DB);
  assert.equal(s.correlation, 0);
  assert.deepEqual(s.window, { startFrame: 96000, frames: 48000, seconds: 1 });
  assert.equal(s.sequencerBpm, 175);
  assert.doesNotThrow(() => JSON.stringify(s));
  assert.equal(analyze(sine(48000, 100, -95, 1), { sampleRate: 48000 }).silent, true);
  assert.equal(analyze(sine(48000, 100, -85, 1), { sampleRate: 48000 }).silent, false);

  const clip = analyze(sine(48000, 1000, 6, 0.01), { sampleRate: 48000 });
  let over = 0;
  for (const v of sine(48000, 1000, 6, 0.01)) if (Math.abs(v) >= 1) over++;
  assert.equal(clip.clipped, over);
  assert.ok(over > 0);

  const r = prng(11);
  const dc = analyze(stereo(48000, 1, () => [0.25 + 0.1 * r(), -0.125]), { sampleRate: 48000 });
  near(dc.dcOffset[0], 0.25, 0.002, "left DC");
  near(dc.dcOffset[1], -0.125, 1e-9, "right DC");

  const noise = () => stereo(48000, 1, () => [r(), r()]);
  const mono = sine(48000, 300, -6, 1);
  const inverted = stereo(48000, 1, (i) => [Math.sin(i / 10), -Math.sin(i / 10)]);
  near(analyze(mono, { sampleRate: 48000 }).correlation, 1, 1e-9, "mono");
  near(analyze(inverted, { sampleRate: 48000 }).correlation, -1, 1e-9, "inverted");
  near(analyze(noise(), { sampleRate: 48000 }).correlation, 0, 0.02, "independent noise");
  const crest = analyze(mono, { sampleRate: 48000 });
  near(crest.crestDb, 3.01, 0.01, "a sine's crest factor");
  near(crest.rmsDb[0], -9.01, 0.01, "a −6 dBFS sine's RMS");
});

/** Sines at the given notes (MIDI numbers) with weights, in both channels. */
function chord(notes: [number, number][], seconds = 2): Float32Array {
  return stereo(48000, seconds, (_, t) => {
    let v = 0;
    for (const [m, w] of notes) v += 0.1 * w * Math.sin(2 * Math.PI * 440 * 2 ** ((m - 69) / 12) * t);
    return [v, v];
  });
}

Deno.test("analysis: key of clear triads and scales (C major, A minor), and the chroma behind it", () => {
  const cMajor = analyze(chord([[60, 1], [64, 1], [67, 1]]), { sampleRate: 48000 });
  assert.equal(cMajor.key?.name, "C major");
  assert.deepEqual(cMajor.chroma.map((v) => v > 0.5 ? 1 : 0), [1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual(cMajor.pitches.map((p) => p.note).sort(), ["C4", "E4", "G4"]);
  assert.equal(analyze(chord([[57, 1], [60, 1], [64, 1]]), { sampleRate: 48000 }).key?.name, "A minor");
  // Scales: the tonic and fifth weigh most, as a melody that keeps returning to them.
  const scale = (tonic: number, steps: number[]) =>
    chord(steps.map((s) => [tonic + s, s === 0 ? 2 : s === 7 ? 1.5 : 1] as [number, number]));
  assert.equal(analyze(scale(60, [0, 2, 4, 5, 7, 9, 11]), { sampleRate: 48000 }).key?.name, "C major");
  assert.equal(analyze(scale(57, [0, 2, 3, 5, 7, 8, 11]), { sampleRate: 48000 }).key?.name, "A minor");
  assert.equal(estimateKey(new Array(12).fill(0)), null);
});

const kickPatch = (
  bpm: number,
  pattern: string,
  extra: Record<string, { pattern: string }> = {},
): PatchFile =>
  ({
    modules: { kick1: { type: "kick" }, hat1: { type: "hat" }, out1: { type: "out" } },
    connections: [["kick1", "out1.L"], ["kick1", "out1.R"], ["hat1", "out1.L", 0.5], ["hat1", "out1.R", 0.5]],
    sequence: {
      bpm,
      swing: 50,
      playing: true,
      tracks: {
        kick: { modules: ["kick1"], pattern },
        ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { modules: ["hat1"], ...v }])),
      },
    },
  }) as PatchFile;

/** Renders a patch with its sequence playing from frame 0 through the real DSP. */
function render(file: PatchFile, seconds: number, sr = 48000): Float32Array {
  return renderOffline(
    module,
    { sampleRate: sr, block: 128, seed: 1 },
    scoreCommands(file, "", sr, 128),
    Math.round(seconds * sr),
  );
}

Deno.test("analysis: onsets of a rendered kick pattern land within 5 ms of the sequencer's step frames", () => {
  const sr = 48000, bpm = 130, pattern = "x..x..x.x.x...x.";
  const F = (60 * sr) / (bpm * 4);
  const x = render(kickPatch(bpm, pattern), 4);
  const steps: number[] = [];
  for (let k = 0; Math.floor(k * F + 0.5) < x.length / 2 - 0.05 * sr; k++) {
    if (pattern[k % 16] === "x") steps.push(Math.floor(k * F + 0.5) / sr);
  }
  const got = analyze(x, { sampleRate: sr }).onsets;
  // The first step sounds at frame 0, before the first full flux frame: it cannot be detected (docs/listening.md).
  const want = steps.filter((t) => t > 0.025);
  assert.equal(got.length, want.length, `onsets ${got.map((t) => t.toFixed(4))}`);
  got.forEach((t, i) => near(t, want[i], 0.005, `onset ${i}`));
});

Deno.test("analysis: tempo of examples/dnb-175.json (8 bars) is 175 ± 1; a 120 BPM four-on-the-floor is 120 ± 1", () => {
  const dnb = JSON.parse(
    Deno.readTextFileSync(new URL("../examples/dnb-175.json", import.meta.url)),
  ) as PatchFile;
  const a = analyze(render(dnb, (8 * 4 * 60) / 175), { sampleRate: 48000, sequencerBpm: 175 });
  near(a.bpm?.value ?? null, 175, 1, "dnb");
  assert.ok(a.bpm!.confidence > 0.2, `confidence ${a.bpm!.confidence}`);
  assert.ok(a.lufs !== null && a.lufs < -5 && a.lufs > -30);
  const four = analyze(
    render(kickPatch(120, "x...x...x...x...", { hats: { pattern: "..x...x...x...x." } }), 8),
    {
      sampleRate: 48000,
    },
  );
  near(four.bpm?.value ?? null, 120, 1, "four on the floor");
});

Deno.test("analysis: tiny and odd windows give finite JSON (0, 1, 100 frames; 96 kHz)", () => {
  const finite = (v: unknown): boolean =>
    typeof v === "number"
      ? Number.isFinite(v)
      : Array.isArray(v)
      ? v.every(finite)
      : v && typeof v === "object"
      ? Object.values(v).every(finite)
      : true;
  for (const frames of [0, 1, 100, 1000]) {
    const x = stereo(48000, frames / 48000, (i) => [0.5 * Math.sin(i / 3), 0.25]);
    const a = analyze(x, { sampleRate: 48000 });
    assert.ok(finite(a), `${frames} frames: ${JSON.stringify(a)}`);
    assert.equal(a.window.frames, frames);
    assert.equal(a.lufs, null, "shorter than one 400 ms block");
  }
  const hi = analyze(sine(96000, 440, -6, 1), { sampleRate: 96000 });
  assert.equal(hi.pitches[0].note, "A4");
  near(analyze(sine(96000, 1000, -20, 1), { sampleRate: 96000 }).lufs, -20, 0.1, "96 kHz loudness");
  assert.throws(() => analyze(new Float32Array(4), { sampleRate: 0 }), RangeError);
});
