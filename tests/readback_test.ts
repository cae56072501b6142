// Reading the state back (engine/readback.ts, /get, `get`): values as the DSP has them, with units, targets,
// note names and provenance; bad input refused; reads change no sample.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { shortestF32 } from "../core/f32.ts";
import { readWav } from "../core/wav.ts";
import { Engine } from "../engine/engine.ts";
import { noteName, roundForPeople } from "../engine/state.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { OscServer } from "../osc/server.ts";
import { Patch } from "../patch/graph.ts";
import type { PatchFile } from "../core/files.ts";
import { firstDifferenceOutside, replayLog, TEST_LEAD } from "./helpers.ts";
import { OscTestClient, type Received } from "./osc_helpers.ts";

const root = new URL("..", import.meta.url).pathname;
const defaultPatch: PatchFile = JSON.parse(await Deno.readTextFile(`${root}patches/default.json`));

Deno.test("numbers leave the engine as the shortest decimal of their f32; pitches get note names", () => {
  assert.equal(shortestF32(Math.fround(0.3)), 0.3);
  assert.equal(String(shortestF32(Math.fround(329.63))), "329.63");
  assert.equal(shortestF32(777), 777);
  assert.equal(shortestF32(-0.1), -0.1);
  assert.equal(noteName(43.6535), "F1");
  assert.equal(noteName(440), "A4");
  assert.equal(noteName(450), undefined, "39 cents off: no name");
  assert.equal(roundForPeople(43.6535), "43.65");
  assert.equal(roundForPeople(Math.fround(0.3)), "0.3");
  // A value that came as an OSC float32 leaves list, /patch/save and the autosave without its noise.
  const patch = new Patch();
  patch.load(defaultPatch);
  patch.commit();
  patch.setNow("voice1", "gain", Math.fround(0.3));
  patch.setNow("voice2", "freq", Math.fround(329.63));
  const file = JSON.stringify(patch.toFile());
  assert.match(file, /"gain":0\.3[,}]/);
  assert.match(file, /"freq":329\.63[,}]/);
});

type Get = { block: number; params: Record<string, unknown>[] };

async function get(client: OscTestClient, target: string): Promise<Get> {
  const from = client.received.length;
  await client.send("/get", target);
  const r = await client.waitFor((m) =>
    client.received.indexOf(m) >= from && (m[0] === "/get.reply" || (m[0] === "/error" && m[1] === "/get"))
  );
  if (r[0] === "/error") throw new Error(String(r[2]));
  return JSON.parse(String(r[1]));
}

Deno.test("get: the DSP's values (set, glide, sequencer notes and lanes), refusals, and a replay bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await Engine.start({
    patch: defaultPatch,
    lead: TEST_LEAD,
    seconds: 6,
    sink: { kind: "wav", path: `${dir}/out.wav` },
    logPath: `${dir}/s.jsonl`,
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const client = new OscTestClient(osc.port);
  try {
    // A set, then its read: the DSP's target, in the parameter's unit.
    await client.send("/mod/voice1/cutoff", 777);
    const cutoff = await get(client, "voice1.cutoff");
    assert.equal(cutoff.params.length, 1);
    assert.equal(cutoff.params[0].target, 777);
    assert.equal(cutoff.params[0].unit, "Hz");
    // Read a block or so after the set: the 5 ms smoothing may still be on its way, and says so.
    assert.match(String(cutoff.params[0].text), /^voice1\.cutoff [\d.]+ Hz \(target 777/);
    assert.equal(cutoff.params[0].changed, true);
    // A glide of 2 s: the read, one block or more after the pitch changed, is on its way to the target.
    await client.send("/mod/voice2/glide", 2000);
    await client.send("/mod/voice2/freq", 880);
    const glide = (await get(client, "voice2")).params.find((p) => p.param === "freq")!;
    assert.equal(glide.target, 880);
    assert.ok((glide.value as number) > 110 && (glide.value as number) < 880, `mid-glide ${glide.value}`);
    assert.match(String(glide.text), /target 880/);
    // A track's notes and a lane move voice3 inside the DSP: get shows what they set, and where from.
    await client.send("/seq/add", "reeseA", "voice3", "xxxx", "F1", "now");
    await client.send("/seq/lane", "reeseA", "cutoff", 300, 600, 1200, "now");
    await client.send("/seq/start");
    await new Promise((r) => setTimeout(r, 800));
    const v3 = await get(client, "voice3");
    const freq = v3.params.find((p) => p.param === "freq")!;
    assert.equal(freq.note, "F1");
    assert.match(String(freq.text), /^voice3\.freq 43\.65 Hz \(F1, from track reeseA/);
    const lane = v3.params.find((p) => p.param === "cutoff")!;
    assert.ok([300, 600, 1200].includes(lane.target as number), `lane value ${lane.target}`);
    assert.match(String(lane.text), /lane of track reeseA/);
    // Refusals: no module, no parameter, too many reads in flight from one client; nothing else changes.
    const before = client.received.length;
    await client.send("/get", "nosuch");
    await client.send("/get", "voice1.nosuch");
    for (let i = 0; i < 12; i++) await client.send("/get", "voice1");
    await client.waitFor((m) => m[0] === "/error" && /too many reads in flight/.test(String(m[2])));
    await new Promise((r) => setTimeout(r, 300));
    const after = client.received.slice(before);
    const errors = after.filter((m: Received) => m[0] === "/error").map((m) => String(m[2]));
    assert.ok(errors.some((e) => /No module "nosuch"/.test(e)), errors.join("; "));
    assert.ok(errors.some((e) => /has no parameter "nosuch"/.test(e)), errors.join("; "));
    const answered = after.filter((m) => m[0] === "/get.reply").length;
    assert.ok(answered >= 4 && answered < 12, `${answered} of 12 answered`);
    assert.equal(
      (await get(client, "voice1.cutoff")).params[0].target,
      777,
      "a refused read changed nothing",
    );
  } finally {
    await client.close();
    await osc.close();
  }
  const summary = await engine.finished;
  // Reads are stamped commands, but they change no sample: the log leaves them out, and the replay equals the
  // live output that had them, sample for sample.
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  assert.equal(log.commands.filter((c) => c.op === L.OP_READ).length, 0);
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  await Deno.remove(dir, { recursive: true });
});

async function cli(args: string[]) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}cli/chronus.ts`, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
}

Deno.test("acceptance: chronus set voice1.cutoff 777, then get voice1.cutoff prints 777 (two processes)", async () => {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const engine = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}main.ts`, "--sink", "null", "--duration", "8", "--osc-port", String(port)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const p = ["--port", String(port)];
  try {
    let set;
    for (let i = 0; i < 50; i++) { // until the engine listens
      set = await cli([...p, "set", "voice1.cutoff", "777"]);
      if (set.code === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(set!.out.trim(), /^voice1\.cutoff \S+ → 777 Hz at (frame \d+|bar [\d.]+)$/, set!.err);
    const got = await cli([...p, "get", "voice1.cutoff"]);
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /^voice1\.cutoff 777 Hz/m);
    const json = await cli([...p, "--json", "get", "voice1"]);
    const params = JSON.parse(json.out).params as { param: string; target: number }[];
    assert.equal(params.length, 18, "every parameter of a voice");
    assert.equal(params.find((q) => q.param === "cutoff")!.target, 777);
    const bad = await cli([...p, "get", "voice1.nosuch"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /error: \/get: voice1 \(voice\) has no parameter "nosuch"/);
  } finally {
    engine.kill("SIGTERM");
    await engine.status;
  }
});
