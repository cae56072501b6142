// A few hundred messages as the seed system's clients sent them (tests/fixtures/seed_session.txt: one message a
// line with its OSC type tags, as python-osc sends them), replayed with eight voices (CHRONUS_NUM_VOICES=8, the
// seed clients' usual setting) through the router, then over UDP against a running engine: not one /error, the
// session leaves the engine where the messages say, and the engine still answers.
import assert from "node:assert/strict";
import type { OscArg } from "../osc/router.ts";
import { encode } from "node-osc";
import { Engine } from "../engine/engine.ts";
import { OscServer } from "../osc/server.ts";
import { defaultPatch, rig } from "./dialect_helpers.ts";
import { TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";

/** One message of the fixture: its address and arguments, read by their type tags. */
export function parseLine(line: string): { address: string; args: OscArg[] } {
  const [address, tags, ...tokens] = line.trim().split(/\s+/);
  if (!tags?.startsWith(",")) throw new Error(`"${line}": no type tags`);
  const args: OscArg[] = [];
  for (const t of tags.slice(1)) {
    if (t === "T" || t === "F") {
      args.push(t === "T");
      continue;
    }
    const token = tokens.shift();
    if (token === undefined) throw new Error(`"${line}": fewer arguments than type tags`);
    if (t === "f" || t === "d") args.push(parseFloat(token));
    else if (t === "i" || t === "h") args.push(parseInt(token, 10));
    else if (t === "s") args.push(token);
    else throw new Error(`"${line}": type tag ${t}`);
  }
  if (tokens.length) throw new Error(`"${line}": more arguments than type tags`);
  return { address, args };
}

/** The fixture's messages (comments and blank lines left out). */
export function seedSession(): { address: string; args: OscArg[]; line: string }[] {
  return Deno.readTextFileSync(new URL("./fixtures/seed_session.txt", import.meta.url))
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((line) => ({ ...parseLine(line), line }));
}

Deno.test("the seed's client session: every message accepted, none refused", () => {
  const session = seedSession();
  assert.ok(session.length >= 300, `${session.length} messages`);
  const { e, say, events, calls, files } = rig(8);
  const errors: string[] = [];
  for (const { address, args, line } of session) {
    for (const r of say(address, ...args).replies) {
      if (r.address === "/error") errors.push(`${line} → ${r.args[1]}`);
    }
  }
  assert.deepEqual(errors, [], "no /error");
  // The session's effects, as its messages say.
  assert.ok(events.some((ev) => ev === "clamped: /mod/voice1/adsr/attack 5 → 2"));
  assert.ok(events.some((ev) => ev === "clamped: /seq/swing 0.8 → 0.6"));
  assert.deepEqual(calls.filter((c) => c === "pause" || c === "resume"), [
    "resume",
    "resume",
    "pause",
    "resume",
    "pause",
  ]);
  assert.ok(files.has("patterns/slot-1.json") && files.has("patterns/slot-2.json"), "the slots were saved");
  assert.ok(e.patch.modules.has("osc1") && e.patch.modules.has("filt1"), "the router's patching applied");
  assert.equal(e.patch.module("voice8").params.attack, 500, "voice8's attack, 0.5 s");
  assert.equal(e.patch.module("delay1").params.time, 100, "delay time 0.05 s, clamped to the seed's 0.1 s");
  assert.deepEqual(e.sequencer.toFile().tracks, {}, "the session ends with /seq/clear");
});

Deno.test("the seed's client session over UDP against a running engine with eight voices", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await Engine.start({
    patch: defaultPatch(8),
    lead: TEST_LEAD,
    seconds: 60,
    sink: { kind: "null" },
    logPath: `${dir}/s.jsonl`,
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir: dir });
  const client = new OscTestClient(osc.port);
  await client.send("/notify", 1);
  await client.waitFor((r) => r[0] === "/notify.reply");
  const typed = (a: OscArg) =>
    typeof a === "boolean"
      ? a
      : typeof a === "string"
      ? a
      : { type: Number.isInteger(a) ? "i" : "f", value: a };
  for (const { address, args } of seedSession()) {
    // Recordings go to the data directory's recordings/ (the test's directory, not the repository).
    await client.raw(encode({ oscType: "message", address, args: args.map(typed) } as never));
    // A recording answers when its thread has started or finished it: the next message waits for that.
    const verb = /^\/(engine\/)?record\/(start|stop)$/.exec(address)?.[2];
    if (verb) await answered(client, `/record/${verb}.reply`);
  }
  await client.send("/sync", 4242);
  await client.waitFor((r) => r[0] === "/synced" && r[1] === 4242, 20000);
  assert.equal(osc.counts.messages, seedSession().length + 2, "every message arrived (and /notify, /sync)");
  await client.send("/engine/status");
  await answered(client, "/engine/status.reply");
  const status = client.received.findLast((r) => r[0] === "/engine/status.reply")!;
  assert.equal(JSON.parse(String(status[1])).redundant, true, "the engine still answers, both workers alive");
  const errors = client.received.filter((r) => r[0] === "/error");
  assert.deepEqual(errors, [], "no /error");
  const events = client.received.filter((r) => r[0] === "/event" && r[1] === "clamped").map((r) => r[2]);
  assert.ok(events.includes("/mod/voice1/adsr/attack 5 → 2"), "a clamp is an /event to a subscriber");
  await client.close();
  await osc.close();
  await engine.stop();
  await engine.finished;
  await Deno.remove(dir, { recursive: true });
});

// Waits until `client` has received one more `address` than it had when called (a recording's reply).
async function answered(client: OscTestClient, address: string): Promise<void> {
  const count = () => client.received.filter((r) => r[0] === address || r[0] === "/error").length;
  const before = count(), deadline = performance.now() + 5000;
  while (count() === before) {
    if (performance.now() > deadline) throw new Error(`no ${address} within 5 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
