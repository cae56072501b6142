// Quicker patching (docs/patches.md): `clone MODULE NEW` and `unpatch MODULE`, `unpatch * to MODULE`, each one
// transaction at one frame and one undoable entry; refusals name what was expected and change nothing; the
// clone of a voice sounds as the voice does.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { scoreCommands, ScoreEngine } from "../cli/score.ts";
import { translate } from "../cli/language.ts";
import { compileDsp } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { renderOffline } from "../core/render.ts";
import { memoryFiles } from "../osc/files.ts";
import { type OscReply, OscRouter } from "../osc/router.ts";
import { defaultPatch } from "../patch/default_patch.ts";

const SR = 48000, B = 128;
const tone: PatchFile = JSON.parse(await Deno.readTextFile(new URL("../patches/tone.json", import.meta.url)));

function session(file: PatchFile = defaultPatch()) {
  const e = new ScoreEngine(SR, B);
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  const router = new OscRouter(e, memoryFiles(new Map()));
  router.author = "score";
  const at = (seconds: number, line: string): OscReply[] => {
    e.frame = Math.round(seconds * SR);
    return translate(line).messages.flatMap(([address, ...args]) =>
      router.handle(address, args, { frame: e.frame })
    );
  };
  const cables = (test: (c: { src: string; dst: string }) => boolean) =>
    e.patch.connections.filter(test).map((c) => `${c.src}.${c.srcPort}>${c.dst}.${c.dstPort}@${c.depth}`)
      .sort();
  return { e, at, cables, lines: () => e.history.list(100).map((h) => [h.description, h.undone]) };
}

Deno.test("the language: clone and the unpatch forms send one bundle with its commit", () => {
  assert.deepEqual(translate("clone voice1 voice5").messages, [
    ["/patch/clone", "voice1", "voice5"],
    ["/patch/commit"],
  ]);
  assert.deepEqual(translate("unpatch voice1").messages, [["/patch/disconnect", "voice1"], [
    "/patch/commit",
  ]]);
  assert.deepEqual(translate("unpatch * to reverb1").messages, [
    ["/patch/disconnect", "*", "reverb1"],
    ["/patch/commit"],
  ]);
  assert.deepEqual(translate("unpatch voice1 -> *").messages[0], ["/patch/disconnect", "voice1", "*"]);
  assert.throws(() => translate("clone voice1"), /expected clone MODULE NEW/);
  assert.throws(() => translate("unpatch a b c d"), /expected unpatch SRC\|\* \[-> DST\|\*\]/);
});

Deno.test("clone: same type, parameters and cables in and out, one transaction at one frame, one entry; undo and redo", () => {
  const { e, at, cables, lines } = session();
  at(0, "set voice1.cutoff 1234");
  at(0, "patch lfo1 -> voice1.res 0.2");
  const into = cables((c) => c.dst === "voice1"), out = cables((c) => c.src === "voice1");
  assert.ok(into.length >= 1 && out.length === 5, `${into} ${out}`);
  const n = e.commands.length;
  const [reply] = at(2, "clone voice1 voice5");
  assert.equal(reply.address, "/patch/commit.reply");
  const tx = e.commands.slice(n);
  assert.deepEqual(new Set(tx.map((c) => c.frame)), new Set([2 * SR]), "one frame");
  assert.equal(tx.filter((c) => c.op === L.OP_CONNECT).length, into.length + out.length);
  const v5 = e.patch.module("voice5");
  assert.equal(v5.type, "voice");
  assert.deepEqual(v5.params, e.patch.module("voice1").params);
  assert.deepEqual(cables((c) => c.dst === "voice5"), into.map((k) => k.replace(">voice1.", ">voice5.")));
  assert.deepEqual(cables((c) => c.src === "voice5"), out.map((k) => k.replace("voice1.", "voice5.")).sort());
  assert.match(String(lines().at(-1)![0]), /^patch: \+voice5, .*voice5\.out → mix1\.in1/);
  assert.equal(lines().length, 3, "one entry");
  at(3, "undo");
  assert.equal(e.patch.modules.has("voice5"), false);
  at(4, "redo");
  assert.deepEqual(cables((c) => c.src === "voice5" || c.dst === "voice5").length, into.length + out.length);
});

Deno.test("unpatch MODULE: every cable out of it; unpatch * to MODULE: every cable into it; one entry each", () => {
  const { e, at, cables, lines } = session();
  const all = () => cables(() => true);
  const before = all();
  const outOf1 = cables((c) => c.src === "voice1");
  assert.equal(outOf1.length, 5, "mix, delay L/R, reverb L/R");
  const n = e.commands.length;
  at(1, "unpatch voice1");
  const tx = e.commands.slice(n);
  assert.deepEqual(tx.filter((c) => c.op === L.OP_DISCONNECT).length, 5);
  assert.deepEqual(new Set(tx.map((c) => c.frame)), new Set([SR]));
  assert.deepEqual(cables((c) => c.src === "voice1"), []);
  assert.equal(lines().length, 1);
  const intoReverb = cables((c) => c.dst === "reverb1");
  assert.ok(intoReverb.length > 2);
  at(2, "unpatch * to reverb1");
  assert.deepEqual(cables((c) => c.dst === "reverb1"), []);
  assert.match(String(lines()[1][0]), /^patch: -voice2\.out → reverb1\.L/);
  // A port narrows: only voice2's delay L.
  at(3, "unpatch voice2.out to delay1.L");
  assert.deepEqual(cables((c) => c.src === "voice2" && c.dst === "delay1").map((k) => k.split(">")[1]), [
    "delay1.R@0.12",
  ]);
  at(4, "undo 3");
  assert.deepEqual(all(), before, "every cable back with its depth (new ids: another order)");
  at(5, "redo");
  assert.deepEqual(cables((c) => c.src === "voice1"), []);
});

Deno.test("refusals: a plain /error naming what was expected; nothing changes, nothing is sent, no entry", () => {
  const { e, at, lines } = session();
  const before = JSON.stringify(e.patch.toFile());
  const n = e.commands.filter((c) => c.op !== L.OP_SEQ_MUTE).length;
  const cases: [string, string, RegExp][] = [
    ["clone nosuch x", "/patch/clone", /Cannot clone "nosuch": no such module \(modules: voice1, /],
    ["clone voice1 voice2", "/patch/clone", /Cannot create "voice2": the patch already has it/],
    ["clone voice1 9bad", "/patch/clone", /a module id is a letter/],
    [
      "unpatch voice9",
      "/patch/disconnect",
      /Cannot unpatch voice9: no module "voice9"(; did you mean "voice1"\?)? \(modules: /,
    ],
    ["unpatch * to nosuch", "/patch/disconnect", /no module "nosuch"/],
    ["unpatch out1", "/patch/disconnect", /Cannot unpatch out1 to \*: out1 has no cables out/],
    ["unpatch * to lfo1", "/patch/disconnect", /Cannot unpatch \* to lfo1: lfo1 has no cables in/],
    ["unpatch * to *", "/patch/disconnect", /name a module on one side/],
  ];
  for (const [line, address, why] of cases) {
    const errs = at(1, line).filter((r) => r.address === "/error");
    assert.equal(errs.length, 1, line);
    assert.equal(errs[0].args[0], address, line);
    assert.match(String(errs[0].args[1]), why, line);
    assert.equal(e.patch.staging, false, `${line}: nothing left staged`);
  }
  assert.equal(JSON.stringify(e.patch.toFile()), before);
  assert.equal(e.commands.filter((c) => c.op !== L.OP_SEQ_MUTE).length, n, "nothing sent");
  assert.deepEqual(lines(), []);
  // A refused clone inside an open transaction keeps what was staged before it, and adds nothing.
  e.patch.create("lfo9", "lfo");
  assert.throws(() => e.patch.clone("voice1", "lfo9"), /already has it/);
  e.patch.commit();
  assert.equal(e.patch.module("lfo9").type, "lfo");
  assert.equal(e.patch.modules.has("voice1") && !e.patch.connections.some((c) => c.dst === "lfo9"), true);
});

Deno.test("a cloned voice sounds as the voice: the same samples from the copy alone", async () => {
  const module = await compileDsp();
  const render = (score: string) =>
    renderOffline(module, { sampleRate: SR, block: B, seed: 1 }, scoreCommands(tone, score, SR, B), SR / 2);
  const original = render("0 set voice1.cutoff 900\n0 gate voice1 on");
  const copy = render("0 set voice1.cutoff 900\n0 clone voice1 voice2\n0 gate voice2 on");
  let peak = 0;
  for (const v of original) peak = Math.max(peak, Math.abs(v));
  assert.ok(peak > 0.01, `the voice sounds: ${peak}`);
  assert.deepEqual(copy, original);
});
