// One voice for replies (cli/session.ts): every text form's example in the address table, run against a real
// engine, is answered in a sentence, never a raw "/x.reply" line; edits say what changed, from what to what and
// when; unknown words get the nearest command and its usage alone.
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.ts";
import { ROUTES } from "../osc/routes/table.ts";
import { COMMAND_WORDS, HELP_LINES, translate } from "../cli/language.ts";
import { Connection, describe, runLine } from "../cli/session.ts";
import { editDistance, nearest } from "../core/nearest.ts";
import { withTextRig } from "./osc_helpers.ts";

const RAW = /(^|\n)\/|\.reply\b/;

function withEngine(fn: (c: Connection, engine: Engine) => Promise<void>): Promise<void> {
  return withTextRig(({ c, engine }) => fn(c, engine), "chronus-replies-", 120);
}

Deno.test("every text form's example gets a plain sentence from a real engine, never a raw /…reply line", async () => {
  await withEngine(async (c) => {
    const answered: string[] = [];
    for (const r of ROUTES.filter((r) => r.text && r.dialect === "chronus")) {
      for (const example of r.text!.examples) {
        const a = await runLine(c, example);
        // The engine may refuse an example here (a scene not saved, a patch file not in this data directory):
        // its refusal is the engine's words under the address, and the text stays free of raw replies.
        assert.doesNotMatch(a.text, RAW, `${example} → ${a.text}`);
        for (const e of a.errors) assert.match(e, /^(\/|#bundle)\S*: \S/, `${example} → ${e}`);
        if (a.ok) {
          assert.ok(a.text.trim().length > 0, `${example} answered nothing`);
          answered.push(example);
        }
      }
    }
    // Most examples apply as they stand; each family answers at least one.
    const families = new Set(
      ROUTES.filter((r) => r.text?.examples.some((e) => answered.includes(e))).map((r) => r.family),
    );
    for (const f of ["play", "patch", "seq", "pattern", "history", "scene", "record", "listen", "engine"]) {
      assert.ok(families.has(f as never), `no ${f} example answered: ${answered.join(" | ")}`);
    }
    assert.ok(answered.length >= 40, `only ${answered.length} examples answered: ${answered.join(" | ")}`);
  });
});

Deno.test("replies as text per family: what changed, from what to what, when", async () => {
  await withEngine(async (c) => {
    const say = async (line: string) => {
      const a = await runLine(c, line);
      assert.equal(a.ok, true, `${line}: ${a.errors.join("; ")}`);
      return a.text;
    };
    // play: a parameter's move with its unit and frame; the same value again says so.
    assert.match(await say("set voice1.cutoff 320"), /^voice1\.cutoff \S+ → 320 Hz at frame \d+$/);
    assert.match(await say("set voice1.cutoff 1000"), /^voice1\.cutoff 320 → 1000 Hz at frame \d+$/);
    assert.equal(await say("set voice1.filter.freq 1000"), "voice1.cutoff was already 1000 Hz");
    assert.equal(await say("gate voice1 on"), "voice1 gate open");
    assert.equal(await say("sync"), "everything sent before has applied");
    // patch: the cables and modules, one transaction.
    assert.match(await say("create wob lfo"), /^patch: \+wob at frame \d+$/);
    assert.match(
      await say("patch wob -> voice2.cutoff 0.25"),
      /^patch: wob\.out → voice2\.cutoff at frame \d+$/,
    );
    assert.match(await say("delete wob"), /^patch: -wob, -wob\.out → voice2\.cutoff at frame \d+$/);
    // seq: the change and when it is heard.
    assert.equal(await say("seq bpm 174"), "bpm 120 → 174 from the next bar");
    assert.equal(await say("seq swing 56"), "swing 50 → 56% from the next bar");
    assert.equal(await say("seq add hats voice3 x.x.x.x."), "track hats set from the next bar");
    assert.match(await say("seq mute hats"), /^mute hats at frame \d+$/);
    assert.match(await say("seq unmute"), /^unmute hats at frame \d+$/);
    assert.match(await say("seq start"), /^playing from the first bar$/);
    await new Promise((r) => setTimeout(r, 600));
    // With the transport running, an edit says the bar and beat it was made at.
    assert.match(await say("set voice1.cutoff 700"), /^voice1\.cutoff 1000 → 700 Hz at bar \d+\.\d+$/);
    assert.equal(await say("seq stop"), "stopped (every gate closed)");
    // pattern, scene, history: files and entries in words.
    assert.equal(await say("pattern save groove"), "saved patterns/groove.json (the sequence)");
    assert.match(await say("scene save verse"), /^scene verse saved at frame \d+$/);
    assert.match(await say("undo"), /^undid #\d+ scene verse saved$/);
    assert.match(await say("history 2"), /^#\d+ frame \d+ .* \(undone\)$/m);
    // A query's reply in words.
    assert.match(await say("scale D dorian"), /^scale none → D dorian at frame \d+$/);
    assert.equal(await say("scale"), "scale D dorian: D E F G A B C");
    assert.equal(await say("seq unmute"), "nothing changed");
  });
});

Deno.test("describe: every reply the table's text forms wait for is a sentence; an unknown one is words too", () => {
  const samples: Record<string, (string | number)[]> = {
    "/seq/bpm.reply": [174],
    "/patch/commit.reply": [3, "[]"],
    "/seq/swing.reply": [56],
    "/patch/save.reply": ["patches/x.json"],
    "/session/save.reply": ["sessions/set1.json", 12],
    "/session/load.reply": ["sessions/set1.json", 12],
    "/pattern/save.reply": ["patterns/groove.json"],
    "/note/off.reply": [12],
    "/scene/play.reply": ["chorus", 17],
    "/scene/list.reply": ["verse:4", "chorus:1"],
  };
  assert.equal(describe(["/seq/bpm.reply", 174], false), "tempo 174 BPM from the next bar");
  assert.equal(
    describe(["/patch/save.reply", "patches/x.json"], false),
    "saved patches/x.json (patch and sequence)",
  );
  assert.equal(
    describe(["/scene/list.reply", "verse:4", "chorus:1"], false),
    "verse (4 bars)\nchorus (1 bar)",
  );
  assert.equal(describe(["/brand/new.reply", 3], false), "brand new: 3");
  for (const r of ROUTES.filter((r) => r.text && r.dialect === "chronus")) {
    const expect = translate(r.text!.examples[0]).expect;
    if (!expect.endsWith(".reply") || expect === "/engine/list.reply") continue;
    // JSON replies need their JSON; the others are described from sample arguments.
    if (
      /status|schema|history|undo|redo|analyze|state|list\.reply$|^\/get\.reply$/.test(expect) &&
      !samples[expect]
    ) {
      continue;
    }
    const text = describe([expect, ...(samples[expect] ?? ["x", "bar"])], false);
    assert.doesNotMatch(text, RAW, `${expect} → ${text}`);
  }
});

Deno.test("an unknown word gets the nearest command and its usage, never the whole help", () => {
  const refusal = (line: string) => {
    try {
      translate(line);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`${line} translated`);
  };
  for (
    const [word, near] of [["levels", "listen"], ["meter", "listen"], ["key", "scale"], ["stauts", "status"]]
  ) {
    const m = refusal(word);
    assert.match(m, new RegExp(`^"${word}" is not a command; did you mean "${near}"\\?\\n  ${near}`));
    assert.ok(m.split("\n").length < 6 && m.split("\n").length < HELP_LINES.length, m);
  }
  assert.match(refusal("sett voice1.cutoff 3"), /did you mean "set"\?\n {2}set MODULE\.PARAM VALUE/);
  // Nothing near: the command words in one line.
  assert.equal(refusal("wobble").split("\n").length, 1);
  assert.match(refusal("wobble"), /commands: set, gate, note/);
  assert.ok(COMMAND_WORDS.includes("listen") && COMMAND_WORDS.includes("save"));
  assert.equal(editDistance("cutof", "cutoff"), 1);
  assert.equal(nearest("cutof", ["freq", "cutoff", "res"]), "cutoff");
  assert.equal(nearest("zzzzzz", ["freq", "cutoff"]), undefined);
});

Deno.test("module and parameter names: the engine's refusal names the nearest one, and nothing changes", async () => {
  await withEngine(async (c, engine) => {
    const before = engine.patch.module("voice1").params.cutoff;
    const p = await runLine(c, "set voice1.cutof 900");
    assert.equal(p.ok, false);
    assert.match(
      p.errors[0],
      /^\/mod\/voice1\/cutof: voice has no parameter "cutof"; did you mean "cutoff"\? \(known:/,
    );
    const m = await runLine(c, "set voice11.cutoff 900");
    assert.match(m.errors[0], /No module "voice11" in the patch; did you mean "voice1"\?/);
    assert.equal(engine.patch.module("voice1").params.cutoff, before);
  });
});
