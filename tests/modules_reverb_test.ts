// The reverb module (Freeverb), measured on rendered audio (48 kHz unless noted, 128-frame blocks).
//
// The impulse: an adsr with attack 0, decay 0.1 ms (5 samples), sustain 0 and curve 0 outputs the 5-sample
// ramp 0.8, 0.6, 0.4, 0.2, 0 from the gate's frame on, fed into the reverb's left input (Freeverb sums L + R).
import assert from "node:assert/strict";
import type { PatchFile } from "../core/files.ts";
import { brightness, energy, peak, renderStereo, SR, type Stereo } from "./fx_render.ts";
import { dspModule } from "./helpers.ts";

const GATE = 1000;

async function impulseResponse(params: Record<string, number>, seconds: number, sr = SR): Promise<Stereo> {
  const file: PatchFile = {
    modules: {
      click: { type: "adsr", params: { attack: 0, decay: 0.1, sustain: 0, release: 0, curve: 0 } },
      fx: { type: "reverb", params: params },
      out: { type: "out" },
    },
    connections: [["click", "fx.L"], ["fx.L", "out.L"], ["fx.R", "out.R"]],
  };
  return renderStereo(await dspModule(), file, seconds * sr, [{ frame: GATE, gate: ["click", true] }], sr);
}

/**
 * Reverberation time from Schroeder's backward-integrated energy decay curve: the slope between −5 and
 * −25 dB, extrapolated to 60 dB (T20).
 */
function t60(x: Float32Array, sr: number): number {
  const edc = new Float64Array(x.length);
  let sum = 0;
  for (let i = x.length - 1; i >= 0; i--) edc[i] = sum += x[i] * x[i];
  const at = (db: number) => edc.findIndex((e) => 10 * Math.log10(e / edc[0]) <= db);
  const a = at(-5), b = at(-25);
  assert.ok(a > 0 && b > a, "the decay curve must fall through −25 dB inside the render");
  return 3 * (b - a) / sr;
}

function correlation(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = from; i < to; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

Deno.test("reverb: the impulse response decays", async () => {
  const { L, R } = await impulseResponse({ room: 0.8, damp: 0.4, mix: 1 }, 2);
  for (const x of [L, R]) {
    const early = energy(x, 0, SR / 2), late = energy(x, 1.5 * SR, 2 * SR);
    // Room 0.8 is comb feedback 0.924: ≈ 22 dB per second (T60 ≈ 2.8 s at damp 0), faster with damping, so
    // the 1.5–2 s window is ~30 dB below the first half second (measured ≈ 1e-3 at damp 0); 20 dB is the bar.
    assert.ok(early > 1e-3, `early energy ${early}`);
    assert.ok(late < 1e-2 * early, `late/early energy ${late / early}`);
  }
});

Deno.test("reverb: a larger room decays longer, at the rate its comb feedback predicts", async () => {
  const measured: number[] = [];
  for (const room of [0.5, 0.9]) {
    const { L } = await impulseResponse({ room, damp: 0 }, 12);
    const t = t60(L, SR);
    // Each comb of length N (Jezar's 44.1 kHz tunings 1116 … 1617, scaled with the rate) loses −ln g per
    // pass, g = 0.7 + 0.28·room, so its T60 = ln(1000)·N/(44100·(−ln g)); the sum decays between the shortest
    // and the longest comb's rate (the allpasses only disperse). 10 % margin on either side.
    const g = 0.7 + 0.28 * room;
    const tc = (n: number) => Math.log(1000) * n / (44100 * -Math.log(g));
    assert.ok(
      t > 0.9 * tc(1116) && t < 1.1 * tc(1617),
      `room ${room}: T60 ${t} s, combs ${tc(1116)}…${tc(1617)}`,
    );
    measured.push(t);
  }
  // Measured 1.29 s and 4.55 s.
  assert.ok(measured[1] > 2 * measured[0], `T60 ${measured}`);
});

Deno.test("reverb: the decay time does not depend on the sample rate", async () => {
  const at48 = t60((await impulseResponse({ room: 0.7, damp: 0.5 }, 8)).L, SR);
  const at96 = t60((await impulseResponse({ room: 0.7, damp: 0.5 }, 8, 96000)).L, 96000);
  // Delays scale with the rate, and the damping pole is converted so its cutoff stays put in Hz; what is left
  // is the rounding of the delay lengths to whole samples (< 0.1 %) and how the click itself scales. 5 %.
  assert.ok(Math.abs(at96 / at48 - 1) < 0.05, `T60 ${at48} s at 48 kHz, ${at96} s at 96 kHz`);
});

Deno.test("reverb: L and R tails are decorrelated at width 1 and identical at width 0", async () => {
  const from = GATE + 0.1 * SR, to = GATE + 1.5 * SR;
  const wide = await impulseResponse({ room: 0.8, mix: 1, width: 1 }, 2);
  // The right combs and allpasses are 23 samples longer: their echo patterns do not line up (measured 0.03).
  const c = correlation(wide.L, wide.R, from, to);
  assert.ok(Math.abs(c) < 0.5, `correlation at width 1: ${c}`);
  const mono = await impulseResponse({ room: 0.8, mix: 1, width: 0 }, 2);
  const c0 = correlation(mono.L, mono.R, from, to);
  assert.ok(c0 > 0.999, `correlation at width 0: ${c0}`);
});

Deno.test("reverb: damping lowers the high-frequency energy of the tail", async () => {
  const tail = async (damp: number) => {
    const { L } = await impulseResponse({ room: 0.8, damp, mix: 1 }, 2);
    return brightness(L, 0.3 * SR, 1.3 * SR);
  };
  const open = await tail(0), some = await tail(0.4), full = await tail(1);
  // Measured 0.67, 0.13, 0.04 (white noise would be 2): without damping the tail stays about as bright as the
  // click; the comb low-passes take away more with each pass, the more the higher `damp`.
  assert.ok(some < 0.5 * open && full < 0.5 * some, `brightness ${open}, ${some}, ${full}`);
});

Deno.test("reverb: mix 0 is the dry signal", async () => {
  const module = await dspModule();
  // The noise modules' sequences depend on their names and the engine seed: the same in both patches.
  const sources = { a: { type: "noise" }, b: { type: "noise", params: { color: "pink" } } };
  const dry = renderStereo(module, {
    modules: { ...sources, out: { type: "out" } },
    connections: [["a", "out.L"], ["b", "out.R"]],
  }, SR);
  const wet = renderStereo(module, {
    modules: {
      ...sources,
      fx: { type: "reverb", params: { room: 1, damp: 0, mix: 0 } },
      out: { type: "out" },
    },
    connections: [["a", "fx.L"], ["b", "fx.R"], ["fx.L", "out.L"], ["fx.R", "out.R"]],
  }, SR);
  for (let i = 0; i < SR; i++) {
    assert.ok(Math.abs(wet.L[i] - dry.L[i]) <= 1e-6 && Math.abs(wet.R[i] - dry.R[i]) <= 1e-6, `frame ${i}`);
  }
});

Deno.test("reverb: loud noise at room 1, damp 0 for 10 s never produces NaN or Inf", async () => {
  const module = await dspModule();
  const frames = 10 * SR;
  const loud = (extra: [string, string, number?][] = []): PatchFile => ({
    modules: {
      a: { type: "noise" },
      b: { type: "noise" },
      ga: { type: "vca", params: { gain: 2 } },
      gb: { type: "vca", params: { gain: 2 } },
      sweep: { type: "lfo", params: { rate: 3, depth: 1 } },
      fx: { type: "reverb", params: { room: 1, damp: 0, mix: 1 } },
      out: { type: "out" },
    },
    connections: [
      ["a", "ga"],
      ["b", "gb"],
      ["ga", "fx.L"],
      ["gb", "fx.R"],
      ["fx.L", "out.L"],
      ["fx.R", "out.R"],
      ...extra,
    ],
  });
  // Static at the extreme, then with room and damp swept over their whole range by an LFO (clamped to 0 … 1).
  for (const file of [loud(), loud([["sweep", "fx.room", 1], ["sweep", "fx.damp", 1]])]) {
    const { L, R, sanitized } = renderStereo(module, file, frames);
    // `out` replaces non-finite samples by 0 and counts them: 0 means the reverb's raw output was finite.
    assert.equal(sanitized, 0, "the reverb produced non-finite samples");
    // |L + R| ≤ 4, so each comb (feedback ≤ 0.98, unity-gain damping low-pass) stays within 4·0.015/0.02 = 3,
    // the 8 combs within 24, and 4 allpasses (impulse-response L1 norm 1 + 1/(1 − 0.5) = 3 each) within
    // 24·81 ≈ 1944: a hard bound that holds for any input. Measured peaks are ~10.
    for (const x of [L, R]) {
      const p = peak(x);
      assert.ok(Number.isFinite(p) && p < 1944, `peak ${p}`);
    }
    const rms = Math.sqrt(energy(L, frames - SR) / SR);
    assert.ok(rms > 0.1, `the reverb is still sounding: rms ${rms}`);
  }
});

Deno.test("reverb: the tail settles above the subnormal range instead of decaying into it", async () => {
  // Room 0 (comb feedback 0.7) takes the impulse below the smallest normal f32 (1.2e-38) within ~6 s. A
  // constant 1e-18 at the comb input keeps every state near 1e-17 instead (subnormals are slow on x86 and WASM
  // cannot flush them); the output carries the combs' and allpasses' states, so it would show any.
  const { L, R } = await impulseResponse({ room: 0, damp: 0.5, mix: 1 }, 10);
  for (const x of [L, R]) {
    const sub = x.findIndex((v) => v !== 0 && Math.abs(v) < 1.1754944e-38);
    assert.equal(sub, -1, `subnormal output at frame ${sub}`);
    // The floor the offset leaves is far below anything audible (−250 dBFS).
    assert.ok(peak(x.subarray(9 * SR)) < 1e-12, `floor ${peak(x.subarray(9 * SR))}`);
  }
});
