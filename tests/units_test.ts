// Small pure parts: records, health deadlines, the merge, WAV files, session logs, specs and the engine tone.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { command } from "../core/command.ts";
import { readRecord, recordFrame, writeRecord } from "../core/command_record.ts";
import { CommandRingReader, CommandRingWriter, type RingEntry } from "../core/command_ring.ts";
import { armInjections, parseInjection } from "../engine/faults.ts";
import { diagnose, healthLimits } from "../core/health.ts";
import { pickSource } from "../core/merge.ts";
import { parseSessionLog, SessionLogWriter } from "../engine/session_log.ts";
import { controlView, createShared, slotViews } from "../core/shared.ts";
import { readWav, WavWriter } from "../core/wav.ts";
import { translate } from "../cli/language.ts";
import { ScoreEngine } from "../cli/score.ts";
import { OscRouter } from "../osc/router.ts";
import { moduleDef, paramIndex } from "../patch/schema.ts";

Deno.test("layout: regions do not overlap and the rings are powers of two", () => {
  assert.ok(L.INJECT_BASE > L.CTRL_SPARE_SNAP_BYTES);
  assert.equal(L.RING_BLOCKS & (L.RING_BLOCKS - 1), 0);
  assert.equal(L.CMD_CAP & (L.CMD_CAP - 1), 0);
  assert.ok(L.HDR_F64 * 4 + 8 * (L.HF_RENDER_MS_SUM + 1) <= L.HDR_WORDS * 4);
  assert.ok(L.SLOT_CMDS % 8 === 0, "f64 command arguments must be 8-byte aligned");
  assert.ok(L.SHARED_BYTES > L.SNAP_OFFSET && L.SNAP_OFFSET % 8 === 0);
});

Deno.test("command records round-trip frames beyond 2^32 and f64 arguments", () => {
  const v = slotViews(createShared(4), 0);
  const c = {
    ...command({ op: L.OP_SET_PARAM, target: 3, param: 2, f0: 1234.5678, i0: -7 }),
    seq: 42,
    frame: 2 ** 33 + 17,
  };
  writeRecord(v.cmdI32, v.cmdF64, 5, c);
  assert.equal(recordFrame(v.cmdI32, 5), 2 ** 33 + 17);
  const w = 5 * L.CMD_WORDS;
  assert.deepEqual([
    v.cmdI32[w + L.C_SEQ],
    v.cmdI32[w + L.C_OP],
    v.cmdI32[w + L.C_TARGET],
    v.cmdI32[w + L.C_I0],
  ], [
    42,
    L.OP_SET_PARAM,
    3,
    -7,
  ]);
  assert.equal(v.cmdF64[w / 2 + L.C_F64], 1234.5678);
});

Deno.test("command ring: one publish per batch, the effective frame written back and read back, pruned from the front", () => {
  const v = slotViews(createShared(4), 0);
  const writer = new CommandRingWriter<RingEntry>(v);
  const reader = new CommandRingReader(v);
  const pushed: number[][] = [];
  const host = {
    pushRecord: (i32: Int32Array, f64: Float64Array, index: number, frame: number) => {
      pushed.push([readRecord(i32, f64, index).seq, frame]);
      return 0;
    },
  };
  const entry = (seq: number, frame: number): RingEntry => ({
    ...command({ op: L.OP_SET_PARAM, f0: seq }),
    seq,
    frame,
    effective: -1,
  });
  assert.ok(writer.write(entry(1, 0)) && writer.write(entry(2, 5000)));
  assert.ok(reader.drain(host, 0) && pushed.length === 0, "nothing is visible before publish()");
  writer.publish();
  assert.ok(reader.drain(host, 640), "drained before the block at frame 640");
  assert.deepEqual(pushed, [[1, 640], [2, 5000]], "a late command applies at the block's start");
  assert.equal(reader.read, 2);
  writer.readBack();
  assert.deepEqual(writer.entries.map((e) => e.effective), [640, 5000]);
  assert.equal(recordFrame(v.cmdI32, 0), 640, "the reader wrote the effective frame back");
  writer.prune((e) => e.effective < 1000);
  assert.deepEqual(writer.entries.map((e) => e.seq), [2], "the front only, while drained and done");
  assert.ok(writer.write(entry(3, 0)));
  writer.publish();
  writer.prune(() => true);
  assert.deepEqual(writer.entries.map((e) => e.seq), [3], "not what the reader has not drained");
  // Full: a record not yet read back still holds its place.
  let held = 1; // entry 3
  while (writer.write(entry(4, 0))) held++;
  assert.equal(held, L.CMD_CAP);
  assert.ok(!writer.fits(1));
  // A full DSP queue: nothing is marked read.
  writer.publish();
  assert.equal(reader.drain({ pushRecord: () => 1 }, 0), false);
  assert.equal(reader.read, 2);
});

Deno.test("command ring: the capacity is a power of two that matches the views", () => {
  const v = slotViews(createShared(4), 0);
  assert.throws(() => new CommandRingWriter(v, 3), /not a power of two/);
  assert.throws(() => new CommandRingReader(v, L.CMD_CAP / 2), /over views of 4096/);
  assert.throws(() => new CommandRingReader({ ...v, cmdI32: v.cmdI32.subarray(L.CMD_WORDS) }), RangeError);
  assert.equal(new CommandRingReader(v).capacity, L.CMD_CAP);
});

Deno.test("health: a hang is time inside one render; an idle worker gets the longer stall deadline", () => {
  const lim = healthLimits(128 / 48, 2);
  assert.ok(Math.abs(lim.hangMs - 5.333) < 0.01);
  const base = { allowed: true, lastProgressAt: 100, allowedSince: 0, renderStart: 100, now: 100 };
  assert.equal(diagnose({ ...base, state: L.W_RENDERING, now: 105 }, lim), null);
  assert.equal(diagnose({ ...base, state: L.W_RENDERING, now: 105.4 }, lim), "hang");
  assert.equal(diagnose({ ...base, state: L.W_IDLE, lastProgressAt: 100, now: 110 }, lim), null);
  assert.equal(diagnose({ ...base, state: L.W_IDLE, lastProgressAt: 100, now: 126 }, lim), "stall");
  assert.equal(
    diagnose({ ...base, state: L.W_IDLE, allowed: false, lastProgressAt: 100, now: 900 }, lim),
    null,
  );
  assert.equal(diagnose({ ...base, state: L.W_STOPPED }, lim), "exit");
  // Past the deadline, a thread that mostly waited for a CPU was preempted, not hung, until the cap.
  const late = { ...base, state: L.W_RENDERING, now: 112 };
  assert.equal(diagnose({ ...late, cpuShare: 0.05 }, lim), null, "preempted");
  assert.equal(diagnose({ ...late, cpuShare: 0.9 }, lim), "hang", "spinning");
  assert.equal(diagnose({ ...late, cpuShare: undefined }, lim), "hang", "unknown: wall time decides");
  assert.equal(diagnose({ ...late, cpuShare: 0, now: 100 + lim.hangCapMs + 0.1 }, lim), "hang", "the cap");
  // The primary is spared only while the output has blocks in hand: then a failover is what saves the sound.
  assert.equal(
    diagnose({ ...late, cpuShare: 0.05, slackMs: 4 * (128 / 48) }, lim),
    null,
    "four blocks in hand",
  );
  assert.equal(
    diagnose({ ...late, cpuShare: 0.05, slackMs: 128 / 48 }, lim),
    "hang",
    "the output needs it now",
  );
  // A primary no standby can replace needs evidence that it ran, or the cap: a verdict would only restart it.
  assert.equal(diagnose({ ...late, alone: true, slackMs: -10 }, lim), null, "alone, unknown");
  assert.equal(
    diagnose({ ...late, alone: true, cpuShare: 0.05, slackMs: -10 }, lim),
    null,
    "alone, preempted",
  );
  assert.equal(
    diagnose({ ...late, alone: true, cpuShare: 0.9, slackMs: -10 }, lim),
    "hang",
    "alone, spinning",
  );
  assert.equal(
    diagnose({ ...late, alone: true, now: 100 + lim.hangCapMs + 0.1 }, lim),
    "hang",
    "alone, past the cap",
  );
});

Deno.test("merge: the selected ring first, the standby's when the selected lacks the block, else none", () => {
  const sab = createShared(4);
  const ctrl = controlView(sab);
  const tags = [slotViews(sab, 0).tags, slotViews(sab, 1).tags];
  ctrl[L.CTRL_OTHER] = 1;
  tags[0][7] = 7;
  tags[1][7] = 7;
  tags[1][8] = 8;
  assert.equal(pickSource(ctrl, tags, 7), 0);
  assert.equal(pickSource(ctrl, tags, 8), 1);
  assert.equal(ctrl[L.CTRL_MERGED], 1);
  assert.equal(pickSource(ctrl, tags, 9), -1);
  const third = [...tags, slotViews(sab, 2).tags];
  third[2][9] = 9; // a failed primary's ring still holds block 9
  assert.equal(pickSource(ctrl, third, 9), 2);
  assert.equal(pickSource(ctrl, tags, 7 + L.RING_BLOCKS), -1, "an old block in the slot is not the new one");
});

Deno.test("wav: written frames read back exactly; a flushed file is readable before close", async () => {
  const path = await Deno.makeTempFile({ suffix: ".wav" });
  const w = new WavWriter(path, 44100, 2, { bufferFrames: 64 });
  const a = Float32Array.from({ length: 2 * 300 }, (_, i) => Math.sin(i / 7) * 0.9);
  w.write(a.subarray(0, 200));
  w.flush();
  const mid = readWav(await Deno.readFile(path));
  assert.equal(mid.frames, 100);
  w.write(a.subarray(200));
  w.close();
  const r = readWav(await Deno.readFile(path));
  assert.equal(r.sampleRate, 44100);
  assert.equal(r.channels, 2);
  assert.equal(r.frames, 300);
  assert.deepEqual(r.samples, a);
  await Deno.remove(path);
});

Deno.test("session log: settings, commands and the end record round-trip; bad lines are named", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  const log = new SessionLogWriter(path, { sampleRate: 48000, block: 128, seed: 3, channels: 2 });
  log.command({ ...command({ op: L.OP_SET_PARAM, target: 1, param: 1, f0: 0.5 }), seq: 1, frame: 640 });
  log.close(9600);
  const parsed = parseSessionLog(await Deno.readTextFile(path));
  assert.equal(parsed.settings.seed, 3);
  assert.equal(parsed.frames, 9600);
  assert.deepEqual(parsed.commands.map((c) => [c.seq, c.frame, c.f0]), [[1, 640, 0.5]]);
  assert.throws(() => parseSessionLog('{"type":"settings"}\nnot json'), /line 2 is not JSON/);
  await Deno.remove(path);
});

Deno.test("fault specs: parsed, refused with the accepted forms, and armed in the table", () => {
  assert.deepEqual(parseInjection("hang-forever@standby:12"), {
    kind: "hang-forever",
    role: "standby",
    block: 12,
  });
  assert.deepEqual(parseInjection("poison:500"), { kind: "poison", block: 500 });
  assert.throws(() => parseInjection("melt@primary:3"), /KIND@primary\|standby:BLOCK/);
  assert.throws(() => parseInjection("trap@tertiary:3"), RangeError);
  const ctrl = controlView(createShared(4));
  armInjections(ctrl, [
    parseInjection("trap@primary:500"),
    parseInjection("poison:9"),
    parseInjection("nan@standby:7"),
  ]);
  const row = (i: number) => Array.from(ctrl.subarray(L.INJECT_BASE + i * 4, L.INJECT_BASE + i * 4 + 4));
  assert.deepEqual(row(0), [500, L.ROLE_PRIMARY, L.FAULT_TRAP, 0]);
  assert.deepEqual(row(1), [7, L.ROLE_STANDBY, L.FAULT_NAN, 0]);
  assert.deepEqual(row(2), [0, 0, L.FAULT_NONE, 0]);
});

Deno.test("the engine tone's addresses set voice1's parameters, with plain-words errors", async () => {
  const patch = JSON.parse(await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)));
  const e = new ScoreEngine(48000, 128);
  e.patch.load(patch);
  e.commit(0);
  const r = new OscRouter(e);
  const voice1 = e.patch.module("voice1").id, voice = moduleDef("voice")!;
  const index = (name: string) => paramIndex(voice, name);
  /** The command an address sent: target, parameter, value. */
  const sent = (address: string, v: string | number) => {
    assert.deepEqual(r.handle(address, [v]), [], address);
    const c = e.commands[e.commands.length - 1];
    return [c.target, c.param, c.f0];
  };
  assert.deepEqual(sent("/engine/freq", 440), [voice1, index("freq"), 440]);
  assert.deepEqual(sent("/engine/gain", 0.3), [voice1, index("gain"), 0.3]);
  assert.deepEqual(sent("/engine/amp", 0.2), [voice1, index("gain"), 0.2]);
  assert.deepEqual(sent("/engine/wave", "sine"), [voice1, index("wave"), 0]);
  assert.deepEqual(sent("/engine/wave", 1), [voice1, index("wave"), 1], "the tone's numbers: 1 is saw");
  assert.equal(e.patch.module("voice1").params.wave, 1);
  assert.deepEqual(sent("/engine/wave", "noise"), [voice1, index("wave"), 4], "the tone's noise: white");
  assert.deepEqual(sent("/engine/wave", 2), [voice1, index("wave"), 4], "the tone's numbers: 2 is noise");
  const before = e.commands.length;
  const error = (address: string, v: string | number, engine = r) => {
    const replies = engine.handle(address, [v]);
    assert.equal(replies.length, 1, address);
    assert.equal(replies[0].address, "/error", address);
    return String(replies[0].args[1]);
  };
  assert.match(error("/engine/freq", 0), /Cannot set freq: 0 is out of range \(0.1 … 20000 Hz\)/);
  assert.match(error("/engine/gain", "loud"), /is not a number/);
  assert.match(error("/engine/cutoff", 3), /unknown address \(engine: .*\/engine\/freq, \/engine\/gain/);
  assert.match(error("/engine/wave", "square"), /wave "square" is not one of sine \| saw \| noise/);
  assert.match(error("/engine/wave", 3), /wave 3 is not one of sine \| saw \| noise/);
  assert.equal(e.commands.length, before, "a refused value sends nothing");
  // Without a voice1, or with one that is no voice, the reply says so.
  const empty = new ScoreEngine(48000, 128);
  assert.match(
    error("/engine/freq", 440, new OscRouter(empty)),
    /the patch has no voice1 \(create voice1 voice\)/,
  );
  empty.patch.create("voice1", "vco");
  empty.commit(0);
  assert.match(error("/engine/gain", 0.5, new OscRouter(empty)), /voice1 is a vco, not a voice/);
  // The engine tone's text forms from before the patch reach these addresses.
  assert.deepEqual(translate("set voice.freq 330").messages, [["/engine/freq", 330]]);
  assert.deepEqual(translate("set freq=440").messages, [["/engine/freq", 440]]);
  assert.deepEqual(translate("gain 0.2").messages, [["/engine/gain", 0.2]]);
  assert.deepEqual(translate("wave sine").messages, [["/engine/wave", "sine"]]);
  assert.deepEqual(translate("  # a comment").messages, []);
  assert.throws(() => translate("set freq"), /expected set/);
  assert.throws(() => translate("wobble 3"), /"wobble" is not a command/);
});
