// Undo, redo and history (docs/instrument-history.md): the acceptance score rendered and listened to, the
// entries of every kind of edit and their undo, knob-turn merging, authors over OSC, a live session with undo
// and redo replayed bit for bit, and the history brought back by --resume.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { analyze } from "../analysis/analyze.ts";
import type { StampedCommand } from "../core/command.ts";
import type { PatchFile } from "../core/files.ts";
import { renderOffline } from "../core/render.ts";
import { readWav } from "../core/wav.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { memoryFiles } from "../osc/files.ts";
import { OscRouter } from "../osc/router.ts";
import { OscServer } from "../osc/server.ts";
import { scoreCommands, ScoreEngine } from "../cli/score.ts";
import { historyText, sessionFile } from "../cli/autosave.ts";
import { translate } from "../cli/language.ts";
import { History, type HistoryLine } from "../sequencer/history.ts";
import { moduleDef, paramIndex } from "../patch/schema.ts";
import { dspModule, firstDifferenceOutside, replayLog, startLogged, TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";

const SR = 48000, BLOCK = 128;
const tone: PatchFile = JSON.parse(await Deno.readTextFile(new URL("../patches/tone.json", import.meta.url)));
const voice = moduleDef("voice")!;
const cutoff = paramIndex(voice, "cutoff"), res = paramIndex(voice, "res");

// A score engine with the tone patch and a router on it; `at(seconds, line)` runs a line of the text language
// at that time and returns the replies.
function session(file: PatchFile = tone, files = new Map<string, string>()) {
  const e = new ScoreEngine(SR, BLOCK);
  e.patch.load(file);
  e.commit(0);
  const router = new OscRouter(e, memoryFiles(files));
  router.author = "score";
  const at = (seconds: number, line: string) => {
    e.frame = Math.round(seconds * SR);
    return translate(line).messages.flatMap(([address, ...args]) =>
      router.handle(address, args, { frame: e.frame })
    );
  };
  const history = (n = 100) => e.history.list(n);
  return { e, router, at, history };
}

const setsOf = (cmds: readonly StampedCommand[], param: number) =>
  cmds.filter((c) => c.op === L.OP_SET_PARAM && c.param === param).map((c) => [c.frame, c.f0]);

Deno.test("acceptance: cutoff 500 at 0 s, 3000 at 1 s, undo at 2 s: back at 500 from 2 s, in the commands and the spectrum", async () => {
  const score = ["0 set voice1.cutoff 500", "0 gate voice1 on", "1 set voice1.cutoff 3000", "2 undo"].join(
    "\n",
  );
  const cmds = scoreCommands(tone, score, SR, BLOCK);
  assert.deepEqual(setsOf(cmds.filter((c) => c.frame > 0 || c.f0 !== 8000), cutoff), [
    [0, 500],
    [SR, 3000],
    [2 * SR, 500],
  ]);
  const x = renderOffline(await dspModule(), { sampleRate: SR, block: BLOCK, seed: 1 }, cmds, 3 * SR);
  const part = (from: number, to: number) =>
    analyze(x.subarray(Math.round(from * SR) * 2, Math.round(to * SR) * 2), { sampleRate: SR });
  const [a, b, c] = [part(0.3, 0.95), part(1.3, 1.95), part(2.3, 2.95)];
  const band = (r: ReturnType<typeof analyze>, hz: number) => r.bands.find((q) => q.hz === hz)!.db;
  assert.ok(b.centroidHz > a.centroidHz * 1.5, `3000 Hz brighter: ${a.centroidHz} vs ${b.centroidHz}`);
  assert.ok(
    Math.abs(c.centroidHz - a.centroidHz) < a.centroidHz * 0.02,
    `undone: ${a.centroidHz} ${c.centroidHz}`,
  );
  assert.ok(band(b, 2000) - band(c, 2000) > 10, `2 kHz band: ${band(b, 2000)} dB vs ${band(c, 2000)} dB`);
  assert.ok(
    Math.abs(band(c, 2000) - band(a, 2000)) < 1,
    `2 kHz band back: ${band(a, 2000)} ${band(c, 2000)}`,
  );
});

Deno.test("undo restores the exact previous value at the undo's frame; redo applies the change again", () => {
  const { e, at, history } = session();
  at(0.5, "set voice1.cutoff 523.251");
  at(3, "set voice1.cutoff 3000.5");
  const n = e.commands.length;
  const [reply] = at(4, "undo");
  assert.equal(reply.address, "/undo.reply");
  assert.match(String(reply.args[0]), /voice1\.cutoff 523\.251 → 3000\.5 Hz/);
  assert.deepEqual(setsOf(e.commands.slice(n), cutoff), [[4 * SR, 523.251]]);
  assert.equal(e.patch.module("voice1").params.cutoff, 523.251);
  assert.deepEqual(history().map((h) => h.undone), [false, true]);
  assert.equal(at(5, "redo")[0].address, "/redo.reply");
  assert.deepEqual(setsOf(e.commands.slice(n), cutoff), [[4 * SR, 523.251], [5 * SR, 3000.5]]);
  assert.deepEqual(history().map((h) => h.undone), [false, false]);
  assert.deepEqual(at(6, "redo"), [{ address: "/error", args: ["/redo", "nothing to redo"] }]);
});

Deno.test("undo N undoes N entries in one batch at one frame; a new edit after undos drops the redo stack", () => {
  const { e, at, history } = session();
  const initial = { ...e.patch.module("voice1").params };
  at(0, "set voice1.cutoff 500");
  at(2, "set voice1.res 0.5");
  at(4, "set voice1.cutoff 900");
  const n = e.commands.length;
  const [r] = at(6, "undo 3");
  assert.equal(JSON.parse(String(r.args[0])).length, 3);
  const undo = e.commands.slice(n);
  assert.deepEqual(new Set(undo.map((c) => c.frame)), new Set([6 * SR]), "one frame");
  assert.deepEqual(undo.map((c) => c.param), [cutoff, res, cutoff], "newest first");
  assert.deepEqual(e.patch.module("voice1").params, initial);
  assert.deepEqual(history().map((h) => h.undone), [true, true, true]);
  at(7, "set voice1.gain 0.2");
  assert.deepEqual(history().map((h) => [h.description, h.undone]), [["voice1.gain 0.3 → 0.2", false]]);
  assert.deepEqual(at(8, "redo"), [{ address: "/error", args: ["/redo", "nothing to redo"] }]);
});

Deno.test("a knob turn: ten sets within 1 s are one entry (undone to the first's before); 1.5 s later is another", () => {
  const { e, at, history } = session();
  for (let i = 0; i < 10; i++) at(1 + i * 0.09, `set voice1.cutoff ${1000 + i * 100}`);
  assert.equal(history().length, 1);
  assert.equal(history()[0].description, "voice1.cutoff 8000 → 1900 Hz");
  at(1 + 9 * 0.09 + 1.5, "set voice1.cutoff 2500");
  assert.equal(history().length, 2);
  at(4, "set voice1.res 0.4"); // another parameter: another entry
  assert.equal(history().length, 3);
  at(4.5, "undo 2");
  at(5, "undo");
  assert.equal(e.patch.module("voice1").params.cutoff, 8000, "the whole turn undone at once");
});

Deno.test("undo of a patch transaction, a sequence change and a pattern load", () => {
  const files = new Map<string, string>();
  const { e, at, history } = session(tone, files);
  const before = JSON.stringify(e.patch.toFile());
  at(0, "create lfo1 lfo");
  at(0, "patch lfo1 -> voice1.cutoff 0.5");
  assert.deepEqual(history().map((h) => h.description), ["patch: +lfo1", "patch: lfo1.out → voice1.cutoff"]);
  let n = e.commands.length;
  at(1, "undo 2");
  assert.equal(JSON.stringify(e.patch.toFile()), before, "the patch as it was");
  const tx = e.commands.slice(n);
  assert.ok(tx.some((c) => c.op === L.OP_DELETE), "lfo1 deleted");
  assert.deepEqual(new Set(tx.map((c) => c.frame)), new Set([SR]), "one frame");
  at(2, "redo 2");
  assert.equal(e.patch.toFile().connections?.length, 3, "the cable back");
  assert.equal(e.patch.module("lfo1").type, "lfo");

  at(3, "seq add lead voice1 x.x.x.x. C3 E3");
  at(3, "seq bpm 140");
  at(3, "pattern save groove");
  at(4, "seq add lead voice1 xxxx C2");
  at(4, "seq bpm 90");
  at(4, "seq add hat voice1 ....x...");
  const saved = e.sequencer.toFile();
  at(5, "pattern load groove");
  assert.equal(history().at(-1)!.description, "pattern groove loaded");
  assert.equal(e.sequencer.toFile().bpm, 140);
  n = e.commands.length;
  at(6, "undo");
  assert.deepEqual(e.sequencer.toFile(), saved, "the sequence before the load");
  assert.ok(e.commands.slice(n).some((c) => c.op === L.OP_SEQ_TEMPO && c.f0 === 90));
  at(6, "undo");
  assert.deepEqual(Object.keys(e.sequencer.toFile().tracks), ["lead"], "hat's definition undone");
  assert.deepEqual(history().slice(-6).map((h) => h.description), [
    "track lead set",
    "bpm 120 → 140",
    "track lead set",
    "bpm 140 → 90",
    "track hat set",
    "pattern groove loaded",
  ]);

  // A patch load is one entry; its undo restores the previous patch as one transaction.
  const loaded = JSON.stringify({ modules: { v: { type: "voice" }, o: { type: "out" } }, connections: [] });
  const prev = JSON.stringify(e.patch.toFile());
  at(7, "undo 99");
  const start = JSON.stringify(e.patch.toFile());
  assert.equal(start, before);
  at(8, "redo 99");
  assert.equal(JSON.stringify(e.patch.toFile()), prev);
  const router = new OscRouter(e);
  router.handle("/patch/load/json", [loaded], { frame: 9 * SR });
  assert.deepEqual([...e.patch.modules.keys()], ["v", "o"]);
  assert.equal(e.history.list(1)[0].description, "patch loaded");
  router.handle("/undo", [], { frame: 10 * SR });
  assert.equal(JSON.stringify(e.patch.toFile()), prev);
});

Deno.test("/undo with nothing to undo: a plain /error, and nothing is sent", () => {
  const { e, at } = session();
  const n = e.commands.length;
  assert.deepEqual(at(1, "undo"), [{ address: "/error", args: ["/undo", "nothing to undo"] }]);
  assert.equal(at(1, "undo 0")[0].address, "/error");
  assert.equal(e.commands.length, n);
  // Notes and the transport are not edits.
  at(2, "note voice1 C3 0.8 0.25");
  at(2, "seq start");
  assert.equal(e.history.list(10).length, 0);
  // An open transaction refuses the undo of a patch change, and changes nothing.
  at(3, "create lfo1 lfo");
  e.patch.create("x", "lfo");
  const m = e.commands.length;
  const [err] = at(4, "undo");
  assert.equal(err.address, "/error");
  assert.match(String(err.args[1]), /transaction is open/);
  assert.equal(e.commands.length, m);
  assert.equal(e.history.undoable, 1);
});

Deno.test("history is bounded: past the limit the oldest entry is forgotten", () => {
  const h = new History(3);
  const change = (v: number) => ({
    params: [{ module: "voice1", param: "cutoff", before: v, after: v + 1 }],
    modules: [],
    cables: [],
    tracks: [],
  });
  for (let i = 0; i < 5; i++) {
    h.record(change(i), { frame: i * 10 * SR, author: "a", describe: () => `#${i}` }, SR);
  }
  assert.deepEqual(h.list(10).map((l) => l.description), ["#2", "#3", "#4"]);
  assert.deepEqual(h.list(10).map((l) => l.index), [3, 4, 5]);
  assert.equal(h.toUndo(10).length, 3);
});

Deno.test("authors: two OSC clients on different ports; /history lists them; a live undo and redo replay bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startLogged(dir, { seconds: 3, lead: TEST_LEAD, patch: tone });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const a = new OscTestClient(osc.port), b = new OscTestClient(osc.port);
  try {
    await a.send("/gate/voice1", 1);
    await a.send("/mod/voice1/cutoff", 500);
    await a.send("/sync", 1);
    await a.waitFor((r) => r[0] === "/synced");
    await b.send("/mod/voice1/res", 0.5);
    await b.send("/sync", 2);
    await b.waitFor((r) => r[0] === "/synced");
    await new Promise((r) => setTimeout(r, 1100)); // past the knob-turn window
    await a.send("/mod/voice1/cutoff", 3000);
    await a.send("/sync", 3);
    await a.waitFor((r) => r[0] === "/synced" && r[1] === 3);
    await b.send("/undo");
    await b.waitFor((r) => r[0] === "/undo.reply");
    await b.send("/undo", "now");
    await b.waitFor((r) =>
      r[0] === "/undo.reply" && b.received.filter((x) => x[0] === "/undo.reply").length === 2
    );
    await a.send("/redo");
    await a.waitFor((r) => r[0] === "/redo.reply");
    await a.send("/history", 10);
    const [, json] = await a.waitFor((r) => r[0] === "/history.reply");
    const lines = JSON.parse(String(json)) as HistoryLine[];
    const pa = `127.0.0.1:${a.port}`, pb = `127.0.0.1:${b.port}`;
    assert.notEqual(pa, pb);
    assert.deepEqual(lines.map((l) => [l.author, l.undone]), [[pa, false], [pb, false], [pa, true]]);
    assert.deepEqual(lines.map((l) => l.description.replace(/ \S+ → /, " … → ")), [
      "voice1.cutoff … → 500 Hz",
      "voice1.res … → 0.5",
      "voice1.cutoff … → 3000 Hz",
    ]);
    assert.equal(engine.patch.module("voice1").params.cutoff, 500);
  } finally {
    await a.close();
    await b.close();
    await osc.close();
  }
  const summary = await engine.finished;
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const cut = log.commands.filter((c) => c.op === L.OP_SET_PARAM && c.param === cutoff && c.frame > 0);
  assert.deepEqual(cut.map((c) => c.f0), [500, 3000, 500], "the undo's set is in the session log");
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("history survives --resume: the autosaved history is listed and undone by the restarted engine", async () => {
  const dir = await Deno.makeTempDir();
  const { e, at } = session();
  at(0, "set voice1.cutoff 700");
  at(3, "seq add lead voice1 x.x.");
  await Deno.mkdir(`${dir}/autosave`, { recursive: true });
  await Deno.writeTextFile(`${dir}/autosave/patch.json`, JSON.stringify(sessionFile(e)));
  await Deno.writeTextFile(`${dir}/autosave/history.json`, historyText(e.history.toFile()));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../main.ts", import.meta.url).pathname,
      "--sink",
      "null",
      "--no-osc",
      "--quiet",
      "--no-autosave",
      "--data-dir",
      dir,
      "--resume",
      "--stdin",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("history\nundo 2\nhistory\nquit\n"));
  await w.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.match(
    stdout,
    /#1 frame 0 score voice1\.cutoff 8000 → 700 Hz\n#2 frame 144000 score track lead set\n/,
  );
  assert.match(stdout, /undid #2 track lead set\nundid #1 voice1\.cutoff 8000 → 700 Hz/);
  assert.match(stdout, /#1 frame 0 score voice1\.cutoff 8000 → 700 Hz \(undone\)\n#2 .* \(undone\)/);
  await Deno.remove(dir, { recursive: true });
});
