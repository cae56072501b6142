// The acid module (asm/modules/acid.ts), measured on its rendered output: 48 kHz, 128-frame blocks.
// Events come 100 ms after the patch loads: a new module's smoothed parameters glide from their defaults first.
import assert from "node:assert/strict";
import { fft } from "../core/fft.ts";
import { DspHost } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { patchCommands, type PatchEvent, renderPatch } from "../patch/render.ts";
import { dspModule, firstDifference } from "./helpers.ts";

const SR = 48000;
const settings = { sampleRate: SR, block: 128, seed: 1 };
const T0 = 4800 + 37; // the first gate: 100 ms in, mid-block
const log = Deno.env.get("ACID_TEST_LOG") ? console.log : () => {};

type Params = Record<string, number | string>;

/** acid → out.L, plus any extra modules and connections. */
function acidPatch(
  params: Params,
  modules: PatchFile["modules"] = {},
  connections: [string, string, number?][] = [],
): PatchFile {
  return {
    modules: { acid: { type: "acid", params }, out: { type: "out" }, ...modules },
    connections: [["acid", "out.L"], ...connections],
  };
}

/** The left channel (the acid's output) of a render. */
async function render(file: PatchFile, frames: number, events: PatchEvent[] = []): Promise<Float32Array> {
  const st = renderPatch(await dspModule(), settings, file, frames, events);
  const x = new Float32Array(frames);
  for (let i = 0; i < frames; i++) x[i] = st[2 * i];
  return x;
}

const on = (frame: number, velocity = 0.5): PatchEvent => ({ frame, gate: ["acid", true, velocity] });
const off = (frame: number): PatchEvent => ({ frame, gate: ["acid", false] });

/** Power spectrum (Hann window) of x[start, start + n), n a power of 2; bin k is k·SR/n Hz. */
function spectrum(x: Float32Array, start: number, n: number): Float64Array {
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = x[start + i] * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / n));
  fft(re, im);
  const p = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) p[k] = re[k] * re[k] + im[k] * im[k];
  return p;
}

/** Energy of a power spectrum of length n/2 between lo and hi Hz. */
function band(p: Float64Array, lo: number, hi: number): number {
  const hz = SR / (2 * p.length);
  let e = 0;
  for (let k = Math.ceil(lo / hz); k < p.length && k * hz < hi; k++) e += p[k];
  return e;
}

/** Frequency of the strongest bin above `lo` Hz. */
function peakHz(p: Float64Array, lo = 0): number {
  const hz = SR / (2 * p.length);
  let best = Math.ceil(lo / hz);
  for (let k = best; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best * hz;
}

function peakAbs(x: Float32Array, from = 0, to = x.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function rms(x: Float32Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return Math.sqrt(e / (to - from));
}

/** Mean frequency from the downward zero crossings (interpolated) of x[from, to). */
function crossingHz(x: Float32Array, from: number, to: number): number {
  const at: number[] = [];
  for (let i = from; i < to - 1; i++) {
    if (x[i] > 0 && x[i + 1] <= 0) at.push(i + x[i] / (x[i] - x[i + 1]));
  }
  return SR * (at.length - 1) / (at[at.length - 1] - at[0]);
}

const cents = (f: number, ref: number) => 1200 * Math.log2(f / ref);

Deno.test("acid: silent until the gate, sounding from the gate's exact frame, closed 9 ms after gate off", async () => {
  const T1 = T0 + 24000;
  const x = await render(acidPatch({ freq: 110, cutoff: 2000, res: 0.3, envmod: 0 }), T1 + 4800, [
    on(T0),
    off(T1),
  ]);
  assert.equal(peakAbs(x, 0, T0), 0, "output before the gate frame");
  assert.notEqual(x[T0], 0, "the gate frame itself must sound");
  const firstMs = peakAbs(x, T0, T0 + 48);
  const held = rms(x, T0 + 4800, T1);
  const first5ms = rms(x, T0, T0 + 240);
  log("start", { first: x[T0], firstMs, first5ms, held });
  assert.ok(firstMs > 0.02, `first ms peaks at ${firstMs}`);
  assert.ok(first5ms > 0.3 * held, `first 5 ms rms ${first5ms} vs held ${held}: the attack is ≈ 3 ms`);
  // Release: a smoothstep from the held level to exactly 0 over 9 ms (432 frames), no step anywhere. Its last
  // millisecond starts at 3.4 % of the held level (1 − smoothstep(8/9)).
  const rel = 432;
  assert.equal(peakAbs(x, T1 + rel, x.length), 0, "silence after the 9 ms release");
  const lastMs = peakAbs(x, T1 + rel - 48, T1 + rel) / peakAbs(x, T1 - 4800, T1);
  assert.ok(lastMs < 0.04, `last ms of the release peaks at ${lastMs} of the held peak`);
});

Deno.test("acid: the internal oscillator is within 1 cent (saw 110 Hz, square 440 Hz, after the ladder)", async () => {
  for (const [wave, freq] of [["saw", 110], ["square", 440], ["saw", 1234.5]] as const) {
    const x = await render(
      acidPatch({ wave, freq, cutoff: 8000, res: 0.1, envmod: 0, drive: 0 }),
      T0 + 2 * SR,
      [on(T0)],
    );
    const f = crossingHz(x, T0 + 4800, x.length);
    log("pitch", wave, freq, cents(f, freq));
    assert.ok(Math.abs(cents(f, freq)) < 1, `${wave} ${freq} Hz measured ${f} Hz (${cents(f, freq)} cents)`);
  }
});

Deno.test("acid: glide is the freq smoothing: 0 ms jumps at the frame, 100 ms slides", async () => {
  const T1 = T0 + 24000;
  const events = [on(T0), { frame: T1, set: ["acid", "freq", 220] } as PatchEvent];
  const base = { freq: 110, cutoff: 6000, res: 0.1, envmod: 0, drive: 0 };
  const jump = await render(acidPatch(base), T1 + SR, events);
  const slide = await render(acidPatch({ ...base, glide: 100 }), T1 + SR, events);
  // Pitch 30 … 60 ms after the change: exactly 220 Hz without glide; with a 100 ms time constant the pitch
  // is 110 + 110·(1 − e^(−t/100 ms)): 139 … 158 Hz.
  const a = crossingHz(jump, T1 + 1440, T1 + 2880), b = crossingHz(slide, T1 + 1440, T1 + 2880);
  log("glide", a, b);
  assert.ok(Math.abs(cents(a, 220)) < 5, `no glide: ${a} Hz`);
  assert.ok(b > 135 && b < 165, `100 ms glide: ${b} Hz`);
  const arrived = crossingHz(slide, T1 + 38400, T1 + SR); // 800 ms: within e^−8 (0.6 cents)
  assert.ok(Math.abs(cents(arrived, 220)) < 1, `the slide arrives: ${arrived} Hz`);
});

Deno.test("acid: cutoff shapes the spectrum: energy above 2 kHz at 300 Hz is ≥ 50 dB below 5 kHz", async () => {
  const energy = async (cutoff: number) => {
    const x = await render(acidPatch({ freq: 110, cutoff, res: 0.3, envmod: 0 }), T0 + 16384 + 4800, [
      on(T0),
    ]);
    const p = spectrum(x, T0 + 4800, 16384);
    return { high: band(p, 2000, SR / 2), all: band(p, 0, SR / 2) };
  };
  const dark = await energy(300), bright = await energy(5000);
  const db = 10 * Math.log10(dark.high / bright.high);
  log("cutoff", db, dark, bright);
  assert.ok(db < -50, `energy above 2 kHz: cutoff 300 Hz is ${db.toFixed(1)} dB relative to 5 kHz`);
  // A 110 Hz saw holds 3.3 % of its energy above 2 kHz (partials 19 and up, 1/n² each).
  const share = bright.high / bright.all;
  assert.ok(share > 0.01, `at 5 kHz the partials above 2 kHz hold ${share} of the energy`);
});

Deno.test("acid: resonance 1 self-oscillates at the cutoff, bounded; resonance 0.5 does not ring", async () => {
  for (const cutoff of [200, 1000, 5000]) {
    const selfOsc = await render(acidPatch({ osc: 0, cutoff, res: 1, envmod: 0, level: 1 }), T0 + SR, [
      on(T0),
    ]);
    const p = spectrum(selfOsc, T0 + SR - 16384, 16384);
    const f = peakHz(p);
    const amp = peakAbs(selfOsc, T0 + SR / 2, selfOsc.length);
    log("self-oscillation", cutoff, f, amp, peakAbs(selfOsc));
    assert.ok(Math.abs(cents(f, cutoff)) < 50, `res 1, cutoff ${cutoff}: oscillates at ${f} Hz`);
    assert.ok(amp > 0.1 && peakAbs(selfOsc) < 0.5, `res 1, cutoff ${cutoff}: amplitude ${amp}`);
    const quiet = await render(acidPatch({ osc: 0, cutoff, res: 0.5, envmod: 0, level: 1 }), T0 + SR, [
      on(T0),
    ]);
    assert.ok(peakAbs(quiet, T0 + SR / 2, quiet.length) < 1e-4, `res 0.5, cutoff ${cutoff} rings`);
  }
  // With the saw playing, resonance 1 puts a peak at the cutoff ≥ 20 dB over the same band at resonance 0.1.
  const band1k = async (res: number) => {
    const x = await render(acidPatch({ freq: 55, cutoff: 1000, res, envmod: 0, level: 1 }), T0 + SR, [
      on(T0),
    ]);
    const p = spectrum(x, T0 + 4800, 32768);
    return { e: band(p, 900, 1100), f: peakHz(p, 500), peak: peakAbs(x) };
  };
  const flat = await band1k(0.1), peaked = await band1k(1);
  const gain = 10 * Math.log10(peaked.e / flat.e);
  log("resonance", gain, flat, peaked);
  assert.ok(gain > 20, `900 … 1100 Hz band: +${gain.toFixed(1)} dB at res 1`);
  // The saw's partials are 55 Hz (≈ 95 cents) apart near 1 kHz: the loudest one is a neighbour of the cutoff.
  assert.ok(Math.abs(cents(peaked.f, 1000)) < 150, `strongest partial above 500 Hz at ${peaked.f} Hz`);
  assert.ok(peaked.peak < 1, `saw at res 1 peaks at ${peaked.peak}`);
});

Deno.test("acid: the envelope brightens the note's start: energy above 1 kHz falls ≥ 20 dB in 200 ms", async () => {
  const x = await render(
    acidPatch({ freq: 110, cutoff: 200, res: 0.3, envmod: 5, decay: 200 }),
    T0 + SR,
    [on(T0)],
  );
  const early = band(spectrum(x, T0, 1024), 1000, SR / 2); // the first 21 ms
  const late = band(spectrum(x, T0 + 9600, 1024), 1000, SR / 2); // 200 ms later
  const db = 10 * Math.log10(late / early);
  log("envelope", db);
  assert.ok(db < -20, `energy above 1 kHz 200 ms after the gate: ${db.toFixed(1)} dB`);
  // Without envelope the same windows have the same brightness (within 1 dB): the change is the envelope.
  const flat = await render(acidPatch({ freq: 110, cutoff: 200, res: 0.3, envmod: 0 }), T0 + SR, [on(T0)]);
  const ref = 10 * Math.log10(
    band(spectrum(flat, T0 + 9600, 1024), 1000, SR / 2) / band(spectrum(flat, T0 + 240, 1024), 1000, SR / 2),
  );
  assert.ok(Math.abs(ref) < 1, `envmod 0: ${ref.toFixed(2)} dB`);
});

Deno.test("acid: an accented note (velocity > 0.8) is louder, brighter and decays sooner", async () => {
  const T1 = T0 + SR;
  const p = { freq: 110, cutoff: 300, res: 0.5, envmod: 2, decay: 1000, accent: 1 };
  const x = await render(acidPatch(p), T1 + SR, [on(T0, 0.8), on(T1, 0.81)]);
  const loud = rms(x, T1 + 4800, T1 + 9600) / rms(x, T0 + 4800, T0 + 9600);
  const bright = band(spectrum(x, T1, 1024), 2000, SR / 2) / band(spectrum(x, T0, 1024), 2000, SR / 2);
  // 300 ms in, the plain note (1000 ms decay) is still bright; the accented one (200 ms) has closed.
  const plainLate = band(spectrum(x, T0 + 14400, 1024), 1000, SR / 2) /
    band(spectrum(x, T0, 1024), 1000, SR / 2);
  const accLate = band(spectrum(x, T1 + 14400, 1024), 1000, SR / 2) /
    band(spectrum(x, T1, 1024), 1000, SR / 2);
  log("accent", { loud, bright, plainLate, accLate });
  assert.ok(loud > 1.4, `accented/plain rms 100 … 200 ms after the gate: ${loud}`);
  assert.ok(bright > 10, `accented/plain energy above 2 kHz, first 21 ms: ${bright}`);
  assert.ok(
    accLate < plainLate / 10,
    `brightness left after 300 ms: accented ${accLate}, plain ${plainLate}`,
  );
});

Deno.test("acid: never NaN/Inf and bounded at every extreme, with an 8-octave 100 Hz cutoff modulation", async () => {
  const module = await dspModule();
  const extremes: Record<string, [number, number]> = {
    cutoff: [20, 20000],
    res: [0, 1],
    drive: [0, 24],
    envmod: [0, 8],
    decay: [10, 3000],
    accent: [0, 1],
    freq: [20, 5000],
    wave: [0, 1],
    osc: [0, 1],
  };
  const names = Object.keys(extremes);
  // A note that starts accented, stops, starts plain and retriggers accented 2 ms later; white noise at `in`.
  const events = [on(1000, 1), off(6000), on(7000, 0.5), on(7100, 1)];
  let worst = 0;
  for (let c = 0; c < 1 << names.length; c++) {
    for (const lfo of [false, true]) {
      const params: Params = { level: 1 };
      names.forEach((k, j) => params[k] = extremes[k][(c >> j) & 1]);
      const file = acidPatch(
        params,
        { noise: { type: "noise" }, lfo: { type: "lfo", params: { rate: 100, wave: "square" } } },
        [["noise", "acid.in"], ...(lfo ? [["lfo", "acid.cutoff", 8] as [string, string, number]] : [])],
      );
      const host = new DspHost(module, settings);
      const cmds = patchCommands(file, events);
      let next = 0, peak = 0;
      for (let n = 0; n < 100; n++) {
        for (; next < cmds.length && cmds[next].frame < (n + 1) * 128; next++) host.push(cmds[next]);
        host.render(n);
        for (let i = 0; i < host.out.length; i += 2) peak = Math.max(peak, Math.abs(host.out[i]));
      }
      // `out` replaces non-finite samples by 0 and counts them: the count is the raw output's NaN/Inf.
      assert.equal(host.sanitized(), 0, `non-finite output with ${JSON.stringify(params)}, lfo ${lfo}`);
      assert.ok(peak < 5, `peak ${peak} with ${JSON.stringify(params)}, lfo ${lfo}`);
      worst = Math.max(worst, peak);
    }
  }
  log("extremes: worst peak", worst);
});

Deno.test("acid: two renders are identical bit for bit", async () => {
  const file = acidPatch({ res: 0.9, drive: 12, glide: 50 }, {
    noise: { type: "noise", params: { level: 0.2 } },
  }, [
    ["noise", "acid.in"],
  ]);
  const events: PatchEvent[] = [];
  for (let k = 0; k < 16; k++) {
    events.push(on(T0 + k * 3001, k % 3 === 0 ? 1 : 0.5));
    events.push({ frame: T0 + k * 3001 + 5, set: ["acid", "freq", 55 * 2 ** ((k * 7 % 12) / 12)] });
    if (k % 4 !== 3) events.push(off(T0 + k * 3001 + 2000));
  }
  const a = await render(file, T0 + 16 * 3001, events);
  const b = await render(file, T0 + 16 * 3001, events);
  assert.ok(peakAbs(a) > 0.1, "the pattern sounds");
  assert.equal(firstDifference(a, b), -1);
});
