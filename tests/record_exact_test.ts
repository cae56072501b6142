// Exact recordings (docs/recording.md): a length in seconds or bars, or a stamped start and stop, gives exactly
// those frames of the output; several recordings run at once, each equal to the replay of the session log over
// its frames (through a failover); bad requests get /error and change nothing; the chronus CLI's --seconds.
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.ts";
import type { EngineEvent } from "../engine/metrics.ts";
import { MAX_RECORDINGS } from "../engine/recorder.ts";
import { readWav } from "../core/wav.ts";
import { OscServer } from "../osc/server.ts";
import type { PatchFile } from "../core/files.ts";
import { firstDifference, firstDifferenceOutside, replayLog, startLogged, TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";

const root = new URL("..", import.meta.url).pathname;
const defaultPatch: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The WAV's frames as its header counts them, checked against the data chunk's size. */
async function wavFrames(path: string): Promise<{ frames: number; samples: Float32Array }> {
  const bytes = await Deno.readFile(path);
  const wav = readWav(bytes);
  assert.equal(wav.dataBytes, wav.frames * 2 * 4, "float32 stereo: 8 bytes a frame");
  assert.equal(bytes.length, wav.dataOffset + wav.dataBytes, "the header counts every byte");
  return { frames: wav.frames, samples: wav.samples };
}

function sound(engine: Engine): void {
  engine.set("voice1", "freq", 220);
  engine.gate("voice1", true);
  engine.set("acid1", "freq", 55);
  engine.gate("acid1", true, 1);
}

Deno.test("several recordings at once, through a failover: each is exactly its frames, all equal the replay", async () => {
  const dir = await Deno.makeTempDir();
  const events: EngineEvent[] = [];
  const engine = await startLogged(dir, {
    patch: defaultPatch,
    lead: TEST_LEAD,
    allowFaultInjection: true,
    injections: [{ kind: "trap", role: "primary", block: 700 }],
    record: { path: `${dir}/all.wav` },
    onEvent: (e) => events.push(e),
  });
  sound(engine);
  await until(() => engine.outBlock >= 100, 5000, "block 100");
  // A length in seconds from the next frame; a stamped start mid-block with a stamped stop (a score's lines);
  // two bars from a stamped sequencer start at 120 BPM.
  const secs = await engine.startRecording(`${dir}/secs.wav`, { seconds: 1.5 });
  assert.equal(secs.endFrame, secs.startFrame + 72_000);
  const at = engine.asap() + 4800 + 37;
  const stamped = await engine.startRecording(`${dir}/stamped.wav`, { frame: at });
  assert.equal(stamped.startFrame, at);
  const stop = engine.stopRecording(`${dir}/stamped.wav`, at + 72_000);
  const barAt = engine.asap() + 9600 + 5;
  engine.sendBatch([...engine.sequencer.bpm(120, "now"), ...engine.sequencer.start()], barAt);
  const bars = await engine.startRecording(`${dir}/bars.wav`, { frame: barAt, bars: 2 });
  assert.equal(bars.startFrame, barAt);
  const on = engine.recordingStatus().recordings;
  assert.equal(on.length, 4, "four at once");
  assert.equal(on.filter((r) => r.recording).length, 3, "stamped.wav is stopping (at its frame)");
  const stopped = await stop;
  assert.equal(stopped.frames, 72_000, "a stamped stop lands on its frame");
  await until(
    () => engine.recordingStatus().recordings.filter((r) => r.recording).length === 1,
    15000,
    "the timed recordings to end by themselves",
  );
  const status = engine.recordingStatus();
  const entry = (p: string) => status.recordings.find((r) => r.path === `${dir}/${p}`)!;
  assert.equal(entry("secs.wav").frames, 72_000);
  assert.equal(entry("bars.wav").startFrame, barAt);
  assert.equal(entry("bars.wav").endFrame, barAt + 192_000, "two bars at 120 BPM, ending on the bar line");
  assert.equal(entry("all.wav").recording, true);
  assert.ok(events.filter((e) => e.type === "recorded").length === 2, JSON.stringify(events));
  assert.ok(events.some((e) => e.type === "recorded" && /bars\.wav: output frames/.test(e.message)));
  const summary = await engine.stop();
  assert.ok(summary.metrics.failovers >= 1, "a failover happened during the recordings");
  assert.equal(summary.recordings?.length, 1);
  assert.equal(summary.recording?.startFrame, 0);
  assert.equal(summary.recording?.frames, summary.frames, "--record holds every frame of the run");

  const replay = (await replayLog(`${dir}/s.jsonl`)).samples;
  const all = await wavFrames(`${dir}/all.wav`);
  const late = summary.output.lateAt;
  for (
    const [name, start, frames] of [
      ["secs.wav", secs.startFrame, 72_000],
      ["stamped.wav", at, 72_000],
      ["bars.wav", barAt, 192_000],
    ] as const
  ) {
    const wav = await wavFrames(`${dir}/${name}`);
    assert.equal(wav.frames, frames, name);
    // Both files come from the same tap: identical over their common frames, late blocks included.
    const common = all.samples.subarray(start * 2, (start + frames) * 2);
    assert.equal(firstDifference(wav.samples, common), -1, `${name} holds the --record file's samples`);
    assert.ok(wav.samples.some((x) => Math.abs(x) > 0.01), `${name} is not silent`);
  }
  // And the --record file is the replay (outside blocks the output itself played late, as silence).
  assert.equal(firstDifferenceOutside(all.samples, replay.subarray(0, all.samples.length), late), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("OSC and the chronus CLI: --seconds 2 is exactly 96,000 frames; bad requests get /error and change nothing", async () => {
  const dir = await Deno.makeTempDir();
  const to: { osc?: OscServer } = {}; // events go to OSC subscribers as main.ts sends them
  const engine = await Engine.start({
    patch: defaultPatch,
    lead: TEST_LEAD,
    sink: { kind: "null" },
    onEvent: (e) => to.osc?.event(e),
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir: dir });
  to.osc = osc;
  const rec = `${dir}/recordings`;
  const client = new OscTestClient(osc.port);
  const take = async (address: string, pred: (r: unknown[]) => boolean = () => true) => {
    const r = await client.waitFor((r) => r[0] === address && pred(r));
    client.received.splice(client.received.indexOf(r), 1);
    return r;
  };
  const error = async (address: string) => String((await take("/error", (r) => r[1] === address))[2]);
  const status = async () => {
    await client.send("/record/status");
    return JSON.parse(String((await take("/record/status.reply"))[1]));
  };
  try {
    sound(engine);
    await client.send("/notify", 1);
    await take("/notify.reply");
    const chronus = (...words: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${root}cli/chronus.ts`, "--port", String(osc.port), ...words],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output().then((o) => ({
        code: o.code,
        out: new TextDecoder().decode(o.stdout),
        err: new TextDecoder().decode(o.stderr),
      }));
    const s = await chronus("record", "start", "take.wav", "--seconds", "2");
    const m = /^recording to recordings\/take\.wav from frame (\d+) to frame (\d+) \(96000 frames\)\n$/.exec(
      s.out,
    );
    assert.ok(m, JSON.stringify(s));
    assert.equal(Number(m[2]) - Number(m[1]), 96_000);
    // A second one while the first runs, open-ended, stopped by name.
    await client.send("/record/start", "open.wav");
    // (Subscribed: copies of the CLI's replies come here too; take each by its file.)
    const open = await take("/record/start.reply", (r) => r[1] === "recordings/open.wav");
    assert.equal(open.length, 3, "no end frame for an open recording");
    const event = await take("/event", (r) => r[1] === "recorded");
    assert.match(
      String(event[2]),
      /^recordings\/take\.wav: output frames \d+…\d+ \(96000 frames, 2\.000 s\)/,
    );
    assert.equal((await wavFrames(`${rec}/take.wav`)).frames, 96_000);
    const st = await status();
    const done = st.recordings.find((r: { name: string }) => r.name === "recordings/take.wav");
    assert.deepEqual([done.recording, done.frames, done.endFrame - done.startFrame], [false, 96_000, 96_000]);
    assert.equal(st.recording, true, "open.wav is on");

    // Refusals: each an /error; no file appears, the recording that is on goes on.
    const before = (await status()).recordings.length;
    for (
      const [args, why] of [
        [["bad1.wav", "--seconds", -1], /--seconds must be more than 0, not -1/],
        [["bad2.wav", "seconds", 0], /--seconds must be more than 0, not 0/],
        [["bad3.wav", "--bars", 0], /--bars must be a whole number from 1 to 10000, not 0/],
        [["bad4.wav", "--seconds", 1, "--bars", 2], /give --seconds or --bars, not both/],
        [["bad5.wav", "--bars", 2], /--bars counts the sequencer's bars, and it is stopped/],
        [["bad6.wav", "--seconds"], /--seconds takes a number/],
        [["open.wav", "overwrite"], /already recording to recordings\/open\.wav/],
      ] as const
    ) {
      await client.send("/record/start", ...args);
      assert.match(await error("/record/start"), why, JSON.stringify(args));
    }
    for (let i = 1; i <= 6; i++) await assert.rejects(Deno.stat(`${rec}/bad${i}.wav`), Deno.errors.NotFound);
    await client.send("/record/stop", "nosuch.wav");
    assert.match(
      await error("/record/stop"),
      /not recording nosuch\.wav \(recording recordings\/open\.wav\)/,
    );
    // Up to MAX_RECORDINGS at once, then a refusal.
    for (let i = 2; i <= MAX_RECORDINGS; i++) {
      await client.send("/record/start", `many${i}.wav`);
      await take("/record/start.reply", (r) => r[1] === `recordings/many${i}.wav`);
    }
    await client.send("/record/start", "one-too-many.wav");
    assert.match(
      await error("/record/start"),
      /8 recordings are on already \(the most at once\): stop one first/,
    );
    await assert.rejects(Deno.stat(`${rec}/one-too-many.wav`), Deno.errors.NotFound);
    const after = await status();
    assert.equal(after.recordings.filter((r: { recording: boolean }) => r.recording).length, MAX_RECORDINGS);
    assert.equal(after.recordings.length, before + MAX_RECORDINGS - 1);
    // Stop one by name, then all: one reply each.
    await client.send("/record/stop", "open.wav");
    assert.equal((await take("/record/stop.reply"))[1], `${rec}/open.wav`);
    await client.send("/record/stop");
    const replies = new Set<string>();
    for (let i = 2; i <= MAX_RECORDINGS; i++) replies.add(String((await take("/record/stop.reply"))[1]));
    assert.equal(replies.size, MAX_RECORDINGS - 1);
    assert.equal((await status()).recording, false);
    await client.send("/record/stop");
    assert.match(await error("/record/stop"), /^not recording/);
  } finally {
    await client.close();
    await osc.close();
  }
  await engine.stop();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a --seconds 30 recording holds exactly 1,440,000 frames", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await Engine.start({ patch: defaultPatch, lead: TEST_LEAD, sink: { kind: "null" } });
  sound(engine);
  const started = await engine.startRecording(`${dir}/long.wav`, { seconds: 30 });
  assert.equal(started.endFrame! - started.startFrame, 1_440_000);
  await until(() => !engine.recordingStatus().recording, 40_000, "the recording to end by itself");
  await engine.stop();
  assert.equal((await wavFrames(`${dir}/long.wav`)).frames, 1_440_000);
  await Deno.remove(dir, { recursive: true });
});
