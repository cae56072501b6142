// The patch graph: transactions, validation, cycles, deletion, files, schema; rendered through the WASM.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { compileDsp } from "../core/dsp_host.ts";
import { ClientError } from "../core/errors.ts";
import { renderOffline } from "../core/render.ts";
import { Patch } from "../patch/graph.ts";
import type { PatchFile } from "../core/files.ts";
import { patchCommands, renderPatch } from "../patch/render.ts";
import { MODULES, schemaJson } from "../patch/schema.ts";
import { channel, peak } from "./signal.ts";

const module = await compileDsp();
const settings = { sampleRate: 48000, block: 128, seed: 1 };
const defaultPatch: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);

Deno.test("a transaction changes nothing until commit, and abort drops it", () => {
  const p = new Patch();
  p.create("osc", "vco", { freq: 110 });
  p.create("o", "out");
  p.connect("osc", "o.L");
  assert.equal(p.modules.size, 0, "staged only");
  p.abort();
  assert.equal(p.commit().commands.length, 0, "nothing after abort");
  p.create("osc", "vco", { freq: 110 });
  p.create("o", "out");
  p.connect("osc", "o.L");
  const c = p.commit();
  assert.deepEqual(c.order, ["osc", "o"]);
  assert.deepEqual(
    c.commands.map((x) => x.op),
    [L.OP_CREATE, L.OP_CREATE, L.OP_SET_PARAM, L.OP_CONNECT, L.OP_PLAN, L.OP_PLAN, L.OP_PLAN_LEN],
  );
  assert.equal(p.module("osc").params.freq, 110);
});

Deno.test("bad input is a ClientError with a clear message and changes nothing", () => {
  const p = new Patch();
  p.load(defaultPatch);
  p.commit();
  const before = JSON.stringify(p.toFile());
  const cases: [() => unknown, RegExp][] = [
    [() => p.create("x1", "wobbler"), /Unknown module type "wobbler" \(known: vco, noise/],
    [() => p.create("voice1", "vco"), /already has it/],
    [() => p.create("9lives", "vco"), /a module id is a letter/],
    [() => p.create("voice", "vco"), /reads "voice" as voice1/],
    [() => p.connect("nope", "out1.L"), /no module "nope"/],
    [() => p.connect("voice1.sideways", "out1.L"), /voice has outputs out/],
    [() => p.connect("voice1", "out1.middle"), /out has inputs L, R and parameters level/],
    [() => p.connect("voice1", "out1.L", NaN), /not a finite number/],
    [() => p.set("voice1", "freq", 1e9), /out of range \(0.1 … 20000 Hz\)/],
    [
      () => p.set("voice1", "wave", "wobble"),
      /"wobble" is not one of sine \| saw \| square \| triangle \| white \| pink \| brown/,
    ],
    [() => p.set("voice1", "bogus", 1), /voice has no parameter "bogus"/],
    [() => p.setNow("ghost", "freq", 1), /No module "ghost" in the patch \(modules: voice1/],
    [() => p.gate("lfo1", true), /a lfo has no gate/],
    [() => p.gate("voice1", true, 2), /velocity 2 is out of range/],
    [() => p.disconnect("voice1", "acid1"), /no such connection/],
    [() => p.load({ modules: { a: { type: "vco" }, b: { type: "zzz" } } }), /Unknown module type "zzz"/],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e: unknown) => e instanceof ClientError && re.test((e as Error).message), String(re));
  }
  p.abort();
  assert.equal(JSON.stringify(p.toFile()), before);
  // A failed load leaves the staged transaction as it was.
  p.set("voice1", "freq", 330);
  assert.throws(() => p.load({ modules: { a: { type: "zzz" } } }), ClientError);
  const c = p.commit();
  assert.equal(c.commands.length, 1, "only the staged set survives");
  assert.equal(p.module("voice1").params.freq, 330);
});

Deno.test("a commit applies at one frame: the new module sounds from exactly that frame", () => {
  const F = 128 * 40 + 77; // mid-block: the block splits there
  const p = new Patch();
  const file: PatchFile = { modules: { o: { type: "out" } } };
  p.load(file);
  let seq = 0;
  const cmds = p.commit().commands.map((c) => ({ ...c, seq: ++seq, frame: 0 }));
  p.create("osc", "vco", { wave: "saw", freq: 300 });
  p.create("amp", "vca", { gain: 0.5 });
  p.connect("osc", "amp");
  p.connect("amp", "o.L");
  p.connect("amp", "o.R");
  for (const c of p.commit().commands) cmds.push({ ...c, seq: ++seq, frame: F });
  const x = channel(renderOffline(module, settings, cmds, F + 4800));
  // The saw starts at phase 0, where the band-limited step is at its midpoint (0): it sounds from F + 1.
  assert.ok(x.subarray(0, F + 1).every((v) => v === 0), "silent up to the commit frame");
  assert.ok(Math.abs(x[F + 1]) > 0.1, `sounding right after it (${x[F + 1]}): all ops applied at once`);
});

Deno.test("cycles are broken with a one-block delay (reported), exactly one block", () => {
  // src → a; a → b; b → a (0.5): a[n] = src[n] + 0.5·a[n − B], a comb filter with a one-block delay.
  const file: PatchFile = {
    modules: {
      src: { type: "noise" },
      a: { type: "vca" },
      b: { type: "vca" },
      o: { type: "out" },
    },
    connections: [["src", "a"], ["a", "b"], ["b", "a", 0.5], ["a", "o.L"], ["src", "o.R"]],
  };
  const p = new Patch();
  p.load(file);
  const c = p.commit();
  assert.deepEqual(c.delayed, ["b.out → a.in"]);
  assert.deepEqual(c.order, ["src", "a", "b", "o"]);
  const out = renderPatch(module, settings, file, 4800);
  const a = channel(out, 0), src = channel(out, 1), B = 128;
  for (let n = 0; n < a.length; n++) {
    const want = src[n] + (n >= B ? 0.5 * a[n - B] : 0);
    assert.ok(Math.abs(a[n] - want) < 1e-6, `sample ${n}: ${a[n]} vs ${want}`);
  }
});

Deno.test("delete frees the module's memory for reuse; a re-created module renders as a fresh one", () => {
  const file: PatchFile = {
    modules: { n: { type: "noise" }, d: { type: "delay", params: { time: 10 } }, o: { type: "out" } },
    connections: [["n", "d.L"], ["d.L", "o.L"]],
  };
  const fresh = renderPatch(module, settings, file, 9600);
  const p = new Patch();
  p.load(file);
  let seq = 0;
  const cmds = p.commit().commands.map((c) => ({ ...c, seq: ++seq, frame: 0 }));
  p.delete("n");
  p.delete("d");
  for (const c of p.commit().commands) cmds.push({ ...c, seq: ++seq, frame: 1280 });
  p.create("n", "noise");
  p.create("d", "delay", { time: 10 });
  p.connect("n", "d.L");
  p.connect("d.L", "o.L");
  for (const c of p.commit().commands) cmds.push({ ...c, seq: ++seq, frame: 2560 });
  const again = renderOffline(module, settings, cmds, 2560 + 9600);
  assert.deepEqual(again.subarray(2560 * 2), fresh, "same samples as a fresh patch");
});

Deno.test("patch files round-trip and the default patch plans sources before what they feed", () => {
  const p = new Patch();
  p.load(defaultPatch);
  const c = p.commit();
  assert.deepEqual(c.delayed, [], "the default patch has no cycle");
  const pos = new Map(c.order.map((n, i) => [n, i]));
  for (const conn of p.connections) {
    assert.ok(pos.get(conn.src)! < pos.get(conn.dst)!, `${conn.src} → ${conn.dst}`);
  }
  const q = new Patch();
  q.load(p.toFile());
  assert.deepEqual(q.commit().commands, c.commands);
  for (
    const name of [
      "voice1",
      "voice2",
      "voice3",
      "voice4",
      "acid1",
      "dist1",
      "reverb1",
      "delay1",
      "lfo1",
      "lfo2",
      "kick1",
      "snare1",
      "hat1",
      "clap1",
      "drums1",
    ]
  ) {
    assert.ok(p.modules.has(name), name);
  }
  assert.ok([...p.modules.values()].some((m) => m.type === "limiter"));
});

Deno.test("the default patch sounds at once: set voice1.freq 220, gate voice1 on → a 220 Hz note", () => {
  const out = renderPatch(module, settings, defaultPatch, 48000, [
    { frame: 0, set: ["voice1", "freq", 220] },
    { frame: 0, gate: ["voice1", true] },
  ]);
  const x = channel(out);
  assert.ok(peak(x) > 0.1, `peak ${peak(x)}`);
  assert.ok(peak(out) <= 10 ** (-0.3 / 20) + 1e-6, "under the limiter's ceiling");
});

Deno.test("schema: every type, port and parameter, with ranges that hold their defaults", () => {
  const s = schemaJson() as {
    modules: { type: string; params: { min: number; max: number; default: number }[] }[];
  };
  assert.deepEqual(s.modules.map((m) => m.type), MODULES.map((m) => m.type));
  for (const m of s.modules) {
    for (const p of m.params) assert.ok(p.min <= p.default && p.default <= p.max, `${m.type}`);
  }
  for (
    const t of [
      "vco",
      "noise",
      "vcf",
      "acid",
      "adsr",
      "vca",
      "mixer",
      "lfo",
      "distortion",
      "delay",
      "reverb",
      "limiter",
      "out",
      "voice",
      "kick",
      "snare",
      "hat",
      "clap",
    ]
  ) assert.ok(s.modules.some((m) => m.type === t), t);
});

Deno.test("schema: envelope parameters stay consecutive where the DSP reads them as a run (env.ts envOnFrom)", () => {
  for (const type of ["adsr", "voice"]) {
    const names = MODULES.find((m) => m.type === type)!.params.map((p) => p.name);
    const at = names.indexOf("attack");
    assert.deepEqual(names.slice(at, at + 5), ["attack", "decay", "sustain", "release", "curve"], type);
  }
});

Deno.test("a transaction larger than one command ring is refused whole", () => {
  const p = new Patch();
  for (let i = 0; i < 900; i++) {
    p.create(`v${i}`, "voice", { freq: 100 + i, cutoff: 500, res: 0.5, attack: 1 });
  }
  assert.throws(() => p.commit(), /more than one transaction holds/);
  assert.equal(p.modules.size, 0);
  assert.ok(patchCommands({ modules: { a: { type: "vco" } } }).length > 0);
});
