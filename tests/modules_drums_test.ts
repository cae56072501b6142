// The drum voices (kick, snare, hat, clap; asm/modules/drum.ts and one file each), measured on rendered signal:
// 128-frame blocks, hits inside a block (frame 1000), seed 1.
import assert from "node:assert/strict";
import { compileDsp } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { type PatchEvent, renderPatch } from "../patch/render.ts";
import { moduleDef } from "../patch/schema.ts";
import { renderChannels } from "./module_probe.ts";
import { bandPower, cents, fft, toneAmplitude } from "./signal.ts";

const module = await compileDsp();
const SR = 48000;
const F = 1000; // a hit's frame: inside block 7 (896 … 1023)
const DRUMS = ["kick", "snare", "hat", "clap"];
const log = Deno.env.get("DRUMS_TEST_LOG") ? console.log : () => {};

type Params = Record<string, number | string>;
type Hit = [frame: number, velocity: number];

/** One drum `d` → out.L; the left channel at `sr`. */
function solo(type: string, params: Params, frames: number, hits: Hit[], sr = SR, extra: PatchEvent[] = []) {
  const file: PatchFile = {
    modules: { d: { type, params }, o: { type: "out" } },
    connections: [["d", "o.L"]],
  };
  // `extra` first: a set at a hit's frame applies before the gate (the order the sequencer sends them in).
  const hitEvents = hits.map(([frame, v]): PatchEvent => ({ frame, gate: ["d", true, v] }));
  const events: PatchEvent[] = [...extra, ...hitEvents];
  const st = renderPatch(module, { sampleRate: sr, block: 128, seed: 1 }, file, frames, events);
  const x = new Float32Array(frames);
  for (let i = 0; i < frames; i++) x[i] = st[2 * i];
  return x;
}

/** Index of the first sample that is not exactly 0, or −1. */
function firstSound(x: Float32Array): number {
  return x.findIndex((v) => v !== 0);
}

/** Index of the last sample that is not exactly 0, or −1. */
function lastSound(x: Float32Array): number {
  return x.findLastIndex((v) => v !== 0);
}

function peakAbs(x: ArrayLike<number>, from = 0, to = x.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function rmsOf(x: ArrayLike<number>, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return Math.sqrt(e / (to - from));
}

/** Magnitude spectrum of x[from, from + len) zero-padded to n (no window: a hit is a transient, all of it counts). */
function hitSpectrum(x: Float32Array, from: number, len: number, n = 65536): Float64Array {
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let i = 0; i < len && from + i < x.length; i++) re[i] = x[from + i];
  fft(re, im);
  const mag = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) mag[k] = Math.hypot(re[k], im[k]);
  return mag;
}

/** Frequency of the strongest bin between lo and hi Hz of a hitSpectrum of length n/2. */
function strongestHz(mag: Float64Array, lo: number, hi: number, sr = SR): number {
  const hz = sr / (2 * mag.length);
  let best = Math.ceil(lo / hz);
  for (let k = best; k * hz < hi; k++) if (mag[k] > mag[best]) best = k;
  return best * hz;
}

/** Share of the energy of a spectrum between lo and hi Hz. */
function share(mag: Float64Array, lo: number, hi: number, sr = SR): number {
  return bandPower(mag, sr, lo, hi) / bandPower(mag, sr, 0, sr / 2);
}

/** Samples in `ms` at `sr`, rounded (env.ts msToSamples). */
const samples = (ms: number, sr = SR) => Math.round(ms * 0.001 * sr);

/** The drum envelope shape (drum.ts decayOn, env.ts): the level after k steps of an n-step segment. */
function envLevel(k: number, n: number): number {
  const c = Math.log(1000);
  return k >= n ? 0 : (Math.exp(-c * k / n) - 1e-3) / (1 - 1e-3);
}

const VARIANTS: [string, Params][] = [
  ["kick", {}],
  ["snare", {}],
  ["hat", {}],
  ["hat", { mode: "open" }],
  ["hat", { color: "noise" }],
  ["clap", {}],
];

Deno.test("drums: exact silence before the hit, the first sample at the gate's frame, loud at once", () => {
  for (const [type, params] of VARIANTS) {
    for (const sr of [44100, 48000, 96000]) {
      for (const at of [F, F + 1, 1024]) { // inside a 128-frame block (even, odd) and on a block's first frame
        const full = solo(type, params, at + 2000, [[at, 1]], sr);
        const soft = solo(type, params, at + 2000, [[at, 0.3]], sr);
        const name = `${type} ${JSON.stringify(params)} at frame ${at}, ${sr} Hz`;
        assert.equal(firstSound(full), at, `${name}: first sound`);
        assert.equal(firstSound(soft), at, `${name} velocity 0.3: first sound`);
        log(name, full[at], soft[at]);
        assert.ok(Math.abs(full[at]) >= 0.05, `${name}: first sample ${full[at]}`);
        assert.ok(Math.abs(soft[at]) >= 0.015, `${name} velocity 0.3: first sample ${soft[at]}`);
      }
    }
  }
});

Deno.test("drums: velocity scales the whole hit linearly", () => {
  for (const [type, params] of VARIANTS) {
    const full = solo(type, params, F + 24000, [[F, 1]]);
    const half = solo(type, params, F + 24000, [[F, 0.5]]);
    let err = 0;
    for (let i = 0; i < full.length; i++) err = Math.max(err, Math.abs(half[i] - 0.5 * full[i]));
    assert.ok(err < 1e-6, `${type}: |out(0.5) − out(1)/2| up to ${err}`);
    assert.ok(peakAbs(full) > 0.3, `${type} ${JSON.stringify(params)}: peak ${peakAbs(full)}`);
  }
});

Deno.test("drums: a hit from the gate input (a 0.5 crossing) equals the gate command's, sample for sample", () => {
  for (const type of DRUMS) {
    // adsr with no attack and sustain 1 jumps to 1 at its gate frame: the drum's gate input crosses 0.5 there.
    const file: PatchFile = {
      modules: {
        g: { type: "adsr", params: { attack: 0, decay: 0, sustain: 1 } },
        d: { type },
        o: { type: "out" },
      },
      connections: [["g", "d.gate"], ["d", "o.L"]],
    };
    const frames = F + 9600;
    const st = renderPatch(module, { sampleRate: SR, block: 128, seed: 1 }, file, frames, [
      { frame: F, gate: ["g", true, 1] },
    ]);
    const byCable = new Float32Array(frames);
    for (let i = 0; i < frames; i++) byCable[i] = st[2 * i];
    const byCommand = solo(type, {}, frames, [[F, 1]]);
    assert.equal(firstSound(byCable), F, type);
    assert.deepEqual(byCable, byCommand, `${type}: cable and command hits differ`);
  }
});

Deno.test("drums: the hit ends in exact zeros at its length in ms, at 44.1, 48 and 96 kHz", () => {
  // Last sample that can sound: a segment of n steps is exactly 0 from its n-th step on (index n − 1).
  const cases: [string, Params, number][] = [
    ["kick", { decay: 300, pitchdecay: 50 }, 300],
    ["snare", { decay: 120, noisedecay: 200 }, 200],
    ["snare", { decay: 250, noisedecay: 90 }, 250],
    ["hat", { closed: 40 }, 40],
    ["hat", { mode: "open", open: 350 }, 350],
    ["clap", { spread: 10, decay: 150 }, 3 * 10 + 150],
  ];
  for (const [type, params, ms] of cases) {
    for (const sr of [44100, 48000, 96000]) {
      const x = solo(type, params, F + samples(ms + 50, sr), [[F, 1]], sr);
      // The clap adds four roundings (3 spreads + tail); the others one.
      const want = type === "clap" ? F + 3 * samples(10, sr) + samples(150, sr) - 2 : F + samples(ms, sr) - 2;
      assert.equal(lastSound(x), want, `${type} ${JSON.stringify(params)} at ${sr} Hz`);
      // Not cut short: the last 5 % of the hit still holds sound (the −60 dB shape ends smoothly, not early).
      const tail = peakAbs(x, want - samples(0.05 * ms, sr), want + 1);
      assert.ok(tail > 0 && tail < 0.01, `${type} at ${sr} Hz: last 5 % peaks at ${tail}`);
    }
  }
});

/** Zero crossings (any direction) of x[from, to), linearly interpolated, in samples. */
function crossings(x: ArrayLike<number>, from: number, to: number): number[] {
  const at: number[] = [];
  for (let i = from; i + 1 < to; i++) {
    const a = x[i], b = x[i + 1];
    if ((a > 0 && b <= 0) || (a < 0 && b >= 0)) at.push(i + a / (a - b));
  }
  return at;
}

/** Frequency from the upward zero crossings of x[from, to), without removing the mean (a decaying tone's mean
 * is not 0 over a window, and subtracting it would move every crossing). */
function pitchHz(x: ArrayLike<number>, from: number, to: number, sr = SR): number {
  const up = crossings(x, from, to).filter((t) => x[Math.floor(t)] < 0);
  return (up.length - 1) * sr / (up[up.length - 1] - up[0]);
}

/** The kick's phase (cycles) at each sample of a hit, from the documented pitch law (kick.ts). */
function kickPhase(freq: number, sweep: number, pitchMs: number, len: number, sr = SR): number[] {
  const n = samples(pitchMs, sr), phase = [0];
  for (let j = 0; j + 1 < len; j++) {
    const p = envLevel(j + 1, n); // sample j's pitch envelope: after j + 1 steps
    phase.push(phase[j] + Math.min(freq * 2 ** (sweep * p) / sr, 0.45));
  }
  return phase;
}

Deno.test("kick: the pitch starts `sweep` octaves above freq and lands on freq within 0.1 cent", () => {
  for (const [freq, sweep, pitchdecay] of [[50, 2.5, 70], [80, 1, 30], [200, 4, 150]]) {
    const params = { freq, sweep, pitchdecay, click: 0, drive: 0, decay: 1500 };
    const x = solo("kick", params, F + SR, [[F, 1]]);
    // Clean (no click, no drive) the hit is a·cos(2π·phase): it crosses zero where the phase is ¼ + k/2.
    const phase = kickPhase(freq, sweep, pitchdecay, 4800);
    const want: number[] = [];
    for (let j = 0; j + 1 < phase.length && want.length < 8; j++) {
      const k = Math.ceil(phase[j] * 2 - 0.5); // next ¼ + k/2 at or above phase[j]
      const target = 0.25 + k / 2;
      if (phase[j] < target && phase[j + 1] >= target) {
        want.push(F + j + (target - phase[j]) / (phase[j + 1] - phase[j]));
      }
    }
    const got = crossings(x, F, F + 4800).slice(0, 8);
    log("kick crossings", freq, sweep, got.map((g, i) => (g - want[i]).toFixed(3)));
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i] - want[i]) < 0.05, `${freq} Hz sweep ${sweep}: crossing ${i} at ${got[i]}`);
    }
    // The first quarter cycle runs near the start pitch: at least ¾ of the way (in octaves) up to freq·2^sweep.
    const first = SR / (4 * (got[0] - F));
    assert.ok(
      Math.log2(first / freq) > 0.75 * sweep,
      `${freq} Hz sweep ${sweep}: first quarter at ${first} Hz`,
    );
    // After pitchdecay the pitch is freq exactly.
    const tail = pitchHz(x, F + samples(pitchdecay) + 480, F + samples(1000));
    assert.ok(Math.abs(cents(tail, freq)) < 0.1, `${freq} Hz: tail at ${tail} Hz`);
  }
  // No sweep: the whole hit at freq.
  const flat = solo("kick", { sweep: 0, click: 0, drive: 0 }, F + 24000, [[F, 1]]);
  assert.ok(Math.abs(cents(pitchHz(flat, F, F + 19200), 50)) < 0.1, "sweep 0");
});

Deno.test("kick: a note sets freq at the hit's frame (set and gate together, as the sequencer sends them)", () => {
  const x = solo("kick", {}, F + SR, [[F, 1]], SR, [{ frame: F, set: ["d", "freq", 65.406] }]);
  const f = pitchHz(x, F + samples(100), F + samples(440));
  assert.ok(Math.abs(cents(f, 65.406)) < 0.1, `C2 kick at ${f} Hz`);
});

/** Times (ms after the hit) where the local peaks of |x| (one per half cycle) first fall below `ratio`·a0. */
function fallTime(x: Float32Array, from: number, a0: number, ratio: number, sr = SR): number {
  let prev: [number, number] = [from, a0];
  for (let i = from + 1; i + 1 < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a >= Math.abs(x[i - 1]) && a > Math.abs(x[i + 1])) {
      if (a < ratio * a0) {
        // Interpolate in dB between the previous peak and this one.
        const [t0, v0] = prev, l0 = Math.log(v0 / a0), l1 = Math.log(a / a0), lr = Math.log(ratio);
        return ((t0 + (i - t0) * (lr - l0) / (l1 - l0)) - from) * 1000 / sr;
      }
      prev = [i, a];
    }
  }
  return NaN;
}

Deno.test("kick: the amplitude follows the −60 dB shape: −20 dB at 0.332·decay, −40 dB at 0.666·decay (±1 %)", () => {
  for (const sr of [44100, 48000, 96000]) {
    for (const decay of [200, 450, 1200]) {
      const params = { freq: 100, sweep: 0, click: 0, drive: 0, decay };
      const x = solo("kick", params, F + samples(decay + 20, sr), [[F, 1]], sr);
      const a0 = 0.9; // level: a clean hit starts at level·velocity
      for (const [db, ratio] of [[-20, 0.1], [-40, 0.01]]) {
        const want = decay * Math.log(1 / (ratio * 0.999 + 0.001)) / Math.log(1000);
        const got = fallTime(x, F, a0, ratio, sr);
        log("kick decay", sr, decay, db, got, want);
        assert.ok(
          Math.abs(got / want - 1) < 0.05,
          `${sr} Hz, decay ${decay}: ${db} dB at ${got} ms (${want})`,
        );
      }
    }
  }
});

Deno.test("kick: click and drive add brightness and weight, and stay within ±1", () => {
  const clean = solo("kick", { click: 0, drive: 0 }, F + 24000, [[F, 1]]);
  const clicky = solo("kick", { click: 1, drive: 0 }, F + 24000, [[F, 1]]);
  // Even clean, the cosine start is a step (broadband); the click's noise adds ≥ 7 dB above 4 kHz to it.
  const hi = (x: Float32Array) => bandPower(hitSpectrum(x, F, 480), SR, 4000, SR / 2); // the first 10 ms
  log("click", hi(clean), hi(clicky));
  assert.ok(hi(clicky) > 5 * hi(clean), `energy above 4 kHz in 10 ms: ${hi(clicky)} vs ${hi(clean)}`);
  const driven = solo("kick", { click: 0, drive: 1 }, F + 24000, [[F, 1]]);
  // Saturation lifts the body: 100 … 300 ms holds more energy, the peak stays at level.
  const body = (x: Float32Array) => rmsOf(x, F + 4800, F + 14400);
  assert.ok(body(driven) > 2 * body(clean), `body rms ${body(driven)} vs ${body(clean)}`);
  assert.ok(peakAbs(driven) <= 0.9 + 1e-6 && peakAbs(clicky) <= 0.9 + 1e-6, "peak at most level");
});

Deno.test("snare: tone energy at freq and broadband noise; tone and snappy each control their part", () => {
  const at = (params: Params) => {
    const x = solo("snare", params, F + SR, [[F, 1]]);
    const mag = hitSpectrum(x, F, SR - 1000);
    return {
      tone: bandPower(mag, SR, 150, 260),
      noise: bandPower(mag, SR, 2000, 12000),
      all: bandPower(mag, SR, 0, SR / 2),
      bands: [[2000, 4000], [4000, 8000], [8000, 16000]].map(([a, b]) => share(mag, a, b)),
      x,
    };
  };
  const d = at({});
  log("snare", d.tone / d.all, d.noise / d.all, d.bands);
  assert.ok(d.tone / d.all > 0.1, `tone share ${d.tone / d.all}`);
  assert.ok(d.noise / d.all > 0.3, `noise share ${d.noise / d.all}`);
  for (const b of d.bands) assert.ok(b > 0.04, `every octave 2 … 16 kHz holds noise: ${d.bands}`);
  // After the 25 ms bend the lower partial is at freq: the strongest line between 120 and 260 Hz.
  const tone = strongestHz(hitSpectrum(d.x, F + samples(30), samples(200)), 120, 260);
  assert.ok(Math.abs(tone - 185) < 3, `tone peak at ${tone} Hz`);
  const noTone = at({ tone: 0 }), noNoise = at({ snappy: 0 });
  assert.ok(noTone.tone < 0.02 * d.tone, `tone 0: ${noTone.tone / d.tone} of the tone band left`);
  assert.ok(noNoise.noise < 0.01 * d.noise, `snappy 0: ${noNoise.noise / d.noise} of the noise band left`);
});

Deno.test("hat: closed decays much faster than open; the energy sits above 5 kHz; metallic is repeatable", () => {
  const fall = (params: Params) => {
    const x = solo("hat", params, F + SR, [[F, 1]]);
    // 2 ms RMS windows: the first one that is 20 dB below the first window.
    const w = samples(2), r0 = rmsOf(x, F, F + w);
    let t = F;
    while (rmsOf(x, t, t + w) > 0.1 * r0) t += w;
    return { ms: (t - F) / 48, x };
  };
  for (const color of ["metallic", "noise"]) {
    const closed = fall({ color }), open = fall({ color, mode: "open" });
    log("hat", color, closed.ms, open.ms);
    assert.ok(open.ms > 4 * closed.ms, `${color}: −20 dB after ${closed.ms} ms closed, ${open.ms} ms open`);
    for (const h of [closed, open]) {
      const high = share(hitSpectrum(h.x, F, SR - 1000), 5000, SR / 2);
      log("hat high share", color, high);
      assert.ok(high > 0.75, `${color}: ${high} of the energy above 5 kHz`);
    }
  }
  // The squares restart at every hit: two metallic hits are the same samples; noise hits are not.
  const two = (color: string) => solo("hat", { color }, F + 2 * 4800, [[F, 1], [F + 4800, 1]]);
  const m = two("metallic"), n = two("noise");
  assert.deepEqual(m.subarray(F, F + 4800), m.subarray(F + 4800, F + 9600), "metallic hits repeat");
  assert.notDeepEqual(n.subarray(F + 1, F + 4800), n.subarray(F + 4801, F + 9600), "noise hits differ");
});

Deno.test("retrigger: the new hit starts at its frame; the old tail leaves as a 2 ms ramp (a closed hat chokes an open one)", () => {
  const ramp = samples(2);
  const cases: [string, Params, Params][] = [
    ["kick", { click: 0 }, {}], // the click's noise would differ between renders
    ["hat", { mode: "open" }, { mode: "closed" }], // metallic: no noise
  ];
  for (const [type, first, second] of cases) {
    const F2 = F + 3001; // mid-ring, mid-block
    const setSecond: PatchEvent[] = Object.entries(second).map(([k, v]) => ({ frame: F2, set: ["d", k, v] }));
    const both = solo(type, first, F2 + SR, [[F, 1], [F2, 0.8]], SR, setSecond);
    const alone = solo(type, { ...first, ...second }, F2 + SR, [[F2, 0.8]]);
    const last = both[F2 - 1];
    assert.ok(Math.abs(last) > 0.01, `${type}: the old hit still rings (${last})`);
    let err = 0;
    for (let i = F2; i < both.length; i++) {
      const n = i - F2, fade = n < ramp ? last * (1 - n / ramp) : 0;
      err = Math.max(err, Math.abs(both[i] - (alone[i] + fade)));
    }
    assert.ok(err < 1e-6, `${type}: retriggered = fresh hit + ramp, off by ${err}`);
    // So the step at the retrigger frame is the fresh hit's own onset, and the old tail is gone after 2 ms.
    assert.ok(Math.abs(both[F2] - last - alone[F2]) < 1e-6, `${type}: step at the retrigger frame`);
  }
  // A third hit inside the second one's ramp: the ramp restarts from the last sample (which includes it).
  const F3 = F + 3001 + 30;
  const three = solo("kick", { click: 0 }, F3 + 9600, [[F, 1], [F + 3001, 1], [F3, 0.6]]);
  const third = solo("kick", { click: 0 }, F3 + 9600, [[F3, 0.6]]);
  let err3 = 0;
  for (let i = F3; i < three.length; i++) {
    const n = i - F3, fade = n < ramp ? three[F3 - 1] * (1 - n / ramp) : 0;
    err3 = Math.max(err3, Math.abs(three[i] - (third[i] + fade)));
  }
  assert.ok(err3 < 1e-6, `a hit inside a ramp = fresh hit + a new ramp, off by ${err3}`);
  // A closed hit on a ringing open hat: silent once the closed hit is over.
  const x = solo("hat", {}, F + SR, [[F, 1], [F + 4800, 1]], SR, [
    { frame: 0, set: ["d", "mode", "open"] },
    { frame: F + 4800, set: ["d", "mode", "closed"] },
  ]);
  assert.equal(lastSound(x), F + 4800 + samples(60) - 2, "choked");
});

Deno.test("clap: three bursts and the tail start `spread` ms apart, then the tail decays in `decay` ms", () => {
  for (const spread of [8, 11, 20]) {
    const x = solo("clap", { spread, decay: 200 }, F + SR, [[F, 1]]);
    const s = samples(spread), w = samples(1.5);
    for (let k = 1; k <= 3; k++) {
      const at = F + k * s;
      const before = rmsOf(x, at - w, at), after = rmsOf(x, at, at + w);
      log("clap", spread, k, before, after);
      assert.ok(after > 3 * before, `spread ${spread}: onset ${k}: ${after} after vs ${before} before`);
    }
    // Between onsets the bursts die away: the last 1.5 ms before each onset is quieter than its first 1.5 ms.
    assert.ok(rmsOf(x, F + s - w, F + s) < 0.3 * rmsOf(x, F, F + w), `spread ${spread}: first burst decays`);
    // The tail: 50 ms in, still sounding; the hit ends exactly at 3·spread + decay.
    assert.ok(rmsOf(x, F + 3 * s + samples(50), F + 3 * s + samples(60)) > 0.02, "tail");
    assert.equal(lastSound(x), F + 3 * s + samples(200) - 2, `spread ${spread}: end`);
  }
  const x = solo("clap", {}, F + SR, [[F, 1]]);
  const mag = hitSpectrum(x, F, SR - 1000);
  const mid = share(mag, 600, 2400);
  log("clap band", mid);
  assert.ok(mid > 0.6, `${mid} of the energy within an octave of the 1.2 kHz band`);
});

Deno.test("drums: deterministic; each module has its own noise", () => {
  const file: PatchFile = {
    modules: {
      snare1: { type: "snare" },
      snare2: { type: "snare" },
      clap1: { type: "clap" },
      hat1: { type: "hat", params: { color: "noise" } },
      kick1: { type: "kick" },
      o: { type: "out" },
    },
    connections: [["snare1", "o.L"], ["snare2", "o.R"], ["clap1", "o.L"], ["hat1", "o.L"], ["kick1", "o.R"]],
  };
  const events: PatchEvent[] = [];
  for (let i = 0; i < 16; i++) {
    const f = F + i * 3001;
    for (const d of ["snare1", "snare2", "clap1", "hat1", "kick1"]) {
      events.push({ frame: f, gate: [d, true, 1] });
    }
  }
  const settings = { sampleRate: SR, block: 128, seed: 1 };
  const a = renderPatch(module, settings, file, 16 * 3001 + SR, events);
  const b = renderPatch(module, settings, file, 16 * 3001 + SR, events);
  assert.deepEqual(a, b, "two renders");
  const two = renderPatch(
    module,
    settings,
    {
      modules: { snare1: { type: "snare" }, snare2: { type: "snare" }, o: { type: "out" } },
      connections: [["snare1", "o.L"], ["snare2", "o.R"]],
    },
    9600,
    [{ frame: F, gate: ["snare1", true, 1] }, { frame: F, gate: ["snare2", true, 1] }],
  );
  let same = 0;
  for (let i = 2 * (F + 1); i < two.length; i += 2) if (two[i] === two[i + 1]) same++;
  assert.ok(same < 10, `two snares share ${same} samples after the onset`);
});

Deno.test("drums: within ±1 and finite at extreme parameters, retriggered every 37 frames and modulated", () => {
  for (const type of DRUMS) {
    const def = moduleDef(type)!;
    // Every parameter at its minimum, at its maximum, and crossed (choices one way, numbers the other).
    const corners: Params[] = [{}, {}, {}, {}];
    for (const p of def.params) {
      const [a, b] = p.names ? [p.max, p.min] : [p.min, p.max];
      [corners[0][p.name], corners[1][p.name], corners[2][p.name], corners[3][p.name]] = [p.min, p.max, a, b];
    }
    for (const c of corners) c.level = 1;
    // Every frequency swept ±8 octaves by a 37 Hz square: it sits at its limits, jumping between them.
    const mods = def.params.filter((p) => p.mod === "exp").map((p): [string, string, number] => [
      "lfo",
      `d.${p.name}`,
      8,
    ]);
    for (const params of corners) {
      const file: PatchFile = {
        modules: {
          d: { type, params },
          lfo: { type: "lfo", params: { wave: "square", rate: 37, depth: 1 } },
          o: { type: "out" },
        },
        connections: [["d", "o.L"], ...mods],
      };
      const events: PatchEvent[] = [];
      for (let f = 100; f < 9600; f += 37) events.push({ frame: f, gate: ["d", true, 1] });
      events.push({ frame: 12000, gate: ["d", true, 1] });
      const r = renderChannels(module, file, SR, events);
      const pk = peakAbs(r.left), name = `${type} ${JSON.stringify(params)}`;
      log("extreme", name, pk);
      assert.equal(r.sanitized, 0, `${name}: non-finite samples`);
      assert.ok(pk <= 1, `${name}: peak ${pk}`);
      if (params === corners[1]) assert.ok(pk > 0.01, `${name}: silent`);
    }
  }
});

const defaultPatch: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);

Deno.test("default patch: kick1, snare1, hat1, clap1 reach the output; voice1 still plays 220 Hz", () => {
  const settings = { sampleRate: SR, block: 128, seed: 1 };
  const LOOKAHEAD = 72; // limiter1's latency
  const left = (events: PatchEvent[], frames: number) => {
    const st = renderPatch(module, settings, defaultPatch, frames, events);
    const x = new Float32Array(frames);
    for (let i = 0; i < frames; i++) x[i] = st[2 * i];
    return x;
  };
  const kick = left([{ frame: F, gate: ["kick1", true, 1] }], F + SR / 2);
  assert.equal(
    firstSound(kick),
    F + LOOKAHEAD,
    "the kick is the first sound, through the limiter's look-ahead",
  );
  // The body after the sweep (80 … 400 ms): its strongest line is the kick's 50 Hz.
  const line = strongestHz(hitSpectrum(kick, F + samples(80), samples(320)), 10, 1000);
  const amp = toneAmplitude(kick, 50, SR, F + samples(80), F + samples(180));
  log("default kick", line, amp, peakAbs(kick));
  assert.ok(Math.abs(line - 50) < 1, `strongest line at ${line} Hz`);
  assert.ok(amp > 0.04, `50 Hz amplitude ${amp} over 80 … 180 ms`);
  for (const d of ["snare1", "hat1", "clap1"]) {
    const x = left([{ frame: F, gate: [d, true, 1] }], F + 4800);
    assert.equal(firstSound(x), F + LOOKAHEAD, d);
    assert.ok(peakAbs(x) > 0.1, `${d} peaks at ${peakAbs(x)}`);
  }
  const voice = left([{ frame: 0, set: ["voice1", "freq", 220] }, { frame: 0, gate: ["voice1", true] }], SR);
  const f = strongestHz(hitSpectrum(voice, 4800, 32768, 32768), 20, 20000);
  assert.ok(Math.abs(f - 220) < 2, `voice1's strongest partial at ${f} Hz`);
});
