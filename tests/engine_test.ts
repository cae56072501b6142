// The whole engine in this process (Deno's sanitizers check that it leaves nothing behind).
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { Engine, type EngineOptions, OUTPUT_FADE_MS } from "../engine/engine.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { readWav } from "../core/wav.ts";
import {
  firstDifference,
  firstDifferenceOutside,
  replayLog,
  stallsAtMost,
  startLogged,
  TEST_LEAD,
} from "./helpers.ts";
import { testTone, testTonePatch } from "./tone.ts";

// Every engine here plays the test tone: one vco (`tone`) into the output, silent until its level is set.
const patch = testTonePatch("vco", { wave: "saw" });
const PATCH_COMMANDS = testTone("vco", { wave: "saw" }).setup.length;
let current: Engine;
const setFreq = (hz: number) => current.patch.setNow("tone", "freq", hz);
const setGain = (g: number) => current.patch.setNow("tone", "level", g);
const startTone = async (dir: string, options: EngineOptions) =>
  current = await startLogged(dir, { patch, ...options });

Deno.test("lockstep: both rings hold bit-identical blocks over 6 s with a command every 3 blocks", async () => {
  const dir = await Deno.makeTempDir();
  const seconds = 6;
  const engine = await startTone(dir, {
    seconds,
    lead: TEST_LEAD,
  });
  engine.send(setGain(0.3));
  const blocks = Math.ceil((seconds * 48000) / 128);
  const first = engine.outBlock + 20;
  for (let n = first; n < blocks; n += 3) engine.send(setFreq(100 + ((n * 37) % 900)), n * 128 + (n % 128));
  const summary = await engine.finished;
  assert.equal(summary.metrics.divergences, 0);
  // In real time the standby trails the primary by about a block, so nearly every block is compared; a VM
  // stall (see helpers.ts) can let a few leave the rings first.
  assert.ok(
    summary.metrics.blocksCompared > blocks * 0.8,
    `only ${summary.metrics.blocksCompared} of ${blocks} compared`,
  );
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(replay.commands, PATCH_COMMANDS + 1 + Math.ceil((blocks - first) / 3));
  assert.equal(live.frames, blocks * 128);
  assert.ok(stallsAtMost(summary.output.lateAt), `late blocks ${summary.output.lateAt}`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("as fast as possible (wav --fast): the output equals the replay exactly, no block ever late", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startTone(dir, {
    seconds: 10,
    realtime: false,
  });
  engine.send(setGain(0.3), 0);
  for (let n = 10; n < 3750; n += 5) engine.send(setFreq(100 + ((n * 37) % 900)), n * 128 + (n % 128));
  const summary = await engine.finished;
  assert.equal(summary.lateBlocks, 0, "the fast output waits for every block");
  assert.equal(summary.metrics.divergences, 0);
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifference(live.samples, replay.samples), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("real time: commands sent as soon as possible are stamped, logged and replayed exactly", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startTone(dir, {
    seconds: 1.5,
    lead: TEST_LEAD,
  });
  engine.send(setGain(0.3));
  let i = 0;
  const timer = setInterval(() => {
    if (engine.running) engine.send(setFreq(200 + 20 * (i++ % 10)));
  }, 4);
  const summary = await engine.finished;
  clearInterval(timer);
  // VM stalls are tolerated (see stallsAtMost in helpers.ts): located silence, never altered audio.
  assert.ok(stallsAtMost(summary.output.lateAt), `late blocks ${summary.output.lateAt}`);
  assert.equal(summary.metrics.divergences, 0);
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.ok(replay.commands > 100, `${replay.commands} commands`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  // The null/wav clock is paced from absolute deadlines: 1.5 s of audio took about 1.5 s (generous bounds).
  assert.ok(summary.output.maxLatenessMs < 50, `a block was ${summary.output.maxLatenessMs} ms late`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("clean stop: finalizes the WAV and the log, and leaves no worker, timer or file open", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startTone(dir, {
    lead: TEST_LEAD,
  });
  engine.send(setGain(0.5));
  await new Promise((r) => setTimeout(r, 300));
  const summary = await engine.stop();
  assert.throws(() => engine.send(setGain(0)), /stopped/);
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  assert.equal(live.frames, summary.frames);
  assert.ok(summary.frames >= 0.2 * 48000, `${summary.frames} frames`);
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  let peak = 0;
  for (const s of live.samples) peak = Math.max(peak, Math.abs(s));
  assert.ok(peak > 0.4, "the voice sounded");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pause and resume: a 10 ms fade to exact silence, the sequencer stopped, a held note back", async () => {
  const dir = await Deno.makeTempDir();
  const SR = 48000, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // `held` (left) is gated on by hand and stays on; `beat` (right) plays a sequencer track.
  const voice = { type: "voice", params: { wave: "saw", attack: 0, sustain: 1, release: 30, envamt: 0 } };
  const engine = await startLogged(dir, {
    lead: TEST_LEAD,
    patch: {
      modules: { held: voice, beat: voice, out1: { type: "out" } },
      connections: [["held", "out1.L"], ["beat", "out1.R"]],
    },
  });
  engine.gate("held", true);
  engine.sendBatch([...engine.sequencer.add("t", { modules: ["beat"], pattern: "x.x.x.x." }, "now")]);
  engine.sendBatch(engine.sequencer.start());
  await sleep(400);
  assert.equal(engine.outputPaused, false);
  engine.pauseOutput();
  assert.equal(engine.outputPaused, true);
  assert.equal(engine.sequencer.playing, false, "the sequencer stops");
  await sleep(300);
  engine.resumeOutput();
  assert.equal(engine.outputPaused, false);
  await sleep(300);
  const summary = await engine.stop();
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const fades = log.commands.filter((c) => c.op === L.OP_OUTPUT_GAIN);
  assert.deepEqual(fades.map((c) => c.f0), [0, 1], "a fade out, then a fade in, both logged");
  const [pause, resume] = fades.map((c) => c.frame);
  const fade = Math.round((OUTPUT_FADE_MS / 1000) * SR);
  const ch = (c: number, from: number, to: number) => {
    const x: number[] = [];
    for (let i = from; i < to; i++) x.push(live.samples[2 * i + c]);
    return x;
  };
  const peakOf = (x: number[]) => Math.max(...x.map(Math.abs));
  // From the first gate (the held note's, stamped as soon as possible after the start) to the pause.
  const gated = log.commands.find((c) => c.op === L.OP_GATE)!.frame;
  assert.ok(pause - gated > 0.2 * SR, `the pause came ${pause - gated} frames after the first gate`);
  const before = peakOf(ch(0, gated, pause));
  assert.ok(before > 0.3, `the held note sounds before the pause (${before})`);
  assert.ok(peakOf(ch(1, gated, pause)) > 0.3, "the sequencer plays before the pause");
  // The fade is linear over 480 frames: never above the straight line from the level before it to 0.
  ch(0, pause, pause + fade).forEach((v, i) => {
    assert.ok(Math.abs(v) <= before * (1 - i / fade) + 1e-6, `frame ${i} of the fade: ${v}`);
  });
  // Silent within 20 ms, exactly, on both channels, until the resume.
  const silent = [...ch(0, pause + 0.02 * SR, resume), ...ch(1, pause + 0.02 * SR, resume)];
  assert.ok(silent.length > 0.2 * SR && silent.every((v) => v === 0), "exact silence while paused");
  // After the resume the held note sounds again; the sequencer's voice stays silent (stopped, gate closed).
  assert.ok(peakOf(ch(0, resume + fade, resume + fade + 4800)) > 0.3, "the held note is back");
  assert.equal(peakOf(ch(1, resume, live.frames)), 0, "the sequencer stays stopped");
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(
    firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt),
    -1,
    "replay = live",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pause stops a recording; the engine keeps running", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startTone(dir, { lead: TEST_LEAD });
  await engine.startRecording(`${dir}/take.wav`);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(engine.recordingStatus().recording, true);
  engine.pauseOutput();
  assert.equal(engine.recordingStatus().recording, false, "the recording stopped");
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(engine.running, "the engine still runs");
  engine.resumeOutput();
  await engine.stop();
  assert.ok(readWav(await Deno.readFile(`${dir}/take.wav`)).frames > 0, "the file is finalized");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad settings are refused before anything starts", async () => {
  await assert.rejects(Engine.start({ block: 4096 }), /--block 4096 is outside/);
  await assert.rejects(Engine.start({ lead: 0 }), /--lead 0/);
  await assert.rejects(
    Engine.start({ injections: [{ kind: "trap", role: "primary", block: 1 }] }),
    /--allow-fault-injection/,
  );
});
