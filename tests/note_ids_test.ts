// The text CLI's `note` on a voice group prints the ids of its /note.reply; on a module (no reply) it says
// what it played after /sync (cli/session.ts runTranslation, cli/language.ts `also`). Against a real engine.
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.ts";
import { OscServer } from "../osc/server.ts";
import { Connection, runLine } from "../cli/session.ts";
import { defaultPatch } from "../patch/default_patch.ts";
import { TEST_LEAD } from "./helpers.ts";

Deno.test("note on a group prints its ids; note off by id takes them; note on a module says ok; unpatch over the wire", async () => {
  const engine = await Engine.start({
    sink: { kind: "null" },
    seconds: 4,
    lead: TEST_LEAD,
    patch: defaultPatch(),
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const c = new Connection("127.0.0.1", osc.port);
  try {
    const chord = await runLine(c, "note voices C3:maj7 0.8 2");
    assert.equal(chord.ok, true, chord.errors.join("; "));
    const ids = /^note ids (\d+) (\d+) (\d+) (\d+) \(note off ID/.exec(chord.text);
    assert.ok(ids, chord.text);
    assert.deepEqual(chord.reply?.slice(1).map(String), ids.slice(1));
    const off = await runLine(c, `note off ${ids[1]}`);
    assert.equal(off.ok, true, off.errors.join("; "));
    const one = await runLine(c, "note voices E3 0.8 1");
    assert.match(one.text, /^note id \d+ /);
    const module = await runLine(c, "note voice1 C3 0.8 0.25");
    assert.deepEqual([module.ok, module.text], [true, "voice1 played C3 for 0.25 s"]);
    const bad = await runLine(c, "note nosuch C3 0.8 0.25");
    assert.equal(bad.ok, false);
    assert.match(bad.errors[0], /^\/note: no group or module "nosuch"/);
    const unpatched = await runLine(c, "unpatch * to reverb1");
    assert.match(unpatched.text, /^patch: -\S+ → reverb1\.\w+/);
    assert.equal(engine.patch.connections.some((k) => k.dst === "reverb1"), false);
    const undone = await runLine(c, "undo");
    assert.match(undone.text, /^undid #1 patch: -voice1\.out → reverb1\.L/);
  } finally {
    await c.close();
    await osc.close();
    await engine.finished;
  }
});
