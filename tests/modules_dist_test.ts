// The distortion module, measured on rendered audio (48 kHz).
import assert from "node:assert/strict";
import type { PatchFile } from "../core/files.ts";
import { aliasRatioDb, mean, peak, renderRaw, SR, thd } from "./module_probe.ts";

const MODES = ["soft", "hard", "fold", "crush"] as const;
const DRIVES = [0, 12, 24, 36, 48];

/** A source module into a distortion into out.L; the source also goes to out.R, so R is the dry signal. */
function patch(
  source: PatchFile["modules"][string],
  params: Record<string, number | string>,
  extra: PatchFile = { modules: {} },
): PatchFile {
  return {
    modules: { src: source, dist: { type: "distortion", params }, o: { type: "out" }, ...extra.modules },
    connections: [["src", "dist"], ["dist", "o.L"], ["src", "o.R"], ...(extra.connections ?? [])],
  };
}

const sine45 = { type: "vco", params: { wave: "sine", freq: 45, level: 1 } };

/**
 * Worst-case peak of a ±1 square at f Hz after the 10 Hz one-pole DC blocker: each edge of height 2 decays by
 * R per sample for half a period, so the flat tops tilt and the steady-state peak is 2/(1 + R^(sr/2f)).
 */
function dcBlockerTilt(f: number): number {
  const R = Math.exp(-2 * Math.PI * 10 / SR);
  return 2 / (1 + R ** (SR / (2 * f)));
}

Deno.test("a 45 Hz sine through every mode, drive 0…48 dB, tone 0/1, mix 0/1, bits 1/16 never yields NaN/Inf", async () => {
  for (const mode of MODES) {
    for (const drive of DRIVES) {
      for (const tone of [0, 1]) {
        for (const mix of [0, 1]) {
          for (const bits of [1, 16]) {
            const r = await renderRaw(patch(sine45, { mode, drive, tone, mix, bits, level: 1 }), SR / 2);
            const what = `${mode} drive ${drive} tone ${tone} mix ${mix} bits ${bits}`;
            // `out` replaces non-finite samples by 0 and counts them: the count is the raw DSP's verdict.
            assert.equal(r.sanitized, 0, `${what}: ${r.sanitized} non-finite samples`);
            // Every shaper stays within ±1 and the DC blocker can at most double that (its impulse response
            // has L1 norm 2); with level 1 and a ±1 dry signal nothing may exceed 2.
            assert.ok(peak(r.left) <= 2, `${what}: peak ${peak(r.left)}`);
          }
        }
      }
    }
  }
});

Deno.test("an asymmetric input (sine + DC, 20 % pulse) leaves less than −60 dBFS of DC in every mode and drive", async () => {
  const sources = {
    // 0.5 + 0.5·sin: all positive, so every shaper's output has a large mean before the DC blocker.
    "sine + 0.5 DC": { type: "lfo", params: { wave: "sine", rate: 45, depth: 0.5, offset: 0.5 } },
    // A 20 % pulse has mean −0.6 and clips asymmetrically.
    "20 % pulse": { type: "vco", params: { wave: "square", freq: 45, pw: 0.2, level: 1 } },
  };
  for (const [name, src] of Object.entries(sources)) {
    for (const mode of MODES) {
      for (const drive of DRIVES) {
        const r = await renderRaw(patch(src, { mode, drive, tone: 1, mix: 1, bits: 4, level: 1 }), 2 * SR);
        // The 10 Hz blocker settles in well under a second (τ = 16 ms); measure the mean over the 2nd second.
        const dc = Math.abs(mean(r.left.subarray(SR)));
        assert.ok(
          dc < 1e-3,
          `${name}, ${mode} at ${drive} dB: DC ${dc.toExponential(2)} (${
            (20 * Math.log10(dc)).toFixed(1)
          } dBFS)`,
        );
      }
    }
  }
});

Deno.test("soft clip output stays within ±level (plus the DC blocker's tilt) at any drive", async () => {
  const tilt = dcBlockerTilt(45); // 1.336 for a 45 Hz square
  for (const level of [0.5, 1]) {
    for (const tone of [0, 1]) {
      for (const drive of DRIVES) {
        const r = await renderRaw(patch(sine45, { mode: "soft", drive, tone, mix: 1, level }), SR);
        const p = peak(r.left.subarray(SR / 2));
        // tanh (and its antiderivative-anti-aliased mean) is within ±1; the tone low-pass has a non-negative
        // impulse response, so it cannot overshoot; only the DC blocker tilts the flattened tops.
        assert.ok(p <= level * tilt + 1e-6, `level ${level} tone ${tone} drive ${drive}: peak ${p}`);
        // At 0 dB the shaper is tanh(sin): its peak is tanh(1) = 0.76, not pushed up to the bound.
        if (drive === 0) assert.ok(p < level * 0.8, `level ${level} tone ${tone} at 0 dB: peak ${p}`);
      }
    }
  }
});

Deno.test("harmonic content rises with drive: THD at 12 dB exceeds THD at 0 dB by more than 0.1", async () => {
  // 1 s of a 45 Hz sine holds exactly 45 cycles, so the DFT bins at k·45 Hz see no leakage.
  for (const mode of MODES) {
    const measure = async (drive: number) => {
      const r = await renderRaw(patch(sine45, { mode, drive, tone: 1, mix: 1, bits: 16, level: 1 }), 2 * SR);
      return thd(r.left.subarray(SR), 45);
    };
    const [t0, t12] = [await measure(0), await measure(12)];
    // Measured: soft 0.07 → 0.31, hard 0.00 → 0.36, fold 0.00 → 2.0, crush (16 bits) 0.00 → 0.36.
    assert.ok(t12 > t0 + 0.1, `${mode}: THD ${t0.toFixed(4)} at 0 dB, ${t12.toFixed(4)} at 12 dB`);
  }
});

Deno.test("drive modulated by a 100 Hz LFO over the full 48 dB range stays finite and bounded", async () => {
  for (const mode of MODES) {
    const r = await renderRaw(
      patch(sine45, { mode, drive: 24, tone: 1, mix: 1, bits: 6, level: 1 }, {
        modules: { lfo: { type: "lfo", params: { wave: "sine", rate: 100, depth: 1 } } },
        connections: [["lfo", "dist.drive", 48]], // drive = 24 + 48·lfo dB, clamped to 0 … 48 per sample
      }),
      SR,
    );
    assert.equal(r.sanitized, 0, `${mode}: ${r.sanitized} non-finite samples`);
    assert.ok(peak(r.left) <= 2, `${mode}: peak ${peak(r.left)}`); // shaper ±1 times the blocker's L1 norm 2
  }
});

Deno.test("mix = 0 returns the dry signal within 1e-6, in every mode at full drive", async () => {
  const saw = { type: "vco", params: { wave: "saw", freq: 110, level: 0.8 } };
  for (const mode of MODES) {
    const r = await renderRaw(patch(saw, { mode, drive: 48, tone: 0, mix: 0, bits: 1, level: 1 }), SR);
    // mix glides from its default (1) to 0 after the patch loads (5 ms smoothing, exact after ~140 ms).
    let worst = 0;
    for (let i = SR / 4; i < SR; i++) worst = Math.max(worst, Math.abs(r.left[i] - r.right[i]));
    assert.ok(worst <= 1e-6, `${mode}: wet leaks into mix 0 by ${worst}`);
  }
});

Deno.test("after the input stops, every filter state decays to exact zeros, not denormals", async () => {
  for (const mode of MODES) {
    const r = await renderRaw(
      patch(sine45, { mode, drive: 36, tone: 0.3, mix: 1, bits: 8, level: 1 }),
      3 * SR,
      [{ frame: SR, set: ["src", "level", 0] }],
    );
    assert.ok(peak(r.left.subarray(SR / 2, SR)) > 0.5, `${mode}: no signal before the stop`);
    // The 10 Hz blocker needs ~58 time constants (0.92 s) to fall from 1 to 1e-25, where states are flushed.
    const tail = r.left.subarray(SR + Math.round(1.5 * SR));
    const nonzero = tail.findIndex((v) => v !== 0);
    assert.equal(nonzero, -1, `${mode}: sample ${tail[nonzero]} 1.5 s after the stop`);
  }
});

Deno.test("antiderivative anti-aliasing: a 2999 Hz sine aliases at least 5 dB less than the naive shaper", async () => {
  // The naive reference shapes the very same input samples (out.R) in JS; the tone filter is open (−0.1 dB at
  // Nyquist) and the DC blocker is flat up here, so the ratio of inharmonic to harmonic power compares the
  // shapers alone. Measured: soft 12/24 dB −38/−25 dB vs −32/−17 dB naive; hard −34/−24 vs −27/−15.
  const f0 = 2999; // 48000/2999 is not an integer: aliases land between the harmonics
  const shapers = {
    soft: Math.tanh,
    hard: (u: number) => Math.max(-1, Math.min(1, u)),
  };
  for (const [mode, f] of Object.entries(shapers)) {
    for (const drive of [12, 24]) {
      const src = { type: "vco", params: { wave: "sine", freq: f0, level: 1 } };
      const r = await renderRaw(patch(src, { mode, drive, tone: 1, mix: 1, level: 1 }), SR);
      const g = 10 ** (drive / 20);
      const from = SR / 4;
      const naive = Array.from(r.right.subarray(from), (v) => f(g * v));
      const adaa = aliasRatioDb(r.left.subarray(from), f0), ref = aliasRatioDb(naive, f0);
      assert.ok(
        adaa < ref - 5,
        `${mode} at ${drive} dB: ${adaa.toFixed(1)} dB vs naive ${ref.toFixed(1)} dB`,
      );
    }
  }
});
