// Whole sessions (osc/routes/session.ts): `save NAME` writes the patch, the sequence with its scenes, the scale
// and the history to sessions/NAME.json; `load NAME` brings them all back at one frame as one undoable entry.
// Every refusal changes nothing. Against a real engine over OSC.
import assert from "node:assert/strict";
import { runLine } from "../cli/session.ts";
import { defaultPatch } from "../patch/default_patch.ts";
import type { SessionFile } from "../osc/session_file.ts";
import { patchFile, playingFile } from "../engine/state.ts";
import { sessionFile as autosaved } from "../cli/autosave.ts";
import { withTextRig } from "./osc_helpers.ts";

Deno.test("save NAME / load NAME: the whole session comes back at one frame, undoable; refusals change nothing", async () => {
  await withTextRig(async ({ engine, c, dataDir }) => {
    const ok = async (line: string) => {
      const a = await runLine(c, line);
      assert.equal(a.ok, true, `${line}: ${a.errors.join("; ")}`);
      return a.text;
    };
    const refused = async (line: string) => {
      const a = await runLine(c, line);
      assert.equal(a.ok, false, `${line} was not refused: ${a.text}`);
      return a.errors.join("; ");
    };
    await ok("set voice1.cutoff 1234");
    await ok("seq add hats voice3 x.x.x.x.");
    // voice4 plays F1 from a track: the DSP has 43.65 Hz, the control side's mirror its set value.
    await ok("seq add bass voice4 xxxx F1 now");
    await ok("seq start");
    await new Promise((r) => setTimeout(r, 500));
    await ok("scene save verse");
    await ok("scale D dorian");
    assert.match(await ok("save set1"), /^saved sessions\/set1\.json \(the whole session: .* 5 edits\)$/);
    const file = JSON.parse(await Deno.readTextFile(`${dataDir}/sessions/set1.json`)) as SessionFile;
    assert.equal(file.chronusSession, 1);
    assert.deepEqual(
      file.patch,
      await playingFile(engine),
      "the patch part is what /patch/save writes: the parameters as the DSP plays them",
    );
    const f4 = file.patch.modules.voice4.params?.freq as number;
    assert.ok(
      Math.abs(f4 - 43.6535) < 1e-3,
      `voice4.freq as the track plays it (F1), not the mirror's: ${f4}`,
    );
    assert.notEqual(patchFile(engine).modules.voice4.params?.freq, f4);
    assert.deepEqual(autosaved(engine), patchFile(engine));
    assert.equal(file.history.entries.length, 5);
    // Elsewhere: change it all, then load.
    await ok("set voice1.cutoff 500");
    await ok("seq remove hats");
    await ok("scale C major");
    const historyBefore = engine.history.list(100).length;
    // Refusals: no such session, a name that is a path, an existing file without overwrite, not a session.
    assert.match(
      await refused("load nosuch"),
      /^\/session\/load: cannot read sessions\/nosuch\.json|no such file/,
    );
    assert.match(await refused("save set1"), /^\/session\/save: .*exists already \(add overwrite/);
    const evil = await runLine(c, "load ..");
    assert.equal(evil.ok, false);
    await Deno.writeTextFile(`${dataDir}/sessions/bad.json`, JSON.stringify(defaultPatch()));
    assert.match(await refused("load bad"), /sessions\/bad\.json is not a session file/);
    await Deno.writeTextFile(
      `${dataDir}/sessions/badhist.json`,
      JSON.stringify({ ...file, history: { entries: "no" } }),
    );
    assert.match(await refused("load badhist"), /its history is not a history/);
    await Deno.writeTextFile(
      `${dataDir}/sessions/badpatch.json`,
      JSON.stringify({ ...file, patch: { modules: { x: { type: "nonesuch" } } } }),
    );
    await refused("load badpatch");
    assert.equal(engine.patch.module("voice1").params.cutoff, 500, "a refused load changed nothing");
    assert.equal(engine.history.list(100).length, historyBefore, "nor the history");
    assert.ok(!engine.sequencer.toFile().tracks.hats);
    // The load: everything back, one frame, one entry on top of the saved history.
    const loaded = await ok("load set1");
    assert.match(loaded, /^loaded sessions\/set1\.json \(the whole session, with 5 edits to undo\)\n/);
    assert.match(loaded, /session set1 loaded at (frame \d+|bar [\d.]+)$/);
    assert.equal(engine.patch.module("voice1").params.cutoff, 1234);
    assert.ok(engine.sequencer.toFile().tracks.hats);
    assert.deepEqual(engine.sequencer.toFile().scenes && Object.keys(engine.sequencer.toFile().scenes!), [
      "verse",
    ]);
    assert.equal(engine.instrument.toFile().scale, "D dorian");
    const lines = engine.history.list(100);
    assert.equal(lines.length, 6);
    assert.equal(lines.at(-1)!.description, "session set1 loaded");
    // Undoable: the patch and sequence as they were before the load.
    assert.match(await ok("undo"), /^undid #\d+ session set1 loaded$/);
    assert.equal(engine.patch.module("voice1").params.cutoff, 500);
    assert.ok(!engine.sequencer.toFile().tracks.hats);
    assert.equal(engine.instrument.toFile().scale, "C major");
    // overwrite replaces it.
    assert.match(await ok("save set1 overwrite"), /^saved sessions\/set1\.json/);
    // The patch-only and sequence-only forms still work beside it.
    assert.equal(await ok("pattern save groove"), "saved patterns/groove.json (the sequence)");
  }, "chronus-session-");
});
