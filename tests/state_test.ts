// The state as the DSP plays it, beyond one module's `get` (issue 18, part 1): `list` (/engine/state) reads
// every module back, /patch/save and the autosave write what lanes and notes set, a read in flight across a
// failover is answered, and a lane's read-back value is what the output plays at that block.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import type { PatchFile } from "../core/files.ts";
import { readWav } from "../core/wav.ts";
import { Engine } from "../engine/engine.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { playedFile } from "../engine/state.ts";
import { OscServer } from "../osc/server.ts";
import { describe } from "../cli/session.ts";
import { firstDifferenceOutside, replayLog, TEST_LEAD } from "./helpers.ts";
import { OscTestClient, type Received } from "./osc_helpers.ts";
import { testTonePatch } from "./tone.ts";

const root = new URL("..", import.meta.url).pathname;
const defaultPatch: PatchFile = JSON.parse(await Deno.readTextFile(`${root}patches/default.json`));
const LANE = [300, 600, 1200];

/** The next reply to `address` (or its /error) after `from`; an /error throws its text. */
async function answer(client: OscTestClient, address: string, from: number, ms = 3000): Promise<Received> {
  const r = await client.waitFor(
    (m) =>
      client.received.indexOf(m) >= from &&
      (m[0] === `${address}.reply` || (m[0] === "/error" && m[1] === address)),
    ms,
  );
  if (r[0] === "/error") throw new Error(String(r[2]));
  return r;
}

async function ask(client: OscTestClient, address: string, ...args: (string | number)[]): Promise<Received> {
  const from = client.received.length;
  await client.send(address, ...args);
  return await answer(client, address, from);
}

async function refusal(
  client: OscTestClient,
  address: string,
  ...args: (string | number)[]
): Promise<string> {
  const from = client.received.length;
  await client.send(address, ...args);
  return await answer(client, address, from).then(
    (r) => assert.fail(`${address} ${args.join(" ")} answered ${JSON.stringify(r)}`),
    (e) => (e as Error).message,
  );
}

Deno.test("playedFile: targets, not modulation; defaults left out; an unanswered module keeps the file's values", () => {
  const file: PatchFile = {
    modules: {
      a: { type: "vco", params: { freq: 440, level: 0.5 } },
      b: { type: "vco", params: { level: 0.2 } },
    },
    connections: [["a", "b.freq", 0.5]],
  };
  const p = (value: number, target = value, now = value) => ({ value, target, now });
  // vco: wave, freq, detune, pw, fm, glide, level (patch/schema.ts order).
  const a = { block: 9, params: [p(1), p(100, Math.fround(43.65), 300), p(0), p(0.5), p(0), p(0), p(1)] };
  const out = playedFile(file, new Map([["a", a]]));
  assert.deepEqual(out.modules.a, { type: "vco", params: { freq: 43.65 } }, "level back at its default");
  assert.deepEqual(out.modules.b, file.modules.b);
  assert.deepEqual(out.connections, file.connections);
});

Deno.test("list and /patch/save: every module as the DSP plays it (a note, a lane, a modulated base); refusals change nothing", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await Engine.start({
    patch: defaultPatch,
    lead: TEST_LEAD,
    seconds: 8,
    sink: { kind: "null" },
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir: dir });
  const client = new OscTestClient(osc.port);
  try {
    // voice3 plays F1 from a track and its cutoff from a lane; lfo → voice1.cutoff modulates (default patch).
    await client.send("/seq/add", "reeseA", "voice3", "xxxx", "F1", "now");
    await client.send("/seq/lane", "reeseA", "cutoff", ...LANE, "now");
    await client.send("/seq/start");
    await new Promise((r) => setTimeout(r, 800));
    const list = JSON.parse(String((await ask(client, "/engine/list"))[1])) as PatchFile;
    const state = JSON.parse(String((await ask(client, "/engine/state"))[1]));
    assert.deepEqual(Object.keys(state.modules), Object.keys(list.modules), "every module");
    assert.deepEqual(state.connections, list.connections, "the cables");
    const v3 = state.modules.voice3;
    assert.equal(v3.type, "voice");
    assert.ok(
      Math.abs(v3.params.freq - 43.6535) < 1e-3,
      `the track's F1, not the mirror's 329.63: ${v3.params.freq}`,
    );
    assert.ok(LANE.includes(v3.targets.cutoff ?? v3.params.cutoff), `lane value ${JSON.stringify(v3)}`);
    assert.ok(v3.changed.includes("freq") && v3.changed.includes("res"));
    assert.ok(!v3.changed.includes("pw"), "pw is at its default");
    // /engine/list/playing: a patch file (what the MCP patch tool reads) with the DSP's values.
    const playing = JSON.parse(String((await ask(client, "/engine/list/playing"))[1])) as PatchFile;
    assert.deepEqual(playing.connections, list.connections);
    const f3 = playing.modules.voice3.params?.freq as number;
    assert.ok(Math.abs(f3 - 43.6535) < 1e-3, `/engine/list/playing: the track's F1, ${f3}`);
    assert.notEqual(list.modules.voice3.params?.freq, f3, "/engine/list alone: the set value");
    assert.match(await refusal(client, "/engine/list/playing", "now"), /argument|takes no/);
    assert.equal(Object.keys(v3.params).length, 18, "every parameter of a voice");
    assert.match(
      v3.text,
      /^voice3 \(voice\): wave saw, freq 43\.65 Hz\*, detune 0 cents, pw 0\.5, .*res 0\.45\*/,
    );
    // The text language's lines: one per module, then the cables.
    const text = describe(["/engine/state.reply", JSON.stringify(state)], false);
    assert.match(text, /^voice1 \(voice\): /);
    assert.match(text, /\ncables:\n {2}\S+ -> \S+/);
    assert.equal(describe(["/engine/state.reply", JSON.stringify(state)], true), JSON.stringify(state));

    // /patch/save writes the DSP's targets: the note and the lane's value, and a modulated cutoff's base.
    const saved = await ask(client, "/patch/save", "played.json");
    const file = JSON.parse(await Deno.readTextFile(`${dir}/${saved[1]}`)) as PatchFile;
    assert.equal(file.modules.voice3.params!.freq, v3.params.freq);
    assert.ok(
      LANE.includes(file.modules.voice3.params!.cutoff as number),
      JSON.stringify(file.modules.voice3),
    );
    assert.equal(
      file.modules.voice1.params!.cutoff,
      list.modules.voice1.params!.cutoff,
      "the base, unmodulated",
    );
    assert.ok(file.sequence?.tracks.reeseA, "with its sequence");

    // Refusals: an existing file without overwrite, a path outside patches/, an extra argument; nothing changes.
    const before = await Deno.readTextFile(`${dir}/${saved[1]}`);
    assert.match(await refusal(client, "/patch/save", "played.json"), /exists/);
    assert.equal(await Deno.readTextFile(`${dir}/${saved[1]}`), before);
    assert.match(await refusal(client, "/patch/save", "../x.json"), /\S/);
    assert.match(await refusal(client, "/engine/state", "voice1"), /\S/);
    const again = JSON.parse(String((await ask(client, "/engine/list"))[1]));
    assert.deepEqual(again, list, "the refused commands changed nothing");
  } finally {
    await client.close();
    await osc.close();
    engine.stop();
    await engine.finished;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lane's value read back is what the output plays at the read's block (gain of a sine, replayed)", async () => {
  const dir = await Deno.makeTempDir();
  const levels = [0.8, 0.2, 0.5, 0.1];
  const engine = await Engine.start({
    // A sine through an open filter, its envelope held at 1 (gate over the whole step): the output's level is
    // the voice's gain.
    patch: testTonePatch("voice", {
      wave: "sine",
      freq: 750,
      cutoff: 20000,
      res: 0,
      envamt: 0,
      attack: 0,
      decay: 0,
      sustain: 1,
      release: 20000,
      level: 0.8,
    }),
    lead: TEST_LEAD,
    seconds: 4,
    sink: { kind: "null" },
    logPath: `${dir}/s.jsonl`,
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const client = new OscTestClient(osc.port);
  const reads: { block: number; value: number; target: number }[] = [];
  try {
    await client.send("/seq/bpm", 60); // a step is 250 ms: most reads land far from a step's edge
    await ask(client, "/seq/add", "amp", "tone", "xxxx", "now");
    await ask(client, "/seq/set", "amp", "gate", 1, "now");
    await ask(client, "/seq/lane", "amp", "gain", ...levels, "now");
    await ask(client, "/seq/start");
    for (let i = 0; i < 24; i++) {
      await new Promise((r) => setTimeout(r, 90));
      const r = JSON.parse(String((await ask(client, "/get", "tone.level"))[1]));
      reads.push({ block: r.block, value: r.params[0].value, target: r.params[0].target });
    }
  } finally {
    await client.close();
    await osc.close();
  }
  const summary = await engine.finished;
  const replay = await replayLog(`${dir}/s.jsonl`);
  // The peak of the last period (64 frames at 750 Hz) of the read's block, left channel.
  const peakAt = (block: number) => {
    const end = (block + 1) * engine.block;
    let peak = 0;
    for (let f = end - 64; f < end; f++) peak = Math.max(peak, Math.abs(replay.samples[2 * f]));
    return peak;
  };
  // The output's gain for level 1, from a read that has settled on the lane's first value.
  const settled = reads.filter((r) => r.value === r.target && levels.includes(r.target));
  const seen = new Set(settled.map((r) => r.target));
  assert.ok(seen.size >= 3, `reads at ${seen.size} lane values: ${JSON.stringify(reads)}`);
  const gain = peakAt(settled[0].block) / settled[0].value;
  assert.ok(gain > 0.05, `the tone sounds (gain ${gain})`);
  for (const r of settled) {
    const expected = r.value * gain, got = peakAt(r.block);
    assert.ok(
      Math.abs(got - expected) <= 0.02 * expected + 1e-4,
      `block ${r.block}: ${r.value} → ${got}, not ${expected}`,
    );
  }
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  assert.equal(log.commands.filter((c) => c.op === L.OP_READ).length, 0, "reads stay out of the log");
  assert.ok(summary.frames > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a get in flight across an injected primary fault is answered by the promoted standby; the session replays bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await Engine.start({
    patch: defaultPatch,
    lead: TEST_LEAD,
    seconds: 3,
    sink: { kind: "wav", path: `${dir}/out.wav` },
    logPath: `${dir}/s.jsonl`,
    allowFaultInjection: true,
    injections: [{ kind: "trap", role: "primary", block: 375 }], // 1 s in
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const client = new OscTestClient(osc.port);
  const reads: { sentAfter: number; answeredAfter: number; block: number; target: number }[] = [];
  try {
    await client.send("/mod/voice1/cutoff", 777);
    // Back to back: one read is always waiting, so one waits while the primary traps.
    // …and on after the failover, until the promoted standby has answered reads sent to it.
    while (reads.filter((r) => r.sentAfter > 0).length < 3 || reads.length < 20) {
      const sentAfter = engine.status().failovers;
      const r = JSON.parse(String((await ask(client, "/get", "voice1.cutoff"))[1]));
      reads.push({
        sentAfter,
        answeredAfter: engine.status().failovers,
        block: r.block,
        target: r.params[0].target,
      });
      if (reads.length > 400) break;
    }
  } finally {
    await client.close();
    await osc.close();
  }
  const summary = await engine.finished;
  assert.ok(summary.metrics.failovers >= 1, JSON.stringify(summary.metrics));
  const across = reads.filter((r) => r.sentAfter === 0 && r.answeredAfter > 0);
  assert.ok(across.length >= 1, `no read waited across the failover: ${JSON.stringify(reads)}`);
  assert.ok(reads.some((r) => r.block >= 375), "reads answered by the standby, after the primary's fault");
  assert.ok(reads.every((r) => r.target === 777), "every read answered, with the DSP's value");
  // Reads through a failover change no sample: the live output equals the session log's replay.
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  await Deno.remove(dir, { recursive: true });
});

/** The engine as a process (main.ts) with its stderr collected; resolves its OSC port once it listens. */
async function spawnEngine(
  args: string[],
): Promise<{ child: Deno.ChildProcess; port: number; err: () => string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${root}main.ts`, "--lead", String(TEST_LEAD), "--sink", "null", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  for (const deadline = performance.now() + 20_000; performance.now() < deadline;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = text.match(/OSC on 127\.0\.0\.1:(\d+)/);
    if (m) {
      (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          text += r.value;
        }
      })();
      return { child, port: Number(m[1]), err: () => text };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`the engine did not listen:\n${text}`);
}

Deno.test("--autosave writes what a lane and a track's notes set; --resume after a SIGKILL restores it", async () => {
  const dir = await Deno.makeTempDir();
  const first = await spawnEngine(["--osc-port", "0", "--data-dir", dir]);
  const osc = new OscTestClient(first.port);
  try {
    await ask(osc, "/seq/add", "reeseA", "voice3", "xxxx", "F1", "now");
    await ask(osc, "/seq/lane", "reeseA", "cutoff", 333, "now"); // one value: whenever the save reads, 333
    await ask(osc, "/seq/start");
    await new Promise((r) => setTimeout(r, 2500)); // a step, then the autosave's next check (once a second)
    const mirror = JSON.parse(String((await ask(osc, "/engine/list"))[1])) as PatchFile;
    assert.equal(
      mirror.modules.voice3.params!.freq,
      329.63,
      "the control side's mirror does not see the DSP",
    );
  } finally {
    first.child.kill("SIGKILL");
    await first.child.status;
    await osc.close();
  }
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/autosave/patch.json`)) as PatchFile;
  assert.ok(
    Math.abs((saved.modules.voice3.params!.freq as number) - 43.6535) < 1e-3,
    JSON.stringify(saved.modules.voice3),
  );
  assert.equal(saved.modules.voice3.params!.cutoff, 333);

  const second = await spawnEngine(["--osc-port", "0", "--data-dir", dir, "--resume"]);
  const osc2 = new OscTestClient(second.port);
  try {
    const resumed = JSON.parse(String((await ask(osc2, "/engine/list"))[1])) as PatchFile;
    assert.deepEqual(resumed.modules.voice3, saved.modules.voice3);
    const got = JSON.parse(String((await ask(osc2, "/get", "voice3.cutoff"))[1]));
    assert.equal(got.params[0].target, 333, "the DSP plays it again");
  } finally {
    second.child.kill("SIGTERM");
    assert.equal((await second.child.status).code, 0, second.err());
    await osc2.close();
  }
  await Deno.remove(dir, { recursive: true });
});
