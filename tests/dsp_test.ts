// The DSP rendered offline, block by block, measured on its signal.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { command } from "../core/command.ts";
import { DspHost } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { patchCommands } from "../patch/render.ts";
import { dspModule, firstDifference } from "./helpers.ts";
import { testTone } from "./tone.ts";

const settings = { sampleRate: 48000, block: 128, seed: 7 };

Deno.test("saw at 440 Hz is within 1 cent: its resets come every 48000/440 samples", async () => {
  const t = testTone("vco", { wave: "saw" });
  const cmds = [...t.setup, t.set("freq", 440, 0), t.set("level", 0.5, 0)];
  const out = renderOffline(await dspModule(), settings, cmds, 48000);
  // A PolyBLEP saw falls through zero once per period (the reset); count those downward crossings.
  const crossings: number[] = [];
  for (let i = 2 * 4800; i < out.length - 2; i += 2) {
    const a = out[i], b = out[i + 2];
    if (a > 0 && b <= 0) crossings.push(i / 2 + a / (a - b));
  }
  const period = (crossings[crossings.length - 1] - crossings[0]) / (crossings.length - 1);
  const cents = 1200 * Math.log2(48000 / period / 440);
  assert.ok(Math.abs(cents) < 1, `pitch off by ${cents.toFixed(3)} cents`);
});

Deno.test("a command applies at its exact frame, inside a block", async () => {
  const module = await dspModule();
  const F = 1000 * 128 + 77; // mid-block
  const t = testTone("vco", { level: 0.5 });
  const a = renderOffline(module, settings, t.setup, F + 512);
  const b = renderOffline(module, settings, [...t.setup, t.set("freq", 880, F)], F + 512);
  // Identical up to frame F-1; the frequency smoother moves from F on, so frame F+1 differs.
  assert.equal(firstDifference(a.subarray(0, 2 * F), b.subarray(0, 2 * F)), -1);
  const d = firstDifference(a, b);
  assert.ok(d >= 2 * F && d <= 2 * (F + 1) + 1, `first difference at frame ${d / 2}, expected ${F}…${F + 1}`);
});

Deno.test("parameter smoothing: a gain step has no jump larger than one smoothing step", async () => {
  const module = await dspModule();
  const t = testTone("vco", { wave: "sine", freq: 50 });
  const cmds = [...t.setup, t.set("level", 1, 4800)];
  const out = renderOffline(module, settings, cmds, 9600);
  let maxStep = 0;
  for (let i = 2; i < out.length; i += 2) maxStep = Math.max(maxStep, Math.abs(out[i] - out[i - 2]));
  // A 50 Hz sine at full gain moves at most 2π·50/48000 ≈ 0.0065 per sample; an unsmoothed step would be ~0.
  assert.ok(maxStep < 0.01, `largest sample-to-sample step ${maxStep}`);
});

Deno.test("two instances render bit-identical blocks (noise included: seeded PRNG)", async () => {
  const module = await dspModule();
  const t = testTone("noise", { level: 0.3 });
  const cmds = [...t.setup, t.set("color", "pink", 20000)];
  const a = renderOffline(module, settings, cmds, 48000);
  const b = renderOffline(module, settings, cmds, 48000);
  assert.equal(firstDifference(a, b), -1);
  const c = renderOffline(module, { ...settings, seed: 8 }, cmds, 48000);
  assert.notEqual(firstDifference(a, c), -1, "another seed must give other noise");
});

Deno.test("a snapshot restored into a new instance continues bit for bit, without the queued commands", async () => {
  const module = await dspModule();
  const a = new DspHost(module, settings);
  const t = testTone("vco", { level: 0.5 });
  const at300 = t.set("freq", 300, 100 * 128 + 5), at500 = t.set("freq", 500, 60 * 128);
  for (const c of t.setup) a.push(c);
  a.push(at300);
  for (let n = 0; n < 50; n++) a.render(n);
  a.push(at500); // queued for later: a restore must drop it
  assert.equal(a.pending(), 2);
  const snap = a.bytes.slice(0, a.usedBytes());
  const b = new DspHost(module, settings);
  b.restore(snap);
  assert.equal(b.pending(), 0);
  b.push(at300);
  b.push(at500);
  for (let n = 50; n < 200; n++) {
    assert.equal(a.render(n), 0);
    assert.equal(b.render(n), 0);
    assert.equal(firstDifference(a.out, b.out), -1, `block ${n} differs`);
    assert.equal(a.hash(), b.hash());
  }
});

Deno.test("modular voices (vco, vcf, adsr, vca in groups of four) continue bit for bit from a snapshot", async () => {
  // Twelve vco → vcf → adsr → vca voices, the reference voice's chain: the plan groups them by type, so three
  // groups of four of each type render together; notes by command and by an LFO on the gate input.
  const file = {
    modules: {
      gate: { type: "lfo", params: { wave: "square", rate: 7, depth: 0.5, offset: 0.5 } },
      out: { type: "out" },
    } as Record<string, { type: string; params?: Record<string, number | string> }>,
    connections: [] as [string, string, number?][],
  };
  for (let i = 0; i < 12; i++) {
    file.modules[`o${i}`] = { type: "vco", params: { wave: "saw", freq: 55 * (1 + i * 0.37) } };
    file.modules[`f${i}`] = { type: "vcf", params: { cutoff: 600 + 100 * i, res: 0.75 } };
    file.modules[`e${i}`] = { type: "adsr", params: { attack: 5, decay: 100, sustain: 0.6, release: 200 } };
    file.modules[`a${i}`] = { type: "vca" };
    file.connections.push([`o${i}`, `f${i}`], [`f${i}`, `a${i}.in`], [`e${i}`, `a${i}.cv`], [
      `a${i}`,
      "out.L",
    ]);
    if (i % 2) file.connections.push(["gate", `e${i}.gate`]);
  }
  const events = [0, 2, 4, 6, 8, 10].flatMap((i) => [
    { frame: 1000 + 997 * i, gate: [`e${i}`, true, 0.8] as [string, boolean, number] },
    { frame: 9000 + 1301 * i, gate: [`e${i}`, false] as [string, boolean] },
  ]);
  const cmds = patchCommands(file, events).sort((x, y) => x.frame - y.frame || x.seq - y.seq);
  const module = await dspModule();
  const a = new DspHost(module, settings), b = new DspHost(module, settings);
  // Block n's commands (those of frames n·128 … n·128 + 127).
  const feed = (h: DspHost, n: number) => {
    for (const c of cmds) if (Math.floor(c.frame / 128) === n) h.push(c);
  };
  for (let n = 0; n < 60; n++) {
    feed(a, n);
    a.render(n);
  }
  b.restore(a.bytes.slice(0, a.usedBytes()));
  let heard = 0;
  for (let n = 60; n < 250; n++) {
    feed(a, n);
    feed(b, n);
    assert.equal(a.render(n), 0);
    assert.equal(b.render(n), 0);
    assert.equal(firstDifference(a.out, b.out), -1, `block ${n} differs`);
    assert.equal(a.hash(), b.hash());
    for (const v of a.out) heard = Math.max(heard, Math.abs(v));
  }
  assert.ok(heard > 0.1, `the voices play (peak ${heard})`);
});

Deno.test("the render reports NaN/Inf and the hash tracks the content", async () => {
  const module = await dspModule();
  const h = new DspHost(module, settings);
  for (const c of testTone("vco", { level: 0.5 }).setup) h.push(c);
  assert.equal(h.render(0), 0);
  const h0 = h.hash();
  assert.equal(h.render(1), 0);
  assert.notEqual(h.hash(), h0);
  assert.equal(h.render(2, L.FAULT_NAN), 1);
});

Deno.test("the poison op traps the DSP when applied", async () => {
  const h = new DspHost(await dspModule(), settings);
  h.push({ ...command({ op: L.OP_POISON }), frame: 3 * 128 + 1, seq: 1 });
  h.render(0);
  h.render(1);
  h.render(2);
  assert.throws(() => h.render(3), WebAssembly.RuntimeError);
});

Deno.test("DSP state lives in linear memory: the only mutable WASM globals are libm scratch", async () => {
  const wat = await Deno.readTextFile(new URL("../build/chronus.wat", import.meta.url));
  const mutable = [...wat.matchAll(/\(global \$(\S+) \(mut/g)].map((m) => m[1]);
  // rempio2_y0/y1 and res128_hi are written before they are read inside each libm call (AssemblyScript's
  // ~lib/math), so they carry nothing across calls and a memory snapshot captures the whole state.
  const allowed = new Set(["~lib/math/rempio2_y0", "~lib/math/rempio2_y1", "~lib/math/res128_hi"]);
  assert.deepEqual(mutable.filter((g) => !allowed.has(g)), []);
});
