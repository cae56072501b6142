// The whole engine in this process (Deno's sanitizers check that it leaves nothing behind).
import assert from "node:assert/strict";
import { Engine, type EngineOptions } from "../engine/engine.ts";
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

Deno.test("bad settings are refused before anything starts", async () => {
  await assert.rejects(Engine.start({ block: 4096 }), /--block 4096 is outside/);
  await assert.rejects(Engine.start({ lead: 0 }), /--lead 0/);
  await assert.rejects(
    Engine.start({ injections: [{ kind: "trap", role: "primary", block: 1 }] }),
    /--allow-fault-injection/,
  );
});
