// delay and reverb measured on rendered signal.
import assert from "node:assert/strict";
import type { PatchFile } from "../patch/graph.ts";
import type { PatchEvent } from "../patch/render.ts";
import { renderRaw, SR } from "./module_probe.ts";
import { bandPower, peak, rms, spectrum } from "./signal.ts";

// A 2 ms noise burst at frame 1000: noise → vca whose gain follows a short envelope.
const burst: PatchFile["modules"] = {
  n: { type: "noise" },
  env: { type: "adsr", params: { attack: 0.2, decay: 2, sustain: 0, release: 0.1 } },
  amp: { type: "vca", params: { gain: 0 } },
  o: { type: "out" },
};
const burstCables: [string, string, number?][] = [["n", "amp.in"], ["env", "amp.gain", 1]];
const burstAt: PatchEvent[] = [{ frame: 1000, gate: ["env", true] }];

/** Cross-correlation of y with x at a lag. */
function xcorr(x: Float32Array, y: Float32Array, lag: number): number {
  let s = 0;
  for (let i = 0; i + lag < y.length && i < x.length; i++) s += x[i] * y[i + lag];
  return s;
}

function bestLag(x: Float32Array, y: Float32Array, around: number): { lag: number; value: number } {
  let best = { lag: -1, value: -Infinity };
  for (let lag = around - 20; lag <= around + 20; lag++) {
    const v = xcorr(x, y, lag);
    if (v > best.value) best = { lag, value: v };
  }
  return best;
}

Deno.test("delay: echoes exactly time·sr apart, each feedback times the one before", async () => {
  const r = await renderRaw(
    {
      modules: { ...burst, d: { type: "delay", params: { time: 100, feedback: 0.5, damp: 0, mix: 1 } } },
      connections: [...burstCables, ["amp", "d.L"], ["d.L", "o.L"], ["amp", "o.R"]],
    },
    SR,
    burstAt,
  );
  const x = r.right, y = r.left; // input, wet output
  const e1 = bestLag(x, y, 4800), e2 = bestLag(x, y, 9600);
  assert.equal(e1.lag, 4800, "first echo at 100 ms");
  assert.equal(e2.lag, 9600, "second echo at 200 ms");
  const ratio = e2.value / e1.value;
  assert.ok(Math.abs(ratio - 0.5) < 0.01, `echo ratio ${ratio} (feedback 0.5)`);
  assert.equal(r.sanitized, 0);
});

Deno.test("delay: damping darkens each repeat; mix 0 is the dry signal", async () => {
  const hf = async (damp: number) => {
    const r = await renderRaw(
      {
        modules: { ...burst, d: { type: "delay", params: { time: 100, feedback: 0.7, damp, mix: 1 } } },
        connections: [...burstCables, ["amp", "d.L"], ["d.L", "o.L"]],
      },
      4 * 4800 + 2000,
      burstAt,
    );
    // High-frequency share of the third echo (frames 15400 …) relative to the first (5800 …).
    const band = (from: number) => {
      const m = spectrum(r.left, 1024, from);
      return bandPower(m, SR, 5000, 20000) / bandPower(m, SR, 20, 20000);
    };
    return band(1000 + 3 * 4800 - 200) / band(1000 + 4800 - 200);
  };
  const open = await hf(0), dark = await hf(1);
  assert.ok(open > 0.8, `undamped repeats keep their highs (${open.toFixed(2)})`);
  assert.ok(dark < 0.1 * open, `damped repeats lose them (${dark.toFixed(3)} vs ${open.toFixed(2)})`);
  const dry = await renderRaw(
    {
      modules: { ...burst, d: { type: "delay", params: { time: 100, feedback: 0.5, mix: 0 } } },
      connections: [...burstCables, ["amp", "d.L"], ["d.L", "o.L"], ["amp", "o.R"]],
    },
    12000,
    burstAt,
  );
  for (let i = 0; i < dry.left.length; i++) assert.ok(Math.abs(dry.left[i] - dry.right[i]) <= 1e-6);
});

Deno.test("delay: a moving time glides without clicks; feedback 0.98 stays bounded", async () => {
  // 440 Hz sine, time 300 → 100 ms at 1 s: the read head speeds up (pitch rises to ~2.3×, 1 kHz) but the
  // waveform never jumps: the largest step stays below what a 1.1 kHz sine at full level allows.
  const r = await renderRaw(
    {
      modules: {
        s: { type: "vco", params: { wave: "sine", freq: 440 } },
        d: { type: "delay", params: { time: 300, feedback: 0, mix: 1 } },
        o: { type: "out" },
      },
      connections: [["s", "d.L"], ["d.L", "o.L"]],
    },
    2 * SR,
    [{ frame: SR, set: ["d", "time", 100] }],
  );
  let step = 0;
  for (let i = 14500; i < r.left.length; i++) step = Math.max(step, Math.abs(r.left[i] - r.left[i - 1]));
  const limit = (2 * Math.PI * 1100) / SR;
  assert.ok(step < limit, `largest step ${step.toFixed(4)} (limit ${limit.toFixed(4)})`);
  const loud = await renderRaw(
    {
      modules: {
        ...burst,
        d: { type: "delay", params: { time: 37, feedback: 0.98, damp: 0, mix: 1, pingpong: "on" } },
      },
      connections: [...burstCables, ["amp", "d.L"], ["amp", "d.R"], ["d.L", "o.L"], ["d.R", "o.R"]],
    },
    10 * SR,
    burstAt,
  );
  assert.equal(loud.sanitized, 0);
  assert.ok(peak(loud.left) < 2 && peak(loud.right) < 2, `peak ${peak(loud.left)}`);
});

Deno.test("delay: ping-pong sends the first echo of a left input left, the second right", async () => {
  const r = await renderRaw(
    {
      modules: {
        ...burst,
        d: { type: "delay", params: { time: 50, feedback: 0.6, damp: 0, mix: 1, pingpong: "on" } },
      },
      connections: [...burstCables, ["amp", "d.L"], ["d.L", "o.L"], ["d.R", "o.R"]],
    },
    8000,
    burstAt,
  );
  const first = [1000 + 2400 - 50, 1000 + 2400 + 300], second = [1000 + 4800 - 50, 1000 + 4800 + 300];
  assert.ok(
    rms(r.left, first[0], first[1]) > 0.01 && rms(r.right, first[0], first[1]) === 0,
    "first echo: left",
  );
  assert.ok(
    rms(r.right, second[0], second[1]) > 0.005 && rms(r.left, second[0], second[1]) === 0,
    "second: right",
  );
});

/** Energy of a channel over [a, b) seconds. */
const energy = (x: Float32Array, a: number, b: number) => rms(x, Math.round(a * SR), Math.round(b * SR)) ** 2;

async function impulseResponse(params: Record<string, number>, seconds = 2.5) {
  return await renderRaw(
    {
      modules: { ...burst, v: { type: "reverb", params: { mix: 1, ...params } } },
      connections: [...burstCables, ["amp", "v.L"], ["amp", "v.R"], ["v.L", "o.L"], ["v.R", "o.R"]],
    },
    Math.round(seconds * SR),
    burstAt,
  );
}

Deno.test("reverb: decays, longer for a larger room, decorrelated between the channels", async () => {
  const big = await impulseResponse({ room: 0.9, damp: 0.2 });
  const small = await impulseResponse({ room: 0.3, damp: 0.2 });
  const decay = (r: { left: Float32Array }) => energy(r.left, 1.5, 2.0) / energy(r.left, 0.05, 0.5);
  // Room 0.9 (comb feedback 0.95) still rings at 2 s: 20 dB down from the first half second is "decayed".
  assert.ok(decay(big) < 1e-2, `late/early energy ${decay(big)}`);
  assert.ok(decay(big) > 100 * decay(small), `room 0.9 rings longer (${decay(big)} vs ${decay(small)})`);
  let lr = 0, ll = 0, rr = 0;
  for (let i = Math.round(0.2 * SR); i < Math.round(1.0 * SR); i++) {
    lr += big.left[i] * big.right[i];
    ll += big.left[i] ** 2;
    rr += big.right[i] ** 2;
  }
  const corr = lr / Math.sqrt(ll * rr);
  assert.ok(Math.abs(corr) < 0.5, `L/R correlation of the tail ${corr.toFixed(3)}`);
});

Deno.test("reverb: damping darkens the tail; mix 0 is dry; never NaN/Inf with loud input", async () => {
  const hf = (r: { left: Float32Array }) => {
    const m = spectrum(r.left, 16384, Math.round(0.5 * SR));
    return bandPower(m, SR, 4000, 20000) / bandPower(m, SR, 20, 20000);
  };
  const bright = hf(await impulseResponse({ room: 0.8, damp: 0 })),
    dark = hf(await impulseResponse({ room: 0.8, damp: 1 }));
  assert.ok(
    dark < 0.3 * bright,
    `HF share of the tail: damp 1 ${dark.toFixed(4)} vs damp 0 ${bright.toFixed(4)}`,
  );
  const dry = await renderRaw(
    {
      modules: { ...burst, v: { type: "reverb", params: { mix: 0 } } },
      connections: [...burstCables, ["amp", "v.L"], ["v.L", "o.L"], ["amp", "o.R"]],
    },
    6000,
    burstAt,
  );
  for (let i = 0; i < dry.left.length; i++) assert.ok(Math.abs(dry.left[i] - dry.right[i]) <= 1e-6);
  const loud = await renderRaw({
    modules: {
      n: { type: "noise" },
      g: { type: "vca", params: { gain: 2 } },
      v: { type: "reverb", params: { room: 1, damp: 0, mix: 1 } },
      o: { type: "out" },
    },
    connections: [["n", "g"], ["g", "v.L"], ["g", "v.R"], ["v.L", "o.L"], ["v.R", "o.R"]],
  }, 10 * SR);
  assert.equal(loud.sanitized, 0);
  assert.ok(peak(loud.left) < 50, `peak ${peak(loud.left)}`);
});
