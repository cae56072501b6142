// The limiter module, measured on rendered audio (48 kHz).
import assert from "node:assert/strict";
import type { Command } from "../core/command.ts";
import { Patch } from "../patch/graph.ts";
import type { PatchFile } from "../core/files.ts";
import type { PatchEvent } from "../patch/render.ts";
import { peak, renderRaw, SR } from "./module_probe.ts";

/** The look-ahead, and so the latency: round(1.5 ms · 48 kHz). */
const L = 72;
const lin = (db: number) => 10 ** (db / 20);

/** Longest run of consecutive samples pinned at ±ceiling (within f32 rounding). */
function longestPinnedRun(x: Float32Array, ceiling: number): number {
  let run = 0, longest = 0;
  for (const v of x) {
    run = Math.abs(v) >= Math.fround(ceiling) * (1 - 1e-6) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * Largest change per sample of the gain out[n]/in[n − L], over samples where the input is large enough to
 * measure it. The gain is a box average of L values in 0 … 1, so it can move by at most 1/L per sample; a
 * sample clipped by the safety clamp would show up as a jump.
 */
function largestGainStep(
  out: Float32Array,
  input: Float32Array,
  inputGain = 1,
  from = L,
  to = out.length,
): number {
  let prev = NaN, largest = 0;
  for (let n = Math.max(from, L); n < to; n++) {
    const x = input[n - L] * inputGain;
    if (Math.abs(x) < 0.05) {
      prev = NaN;
      continue;
    }
    const g = out[n] / x;
    if (!Number.isNaN(prev)) largest = Math.max(largest, Math.abs(g - prev));
    prev = g;
  }
  return largest;
}

/** Three detuned saws and white noise on a mixer (peaks near 2.5), into the limiter at +24 dB, out L/R. */
function loud(ceiling: number, limiter = true): PatchFile {
  if (!limiter) {
    const f = loud(ceiling);
    delete f.modules.lim;
    return {
      modules: f.modules,
      connections: [...f.connections!.slice(0, 4), ["m.L", "o.L"], ["m.R", "o.R"]],
    };
  }
  return {
    modules: {
      a: { type: "vco", params: { wave: "saw", freq: 110, level: 1 } },
      b: { type: "vco", params: { wave: "saw", freq: 110.7, level: 1 } },
      c: { type: "vco", params: { wave: "saw", freq: 164.3, level: 1 } },
      n: { type: "noise", params: { level: 0.5 } },
      m: { type: "mixer", params: { pan1: -0.5, pan3: 0.5 } },
      lim: { type: "limiter", params: { ceiling, gain: 24, release: 80 } },
      o: { type: "out" },
    },
    connections: [
      ["a", "m.in1"],
      ["b", "m.in2"],
      ["c", "m.in3"],
      ["n", "m.in4"],
      ["m.L", "lim.L"],
      ["m.R", "lim.R"],
      ["lim.L", "o.L"],
      ["lim.R", "o.R"],
    ],
  };
}

Deno.test("a loud input (saws + noise at +24 dB) never exceeds the ceiling, and is not clipped to it", async () => {
  const input = await renderRaw(loud(0, false), 2 * SR); // what the limiter receives, before its +24 dB
  for (const ceiling of [0, -6]) {
    const r = await renderRaw(loud(ceiling), 2 * SR);
    assert.equal(r.sanitized, 0, `ceiling ${ceiling}: ${r.sanitized} non-finite samples`);
    const c = lin(ceiling);
    for (const [name, x, dry] of [["L", r.left, input.left], ["R", r.right, input.right]] as const) {
      assert.ok(peak(x) <= c + 1e-6, `ceiling ${ceiling} dB, ${name}: peak ${peak(x)} > ${c}`);
      // The limiter works (it is not just quiet): the peaks reach the ceiling.
      assert.ok(peak(x) >= c * 0.99, `ceiling ${ceiling} dB, ${name}: peak ${peak(x)} far below ${c}`);
      // The gain, not the safety clamp, holds the peaks: a clamp would pin runs of samples at the ceiling.
      assert.ok(longestPinnedRun(x, c) < 3, `ceiling ${ceiling} dB, ${name}: a run pinned at the ceiling`);
      const step = largestGainStep(x, dry, lin(24));
      assert.ok(
        step <= 1 / L + 1e-4,
        `ceiling ${ceiling} dB, ${name}: the gain jumps by ${step} in a sample`,
      );
    }
  }
});

Deno.test(`below the ceiling the limiter is transparent: the output is the input delayed by exactly ${L} samples`, async () => {
  const r = await renderRaw(
    {
      modules: {
        a: { type: "vco", params: { wave: "saw", freq: 220, level: 0.4 } },
        n: { type: "noise", params: { level: 0.2 } },
        lim: { type: "limiter", params: { ceiling: 0, release: 10 } },
        o: { type: "out" },
      },
      connections: [["a", "lim.L"], ["n", "lim.L"], ["lim.L", "o.L"], ["a", "o.R"], ["n", "o.R"]],
    },
    SR,
  );
  // The sources start at their default level 1 and glide to their targets (5 ms), which the limiter does
  // limit; with a 10 ms release its gain is back to exactly 1 within 0.3 s. Compare the second half.
  const diff = (delay: number) => {
    let worst = 0;
    for (let i = SR / 2; i < SR; i++) worst = Math.max(worst, Math.abs(r.left[i] - r.right[i - delay]));
    return worst;
  };
  assert.ok(peak(r.right.subarray(SR / 2)) < 0.7, "the input must stay below the ceiling");
  assert.ok(diff(L) <= 1e-6, `output vs input delayed ${L}: ${diff(L)}`);
  // The noise makes any other alignment obviously wrong.
  assert.ok(diff(L - 1) > 0.01 && diff(L + 1) > 0.01, "the latency must be exactly L samples");
});

/** A 1 kHz sine into a vca whose cv is a 1 Hz square LFO: 1.0 for 0.5 s, 0.1 for 0.5 s, 1.0 again at 1 s. */
function stepped(ceiling: number, release: number): PatchFile {
  return {
    modules: {
      s: { type: "vco", params: { wave: "sine", freq: 1000, level: 1 } },
      env: { type: "lfo", params: { wave: "square", rate: 1, depth: 0.45, offset: 0.55 } },
      v: { type: "vca" },
      lim: { type: "limiter", params: { ceiling, release } },
      o: { type: "out" },
    },
    connections: [["s", "v.in"], ["env", "v.cv"], ["v", "lim.L"], ["lim.L", "o.L"], ["v", "o.R"]],
  };
}

/** Mean gain out[n]/in[n − L] over 1 ms from output frame n0, where the input is not near a zero crossing. */
function gainAt(left: Float32Array, input: Float32Array, n0: number): number {
  let s = 0, k = 0;
  for (let n = n0; n < n0 + 48; n++) {
    const x = input[n - L];
    if (Math.abs(x) > 0.03) {
      s += left[n] / x;
      k++;
    }
  }
  return s / k;
}

Deno.test("a step from quiet to loud has no overshoot: the gain ramps down ahead of it", async () => {
  const ceiling = -6, c = lin(ceiling);
  const r = await renderRaw(stepped(ceiling, 50), 1.5 * SR);
  const step = SR; // the LFO square rises at frame 48000
  assert.ok(Math.abs(r.right[step + 12]) > 0.5 && Math.abs(r.right[step - 12]) < 0.11, "the step is at 1 s");
  const around = r.left.subarray(step - 2 * L, step + 10 * L);
  assert.ok(peak(around) <= c + 1e-6, `peak ${peak(around)} around the step, ceiling ${c}`);
  assert.ok(longestPinnedRun(around, c) < 3, "the step must be limited by the gain, not clipped");
  // The gain only brings a sample exactly to the ceiling where that sample is the largest in its hold window
  // (the sine's crest, |x| = 1); a sample at the ceiling anywhere else was cut there by the safety clamp.
  let clamped = 0;
  for (let n = step; n < step + 10 * L; n++) {
    if (Math.abs(r.left[n]) >= Math.fround(c) * (1 - 1e-7) && Math.abs(r.right[n - L]) < 0.999) clamped++;
  }
  assert.equal(clamped, 0, `${clamped} samples were clamped to the ceiling instead of turned down`);
  const jump = largestGainStep(r.left, r.right);
  assert.ok(jump <= 1 / L + 1e-4, `the gain jumps by ${jump} in a sample (a ramp moves at most 1/L)`);
  // Unity gain in the quiet part; the gain already falls while the last quiet millisecond before the step
  // plays (the look-ahead: a ramp, not a jump), and once every hold window holds a peak of the loud sine
  // (amplitude 1) it sits at ceiling / 1.
  assert.ok(gainAt(r.left, r.right, step - 200) > 0.999, "unity gain in the quiet part");
  const before = gainAt(r.left, r.right, step + L - 48);
  assert.ok(before < 0.95 && before > c, `gain ${before} in the millisecond before the loud part arrives`);
  const after = gainAt(r.left, r.right, step + 2 * L);
  assert.ok(Math.abs(after - c) < 1e-4, `gain ${after} in the loud part, expected ${c}`);
});

Deno.test("the gain recovers after the loud part with the release time constant", async () => {
  const release = 50, c = lin(-6);
  const r = await renderRaw(stepped(-6, release), SR);
  // The loud part ends at 0.5 s; the last loud sample leaves the delay L samples later and the hold keeps its
  // gain for L + 1 more, then e(t) = 1 − (1 − c)·e^(−t/τ), seen through the L-sample box average.
  const end = SR / 2 + 2 * L;
  const tau = release * SR / 1000;
  const expected = (k: number) => 1 - (1 - c) * Math.exp(-k);
  assert.ok(Math.abs(gainAt(r.left, r.right, SR / 2 - 500) - c) < 1e-4, "limited during the loud part");
  const g1 = gainAt(r.left, r.right, end + tau), g5 = gainAt(r.left, r.right, end + 5 * tau);
  // Within 0.02 of the exponential after one time constant (so: a release, not a jump) …
  assert.ok(Math.abs(g1 - expected(1)) < 0.02, `after 1 τ: gain ${g1}, expected ${expected(1)}`);
  // … and within 1 % of unity after five.
  assert.ok(g5 > 0.99, `after 5 τ: gain ${g5}`);
});

Deno.test("NaN and Inf inputs never pass, and the limiter is clean again once they stop", async () => {
  // A vca at gain 2 fed back into itself doubles every block (cycles carry a one-block delay): Inf after
  // ~0.35 s; the mixer then adds it to its own negative (Inf − Inf) and makes NaN.
  const ceiling = -1, c = lin(ceiling);
  const file: PatchFile = {
    modules: {
      seed: { type: "vco", params: { wave: "sine", freq: 100, level: 0.5 } },
      boom: { type: "vca", params: { gain: 2 } },
      nan: { type: "mixer" },
      tone: { type: "vco", params: { wave: "sine", freq: 440, level: 0.5 } },
      lim: { type: "limiter", params: { ceiling, release: 10 } },
      o: { type: "out" },
    },
    connections: [
      ["seed", "boom.in"],
      ["boom", "boom.in"],
      ["boom", "nan.in1"],
      ["boom", "nan.in2", -1],
      ["nan.L", "lim.L"],
      ["boom", "lim.R"],
      ["tone", "lim.L"],
      ["tone", "lim.R"],
      ["lim.L", "o.L"],
      ["lim.R", "o.R"],
    ],
  };
  const stop = SR; // both bad signals are cut at 1 s
  const { seed, boom, nan, o } = file.modules;
  const bad = await renderRaw({ // the same sources straight to out
    modules: { seed, boom, nan, o },
    connections: [...file.connections!.slice(0, 4), ["nan.L", "o.L"], ["boom", "o.R"]],
  }, stop);
  assert.ok(bad.sanitized > SR / 2, `the sources must really be non-finite (${bad.sanitized} samples were)`);
  // One transaction, whose commands (disconnections, and a new plan if any) all apply at that frame.
  const cut = (p: Patch): Command[] => {
    p.disconnect("nan.L", "lim.L");
    p.disconnect("boom", "lim.R");
    return p.commit().commands;
  };
  const dry = new Patch();
  dry.load(file);
  dry.commit();
  let staged: Command[] = [];
  const events: PatchEvent[] = cut(dry).map((_, j) => ({
    frame: stop,
    command: (p: Patch) => (j === 0 ? (staged = cut(p)) : staged)[j],
  }));
  const r = await renderRaw(file, 2 * SR, events);
  assert.equal(r.sanitized, 0, `${r.sanitized} non-finite samples left the limiter`);
  assert.ok(Math.max(peak(r.left), peak(r.right)) <= c + 1e-6, "the ceiling holds throughout");
  // Non-finite samples become 0 (tone included: the sum is NaN), so the bad stretch is silent …
  assert.equal(peak(r.left.subarray(SR / 2, stop)), 0, "NaN must become silence, not noise");
  // … and after the cut plus the look-ahead the 440 Hz tone passes at unity gain (the state was not poisoned).
  const tone = await renderRaw({
    modules: { tone: { type: "vco", params: { wave: "sine", freq: 440, level: 0.5 } }, o: { type: "out" } },
    connections: [["tone", "o.L"]],
  }, 2 * SR);
  let worst = 0;
  for (let i = stop + 2 * L; i < 2 * SR; i++) worst = Math.max(worst, Math.abs(r.left[i] - tone.left[i - L]));
  assert.ok(worst <= 1e-6, `after the cut: output vs tone delayed by L differs by ${worst}`);
});

Deno.test("stereo-linked: a loud left channel turns the quiet right channel down by the same gain", async () => {
  const sources = {
    l: { type: "vco", params: { wave: "sine", freq: 1000, level: 1 } },
    r: { type: "vco", params: { wave: "saw", freq: 300, level: 0.1 } },
    o: { type: "out" },
  };
  const input = await renderRaw({ modules: sources, connections: [["l", "o.L"], ["r", "o.R"]] }, SR);
  const out = await renderRaw({
    modules: { ...sources, lim: { type: "limiter", params: { ceiling: -6 } } },
    connections: [["l", "lim.L"], ["r", "lim.R"], ["lim.L", "o.L"], ["lim.R", "o.R"]],
  }, SR);
  let worst = 0, checked = 0;
  for (let n = SR / 2; n < SR; n++) {
    const xl = input.left[n - L];
    if (Math.abs(xl) < 0.05) continue;
    const g = out.left[n] / xl; // the left channel's gain at this sample (≈ 0.5)
    worst = Math.max(worst, Math.abs(out.right[n] - input.right[n - L] * g));
    checked++;
  }
  assert.ok(checked > SR / 4);
  assert.ok(worst <= 1e-6, `right channel differs from input · left gain by ${worst}`);
  assert.ok(peak(out.right.subarray(SR / 2)) < 0.06, "the quiet right channel must be turned down too");
});

Deno.test("lowering the ceiling while limiting holds the new ceiling from that frame, without clipping", async () => {
  // The loud part of the stepped sine runs 0 … 0.5 s; the ceiling drops from −3 to −12 dB at 0.25 s (72
  // samples already in the look-ahead were judged by the old ceiling) and rises back to −3 at 0.4 s. The
  // frames are off the sine's zero crossings, so the drop is visible in the gain.
  const down = SR / 4 + 7, up = 0.4 * SR + 7;
  const r = await renderRaw(stepped(-3, 50), SR / 2, [
    { frame: down, set: ["lim", "ceiling", -12] },
    { frame: up, set: ["lim", "ceiling", -3] },
  ]);
  const low = r.left.subarray(down, up), c = lin(-12);
  assert.ok(peak(low) <= c + 1e-6, `peak ${peak(low)} after the ceiling dropped to ${c}`);
  assert.ok(peak(low) >= c * 0.999, "the new ceiling is reached");
  assert.ok(longestPinnedRun(low, c) < 3, "the samples in the look-ahead must be turned down, not clipped");
  const high = r.left.subarray(up), c3 = lin(-3);
  assert.ok(peak(high) <= c3 + 1e-6 && peak(high) > c * 1.5, `peak ${peak(high)} after the ceiling rose`);
  // A lower ceiling must hold at its own frame, so the gain drops there in one step (every decided gain is
  // scaled by the ratio of the ceilings); before and after, it moves as a ramp.
  const jump = (a: number, b: number) => largestGainStep(r.left, r.right, 1, a, b);
  assert.ok(jump(down - 1, down + 1) > 0.4, `the gain must drop at once (by ${jump(down - 1, down + 1)})`);
  assert.ok(
    jump(0, down) <= 1 / L + 1e-4 && jump(down + 1, r.left.length) <= 1 / L + 1e-4,
    "ramps elsewhere",
  );
});
