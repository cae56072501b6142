// The default patch sized by --voices (patch/default_patch.ts), and the seed system's default routing that
// patches/default.json carries: lfo1 on voice2's cutoff, lfo2 as voice3's amplitude (0.2 … 1).
import assert from "node:assert/strict";
import type { PatchFile } from "../core/files.ts";
import { defaultPatch, MAX_VOICES, sizedPatch } from "../patch/default_patch.ts";
import { Patch } from "../patch/graph.ts";
import { renderPatch } from "../patch/render.ts";
import { channel, peak, rms } from "./signal.ts";
import { dspModule } from "./helpers.ts";

const file: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);
const settings = { sampleRate: 48000, block: 128, seed: 1 };
const voicesOf = (p: PatchFile) => Object.keys(p.modules).filter((n) => /^voice\d+$/.test(n));
const cablesOf = (p: PatchFile, name: string) =>
  (p.connections ?? []).filter(([from, to]) => from.split(".")[0] === name || to.split(".")[0] === name);

Deno.test("default patch: 4 voices is the file itself; 1 … 3 drop the rest with their cables", () => {
  assert.deepEqual(defaultPatch(), file);
  assert.equal(sizedPatch(file, 4), file, "the very same object: --voices 4 renders what the file renders");
  for (const n of [1, 2, 3]) {
    const p = sizedPatch(file, n);
    assert.deepEqual(voicesOf(p), Array.from({ length: n }, (_, i) => `voice${i + 1}`));
    for (let k = n + 1; k <= 4; k++) {
      assert.deepEqual(cablesOf(p, `voice${k}`), [], `voice${k}'s cables are gone`);
    }
    assert.deepEqual(cablesOf(p, "voice1"), cablesOf(file, "voice1"), "voice1 keeps its cables");
    new Patch().load(p); // loads without a dangling cable
  }
  for (const bad of [0, 17, 2.5, NaN]) assert.throws(() => sizedPatch(file, bad), /1…16 voices/);
});

Deno.test("default patch: 5 … 16 voices copy voice1 … voice4 in turn, with their sends, into mix2 and mix3", () => {
  for (const n of [5, 8, 12, 13, MAX_VOICES]) {
    const p = sizedPatch(file, n);
    assert.equal(voicesOf(p).length, n);
    const patch = new Patch();
    patch.load(p);
    const c = patch.commit();
    assert.deepEqual(c.delayed, [], `${n} voices: no cycle`);
    for (let k = 5; k <= n; k++) {
      const t = `voice${((k - 1) % 4) + 1}`;
      assert.deepEqual(p.modules[`voice${k}`], file.modules[t], `voice${k} sounds like ${t}`);
      const sends = (name: string) =>
        cablesOf(p, name).filter(([, to]) => /^(delay1|reverb1)\./.test(to)).map(([, to, d]) => [to, d]);
      assert.deepEqual(sends(`voice${k}`), sends(t), `voice${k} has ${t}'s sends`);
      const mixer = k <= 12 ? "mix2" : "mix3", input = k <= 12 ? k - 4 : k - 12;
      assert.ok(
        cablesOf(p, `voice${k}`).some(([, to]) => to === `${mixer}.in${input}`),
        `voice${k} → ${mixer}`,
      );
    }
    assert.equal("mix3" in p.modules, n >= 13);
    assert.ok(cablesOf(p, "mix2").some(([from, to]) => from === "mix2.L" && to === "limiter1.L"));
  }
});

Deno.test("default patch with 16 voices: voice16 sounds through mix3, alone", async () => {
  const p = sizedPatch(file, 16);
  const out = renderPatch(await dspModule(), settings, p, 24000, [
    { frame: 0, set: ["voice16", "freq", 330] },
    { frame: 0, gate: ["voice16", true] },
  ]);
  assert.ok(peak(channel(out, 0)) > 0.05 && peak(channel(out, 1)) > 0.05, `peak ${peak(out)}`);
  const silent = renderPatch(await dspModule(), settings, p, 24000, []);
  assert.ok(peak(silent) < 1e-9, "nothing plays without a note"); // (the effects leave ~1e-17 of rounding)
});

Deno.test("default routing: lfo2 makes voice3's amplitude a 0.2 … 1 multiplier; lfo1 moves voice2's cutoff", async () => {
  for (const [from, to] of [["lfo1", "voice2.cutoff"], ["lfo2", "voice3.am"]]) {
    assert.ok(file.connections!.some(([f, t]) => f === from && t === to), `${from} → ${to}`);
  }
  // voice3 alone into the output, with the default patch's lfo2 (a 5.5 Hz triangle, offset 0.6, depth 0.4)
  // patched as in the default patch, against the same voice without it.
  const voice3 = file.modules.voice3, lfo2 = file.modules.lfo2, module = await dspModule();
  const play = (withLfo: boolean) =>
    channel(
      renderPatch(
        module,
        settings,
        {
          modules: {
            voice3: { ...voice3, params: { ...voice3.params, sustain: 1 } },
            lfo2,
            o: { type: "out" },
          },
          connections: [["voice3", "o.L"], ...(withLfo ? [["lfo2", "voice3.am"] as [string, string]] : [])],
        },
        48000,
        [{ frame: 0, gate: ["voice3", true] }],
      ),
    );
  const trem = play(true), flat = play(false);
  // The level in 4 ms windows over the second half (the envelope at sustain): the tremolo's over the flat one.
  const ratios: number[] = [];
  for (let i = 24000; i + 192 <= 48000; i += 192) ratios.push(rms(trem, i, i + 192) / rms(flat, i, i + 192));
  const lo = Math.min(...ratios), hi = Math.max(...ratios);
  assert.ok(lo > 0.15 && lo < 0.3, `lowest level ${lo.toFixed(3)} (0.2 expected)`);
  assert.ok(hi > 0.9 && hi <= 1.0001, `highest level ${hi.toFixed(3)} (1 expected)`);
  // voice2's pulse width still moves around 0.35 by ±0.12 (lfo2's offset is taken back by the base 0.17).
  const pw = file.modules.voice2.params!.pw as number;
  const depth = file.connections!.find(([f, t]) => f === "lfo2" && t === "voice2.pw")![2]!;
  const lfo = lfo2.params as { offset: number; depth: number };
  assert.ok(Math.abs(pw + depth * lfo.offset - 0.35) < 1e-9 && Math.abs(depth * lfo.depth - 0.12) < 1e-9);
});
