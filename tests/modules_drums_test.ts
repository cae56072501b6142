// The drum voices (asm/modules/kick.ts, snare.ts, hat.ts, clap.ts; hits and ends in drum.ts), measured on their
// rendered output: 48 kHz, 128-frame blocks, hits mid-block.
import assert from "node:assert/strict";
import type { PatchFile } from "../patch/graph.ts";
import type { PatchEvent } from "../patch/render.ts";
import { firstDifference } from "./helpers.ts";
import { peak, type Rendered, renderRaw, SR } from "./module_probe.ts";
import { bandPower, cents, rms, spectrum, zeroCrossingHz } from "./signal.ts";

const T0 = 4800 + 37; // the first hit: 100 ms in, mid-block
const DRUMS = ["kick", "snare", "hat", "clap"] as const;
type Params = Record<string, number | string>;

/** One drum → out.L, plus any extra modules and connections. */
function drumPatch(
  type: string,
  params: Params = {},
  modules: PatchFile["modules"] = {},
  connections: [string, string, number?][] = [],
): PatchFile {
  return {
    modules: { d: { type, params }, o: { type: "out" }, ...modules },
    connections: [["d", "o.L"], ...connections],
  };
}

const hit = (frame: number, velocity = 1): PatchEvent => ({ frame, gate: ["d", true, velocity] });

async function render(
  type: string,
  params: Params,
  frames: number,
  events: PatchEvent[],
): Promise<Float32Array> {
  const r: Rendered = await renderRaw(drumPatch(type, params), frames, events);
  assert.equal(r.sanitized, 0, `${type}: non-finite samples`);
  return r.left;
}

/** Samples of an exponential that falls 40 dB in `ms` before it is below −100 dB (drum.ts END). */
const endAfter = (ms: number) => Math.ceil(2.5 * ms * SR / 1000);

function lastNonZero(x: Float32Array): number {
  for (let i = x.length - 1; i >= 0; i--) if (x[i] !== 0) return i;
  return -1;
}

function firstNonZero(x: Float32Array): number {
  return x.findIndex((v) => v !== 0);
}

Deno.test("drums: silent before the hit, sounding from its exact frame, exact zeros after 2.5 decay times", async () => {
  const cases: [string, Params, number][] = [
    ["kick", { decay: 300 }, endAfter(300)],
    ["snare", { decay: 120, ndecay: 200 }, endAfter(200)],
    ["snare", { decay: 260, ndecay: 40 }, endAfter(260)],
    ["hat", { decay: 80 }, endAfter(80)],
    ["clap", { spread: 10, decay: 200 }, 3 * 480 + endAfter(200)],
  ];
  for (const [type, params, len] of cases) {
    const x = await render(type, params, T0 + len + 4800, [hit(T0)]);
    assert.equal(firstNonZero(x), T0, `${type}: first sound`);
    // The end falls within a sample of the closed form (the envelope is a running product).
    const last = lastNonZero(x) - T0;
    assert.ok(
      last >= len - 2 && last <= len,
      `${type} ${JSON.stringify(params)}: last sound ${last}, expected ${len}`,
    );
    const tail = peak(x.subarray(T0 + len - 48, T0 + len));
    assert.ok(
      tail > 0 && tail < 2e-5,
      `${type}: the last millisecond peaks at ${tail}: it fades out, no cut`,
    );
  }
});

Deno.test("kick: without sweep or click, out = tanh(g·sin(2π·f·(n+1)/sr)·0.01^(n/decay)) within 1e-6", async () => {
  for (const [freq, decay, drive] of [[60, 200, 0], [43.7, 900, 12]]) {
    const x = await render("kick", { freq, decay, drive, sweep: 0, click: 0 }, T0 + endAfter(decay), [
      hit(T0),
    ]);
    // The frequency reaches the kernel as a float32 (an audio-rate parameter).
    const f = Math.fround(freq), g = 10 ** (drive / 20), N = decay * SR / 1000;
    let worst = 0;
    for (let n = 0; T0 + n < x.length; n++) {
      const want = Math.tanh(g * Math.sin(2 * Math.PI * f * (n + 1) / SR) * 0.01 ** (n / N));
      worst = Math.max(worst, Math.abs(x[T0 + n] - want));
    }
    assert.ok(worst < 1e-6, `freq ${freq}, decay ${decay}, drive ${drive}: worst error ${worst}`);
  }
});

Deno.test("kick: the pitch falls from freq·2^sweep to freq as the documented law says, then holds within 1 cent", async () => {
  const freq = 50, sweep = 2, pdecay = 30, decay = 3000;
  const x = await render("kick", { freq, sweep, pdecay, decay, click: 0 }, T0 + SR, [hit(T0)]);
  // f[n] = freq·2^(sweep·0.01^(n/pdecay)); phase[n] = Σ_{k≤n} f[k]/sr; out = tanh(sin(2π·phase)·a).
  const P = pdecay * SR / 1000, N = decay * SR / 1000;
  let phase = 0, worst = 0;
  for (let n = 0; n < 4800; n++) {
    phase += freq * 2 ** (sweep * 0.01 ** (n / P)) / SR;
    const want = Math.tanh(Math.sin(2 * Math.PI * phase) * 0.01 ** (n / N));
    worst = Math.max(worst, Math.abs(x[T0 + n] - want));
  }
  assert.ok(worst < 2e-4, `first 100 ms: worst error ${worst} against the pitch law`);
  const first = SR / (2 * x.slice(T0 + 1).findIndex((v) => v < 0)); // one half cycle, in Hz
  assert.ok(first > 2.5 * freq, `the first half cycle is at ${first} Hz: the sweep starts high`);
  const settled = zeroCrossingHz(x, SR, T0 + 9600, T0 + SR);
  assert.ok(Math.abs(cents(settled, freq)) < 1, `after 200 ms: ${settled} Hz`);
});

Deno.test("drums: velocity scales the hit exactly; velocity 0 is silent and chokes the hit before it", async () => {
  for (const type of DRUMS) {
    const full = await render(type, {}, T0 + SR, [hit(T0, 1)]);
    const half = await render(type, {}, T0 + SR, [hit(T0, 0.5)]);
    for (let i = 0; i < full.length; i++) {
      if (half[i] !== full[i] / 2) {
        assert.fail(`${type}: sample ${i} at velocity 0.5 is ${half[i]}, not ${full[i] / 2}`);
      }
    }
    assert.ok(peak(full) > 0.3, `${type}: peak ${peak(full)}`);
    const choked = await render(type, {}, T0 + SR, [hit(T0, 1), hit(T0 + 2400, 0)]);
    assert.equal(firstDifference(choked.subarray(0, T0 + 2400), full.subarray(0, T0 + 2400)), -1, type);
    assert.equal(peak(choked.subarray(T0 + 2400)), 0, `${type}: sound after a velocity-0 hit`);
  }
});

Deno.test("drums: a rising crossing of 0.5 on the gate input is a hit at that sample, bit for bit the command's", async () => {
  for (const type of DRUMS) {
    const T1 = T0 + 12000 + 5;
    const byCommand = await render(type, {}, T1 + SR, [hit(T0), hit(T1)]);
    // An adsr with no attack and full sustain is 1 from its gate-on frame and 0 from its gate-off frame.
    const file = drumPatch(type, {}, {
      g: { type: "adsr", params: { attack: 0, decay: 0, sustain: 1, release: 0 } },
    }, [["g", "d.gate"]]);
    const r = await renderRaw(file, T1 + SR, [
      { frame: T0, gate: ["g", true] },
      { frame: T0 + 3000, gate: ["g", false] },
      { frame: T1, gate: ["g", true] },
    ]);
    assert.equal(firstNonZero(r.left), T0, type);
    assert.equal(
      firstDifference(r.left, byCommand),
      -1,
      `${type}: the input's hits differ from the commands'`,
    );
  }
});

Deno.test("kick: every hit restarts the same waveform; a hit chokes the one before (hat: closed cuts open)", async () => {
  const T1 = T0 + 48000;
  const k = await render("kick", { decay: 200, click: 0 }, T1 + SR, [hit(T0), hit(T1)]);
  assert.equal(firstDifference(k.subarray(T0, T0 + SR), k.subarray(T1, T1 + SR)), -1, "the second hit");
  const open = await render("hat", { decay: 2000 }, T0 + 2 * SR, [hit(T0)]);
  const cut = await render("hat", { decay: 2000 }, T0 + 2 * SR, [
    hit(T0),
    { frame: T0 + 9600, set: ["d", "decay", 40] },
    hit(T0 + 9600),
  ]);
  const end = T0 + 9600 + endAfter(40);
  assert.equal(lastNonZero(cut) <= end, true, `the choked hat sounds until ${lastNonZero(cut)}, past ${end}`);
  assert.ok(rms(open, end, end + 4800) > 0.01, "the open hat alone still rings there");
});

/** Energy in [lo, hi) Hz of x[from, from + 8192) (Blackman–Harris window). */
function energy(x: Float32Array, from: number, lo: number, hi: number): number {
  return bandPower(spectrum(x, 8192, from), SR, lo, hi);
}

const db = (a: number, b: number) => 10 * Math.log10(a / b);

Deno.test("snare: the body sounds at freq and 1.78·freq; the snappy noise lies above tone", async () => {
  const freq = 200;
  const body = await render("snare", { freq, decay: 1500, snappy: 0 }, T0 + SR, [hit(T0)]);
  const p = spectrum(body, 8192, T0 + 4800);
  const strongest = (lo: number, hi: number) => {
    let best = Math.ceil(lo * 8192 / SR);
    for (let k = best; k < hi * 8192 / SR; k++) if (p[k] > p[best]) best = k;
    return best * SR / 8192;
  };
  const f1 = strongest(50, 280), f2 = strongest(280, 600);
  assert.ok(Math.abs(cents(f1, freq)) < 30, `first partial at ${f1} Hz`);
  assert.ok(Math.abs(cents(f2, 1.78 * freq)) < 30, `second partial at ${f2} Hz`);
  assert.ok(db(bandPower(p, SR, 600, 24000), bandPower(p, SR, 0, 600)) < -60, "the body is two sines");
  for (const tone of [1000, 4000]) {
    const noise = await render("snare", { decay: 5, snappy: 1, ndecay: 1000, tone }, T0 + SR, [hit(T0)]);
    const below = energy(noise, T0 + 2400, 20, tone / 4), above = energy(noise, T0 + 2400, tone, 24000);
    assert.ok(db(below, above) < -30, `tone ${tone}: two octaves below the cutoff ${db(below, above)} dB`);
  }
});

Deno.test("hat: metallic energy centred on tone, 20 dB less two octaves below it; tone moves it", async () => {
  const centroid: number[] = [];
  for (const tone of [5000, 8000, 12000]) {
    const x = await render("hat", { decay: 1000, tone }, T0 + SR, [hit(T0)]);
    const p = spectrum(x, 8192, T0 + 480);
    const below = db(bandPower(p, SR, 0, tone / 4), bandPower(p, SR, tone / 4, 24000));
    assert.ok(below < -20, `tone ${tone}: ${below} dB below ${tone / 4} Hz`);
    let s = 0, w = 0;
    for (let k = 1; k < p.length; k++) {
      s += p[k] ** 2 * k;
      w += p[k] ** 2;
    }
    centroid.push(s / w * SR / 8192);
  }
  assert.ok(centroid[0] < centroid[1] && centroid[1] < centroid[2], `centroids ${centroid}`);
  assert.ok(Math.abs(centroid[1] - 8000) < 2500, `centroid at tone 8000: ${centroid[1]}`);
});

Deno.test("clap: struck at n = 0, S, 2S and 3S; band-passed at tone", async () => {
  const S = 12 * SR / 1000;
  const x = await render("clap", { spread: 12, decay: 400 }, T0 + SR, [hit(T0)]);
  for (let k = 1; k <= 3; k++) {
    const before = rms(x, T0 + k * S - 48, T0 + k * S), after = rms(x, T0 + k * S, T0 + k * S + 48);
    assert.ok(after > 10 * before, `strike ${k}: ${before} → ${after}`);
  }
  assert.ok(
    rms(x, T0 + 3 * S + 4800, T0 + 3 * S + 5280) > 0.05 * rms(x, T0 + 3 * S, T0 + 3 * S + 480),
    "tail",
  );
  for (const tone of [700, 2500]) {
    const y = await render("clap", { tone, decay: 2000 }, T0 + SR, [hit(T0)]);
    // Power per hertz in the octave around f (white noise in: the band-pass's response squared, which two
    // octaves away averages ≈ −12 dB against the octave around tone at Q = 1.43; the estimate holds ~20 bins).
    const density = (f: number) => energy(y, T0 + 2400, f / Math.SQRT2, f * Math.SQRT2) / f;
    for (const f of [tone / 4, tone * 4]) {
      const rel = db(density(f), density(tone));
      assert.ok(rel < -8, `tone ${tone}: the octave at ${f} Hz is ${rel} dB per Hz`);
    }
  }
});

Deno.test("drums: extreme parameters and a hit every 5 ms for 2 s stay finite and bounded", async () => {
  const extremes: Record<string, Params[]> = {
    kick: [{ freq: 500, sweep: 6, pdecay: 1000, decay: 5000, click: 1, drive: 24 }, {
      freq: 20,
      sweep: 0,
      pdecay: 1,
      decay: 10,
      click: 0,
      drive: 0,
    }],
    snare: [{ freq: 1000, decay: 2000, snappy: 1, ndecay: 2000, tone: 16000 }, {
      freq: 50,
      decay: 5,
      snappy: 0,
      ndecay: 5,
      tone: 200,
    }],
    hat: [{ freq: 2000, decay: 5000, tone: 18000, noise: 1 }, { freq: 50, decay: 5, tone: 2000, noise: 0 }],
    clap: [{ tone: 8000, spread: 50, decay: 5000 }, { tone: 300, spread: 1, decay: 10 }],
  };
  for (const type of DRUMS) {
    for (const params of extremes[type]) {
      const events: PatchEvent[] = [];
      for (let f = T0; f < T0 + 2 * SR; f += 240) events.push(hit(f, (f % 7) / 6));
      const x = await render(type, params, T0 + 2 * SR, events);
      assert.ok(peak(x) < 4, `${type} ${JSON.stringify(params)}: peak ${peak(x)}`);
    }
  }
});
