// deno task chronus against a running engine (two processes, real UDP): commands, answers, errors, play.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { translate } from "../cli/language.ts";
import { TEST_LEAD } from "./helpers.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test("the text language: commands to OSC messages, plain-words errors", () => {
  assert.deepEqual(translate("set voice1.filter.freq 900").messages, [["/mod/voice1/filter/freq", 900]]);
  assert.deepEqual(translate("set voice2.wave square").messages, [["/mod/voice2/wave", "square"]]);
  assert.deepEqual(translate("gate voice1 on 0.5").messages, [["/gate/voice1", 1, 0.5]]);
  assert.deepEqual(translate("note voice1 C3 0.8 0.25").messages, [["/note", "voice1", "C3", 0.8, 0.25]]);
  assert.deepEqual(translate("note voices C3:maj7 0.8").also, "/note.reply", "a group's ids are awaited");
  assert.deepEqual(translate("seq add drums kick1 x... x... X.x. x-x.").messages, [
    ["/seq/add", "drums", "kick1", "x... x... X.x. x-x."],
  ]);
  assert.deepEqual(translate("seq add bass acid1 x.x. C2 36 gate=0.3 now").messages, [
    ["/seq/add", "bass", "acid1", "x.x.", "C2", 36, "gate=0.3", "now"],
  ]);
  assert.deepEqual(translate("seq bpm 175").messages, [["/seq/bpm", 175]]);
  assert.deepEqual(translate("pattern load groove now").messages, [["/pattern/load", "groove", "now"]]);
  assert.throws(() => translate("seq dance"), /expected seq add\|remove/);
  assert.deepEqual(translate("patch lfo1 -> voice2.cutoff 0.5").messages, [
    ["/patch/connect", "lfo1", "voice2.cutoff", 0.5],
    ["/patch/commit"],
  ]);
  assert.equal(translate("status").expect, "/engine/status.reply");
  assert.equal(translate("  # a comment").messages.length, 0);
  assert.throws(() => translate("gate voice1 maybe"), /expected gate MODULE on\|off/);
  assert.throws(() => translate("wobble"), /"wobble" is not a command; commands:/);
});

async function run(args: string[], stdin?: string) {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}cli/chronus.ts`, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const o = await p.output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
}

Deno.test("deno task chronus: answers in plain words, errors exit 1, play keeps the score's timing", async () => {
  const dir = await Deno.makeTempDir();
  const port = 30000 + Math.floor(Math.random() * 20000);
  const engine = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}main.ts`,
      "--sink",
      "null",
      "--duration",
      "8",
      "--lead",
      String(TEST_LEAD),
      "--osc-port",
      String(port),
      "--log",
      `${dir}/s.jsonl`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const p = ["--port", String(port)];
  let status;
  for (let i = 0; i < 50; i++) { // until the engine listens
    status = await run([...p, "status"]);
    if (status.code === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(status!.out, /48000 Hz, block 128 · active slot \d · redundant/);
  const json = await run([...p, "--json", "status"]);
  assert.equal(JSON.parse(json.out).block, 128);
  const set = await run([...p, "set", "voice1.freq", "233"]);
  // What the edit changed, from what to what, and when (the transport is stopped: the frame).
  assert.match(set.out.trim(), /^voice1\.freq \S+ → 233 Hz at frame \d+$/, set.err);
  const again = await run([...p, "set", "voice1.freq", "233"]);
  assert.equal(again.out.trim(), "voice1.freq was already 233 Hz", again.err);
  // A note on a group prints its ids (/note.reply comes before the sync); on a module, what it played.
  const chord = await run([...p, "note", "voices", "C3:maj7", "0.8", "0.2"]);
  assert.match(chord.out.trim(), /^note ids 1 2 3 4 \(/, chord.err);
  assert.equal(
    (await run([...p, "note", "voice1", "C3", "0.8", "0.2"])).out.trim(),
    "voice1 played C3 for 0.2 s",
  );
  const badNote = await run([...p, "note", "voices", "C3:blah", "0.8"]);
  assert.equal(badNote.code, 1);
  assert.match(badNote.err, /error: \/note: "C3:blah": "blah" is not a chord quality/);
  const bad = await run([...p, "set", "voice1.bogus", "3"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /error: \/mod\/voice1\/bogus: voice has no parameter "bogus"/);
  const patch = await run([...p, "patch", "lfo1", "to", "voice2.cutoff", "0.75"]);
  assert.match(patch.out, /^patch: lfo1\.\w+ → voice2\.cutoff depth 0\.5 → 0\.75 at frame \d+$/m, patch.err);
  assert.equal(
    (await run([...p, "patch", "lfo1", "to", "voice2.cutoff", "0.75"])).out.trim(),
    "nothing changed",
  );
  const piped = await run(p, "list\nset voice9.freq 1\ngate voice1 on\n");
  assert.match(piped.out, /^voice1 \(voice\): wave saw, freq [\d.]+ Hz\*, /m);
  assert.match(piped.err, /No module "voice9"/);
  // The sequencer in plain words: a pattern typed in groups, the transport, the status.
  const add = await run([...p, "seq", "add", "lead", "voice1", "x...", "x.x.", "C3", "G3"]);
  assert.equal(add.out.trim(), "track lead set from the next bar", add.err);
  assert.equal((await run([...p, "seq", "start"])).out.trim(), "playing from the first bar");
  const seqStatus = await run([...p, "seq", "status"]);
  assert.match(
    seqStatus.out,
    /^playing · bar \d+ beat [1-4] · 120 BPM · swing 50 %\n {2}lead: voice1 x\.\.\. x\.x\. \(C3 G3\)/,
  );
  const badBpm = await run([...p, "seq", "bpm", "999"]);
  assert.match(badBpm.err, /error: \/seq\/bpm: tempo 999 is out of range \(20 … 300\)/);
  assert.equal((await run([...p, "seq", "stop"])).out.trim(), "stopped (every gate closed)");
  const score = `${dir}/s.score`;
  await Deno.writeTextFile(score, "0.0 set voice3.freq 110\n0.0 gate voice3 on\n0.5 gate voice3 off\n");
  const played = await run([...p, "play", score]);
  assert.equal(played.code, 0, played.err);
  engine.kill("SIGTERM");
  await engine.output();
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const gates = log.commands.filter((c) => c.op === L.OP_GATE && c.frame > 0);
  const on = gates.find((c) => c.i0 === 1 && log.commands.some((d) => d.frame === c.frame && d.f0 === 110))!;
  const off = gates.find((c) => c.i0 === 0 && c.target === on.target && c.frame > on.frame)!;
  assert.equal(off.frame - on.frame, 24000, "0.5 s apart, to the frame");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("scores render through the same router: notes, patching and timing to the frame", async () => {
  const { scoreCommands } = await import("../cli/score.ts");
  const patch = JSON.parse(await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)));
  const cmds = scoreCommands(
    patch,
    "# a score\n0.5 note voice1 C3 0.8 0.25\n1 patch lfo1 -> voice4.cutoff 1\n0.25 set voice2.freq 330\n",
    48000,
    128,
  );
  const live = cmds.filter((c) => c.frame > 0);
  const at = (f: number) => live.filter((c) => c.frame === f);
  assert.equal(at(12000).length, 1, "0.25 s: the set (lines run in time order)");
  assert.deepEqual(at(24000).map((c) => c.op), [L.OP_SET_PARAM, L.OP_GATE], "0.5 s: pitch and gate on");
  assert.ok(Math.abs(at(24000)[0].f0 - 130.8128) < 1e-3, "C3");
  assert.deepEqual(at(36000).map((c) => [c.op, c.i0]), [[L.OP_GATE, 0]], "0.25 s later: gate off");
  assert.ok(at(48000).some((c) => c.op === L.OP_CONNECT), "1 s: the cable");
  assert.throws(
    () => scoreCommands(patch, "0.1 set voice1.bogus 1", 48000, 128),
    /score line 1: \/mod\/voice1\/bogus/,
  );
});
