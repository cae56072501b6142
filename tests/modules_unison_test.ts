// The voice's unison and spread (asm/modules/voice_unison.ts), measured on rendered signal: the partials'
// pitches and levels from a long FFT, the loudness law, unison 1 unchanged, validation, a click-free spread.
import assert from "node:assert/strict";
import type { PatchFile } from "../core/files.ts";
import { ScoreEngine } from "../cli/score.ts";
import { OscRouter } from "../osc/router.ts";
import type { PatchEvent } from "../patch/render.ts";
import { peak, renderRaw, SR } from "./module_probe.ts";
import { cents, db, rms, spectrum } from "./signal.ts";

const N = 1 << 18; // 5.5 s: bins of 0.18 Hz, partials 14 cents apart at 440 Hz are 20 bins apart

// A saw voice held open: no filter movement (envamt 0, cutoff at the top), sustain 1, gated at frame 0.
function voicePatch(params: Record<string, number | string>): PatchFile {
  return {
    modules: {
      v: {
        type: "voice",
        params: {
          wave: "saw",
          freq: 440,
          cutoff: 20000,
          res: 0,
          envamt: 0,
          attack: 0,
          sustain: 1,
          ...params,
        },
      },
      o: { type: "out" },
    },
    connections: [["v", "o.L"]],
  };
}

const GATE: PatchEvent[] = [{ frame: 0, gate: ["v", true] }];

async function render(params: Record<string, number | string>, frames = N + 4800, events = GATE) {
  return (await renderRaw(voicePatch(params), frames, events)).left;
}

/** The local maxima of a magnitude spectrum in [lo, hi) Hz: frequency and level (dB), parabolic in dB. */
function peaks(mag: Float64Array, lo: number, hi: number): { hz: number; db: number }[] {
  const out = [];
  const bin = SR / (mag.length * 2);
  for (let k = Math.ceil(lo / bin); k < hi / bin; k++) {
    if (!(mag[k] > mag[k - 1] && mag[k] >= mag[k + 1])) continue;
    const a = db(mag[k - 1]), b = db(mag[k]), c = db(mag[k + 1]);
    const d = (0.5 * (a - c)) / (a - 2 * b + c);
    out.push({ hz: (k + d) * bin, db: b - 0.25 * (a - c) * d });
  }
  return out;
}

/** The n strongest peaks in [lo, hi) Hz, low to high. */
function strongest(x: Float32Array, n: number, lo: number, hi: number) {
  const p = peaks(spectrum(x, N, 4800), lo, hi).sort((a, b) => b.db - a.db).slice(0, n);
  return p.sort((a, b) => a.hz - b.hz);
}

Deno.test("unison 2, spread 14: two partials 14 cents apart around the pitch, at equal level, each −3 dB", async () => {
  const [lo, hi] = strongest(await render({ unison: 2, spread: 14 }), 2, 420, 460);
  const [one] = strongest(await render({}), 1, 420, 460);
  assert.ok(Math.abs(cents(hi.hz, lo.hz) - 14) < 0.5, `apart: ${cents(hi.hz, lo.hz).toFixed(3)} cents`);
  assert.ok(Math.abs(cents(lo.hz, 440) + 7) < 0.5, `low partial ${cents(lo.hz, 440).toFixed(3)} cents`);
  assert.ok(Math.abs(cents(hi.hz, 440) - 7) < 0.5, `high partial ${cents(hi.hz, 440).toFixed(3)} cents`);
  assert.ok(Math.abs(lo.db - hi.db) < 0.5, `levels ${lo.db.toFixed(2)} and ${hi.db.toFixed(2)} dB`);
  // 1/√2 each: −3.01 dB from the single oscillator's fundamental.
  for (const p of [lo, hi]) {
    assert.ok(Math.abs(p.db - one.db + 3.01) < 0.5, `${p.db.toFixed(2)} dB vs one at ${one.db.toFixed(2)}`);
  }
});

Deno.test("unison 7, spread 60: seven partials 10 cents apart, symmetric around the pitch, at equal level", async () => {
  const p = strongest(await render({ unison: 7, spread: 60 }), 7, 420, 460);
  const [one] = strongest(await render({}), 1, 420, 460);
  assert.equal(p.length, 7);
  p.forEach((q, k) => {
    const want = 60 * (k / 6 - 0.5);
    assert.ok(Math.abs(cents(q.hz, 440) - want) < 0.5, `partial ${k}: ${cents(q.hz, 440).toFixed(3)} cents`);
    // 1/√7 each: −8.45 dB from the single oscillator's fundamental.
    assert.ok(Math.abs(q.db - one.db + 8.45) < 0.5, `partial ${k}: ${(q.db - one.db).toFixed(2)} dB`);
  });
});

Deno.test("unison loudness: each oscillator at 1/√N keeps the RMS within 0.5 dB of one oscillator", async () => {
  const frames = 4 * SR;
  const ref = rms(await render({}, frames), SR / 2);
  for (const n of [2, 3, 5, 7]) {
    const x = await render({ unison: n, spread: 40 }, frames);
    const d = db(rms(x, SR / 2) / ref);
    assert.ok(Math.abs(d) < 0.5, `unison ${n}: ${d.toFixed(2)} dB from unison 1`);
  }
});

async function sha(x: Float32Array): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", new Uint8Array(Float32Array.from(x).buffer));
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("unison 1 is the voice as it was: spread is ignored, and the samples match the render from before unison", async () => {
  const frames = SR / 2;
  const plain = await render({}, frames);
  assert.deepEqual(await render({ unison: 1, spread: 50 }, frames), plain);
  // A moving filter (the general kernel) too. The hashes are of the renders before unison existed.
  const general = await render({ envamt: 2, cutoff: 800, res: 0.5, decay: 100, sustain: 0.3 }, frames);
  assert.equal(await sha(general), EXPECTED_GENERAL, "the general kernel's render changed");
  assert.equal(await sha(plain), EXPECTED_FIXED, "the f32 kernel's render changed");
});

const EXPECTED_FIXED = "df47a61b8ed228a802da04102dc804318ba04d900d6ad061b7aa33f167d940fa";
const EXPECTED_GENERAL = "1a2749762bd4bbb497b010667602d806a18f173d794d1743cef4dd4677b80bdc";

Deno.test("unison and spread out of range get /error and change nothing", () => {
  const e = new ScoreEngine(SR, 128);
  const file = voicePatch({});
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  const router = new OscRouter(e);
  const before = e.commands.length;
  for (
    const [param, value] of [["unison", 0], ["unison", 8], ["unison", 2.5], ["spread", -1], ["spread", 101]]
  ) {
    const r = router.handle(`/mod/v/${param}`, [value], { frame: 0 });
    assert.equal(r[0]?.address, "/error", `${param} ${value} → ${JSON.stringify(r)}`);
    assert.match(String(r[0].args[1]), /out of range|whole/, String(r[0].args[1]));
  }
  assert.equal(e.commands.length, before, "nothing was sent");
  const ok = router.handle("/mod/v/unison", [7], { frame: 0 });
  assert.notEqual(ok[0]?.address, "/error", JSON.stringify(ok));
  assert.equal(e.commands.length, before + 1, "a good value is sent");
});

Deno.test("a spread change mid-note is click-free: no sample step beyond the saw's own", async () => {
  const at = SR;
  const events: PatchEvent[] = [...GATE, { frame: at, set: ["v", "spread", 100] }];
  const x = await render({ unison: 3, spread: 0, freq: 110 }, 2 * SR, events);
  const step = (from: number, to: number) => {
    let m = 0;
    for (let i = from + 1; i < to; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
    return m;
  };
  const steady = step(at - SR / 2, at);
  assert.ok(step(at, at + SR / 50) <= 1.05 * steady, `${step(at, at + SR / 50)} vs ${steady}`);
  // It took effect: spread 100 over three oscillators beats (the envelope of the sum moves).
  const r = (from: number) => rms(x, from, from + SR / 20);
  const a = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => r(at + SR / 4 + (k * SR) / 20));
  assert.ok(Math.max(...a) / Math.min(...a) > 1.2, `beating after the change: ${a.map((v) => v.toFixed(3))}`);
});

// Four voices side by side (adjacent in the plan, none feeding another): the graph hands them to the voice's
// four-at-once kernel (asm/modules/voice_unison_f32x4.ts) while all four play on the unison f32 path. The
// same patch with only `target`'s gate events leaves the three neighbours idle (the silent shortcut), so the
// group falls back and `target` renders alone (voice_unison.ts runUnisonFixed). Its samples must not change.
type Params = Record<string, number | string>;

function quartet(voices: Record<string, Params>, target: string): PatchFile {
  const modules: PatchFile["modules"] = { o: { type: "out" } };
  for (const [name, params] of Object.entries(voices)) {
    // A fixed low-pass (envamt 0, nothing moving): the f32 path, resonant so the filter state matters.
    modules[name] = {
      type: "voice",
      params: {
        wave: "saw",
        cutoff: 1800,
        res: 0.7,
        envamt: 0,
        attack: 4,
        decay: 60,
        sustain: 0.5,
        ...params,
      },
    };
  }
  const others = Object.keys(voices).filter((n) => n !== target);
  return { modules, connections: [[target, "o.L"], ...others.map((n) => [n, "o.R"] as [string, string])] };
}

// Gates at odd frames and releases of different lengths, so the group's runs split where any voice's
// envelope segment ends (inside the target's runs when it renders alone).
function quartetEvents(names: string[]): PatchEvent[] {
  return names.flatMap((n, k): PatchEvent[] => [
    { frame: 301 + 97 * k, gate: [n, true, 0.6 + 0.1 * k] },
    { frame: 9001 + 1333 * k, gate: [n, false] },
    { frame: 17003 + 211 * k, gate: [n, true] },
  ]);
}

async function aloneAndInFour(voices: Record<string, Params>, target: string, frames = 30000) {
  const events = quartetEvents(Object.keys(voices));
  const four = await renderRaw(quartet(voices, target), frames, events);
  const mine = events.filter((e) => "gate" in e && e.gate[0] === target);
  const alone = await renderRaw(quartet(voices, target), frames, mine);
  return { four: four.left, alone: alone.left, others: four.right };
}

/** Asserts that a and b hold the same bits sample for sample (−0 ≠ +0), naming the first difference. */
function assertSameBits(a: Float32Array, b: Float32Array, what: string) {
  const bits = (x: Float32Array) => new Uint32Array(Float32Array.from(x).buffer);
  const [x, y] = [bits(a), bits(b)];
  assert.equal(x.length, y.length);
  const i = x.findIndex((v, k) => v !== y[k]);
  assert.equal(i, -1, `${what}: first difference at frame ${i}: ${a[i]} vs ${b[i]}`);
}

Deno.test("unison 2 in a group of four unison 2 voices renders the same samples as alone", async () => {
  const voices = {
    a: { freq: 110, unison: 2, spread: 14 },
    b: { freq: 173.3, unison: 2, spread: 14, release: 40 },
    c: { freq: 0.5, unison: 2, spread: 100 },
    d: { freq: 3000, unison: 2, spread: 7, gain: 0.3 },
  };
  const { four, alone, others } = await aloneAndInFour(voices, "a");
  assert.ok(peak(alone) > 0.05 && peak(others) > 0.05, "all four play");
  assertSameBits(four, alone, "a");
});

Deno.test("unison 2 and 3 in a group of mixed unison (2, 3, 2, 7) render the same samples as alone", async () => {
  const voices = {
    a: { freq: 220, unison: 2, spread: 20 },
    b: { freq: 97.7, unison: 3, spread: 35, release: 25 },
    c: { freq: 1234, unison: 2, spread: 60 },
    d: { freq: 55, unison: 7, spread: 40 },
  };
  for (const target of ["a", "b", "d"]) {
    const { four, alone } = await aloneAndInFour(voices, target);
    assert.ok(peak(alone) > 0.05, `${target} plays`);
    assertSameBits(four, alone, target);
  }
});

Deno.test("a group mixing unison 1 and unison 3 renders one by one: each voice as alone", async () => {
  const voices = {
    a: { freq: 220 },
    b: { freq: 330, unison: 3, spread: 25 },
    c: { freq: 440 },
    d: { freq: 110, unison: 3, spread: 10 },
  };
  for (const target of ["a", "b"]) {
    const { four, alone } = await aloneAndInFour(voices, target);
    assert.ok(peak(alone) > 0.05, `${target} plays`);
    assertSameBits(four, alone, target);
  }
});
