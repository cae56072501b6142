// Recording: the output into a WAV file through failovers (equal to the replay of the session log, float32 bit
// for bit, 24-bit within half a step), a crash (SIGKILL) and a clean shutdown, over OSC and the chronus CLI,
// and a recorder that stalls past the record tap: the audio never waits, the loss is silence and reported.
import assert from "node:assert/strict";
import { translate } from "../cli/language.ts";
import { Engine } from "../engine/engine.ts";
import { renderOffline } from "../core/render.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import type { EngineEvent } from "../engine/supervisor.ts";
import { defaultRecordingPath, parseRecordFormat } from "../engine/recorder.ts";
import { readWav, type WavFormat, WavWriter } from "../core/wav.ts";
import { OscServer } from "../osc/server.ts";
import type { PatchFile } from "../core/files.ts";
import {
  dspModule,
  firstDifference,
  firstDifferenceOutside,
  replayLog,
  stallsAtMost,
  startLogged,
  TEST_LEAD,
} from "./helpers.ts";
import { TONE_PATCH_PATH } from "./tone.ts";
import { OscTestClient } from "./osc_helpers.ts";

const root = new URL("..", import.meta.url).pathname;
const mainTs = `${root}main.ts`;
const defaultPatch: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);
const B = 128, SR = 48000;

/** Waits until `cond` holds (polling), or fails after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Blocks (of the whole output) the output played as silence, as block indices relative to `startBlock`. */
const relative = (late: readonly number[], startBlock: number) => late.map((b) => b - startBlock);

/** Plays the default patch, loudly with a full-scale saw straight into the output, past the limiter (so that
 * the 24-bit file has to clip). */
function play(engine: Engine, loud: boolean): void {
  engine.set("voice1", "freq", 220);
  engine.gate("voice1", true);
  engine.set("acid1", "freq", 55);
  engine.gate("acid1", true, 1);
  if (loud) {
    engine.patch.create("loud", "vco", { wave: "saw", freq: 110, level: 1 });
    engine.patch.connect("loud", "out1.L");
    engine.patch.connect("loud", "out1.R");
    engine.commit();
  }
}

async function recordThroughFailover(format: WavFormat) {
  const dir = await Deno.makeTempDir();
  const faultBlock = 450;
  const engine = await startLogged(dir, {
    patch: defaultPatch,
    lead: TEST_LEAD,
    allowFaultInjection: true,
    injections: [{ kind: "trap", role: "primary", block: faultBlock }],
  });
  play(engine, format === "pcm24");
  await until(() => engine.outBlock >= 200, 5000, "block 200");
  const started = await engine.startRecording(`${dir}/take.wav`, { format });
  await until(() => engine.outBlock >= 750, 10000, "block 750");
  const status = engine.recordingStatus();
  const stopped = await engine.stopRecording();
  const summary = await engine.stop();
  const context = JSON.stringify({ started, stopped, metrics: summary.metrics, late: summary.output.lateAt });

  assert.equal(started.path, `${dir}/take.wav`);
  assert.equal(started.startFrame % B, 0, "the recording starts on a block boundary");
  const startBlock = started.startFrame / B, endBlock = startBlock + stopped.frames / B;
  assert.ok(startBlock < faultBlock && endBlock > faultBlock + 100, `the fault is inside: ${context}`);
  assert.ok(summary.metrics.failovers >= 1 && (summary.metrics.failures.trap ?? 0) >= 1, context);
  assert.equal(summary.metrics.divergences, 0);
  assert.ok(status.recording && status.frames > 0 && status.format === format, JSON.stringify(status));
  assert.equal(stopped.lostFrames, 0, context);
  assert.equal(summary.recording, undefined, "nothing was recording at the stop");

  const wav = readWav(await Deno.readFile(started.path));
  assert.equal(wav.frames, stopped.frames);
  assert.equal(wav.dataBytes, stopped.frames * 2 * (format === "pcm24" ? 3 : 4), "the header is final");
  // No block at the failover was late; VM stalls elsewhere are tolerated (see helpers.ts), and located.
  const late = summary.output.lateAt;
  assert.deepEqual(late.filter((b) => b >= faultBlock - 6 && b <= faultBlock + 12), [], context);
  assert.ok(stallsAtMost(late), context);
  // What the sink got over the same frames (the wav sink: float32 of every block, late ones as silence).
  const sink = readWav(await Deno.readFile(`${dir}/out.wav`)).samples
    .subarray(started.startFrame * 2, (started.startFrame + stopped.frames) * 2);
  const replay = (await replayLog(`${dir}/s.jsonl`)).samples
    .subarray(started.startFrame * 2, (started.startFrame + stopped.frames) * 2);
  assert.equal(replay.length, wav.samples.length);
  await Deno.remove(dir, { recursive: true });
  return { wav: wav.samples, sink, replay, late: relative(late, startBlock) };
}

Deno.test("recording through a failover: the file equals the replay of the session log, bit for bit", async () => {
  const { wav, sink, replay, late } = await recordThroughFailover("float32");
  assert.equal(firstDifference(wav, sink), -1, "the file holds exactly what the sink got");
  assert.equal(firstDifferenceOutside(wav, replay, late), -1, "and that is the replay (outside VM stalls)");
  assert.ok(wav.some((x) => Math.abs(x) > 0.1), "the notes sound");
});

Deno.test("recording in 24-bit: the replay rounded to 24 bits, clipped at full scale", async () => {
  const { wav, replay, late } = await recordThroughFailover("pcm24");
  const skip = new Set(late);
  const top = 8388607 / 8388608;
  let clipped = 0, worst = 0;
  for (let i = 0; i < wav.length; i++) {
    if (skip.has(Math.floor(i / 2 / B))) continue;
    const x = replay[i];
    if (x >= top) {
      assert.equal(wav[i], top, `sample ${i}: ${x} clips to the top`);
      clipped++;
    } else if (x <= -1) {
      assert.equal(wav[i], -1, `sample ${i}: ${x} clips to -1`);
      clipped++;
    } else worst = Math.max(worst, Math.abs(wav[i] - x));
  }
  assert.ok(worst <= 2 ** -24, `rounded to the nearest step: worst error ${worst}`);
  assert.ok(clipped > 100, `the loud part clipped (${clipped} samples)`);
});

Deno.test("24-bit writer: rounds to the nearest step and clips both ends; a file cut after a flush reads", async () => {
  const path = await Deno.makeTempFile({ suffix: ".wav" });
  const w = new WavWriter(path, SR, 2, { format: "pcm24", bufferFrames: 3 });
  const x = Float32Array.from([1.5, -1.5, 1, -1, 0.5, -0.25, 2 ** -24 * 1.01, -(2 ** -24) * 0.99, 0.1, -0.7]);
  w.write(x);
  // 3-frame buffer: 3 frames went out with their header; the last 2 are still buffered.
  const cut = readWav(await Deno.readFile(path));
  assert.equal(cut.frames, 3);
  assert.equal(cut.dataBytes, 3 * 6);
  assert.equal(w.flushedFrames, 3);
  w.close();
  const r = readWav(await Deno.readFile(path));
  const top = 8388607 / 8388608;
  assert.deepEqual(Array.from(r.samples.subarray(0, 8)), [top, -1, top, -1, 0.5, -0.25, 2 ** -23, 0]);
  assert.ok(Math.abs(r.samples[8] - x[8]) <= 2 ** -24 && Math.abs(r.samples[9] - x[9]) <= 2 ** -24);
  assert.equal(r.dataBytes, 5 * 6);
  await Deno.remove(path);
});

Deno.test("record commands: files named as typed, a lone format word, default names never clobber", async () => {
  assert.deepEqual(translate("record start take1.wav").messages, [["/record/start", "take1.wav"]]);
  assert.deepEqual(translate("record start /a/b.wav 24").messages, [["/record/start", "/a/b.wav", "24"]]);
  assert.deepEqual(translate("record start float32").messages, [["/record/start", "float32"]]);
  assert.deepEqual(translate("record start").messages, [["/record/start"]]);
  assert.equal(translate("record stop").expect, "/record/stop.reply");
  assert.deepEqual(translate("record stop take1.wav").messages, [["/record/stop", "take1.wav"]]);
  assert.deepEqual(translate("record start t.wav --seconds 2").messages, [[
    "/record/start",
    "t.wav",
    "--seconds",
    "2",
  ]]);
  assert.throws(
    () => translate("record stop a.wav b.wav"),
    /expected record start \[FILE\] \[--seconds S \| --bars N\] \[float32\|24\] \[overwrite\]/,
  );
  assert.throws(() => translate("record pause"), /expected record start/);
  assert.equal(parseRecordFormat(24), "pcm24");
  assert.equal(parseRecordFormat("FLOAT32"), "float32");
  assert.throws(() => parseRecordFormat("16"), /unknown recording format "16" \(float32 or 24\)/);
  const dir = await Deno.makeTempDir();
  const at = new Date(2026, 0, 2, 3, 4, 5);
  assert.equal(defaultRecordingPath(dir, at), `${dir}/chronus-20260102-030405.wav`);
  await Deno.writeTextFile(`${dir}/chronus-20260102-030405.wav`, "");
  assert.equal(defaultRecordingPath(dir, at), `${dir}/chronus-20260102-030405-2.wav`);
  await Deno.remove(dir, { recursive: true });
});

/** The engine CLI recording to `dir`/rec.wav from frame 0, with a session log; stderr collected as it comes. */
function recordingCli(dir: string, extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      mainTs,
      "--record",
      `${dir}/rec.wav`,
      "--no-osc",
      "--sink",
      "null",
      "--lead",
      String(TEST_LEAD),
      // Only the DSP's module 0, which --exercise plays at gain 0.25 (`--set gain=…` sets voice1 now, and
      // --patch none has none).
      "--patch",
      TONE_PATCH_PATH,
      "--exercise",
      "7",
      "--log",
      `${dir}/s.jsonl`,
      ...extra,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stderr = { text: "", lastBlock: 0, lastBlockAt: 0 };
  const done = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr.text += chunk;
      const blocks = [...chunk.matchAll(/· block (\d+) ·/g)];
      if (blocks.length) {
        stderr.lastBlock = Number(blocks[blocks.length - 1][1]);
        stderr.lastBlockAt = performance.now();
      }
    }
  })();
  return { child, stderr, done };
}

/** Frames the header of the WAV at `path` counts (0 while it does not exist or has no header yet). */
async function headerFrames(path: string): Promise<number> {
  try {
    const bytes = await Deno.readFile(path);
    return bytes.length >= 58 ? new DataView(bytes.buffer).getUint32(54, true) / 8 : 0;
  } catch {
    return 0;
  }
}

/** Blocks where the live file is silent but the replay is not (VM stalls: located silence). */
function silentBlocks(live: Float32Array, replay: Float32Array): number[] {
  const silent: number[] = [];
  for (let b = 0; b * 2 * B < live.length; b++) {
    const l = live.subarray(b * 2 * B, (b + 1) * 2 * B), r = replay.subarray(b * 2 * B, (b + 1) * 2 * B);
    if (l.every((x) => x === 0) && r.some((x) => x !== 0)) silent.push(b);
  }
  return silent;
}

Deno.test("SIGKILL while recording: the file is a readable WAV of everything up to the last flush", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/rec.wav`;
  const { child, stderr, done } = recordingCli(dir);
  const polled = performance.now();
  while ((await headerFrames(path)) < 2 * SR) {
    assert.ok(performance.now() - polled < 20000, `no 2 s in the file: ${stderr.text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGKILL");
  const killedAt = performance.now();
  const status = await child.status;
  await done;
  assert.equal(status.signal, "SIGKILL");
  assert.ok(stderr.lastBlock > 0, `a status line: ${stderr.text}`);
  // The most the output can have played: the last status line's block, plus real time since (a real-time
  // output never runs ahead of the clock), plus a little for a backlog it was catching up on.
  const played = stderr.lastBlock * B + ((killedAt - stderr.lastBlockAt) / 1000 + 0.05) * SR;

  const bytes = await Deno.readFile(path);
  const wav = readWav(bytes);
  assert.equal(wav.dataBytes, wav.frames * 8, "the header counts whole frames");
  // The data goes to the file before the header that counts it: the file holds at least what the header
  // says, and more only if the kill fell between the two writes of one flush (at most one flush of data).
  const extra = bytes.length - wav.dataOffset - wav.dataBytes;
  assert.ok(extra >= 0 && extra <= 0.5 * SR * 8, `${extra} bytes beyond the header's count`);
  assert.ok(
    wav.frames >= played - SR,
    `${wav.frames} frames in the file, ${Math.round(played)} played at most`,
  );
  // The file is the beginning of what the session log renders (the log is flushed every 250 ms).
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  assert.equal(log.frames, undefined, "the log was cut too");
  const replay = renderOffline(await dspModule(), log.settings, log.commands, wav.frames);
  const silent = silentBlocks(wav.samples, replay);
  assert.ok(stallsAtMost(silent), `silent blocks ${silent}`);
  assert.equal(firstDifferenceOutside(wav.samples, replay, silent), -1);
  assert.ok(wav.samples.some((x) => Math.abs(x) > 0.2), "the tone plays in it");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SIGINT while recording: the file is finalized with every frame the output played", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/rec.wav`;
  const { child, stderr, done } = recordingCli(dir, [
    "--record-format",
    "float32",
    "--summary",
    `${dir}/sum.json`,
  ]);
  while ((await headerFrames(path)) < SR) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGINT");
  const status = await child.status;
  await done;
  assert.equal(status.code, 0, stderr.text);
  const said = /recorded ([\d.]+) s \((\d+) frames, float32\) to (.+)/.exec(stderr.text);
  assert.ok(said, stderr.text);
  assert.equal(said[3], path);
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/sum.json`));
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const bytes = await Deno.readFile(path);
  const wav = readWav(bytes);
  assert.equal(wav.frames, Number(said[2]));
  assert.equal(wav.frames, log.frames, "every frame the output played, from frame 0");
  assert.equal(summary.recording.frames, wav.frames);
  assert.equal(bytes.length, wav.dataOffset + wav.dataBytes, "the header counts every byte");
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(wav.samples, replay.samples, summary.output.lateAt), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("OSC: /record/start, /status, a refused second start, /stop, errors; the chronus CLI in words", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await Engine.start({ patch: defaultPatch, lead: TEST_LEAD, sink: { kind: "null" } });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir: dir });
  const rec = `${dir}/recordings`;
  const client = new OscTestClient(osc.port);
  // Each wait takes its message out, so that a later wait for the same address sees only a new one.
  const reply = async (address: string) => {
    const r = await client.waitFor((r) => r[0] === address);
    client.received.splice(client.received.indexOf(r), 1);
    return r;
  };
  const error = async (address: string) => {
    const e = await client.waitFor((r) => r[0] === "/error" && r[1] === address);
    client.received.splice(client.received.indexOf(e), 1);
    return String(e[2]);
  };
  const status = async () => {
    await client.send("/record/status");
    return JSON.parse(String((await reply("/record/status.reply"))[1]));
  };
  try {
    engine.gate("voice1", true);
    const before = engine.outBlock;
    await client.send("/record/start", "osc.wav");
    const started = await reply("/record/start.reply");
    assert.equal(started[1], "recordings/osc.wav");
    const startFrame = Number(started[2]);
    assert.ok(startFrame % B === 0 && startFrame >= before * B, `start frame ${startFrame}`);
    await until(() => engine.outBlock * B > startFrame + SR / 2, 5000, "half a second");
    const on = await status();
    assert.equal(on.recording, true);
    assert.equal(on.path, `${rec}/osc.wav`);
    assert.equal(on.format, "float32");
    assert.ok(on.frames > 0 && on.seconds > 0 && on.overruns === 0, JSON.stringify(on));

    // A second start of the same file is refused (several recordings run at once: tests/record_exact_test.ts).
    await client.send("/record/start", "osc.wav", "24", "overwrite");
    assert.match(
      await error("/record/start"),
      /already recording to recordings\/osc\.wav: stop that recording first/,
    );
    assert.equal((await status()).path, `${rec}/osc.wav`, "the first recording goes on");

    await client.send("/record/stop");
    const stopped = await reply("/record/stop.reply");
    assert.equal(stopped[1], `${rec}/osc.wav`);
    const frames = Number(stopped[2]);
    assert.ok(frames >= SR / 2 && frames % B === 0, `${frames} frames`);
    assert.ok(Math.abs(Number(stopped[3]) - frames / SR) < 1e-3, "seconds");
    const wav = readWav(await Deno.readFile(`${rec}/osc.wav`));
    assert.equal(wav.frames, frames);
    assert.ok(wav.samples.some((x) => x !== 0), "the voice is in it");

    await client.send("/record/stop");
    assert.match(await error("/record/stop"), /not recording/);
    await client.send("/record/start", "no/such/dir/x.wav");
    assert.match(
      await error("/record/start"),
      /^cannot write recordings\/no\/such\/dir\/x\.wav: no such file$/,
    );
    await client.send("/record/start", "x.wav", "mp3");
    assert.match(await error("/record/start"), /unknown recording format "mp3" \(float32 or 24\)/);
    await client.send("/record/status", 1);
    assert.match(await error("/record/status"), /expected \/record\/status/);
    const off = await status();
    assert.equal(off.recording, false, "nothing else changed");
    assert.equal(off.path, `${rec}/osc.wav`);
    assert.equal(off.frames, frames);

    // deno task chronus, in another directory: a plain name goes to the engine's recordings/.
    const chronus = (...words: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${root}cli/chronus.ts`, "--port", String(osc.port), ...words],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output().then((o) => ({ code: o.code, out: new TextDecoder().decode(o.stdout) }));
    const s1 = await chronus("record", "start", "take1.wav", "24");
    assert.match(s1.out, /^recording to recordings\/take1\.wav from frame \d+\n$/);
    const s2 = await chronus("record", "status");
    assert.match(s2.out, /^recording to .*take1\.wav \(pcm24\): [\d.]+ s, [\d.]+ s on disk, \d+ ms behind/);
    const s3 = await chronus("record", "stop");
    assert.match(s3.out, /^recorded [\d.]+ s \(\d+ frames\) to .*take1\.wav\n$/);
    const s4 = await chronus("record", "stop");
    assert.equal(s4.code, 1);
    assert.equal(readWav(await Deno.readFile(`${rec}/take1.wav`)).dataBytes % 6, 0, "24-bit stereo frames");

    // A recording still on when the engine stops is finalized with it.
    await client.send("/record/start", "last.wav");
    assert.equal((await reply("/record/start.reply"))[1], "recordings/last.wav");
    await until(() => engine.recordingStatus().frames > 10 * B, 5000, "a few blocks");
    assert.equal(engine.recordingStatus().path, `${rec}/last.wav`);
  } finally {
    await client.close();
    await osc.close();
  }
  const summary = await engine.stop();
  assert.equal(summary.recording?.path, `${rec}/last.wav`);
  const last = readWav(await Deno.readFile(`${rec}/last.wav`));
  assert.equal(last.frames, summary.recording.frames);
  assert.equal(summary.recording.startFrame + last.frames, summary.frames, "up to the output's last frame");
  assert.equal(engine.recordingStatus().recording, false);
  await assert.rejects(engine.startRecording(`${dir}/after.wav`), /the engine has stopped/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the recorder never holds up the audio: 4 s recorded on time, never more than a second unflushed", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startLogged(dir, { patch: defaultPatch, lead: TEST_LEAD, sink: { kind: "null" } });
  play(engine, false);
  const started = await engine.startRecording(`${dir}/take.wav`);
  let worstUnflushed = 0, samples = 0;
  const end = performance.now() + 4000;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    // What a crash now would lose: frames the output has played since the start that no header counts yet.
    const s = engine.recordingStatus();
    worstUnflushed = Math.max(worstUnflushed, engine.outBlock * B - started.startFrame - s.flushedFrames);
    samples++;
  }
  const stopped = await engine.stopRecording();
  const summary = await engine.stop();
  assert.ok(stallsAtMost(summary.output.lateAt), `late blocks ${summary.output.lateAt}`);
  assert.ok(worstUnflushed < SR, `${worstUnflushed} frames unflushed at worst (${samples} looks)`);
  assert.ok(stopped.maxLagMs < 250, `the recorder was ${stopped.maxLagMs} ms behind`);
  assert.equal(stopped.lostFrames, 0);
  const wav = readWav(await Deno.readFile(started.path));
  const replay = (await replayLog(`${dir}/s.jsonl`)).samples
    .subarray(started.startFrame * 2, (started.startFrame + wav.frames) * 2);
  const late = relative(summary.output.lateAt, started.startFrame / B);
  assert.equal(firstDifferenceOutside(wav.samples, replay, late), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a recorder stalled longer than the tap holds: the output goes on, the loss is silence and reported", async () => {
  const dir = await Deno.makeTempDir();
  const events: EngineEvent[] = [];
  const tapBlocks = 64; // 171 ms
  const engine = await startLogged(dir, {
    patch: defaultPatch,
    lead: TEST_LEAD,
    tapBlocks,
    allowFaultInjection: true,
    onEvent: (e) => events.push(e),
  });
  play(engine, false);
  const started = await engine.startRecording(`${dir}/take.wav`);
  await until(() => engine.recordingStatus().frames > SR / 4, 5000, "a quarter second recorded");
  const stallMs = 600;
  engine.stallRecorder(stallMs);
  await until(() => engine.recordingStatus().overruns > 0, 5000, "the overrun");
  await until(() => engine.recordingStatus().lagMs < 100, 5000, "the recorder to catch up");
  await new Promise((r) => setTimeout(r, 300));
  const stopped = await engine.stopRecording();
  const summary = await engine.stop();
  const context = JSON.stringify({ stopped, late: summary.output.lateAt, events });

  assert.ok(stallsAtMost(summary.output.lateAt), `the output did not wait: ${context}`);
  assert.equal(stopped.overruns, 1, context);
  assert.equal(stopped.lost.length, 1, context);
  const [from, to] = stopped.lost[0];
  assert.equal(to - from, stopped.lostFrames);
  // The tap covers 171 ms of the 600 ms stall, give or take a poll and the wait for the stall to begin.
  assert.ok(
    stopped.lostFrames > 0.25 * SR && stopped.lostFrames < (stallMs / 1000) * SR,
    `lost ${stopped.lostFrames} frames: ${context}`,
  );
  const overrun = events.filter((e) => e.type === "record-overrun");
  assert.equal(overrun.length, 1, context);
  assert.match(overrun[0].message, new RegExp(`frames ${from}…${to} .* recorded as silence`));
  assert.equal(engine.recordingStatus().lostFrames, stopped.lostFrames, "in /record/status too");

  // The file keeps the output's timeline: silence where the tap was overwritten, the output elsewhere.
  const wav = readWav(await Deno.readFile(started.path));
  assert.equal(wav.frames, stopped.frames);
  const rel = (f: number) => (f - started.startFrame) * 2;
  assert.ok(wav.samples.subarray(rel(from), rel(to)).every((x) => x === 0), "silence where it was lost");
  const sink = readWav(await Deno.readFile(`${dir}/out.wav`)).samples
    .subarray(started.startFrame * 2, (started.startFrame + wav.frames) * 2);
  const lostBlocks = Array.from({ length: (to - from) / B }, (_, i) => (from - started.startFrame) / B + i);
  assert.equal(firstDifferenceOutside(wav.samples, sink, lostBlocks), -1, "exactly the output elsewhere");
  assert.ok(wav.samples.subarray(rel(to)).some((x) => x !== 0), "the recording went on after the loss");
  await Deno.remove(dir, { recursive: true });
});
