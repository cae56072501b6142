// The delay module, measured on rendered audio (48 kHz, 128-frame blocks).
//
// The click: an adsr with attack 0, decay 0.1 ms (5 samples), sustain 0 and curve 0 (linear) outputs the
// 5-sample ramp 0.8, 0.6, 0.4, 0.2, 0 from the gate's frame on: a short pulse with its peak exactly at that
// frame and energy up to ~10 kHz, fed straight into the delay's audio input.
import assert from "node:assert/strict";
import type { PatchFile } from "../core/files.ts";
import { brightness, energy, peak, peakIndex, renderStereo, SR } from "./fx_render.ts";
import { dspModule } from "./helpers.ts";

const GATE = 1000; // frame of the click
const CLICK = {
  type: "adsr",
  params: { attack: 0, decay: 0.1, sustain: 0, release: 0, curve: 0 },
};

function clickInto(delay: Record<string, number | string>, into = ["fx.L"]): PatchFile {
  return {
    modules: { click: CLICK, fx: { type: "delay", params: delay }, out: { type: "out" } },
    connections: [...into.map((i): [string, string] => ["click", i]), ["fx.L", "out.L"], ["fx.R", "out.R"]],
  };
}

const click = [{ frame: GATE, gate: ["click", true] as [string, boolean] }];

Deno.test("delay: echoes come exactly time·sr apart, each `feedback` times the one before (damp 0)", async () => {
  const time = 250, fb = 0.6, D = time * SR / 1000; // 12000 samples; 250 is not the default (375)
  const { L, R } = renderStereo(
    await dspModule(),
    clickInto({ time, feedback: fb, damp: 0, mix: 1 }),
    6 * D,
    click,
  );
  // mix 1 is wet only: nothing before the first echo.
  assert.equal(peak(L.subarray(0, GATE + D - 1)), 0);
  let prev = 0;
  for (let k = 1; k <= 5; k++) {
    const at = peakIndex(L, GATE + k * D - D / 2, GATE + k * D + D / 2);
    assert.ok(Math.abs(at - (GATE + k * D)) <= 1, `echo ${k} at ${at - GATE}, expected ${k * D} ± 1`);
    // At an integer delay the interpolator returns the stored sample and damp 0 bypasses the low-pass, so the
    // only error is f32 rounding (~6e-8 relative per pass): 1e-5 leaves a wide margin over 5 passes.
    const a = L[at];
    if (k > 1) assert.ok(Math.abs(a / prev - fb) < 1e-5, `echo ${k}/${k - 1} = ${a / prev}, expected ${fb}`);
    assert.ok(Math.abs(a - 0.8 * fb ** (k - 1)) < 1e-5, `echo ${k} peak ${a}`);
    prev = a;
  }
  assert.equal(peak(R), 0, "nothing goes into R, nothing comes out of it");
});

Deno.test("delay: damping lowers the high-frequency share of each later echo; damp 0 keeps it", async () => {
  const module = await dspModule();
  const D = 12000;
  // Each echo's window starts 100 samples early and lasts 2000 (the damped pulse rings out in a few hundred).
  const bright = (damp: number) => {
    const { L } = renderStereo(module, clickInto({ time: 250, feedback: 0.6, damp, mix: 1 }), 5 * D, click);
    return [1, 2, 3, 4].map((k) => brightness(L, GATE + k * D - 100, GATE + k * D + 2000));
  };
  const flat = bright(0), damped = bright(0.6);
  // The click's brightness is 2/3 (its first difference is 0.8 then four steps of 0.2). Damp 0: every echo is
  // the same pulse, so equal to f32 rounding.
  for (const b of flat) assert.ok(Math.abs(b - flat[0]) < 1e-4, `damp 0 brightness ${flat}`);
  // The low-pass sits in the loop only: echo 1 is the input itself, echo k has been filtered k − 1 times.
  assert.ok(Math.abs(damped[0] - flat[0]) < 1e-4, `first echo ${damped[0]} vs ${flat[0]}`);
  // Measured 0.667, 0.272, 0.140, 0.088. Each pass through the one-pole (pole 0.54, ≈ 4.7 kHz) must take
  // away a clear part: at least 25 % per echo, and under half of the click's by the third echo.
  for (let k = 1; k < 4; k++) {
    assert.ok(damped[k] < 0.75 * damped[k - 1], `brightness ${damped.map((b) => b.toFixed(3))}`);
  }
  assert.ok(damped[2] < 0.5 * damped[0], `brightness ${damped.map((b) => b.toFixed(3))}`);
});

Deno.test("delay: a time change glides the pitch like tape, without zipper noise or clicks", async () => {
  const f = 110, time0 = 250, time1 = 500, time2 = 100, t1 = SR, t2 = 2.5 * SR, n = 4 * SR;
  const file: PatchFile = {
    modules: {
      osc: { type: "vco", params: { wave: "sine", freq: f } },
      fx: { type: "delay", params: { time: time0, feedback: 0, mix: 1 } },
      out: { type: "out" },
    },
    connections: [["osc", "fx.L"], ["fx.L", "out.L"]],
  };
  const { L } = renderStereo(await dspModule(), file, n, [
    { frame: t1, set: ["fx", "time", time1] },
    { frame: t2, set: ["fx", "time", time2] },
  ]);
  // The ideal tape: y[i] = sin(2π·f·(i − D[i])/sr), D[i] = time[i]·sr/1000 with time[i] the framework's
  // per-sample one-pole (150 ms) toward each new value, stored as f32 like the DSP's parameter buffer.
  const k = 1 - Math.exp(-1 / (0.150 * SR));
  const w = 2 * Math.PI * f / SR;
  let v = time0, worst = 0, maxStep = 0;
  for (let i = 0; i < n; i++) {
    if (i >= t1) v += ((i >= t2 ? time2 : time1) - v) * k;
    const pos = i - Math.fround(v) * SR / 1000;
    const ideal = pos < 0 ? 0 : Math.sin(w * pos);
    worst = Math.max(worst, Math.abs(L[i] - ideal));
    if (i > 0) maxStep = Math.max(maxStep, Math.abs(L[i] - L[i - 1]));
  }
  // Hermite interpolation of a 110 Hz sine is exact to ~1e-7; the f32 rounding of `time` moves the read head by
  // ≤ 1e-3 samples (≈ 1.5e-5 of amplitude). A head that moved in whole samples would be off by up to w/2 ≈ 7e-3,
  // one that moved per block by far more.
  assert.ok(worst < 1e-4, `largest difference from the ideal tape: ${worst}`);
  // The read head's speed is 1 − dD/di; right after the 500 → 100 ms step dD/di = −400/150, so the pitch rises
  // to 3.67·f at most. A continuous signal at that pitch and amplitude 1 moves at most w·3.67 per sample.
  const bound = 1.5 * w * (1 + (time1 - time2) / 150);
  assert.ok(maxStep < bound, `largest sample-to-sample step ${maxStep}, bound ${bound}`);
});

Deno.test("delay: feedback 0.98 with damp 0 stays finite and bounded for 10 s of full-scale noise", async () => {
  const module = await dspModule();
  const frames = 10 * SR;
  for (const pingpong of ["off", "on"]) {
    const file: PatchFile = {
      modules: {
        a: { type: "noise" },
        b: { type: "noise" }, // another name, another sequence: with pingpong, L and R really cross
        fx: { type: "delay", params: { time: 250, feedback: 0.98, damp: 0, mix: 1, pingpong } },
        out: { type: "out" },
      },
      connections: [["a", "fx.L"], ["b", "fx.R"], ["fx.L", "out.L"], ["fx.R", "out.R"]],
    };
    const { L, R, sanitized } = renderStereo(module, file, frames);
    assert.equal(sanitized, 0, "the DSP produced non-finite samples");
    // |in| ≤ 1 and an integer delay (250 ms) reads stored samples exactly, so |y| ≤ Σ 0.98^k = 50.
    for (const x of [L, R]) {
      const p = peak(x);
      assert.ok(p <= 50, `peak ${p} (pingpong ${pingpong})`);
    }
    // Noise builds up toward rms √(1/3 / (1 − 0.98²)) ≈ 2.9 without blowing up: the last second is loud.
    const rms = Math.sqrt(energy(L, frames - SR) / SR);
    assert.ok(rms > 1 && rms < 5, `rms of the last second ${rms}`);
  }
  // A time swept by an LFO (fractional, moving reads) through the loop at 0.98: still finite and bounded.
  const swept: PatchFile = {
    modules: {
      src: { type: "noise" },
      mod: { type: "lfo", params: { rate: 0.7, depth: 1 } },
      fx: { type: "delay", params: { time: 30, feedback: 0.98, damp: 0, mix: 1, pingpong: "on" } },
      out: { type: "out" },
    },
    connections: [["src", "fx.L"], ["mod", "fx.time", 2], ["fx.L", "out.L"], ["fx.R", "out.R"]],
  };
  const s = renderStereo(module, swept, frames);
  assert.equal(s.sanitized, 0);
  assert.ok(peak(s.L) <= 50 && peak(s.R) <= 50, `peaks ${peak(s.L)}, ${peak(s.R)}`);
});

Deno.test("delay: mix 0 is the dry signal", async () => {
  const module = await dspModule();
  const frames = SR;
  // The noise module's sequence depends on its name and the engine seed, so "src" is the same in both patches.
  const dry = renderStereo(module, {
    modules: { src: { type: "noise" }, out: { type: "out" } },
    connections: [["src", "out.L"], ["src", "out.R"]],
  }, frames);
  const wet = renderStereo(module, {
    modules: {
      src: { type: "noise" },
      fx: { type: "delay", params: { time: 10, feedback: 0.9, mix: 0, pingpong: "on" } },
      out: { type: "out" },
    },
    connections: [["src", "fx.L"], ["src", "fx.R"], ["fx.L", "out.L"], ["fx.R", "out.R"]],
  }, frames);
  for (let i = 0; i < frames; i++) {
    assert.ok(Math.abs(wet.L[i] - dry.L[i]) <= 1e-6 && Math.abs(wet.R[i] - dry.R[i]) <= 1e-6, `frame ${i}`);
  }
});

Deno.test("delay: pingpong sends the first echo of a left input to the left, the second to the right", async () => {
  const D = 12000;
  const { L, R } = renderStereo(
    await dspModule(),
    clickInto({ time: 250, feedback: 0.6, damp: 0, mix: 1, pingpong: "on" }),
    5 * D,
    click,
  );
  const win = (k: number) => [GATE + k * D - 100, GATE + k * D + 100] as const;
  const click1 = energy(L, ...win(1));
  assert.ok(click1 > 1, `first echo energy ${click1}`); // the click's energy is 0.64 + 0.36 + 0.16 + 0.04 = 1.2
  assert.equal(energy(R, ...win(1)), 0, "first echo: nothing in R");
  assert.equal(energy(L, ...win(2)), 0, "second echo: nothing in L");
  assert.ok(
    Math.abs(energy(R, ...win(2)) / click1 - 0.36) < 1e-4,
    "second echo in R, feedback² of the first",
  );
  assert.equal(energy(R, ...win(3)), 0, "third echo: back in L only");
  assert.ok(Math.abs(energy(L, ...win(3)) / click1 - 0.6 ** 4) < 1e-4);
  assert.equal(peakIndex(R, ...win(2)), GATE + 2 * D);
});

Deno.test("delay: a dying loop never leaves subnormal numbers in the buffers", async () => {
  // Feedback 0.5 every 10 ms takes the click below the smallest normal f32 (1.2e-38) after ~125 passes (1.3 s).
  // Subnormals are slow on x86 and WASM cannot flush them, so the loop drops values under 1e-20; the output is
  // the buffer read, so any subnormal left in the loop would show up here.
  const file = clickInto({ time: 10, feedback: 0.5, damp: 0.5, mix: 1, pingpong: "on" }, ["fx.L", "fx.R"]);
  const { L, R } = renderStereo(await dspModule(), file, 3 * SR, click);
  for (const x of [L, R]) {
    const sub = x.findIndex((v) => v !== 0 && Math.abs(v) < 1.1754944e-38);
    assert.equal(sub, -1, `subnormal output at frame ${sub}`);
    assert.equal(peak(x.subarray(2 * SR)), 0, "the loop has died away to exactly 0");
  }
});

// The tone filters: a sine at `hz` through the delay (10 ms, no feedback, wet only): the echo's level against
// the sine's, in dB, over the whole cycles of the second after 0.2 s of settling.
function wetGainDb(
  module: WebAssembly.Module,
  tone: Record<string, number>,
  hz: number,
  sampleRate = SR,
): number {
  const file: PatchFile = {
    modules: {
      osc: { type: "vco", params: { wave: "sine", freq: hz } },
      fx: { type: "delay", params: { time: 10, feedback: 0, mix: 1, ...tone } },
      out: { type: "out" },
    },
    connections: [["osc", "fx.L"], ["osc", "fx.R"], ["fx.L", "out.L"], ["fx.R", "out.R"]],
  };
  const from = Math.round(0.2 * sampleRate), n = sampleRate;
  const { L, R } = renderStereo(module, file, from + n, [], sampleRate);
  const level = (x: Float32Array) => {
    let re = 0, im = 0;
    const w = 2 * Math.PI * hz / sampleRate;
    for (let i = from; i < from + n; i++) {
      re += x[i] * Math.cos(w * i);
      im -= x[i] * Math.sin(w * i);
    }
    return 2 * Math.hypot(re, im) / n;
  };
  const l = level(L), r = level(R);
  assert.ok(Math.abs(l - r) <= 1e-6 * l, `L ${l} and R ${r} filter alike`);
  return 20 * Math.log10(l);
}

// A 2-pole Butterworth's gain in dB through the bilinear transform pre-warped at its cutoff: the analogue
// −10·log10(1 + r⁴) with r the ratio of the warped frequencies (tan(π·f/sr) / tan(π·fc/sr); its inverse for a
// high-pass): −3.01 dB exactly at the cutoff, −12 dB an octave away, steeper towards Nyquist.
function butterworthDb(f: number, fc: number, kind: "low" | "high", sampleRate = SR): number {
  const r = Math.tan(Math.PI * f / sampleRate) / Math.tan(Math.PI * fc / sampleRate);
  return -10 * Math.log10(1 + (kind === "low" ? r : 1 / r) ** 4);
}

Deno.test("delay: lowcut and highcut are −3 dB at their cutoffs (2-pole Butterworth on the echoes)", async () => {
  const module = await dspModule();
  const check = (tone: { lowcut?: number; highcut?: number }, f: number, sampleRate = SR) => {
    let want = 0;
    if (tone.highcut) want += butterworthDb(f, tone.highcut, "low", sampleRate);
    if (tone.lowcut) want += butterworthDb(f, tone.lowcut, "high", sampleRate);
    const got = wetGainDb(module, tone, f, sampleRate);
    const what = `${JSON.stringify(tone)} at ${f} Hz (${sampleRate} Hz)`;
    assert.ok(Math.abs(got - want) <= 0.01, `${what}: ${got.toFixed(3)} dB, expected ${want.toFixed(3)}`);
    return got;
  };
  // At the cutoffs: −3.01 dB.
  for (
    const [tone, f] of [[{ highcut: 5000 }, 5000], [{ highcut: 1000 }, 1000], [{ lowcut: 100 }, 100]] as const
  ) {
    assert.ok(Math.abs(check(tone, f) + 3.01) < 0.01);
  }
  check({ lowcut: 1000 }, 1000);
  // Around them: the pass band (≈ 0 dB), an octave away (≈ −12 dB) and further.
  for (const f of [250, 1000, 2500, 10000, 15000]) check({ highcut: 5000 }, f);
  for (const f of [50, 200, 400, 2000, 8000]) check({ lowcut: 100 }, f);
  // Both at once, a band: the responses multiply (add in dB).
  for (const f of [100, 250, 1000, 4000, 8000]) check({ lowcut: 250, highcut: 4000 }, f);
  // The cutoffs are in Hz whatever the engine's rate.
  check({ highcut: 3000 }, 3000, 44100);
  check({ lowcut: 300 }, 300, 96000);
});

Deno.test("delay: the tone filters sit outside the loop: every echo is filtered once, feedback stays exact", async () => {
  const D = 12000, module = await dspModule();
  const echoes = (tone: Record<string, number>) => {
    const { L } = renderStereo(
      module,
      clickInto({ time: 250, feedback: 0.6, damp: 0, mix: 1, ...tone }),
      5 * D,
      click,
    );
    return [1, 2, 3, 4].map((k) => L.subarray(GATE + k * D - 100, GATE + k * D + 2000));
  };
  const cut = echoes({ highcut: 1500, lowcut: 300 }), open = echoes({});
  // Inside the loop echo k would pass k times and lose more each pass; outside, echo k is 0.6^(k−1) times echo
  // 1, sample for sample (the filters are linear and time-invariant).
  for (let k = 1; k < 4; k++) {
    for (let i = 0; i < cut[0].length; i++) {
      const want = cut[0][i] * 0.6 ** k;
      assert.ok(Math.abs(cut[k][i] - want) < 1e-6, `echo ${k + 1} sample ${i}: ${cut[k][i]} vs ${want}`);
    }
  }
  assert.ok(brightness(cut[0]) < 0.5 * brightness(open[0]), "the filtered echo is darker");
});

Deno.test("delay: the defaults leave the echoes untouched; a swept cutoff stays finite", async () => {
  const module = await dspModule();
  const plain = renderStereo(module, clickInto({ time: 50, feedback: 0.7 }), SR, click);
  const ends = renderStereo(
    module,
    clickInto({ time: 50, feedback: 0.7, lowcut: 20, highcut: 20000 }),
    SR,
    click,
  );
  assert.deepEqual(ends.L, plain.L, "lowcut 20 and highcut 20000 are off: the same samples");
  // Both cutoffs swept by a fast LFO over their whole range, feedback 0.98 on full-scale noise.
  const swept: PatchFile = {
    modules: {
      src: { type: "noise" },
      mod: { type: "lfo", params: { rate: 30, depth: 1 } },
      fx: {
        type: "delay",
        params: { time: 30, feedback: 0.98, damp: 0, mix: 0.5, lowcut: 140, highcut: 4500 },
      },
      out: { type: "out" },
    },
    connections: [
      ["src", "fx.L"],
      ["mod", "fx.lowcut", 3],
      ["mod", "fx.highcut", 3],
      ["fx.L", "out.L"],
      ["fx.R", "out.R"],
    ],
  };
  const s = renderStereo(module, swept, 5 * SR);
  assert.equal(s.sanitized, 0);
  assert.ok(peak(s.L) <= 60 && peak(s.R) <= 60, `peaks ${peak(s.L)}, ${peak(s.R)}`);
});
