// The seed dialect (osc/dialects/seed.ts) through the router, with an engine stand-in over the default patch:
// every row of the registry produces its native command and value; where a native entry shares the address,
// argument types and counts (or the stated value range) decide, pinned case by case; old values clamp and are
// reported as events, native ones still refuse; a message no form takes gets /error naming every form.
import assert from "node:assert/strict";
import { compileDsp } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { scoreCommands } from "../cli/score.ts";
import type { PatchFile } from "../core/files.ts";
import type { OscArg } from "../osc/router.ts";
import { ROUTES } from "../osc/routes/table.ts";
import {
  acidDriveToDb,
  driveToDb,
  envAmountToOctaves,
  qToRes,
  seedNote,
  swingToPercent,
} from "../osc/dialects/convert.ts";
import { schemaFilePath } from "../osc/dialects/seed_engine.ts";
import { rig } from "./dialect_helpers.ts";
import { channel } from "./signal.ts";

const r6 = (v: number) => Number(v.toPrecision(6));

/** One row's case: a message and the native commands it must send (in plain words, tests/dialect_helpers.ts). */
type Case = [address: string, args: OscArg[], sent: string[], replies?: [string, ...unknown[]][]];

const CASES: Case[] = [
  // voiceN (final engine)
  ["/mod/voice3/freq", [220], ["voice3.freq=220"]],
  ["/mod/voice2/amp", [0.4], ["voice2.gain=0.4"]],
  ["/mod/voice1/filter/freq", [900], ["voice1.cutoff=900"]],
  ["/mod/voice2/filter/q", [2], ["voice2.res=0.75"]],
  ["/mod/voice1/adsr/attack", [0.5], ["voice1.attack=500"]],
  ["/mod/voice4/adsr/decay", [0.1], ["voice4.decay=100"]],
  ["/mod/voice1/adsr/sustain", [0.7], ["voice1.sustain=0.7"]],
  ["/mod/voice1/adsr/release", [0.5], ["voice1.release=500"]],
  ["/mod/voice2/send/reverb", [0.3], ["depth voice2>reverb1.L=0.3", "depth voice2>reverb1.R=0.3"]],
  // The default patch pans voice1's delay send 0.12 left, 0.06 right: the louder side gets the level.
  ["/mod/voice1/send/delay", [0.5], ["depth voice1>delay1.L=0.5", "depth voice1>delay1.R=0.25"]],
  ["/mod/voice1/slide_time", [0.2], ["voice1.glide=200"]],
  ["/mod/voice1/osc/type", [2], ["voice1.wave=square"]],
  ["/gate/voice3", [1], ["gate voice3 on"]],
  ["/gate/voice2", ["on"], ["gate voice2 on", "gate acid1 on"]],
  ["/gate/acid1", ["off"], ["gate acid1 off", "gate voice2 off"]],
  // acid1
  ["/mod/acid1/cutoff", [800], ["acid1.cutoff=800"]],
  ["/mod/acid1/res", [0.5], ["acid1.res=0.5"]],
  ["/mod/acid1/accent", [0.3], ["acid1.accent=0.3"]],
  ["/mod/acid1/env_amount", [2000], [`acid1.envmod=${r6(Math.log2(2380 / 380))}`]],
  ["/mod/acid1/decay", [0.25], ["acid1.decay=250"]],
  ["/mod/acid1/drive", [0.2], [`acid1.drive=${r6(20 * Math.log10(1.6 / 0.4))}`]],
  ["/mod/acid1/vol_comp", [0.5], [`acid1.level=${r6(0.7 * (1 - 0.72 * 0.5))}`]],
  ["/mod/acid1/mix", [0.5], []],
  ["/mod/acid1/cutoff_offset", [300], []],
  ["/mod/acid1/res_accent_boost", [0.2], []],
  ["/mod/acid1/accent_decay", [0.05], []],
  // effects and LFOs
  ["/mod/dist1/drive", [0.5], [`dist1.drive=${r6(20 * Math.log10(3))}`]],
  ["/mod/dist1/mix", [0.3], ["dist1.mix=0.3"]],
  ["/mod/dist1/tone", [0.5], ["dist1.tone=0.5"]],
  ["/mod/reverb1/mix", [0.3], ["reverb1.mix=0.3"]],
  ["/mod/reverb1/room", [0.7], ["reverb1.room=0.7"]],
  ["/mod/reverb1/damp", [0.5], ["reverb1.damp=0.5"]],
  ["/mod/delay1/time", [0.375], ["delay1.time=375"]],
  ["/mod/delay1/feedback", [0.5], ["delay1.feedback=0.5"]],
  ["/mod/delay1/mix", [0.3], ["delay1.mix=0.3"]],
  ["/mod/lfo1/rate", [0.25], ["lfo1.rate=0.25"]],
  ["/mod/lfo2/depth", [0.3], ["lfo2.depth=0.3"]],
  ["/mod/lfo1/shape", [3], []],
  // voice1's old names
  ["/mod/sine/freq", [220], ["voice1.freq=220"]],
  ["/mod/sine/frequency", [230], ["voice1.freq=230"]],
  ["/mod/sine1/freq", [440], ["voice1.freq=440"]],
  ["/mod/sine1/frequency", [550], ["voice1.freq=550"]],
  ["/mod/sine/gain", [0.4], ["voice1.gain=0.4"]],
  ["/mod/sine1/gain", [0.3], ["voice1.gain=0.3"]],
  ["/mod/adsr/attack", [50], ["voice1.attack=50"]],
  ["/mod/adsr/decay", [100], ["voice1.decay=100"]],
  ["/mod/adsr/release", [200], ["voice1.release=200"]],
  ["/mod/adsr1/attack", [0.05], ["voice1.attack=50"]],
  ["/mod/adsr1/decay", [0.3], ["voice1.decay=300"]],
  ["/mod/adsr1/release", [1], ["voice1.release=1000"]],
  ["/mod/adsr/sustain", [0.6], ["voice1.sustain=0.6"]],
  ["/mod/adsr1/sustain", [0.4], ["voice1.sustain=0.4"]],
  ["/mod/filter/cutoff", [1000], ["voice1.cutoff=1000"]],
  ["/mod/filter/freq", [1100], ["voice1.cutoff=1100"]],
  ["/mod/filter1/cutoff", [1200], ["voice1.cutoff=1200"]],
  ["/mod/filter1/freq", [2000], ["voice1.cutoff=2000"]],
  ["/mod/filter1/frequency", [2100], ["voice1.cutoff=2100"]],
  ["/mod/filter/q", [1], ["voice1.res=0.5"]],
  ["/mod/filter/resonance", [2], ["voice1.res=0.75"]],
  ["/mod/filter1/q", [5], ["voice1.res=0.9"]],
  ["/mod/filter1/resonance", [10], ["voice1.res=0.95"]],
  ["/mod/filter/mode", [1], ["voice1.fmode=high"]],
  ["/mod/filter1/mode", [2], ["voice1.fmode=band"]],
  ["/mod/filter1/filter_mode", [0], ["voice1.fmode=low"]],
  ["/gate/adsr", ["on"], ["gate voice1 on"]],
  ["/gate/adsr1", [0], ["gate voice1 off"]],
  ["/gate/1", [1], ["gate voice1 on"]],
  ["/mod/adsr1/gate", [1], ["gate voice1 on"]],
  ["/mod/kick1/gate", ["on"], ["gate kick1 on"]],
  // the Windows port
  ["/frequency", [330], ["voice1.freq=330"]],
  ["/freq", [261.63], ["voice1.freq=261.63"]],
  ["/amplitude", [0.5], ["voice1.gain=0.5"]],
  ["/amp", [0.3], ["voice1.gain=0.3"]],
  ["/gate", [1], ["gate voice1 on"]],
  ["/note_on", [], ["gate voice1 on"]],
  ["/note_off", [60], ["gate voice1 off"]],
  // The seed's test tone: voice1 at 0.3, then a one-second note (its gate-off stamped a second later).
  ["/test", [], ["voice1.gain=0.3", "voice1.freq=440", "gate voice1 on", "gate voice1 off"]],
  // the engine
  ["/engine/start", [1], [], [["/engine/start.reply"]]],
  ["/engine/stop", [1], [], [["/engine/stop.reply"]]],
  ["/engine/freq", [440], ["voice1.freq=440"]],
  ["/engine/gain", [0.3], ["voice1.gain=0.3"]],
  ["/engine/amp", [0.25], ["voice1.gain=0.25"]],
  ["/engine/record/start", ["take.wav"], []],
  ["/engine/record/stop", [], []],
  ["/engine/record/status", [], [], [["/record/status.reply", '{"recording":false}']]],
  ["/record/start", ["router.wav"], []],
  ["/record/stop", [], []],
  ["/record/status", [], [], [["/record/status.reply", '{"recording":false}']]],
  // patching with the router supervisor's type names
  ["/patch/create", ["osc1", "simple_sine"], [], [["/patch/create.reply", "osc1"]]],
  ["/patch/create", ["env1", "adsr"], [], [["/patch/create.reply", "env1"]]],
  ["/patch/connect", ["voice1", "reverb1"], [], []],
  ["/patch/commit", [], [], [["/patch/commit.reply", 0, "[]"]]],
  ["/patch/abort", [], [], [["/patch/abort.reply"]]],
  // the sequencer
  ["/seq/swing", [0.2], ["swing 0.55"], [["/seq/swing.reply", 55]]],
  ["/seq/bpm", [128], ["bpm 128"], [["/seq/bpm.reply", 128]]],
  ["/seq/clear", [], [], [["/seq/clear.reply"]]],
  ["/seq/start", [], ["transport start"], [["/seq/start.reply"]]],
  ["/seq/stop", [], ["transport stop"], [["/seq/stop.reply"]]],
  ["/pattern/list", [], [], [["/pattern/list.reply"]]],
];

/** Whether a table address (with <placeholders>, voice<N>) fits a concrete one. */
function fits(pattern: string, address: string): boolean {
  const re = pattern.split("/").map((s) =>
    s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<N>/g, "\\d+").replace(/<[^>]+>/g, "[^/]+")
  ).join("/");
  return new RegExp(`^${re}$`).test(address);
}

Deno.test("every row of the seed registry: the native command and value it produces", () => {
  for (const [address, args, sent, replies = []] of CASES) {
    const { say } = rig();
    const got = say(address, ...args);
    assert.deepEqual(got.replies.map((r) => [r.address, ...r.args]), replies, `${address} ${args.join(" ")}`);
    assert.deepEqual(got.sent, sent, `${address} ${args.join(" ")}`);
  }
  // Each row of the registry has a case here (the rows the next tests pin have theirs there).
  const pinned = ["/seq/add", "/seq/remove", "/seq/update/pattern", "/seq/update/notes", "/seq/status"];
  const elsewhere = [...pinned, "/pattern/save", "/pattern/load", "/engine/status", "/engine/list"];
  const seed = ROUTES.filter((r) => r.dialect === "seed").map((r) => r.address);
  const missing = seed.filter((a) =>
    !elsewhere.includes(a) && !CASES.some(([address]) => fits(a, address)) &&
    !a.startsWith("/engine/schema") && !a.includes("lowcut") && !a.includes("highcut") &&
    a !== "/mod/<module>/gate"
  );
  assert.deepEqual(missing, [], "registry rows without a case");
});

Deno.test("osc/type 3–5 are the voice's noise waves, and the delay's low and high cut are set in Hz", () => {
  const { say } = rig();
  for (const [n, wave] of [[3, "white"], [4, "pink"], [5, "brown"]] as const) {
    const got = say("/mod/voice1/osc/type", n);
    assert.deepEqual(got.sent, [`voice1.wave=${wave}`]);
  }
  for (const [p, v] of [["lowcut", 150], ["highcut", 6000]] as const) {
    const got = say(`/mod/delay1/${p}`, v);
    assert.deepEqual(got.sent, [`delay1.${p}=${v}`]);
  }
});

Deno.test("the conversions: seconds, Q, the drive law, env_amount, swing, the seed's notes", () => {
  assert.equal(qToRes(0.5), 0);
  assert.equal(qToRes(10), 0.95);
  assert.equal(qToRes(0.1), 0, "below Q 0.5 the filter has no resonance left to remove");
  assert.equal(driveToDb(0), 0);
  assert.equal(r6(driveToDb(0.5)), r6(20 * Math.log10(3)), "k = 2d/(1−d) = 2: gain 3");
  assert.equal(r6(driveToDb(1)), r6(20 * Math.log10(1.998 / 0.002)), "capped at 0.998 as the shaper was");
  assert.equal(r6(acidDriveToDb(0)), r6(driveToDb(0.5)), "the acid's shaper started at 0.5");
  assert.equal(envAmountToOctaves(1000, 1000), 1);
  assert.equal(envAmountToOctaves(1000, 9000), Math.log2(5));
  assert.equal(envAmountToOctaves(6000, 1000), 0, "a cutoff above the clip: nothing to open");
  assert.equal(swingToPercent(0), 50);
  assert.equal(swingToPercent(0.6), 65);
  assert.equal(seedNote("440.0"), 440);
  assert.equal(r6(seedNote("60")!), 261.626);
  assert.equal(r6(seedNote("A")!), 440, "octave 4 when absent");
  assert.equal(r6(seedNote("C#4")!), r6(seedNote("Db4")!));
  assert.equal(seedNote("H2"), null);
});

Deno.test("the seed's /seq/add: notes, gate_frac, cutoff and gain lanes, sends, keys it did not know", () => {
  const { e, say, events } = rig(8);
  const add = say("/seq/add", "lead", "voice5", "x.X.", 523.25, 2800, "C5,E5,G5,oops");
  assert.deepEqual(add.replies, [{ address: "/seq/add.reply", args: ["lead", "now"] }]);
  const lead = e.sequencer.toFile().tracks.lead;
  assert.deepEqual(lead.modules, ["voice5"]);
  assert.equal(lead.pattern, "x.X.");
  assert.deepEqual(lead.notes!.map((n) => r6(parseFloat(String(n)))), [523.251, 659.255, 783.991]);
  // Cutoff: 2800 + 1500 × (velocity − 0.5), velocity 0.6 for x and 1 for X; between hits, the last hit's.
  assert.deepEqual(lead.lanes!.cutoff, [2950, 2950, 3550, 3550]);
  // Gain: 0.3 × velocity, divided by Chronus's own velocity for the step (0.75 for x, 1 for X).
  assert.deepEqual(lead.lanes!.gain.map((v) => r6(Number(v))), [0.24, 0.24, 0.3, 0.3]);
  assert.equal(lead.gate, undefined, "gate_frac 0.5 is the native default");
  assert.deepEqual(events, ['ignored: /seq/add: "oops" is not a note the seed could read']);
  const keyed = say(
    "/seq/add",
    "pad",
    "voice6",
    "X-o.",
    "base_freq=110.0",
    "gate_frac=2",
    "reverb_send=0.4",
    "foo=1",
  );
  assert.deepEqual(keyed.replies, [{ address: "/seq/add.reply", args: ["pad", "now"] }]);
  assert.deepEqual(keyed.sent.filter((s) => s.startsWith("connect")), [
    "connect voice6>reverb1.L=0.4",
    "connect voice6>reverb1.R=0.4",
  ], "a voice without a reverb send gets one");
  const pad = e.sequencer.toFile().tracks.pad;
  assert.equal(pad.pattern, "X...", "any character but X and x is a rest, as the seed read it");
  assert.deepEqual(pad.notes, ["110hz"]);
  assert.equal(pad.gate, 2);
  assert.ok(events.includes("ignored: /seq/add: foo=1 (the seed's tracks had no such field)"));
  // A module without a pitch plays without notes.
  say("/seq/add", "k", "clap1", "x...", "base_freq=45", "filter_freq=200");
  assert.equal(e.sequencer.toFile().tracks.k.notes, undefined);
  say("/seq/add", "kick", "kick1", "x...", "base_freq=45");
  assert.deepEqual(e.sequencer.toFile().tracks.kick.notes, ["45hz"], "the kick has a pitch: notes tune it");
});

Deno.test("where native and seed forms share an address, argument types and counts decide", () => {
  const { e, say } = rig();
  const track = (name: string) => e.sequencer.toFile().tracks[name];
  // /seq/add: two numbers after the pattern (and a string) are the seed's base_freq, filter_freq, notes.
  say("/seq/add", "a", "voice1", "x...", 60);
  assert.deepEqual(track("a").notes, [60], "one number: a native note (MIDI 60)");
  say("/seq/add", "b", "voice1", "x...", 60, 200);
  assert.deepEqual(track("b").notes, ["60hz"], "two numbers: the seed's base_freq 60 Hz");
  say("/seq/add", "c", "voice1", "x...", 60, 64, 67);
  assert.deepEqual(track("c").notes, [60, 64, 67], "three numbers: native notes");
  say("/seq/add", "d", "voice1", "x...", 60, 64, "C4");
  assert.equal(track("d").lanes!.cutoff[0], 64 + 150, "two numbers and a string: the seed's form");
  say("/seq/add", "f", "voice1", "x...", "C2", "gate=0.25");
  assert.deepEqual([track("f").notes, track("f").gate], [["C2"], 0.25], "native keys: the native form");
  say("/seq/add", "g", "voice1", "x...", "base_amp=0.5");
  assert.deepEqual(
    track("g").lanes!.gain.map((v) => r6(Number(v))),
    [0.4, 0.4, 0.4, 0.4],
    "a seed key: the seed's form",
  );
  say("/seq/add", "h", "voice1,voice2", "x...", 60, 64);
  assert.deepEqual(track("h").notes, [60, 64], "a voice group is native");
  say("/seq/add", "j", "acid1", "x...", 36, 43);
  assert.deepEqual(track("j").notes, [36, 43], "two numbers for a module other than a voice: native notes");
  assert.deepEqual(say("/seq/add", "i", "voice1", "x...", 60, 64, "now").replies[0].args, ["i", "now"]);
  assert.deepEqual(track("i").notes, [60, 64], "a trailing now is native");
  // /seq/swing: below 50 the seed's fraction, from 50 on the native percent.
  assert.deepEqual(say("/seq/swing", 0.2).sent, ["swing 0.55"]);
  assert.deepEqual(say("/seq/swing", 58).sent, ["swing 0.58"]);
  // /pattern/load: one argument, or a slot and now|bar, is native; two others are the seed's flag.
  say("/pattern/save", 3);
  const load = (...args: OscArg[]) => say("/pattern/load", ...args).replies[0].args;
  assert.deepEqual(load(3), ["patterns/slot-3.json", "bar"]);
  assert.deepEqual(load(3, "now"), ["patterns/slot-3.json", "now"]);
  assert.deepEqual(load(3, "immediate"), ["patterns/slot-3.json", "now"]);
  assert.deepEqual(load(3, 1), ["patterns/slot-3.json", "now"]);
  assert.deepEqual(load(3, "true"), ["patterns/slot-3.json", "now"]);
  assert.deepEqual(load(3, true), ["patterns/slot-3.json", "now"]);
  assert.deepEqual(load(3, 0), ["patterns/slot-3.json", "bar"]);
  assert.deepEqual(load(3.0, "later"), ["patterns/slot-3.json", "bar"]);
  // Parameters whose units differ: the seed's values are the ones the native unit cannot mean.
  assert.deepEqual(say("/mod/delay1/time", 0.375).sent, ["delay1.time=375"], "below 1: seconds");
  assert.deepEqual(say("/mod/delay1/time", 1.5).sent, ["delay1.time=1.5"], "from 1 on: ms");
  assert.deepEqual(say("/mod/acid1/decay", 9).sent, ["acid1.decay=1000"], "below 10: seconds (clamped to 1)");
  assert.deepEqual(say("/mod/acid1/decay", 250).sent, ["acid1.decay=250"], "from 10 on: ms");
  assert.deepEqual(say("/mod/dist1/drive", 1).sent, ["dist1.drive=48"], "up to 1: the seed's drive");
  assert.deepEqual(say("/mod/dist1/drive", 1.5).sent, ["dist1.drive=1.5"], "above 1: dB");
  assert.deepEqual(say("/mod/acid1/drive", 6).sent, ["acid1.drive=6"]);
  // Gates: a number is native (that module alone), a word is the seed's (voice2 and acid1 together).
  assert.deepEqual(say("/gate/voice2", 1).sent, ["gate voice2 on"]);
  assert.deepEqual(say("/gate/voice2", "1").sent, ["gate voice2 on"], "a numeric string is a number");
  assert.deepEqual(say("/gate/voice2", true).sent, ["gate voice2 on", "gate acid1 on"]);
  assert.deepEqual(say("/gate/voice2", 1, 0.5).sent, ["gate voice2 on"], "gate and velocity: native");
  // The engine: no arguments is native, any is the seed's (which sent 1 or None).
  assert.deepEqual(say("/engine/list").replies[0].address, "/engine/list.reply");
  assert.deepEqual(say("/engine/list", 1).replies[0].address, "/engine/list.reply");
  assert.equal(
    JSON.parse(String(say("/engine/schema/dialects").replies[0].args[0])).dialects.seed.length > 50,
    true,
  );
  // /patch/create: the seed's type names are its form; native names stay native.
  say("/patch/create", "osc1", "simple_sine");
  say("/patch/create", "f1", "biquad_filter");
  say("/patch/create", "a1", "acid_filter");
  say("/patch/create", "o2", "vco");
  say("/patch/commit");
  assert.deepEqual(e.patch.module("osc1").type, "vco");
  assert.equal(e.patch.module("osc1").params.wave, 0, "simple_sine is a sine");
  assert.equal(e.patch.module("osc1").params.level, 0.5);
  assert.equal(e.patch.module("f1").type, "vcf");
  assert.equal(e.patch.module("a1").params.osc, 0, "acid_filter filters its input");
  assert.equal(e.patch.module("o2").params.wave, 1, "a native vco keeps its saw");
});

Deno.test("an old name means voice1 only while the patch has no module of that name", () => {
  const { say } = rig();
  assert.deepEqual(say("/mod/sine1/freq", 330).sent, ["voice1.freq=330"]);
  assert.deepEqual(say("/gate/adsr1", 1).sent, ["gate voice1 on"]);
  say("/patch/create", "sine1", "simple_sine");
  say("/patch/create", "adsr1", "adsr");
  say("/patch/commit");
  assert.deepEqual(say("/mod/sine1/freq", 330).sent, ["sine1.freq=330"]);
  assert.deepEqual(say("/gate/adsr1", 1).sent, ["gate adsr1 on"]);
  assert.deepEqual(say("/mod/adsr1/gate", 1).sent, ["gate adsr1 on"]);
  assert.deepEqual(say("/mod/adsr/gate", 1).sent, ["gate voice1 on"], "adsr is still absent");
});

Deno.test("range policy: old addresses clamp and report an event; native ones still refuse", () => {
  const { say, events } = rig();
  assert.deepEqual(say("/mod/voice1/adsr/attack", 5), { replies: [], sent: ["voice1.attack=2000"] });
  assert.deepEqual(say("/mod/voice2/filter/q", 25).sent, ["voice2.res=0.95"]);
  assert.deepEqual(
    say("/mod/voice1/osc/type", 9).sent,
    ["voice1.wave=sine"],
    "invalid is sine, as the seed did",
  );
  assert.deepEqual(say("/seq/swing", 0.8).sent, ["swing 0.65"]);
  assert.deepEqual(say("/amp", 1.2).sent, ["voice1.gain=1"]);
  assert.deepEqual(say("/mod/acid1/mix", 0.5).sent, []);
  assert.deepEqual(events, [
    "clamped: /mod/voice1/adsr/attack 5 → 2",
    "clamped: /mod/voice2/filter/q 25 → 10",
    "clamped: /mod/voice1/osc/type 9 → 0",
    "clamped: /seq/swing 0.8 → 0.6",
    "clamped: /amp 1.2 → 1",
    "ignored: /mod/acid1/mix 0.5: the native acid line has no dry path to mix with",
  ]);
  const refused = (address: string, ...args: OscArg[]) => {
    const { replies, sent } = say(address, ...args);
    assert.deepEqual(sent, [], address);
    assert.equal(replies[0].address, "/error", address);
    return String(replies[0].args[1]);
  };
  assert.match(
    refused("/mod/voice1/freq", 99999),
    /^Cannot set freq: 99999 is out of range \(0.1 … 20000 Hz\)$/,
  );
  assert.match(refused("/seq/bpm", 400), /tempo 400 is out of range \(20 … 300\)/);
  assert.match(refused("/seq/swing", 90), /swing 90 is out of range \(50 … 75\)/);
  assert.match(refused("/engine/freq", 30000), /out of range/);
});

Deno.test("bad input: a message no form takes gets /error naming every form, and changes nothing", () => {
  const { say } = rig(8);
  const refused = (address: string, ...args: OscArg[]) => {
    const { replies, sent } = say(address, ...args);
    assert.deepEqual(sent, [], address);
    assert.equal(replies.length, 1, address);
    assert.equal(replies[0].address, "/error", address);
    assert.equal(replies[0].args[0], address);
    return String(replies[0].args[1]);
  };
  assert.match(
    refused("/mod/voice1/adsr/attack", "fast"),
    /voice has no parameter "adsr\.attack".*the address also takes \/mod\/voice<N>\/adsr\/attack <seconds 0\.001…2 s> \(seed\)/,
  );
  assert.match(
    refused("/mod/voice1/adsr/attack", 0.1, 0.2),
    /expected \/mod\/<module>\/<param> <value>.*\(seed\)/,
  );
  assert.match(
    refused("/pattern/load", 1, 2, 3),
    /expected \/pattern\/load <name\|slot> \[now\].*\/pattern\/load <slot> <1\|true\|immediate\|now\|…> \(seed\)/,
  );
  assert.match(
    refused("/seq/swing", "lots"),
    /swing.*must be a number.*\/seq\/swing <swing 0…0\.6> \(seed\)/,
  );
  assert.match(refused("/gate/voice1", "maybe"), /must be a number, got "maybe".*0\|1\|on\|off\|true\|false/);
  assert.match(refused("/engine/schema", "xml"), /format "xml" is not one of json \| stdout \| file/);
  assert.match(refused("/patch/create", "x"), /expected \/patch\/create <id> <type>.*simple_sine/);
  assert.match(refused("/seq/add", "t", "voice1"), /expected \/seq\/add/);
  assert.match(refused("/test/unknown/route"), /^unknown address/);
  // A voice that is not in the patch: the error names the voices there.
  assert.match(
    refused("/mod/voice9/adsr/attack", 0.5),
    /^the patch has no voice9 \(voices: voice1, voice2, voice3, voice4, voice5, voice6, voice7, voice8\)/,
  );
  assert.match(refused("/gate/voice12", "on"), /no voice12 \(voices: voice1, .*voice8\)/);
  assert.match(refused("/mod/voice9/freq", 220), /No module "voice9"/);
});

Deno.test("voices: entries for voice<N> serve any voice the patch has (here 16)", () => {
  const { say } = rig(16);
  assert.deepEqual(say("/mod/voice16/adsr/attack", 0.01).sent, ["voice16.attack=10"]);
  assert.deepEqual(say("/mod/voice12/send/reverb", 0.2).sent.slice(0, 2), [
    "connect voice12>reverb1.L=0.2",
    "connect voice12>reverb1.R=0.2",
  ]);
  assert.deepEqual(say("/mod/voice12/send/reverb", 0.5).sent, [
    "depth voice12>reverb1.L=0.5",
    "depth voice12>reverb1.R=0.5",
  ]);
  assert.deepEqual(say("/gate/voice16", "on").sent, ["gate voice16 on"]);
});

Deno.test("/engine/start, /engine/stop, /engine/schema json|stdout|file, /engine/record/* reach the engine", async () => {
  const { say, calls, files } = rig();
  say("/engine/stop");
  say("/engine/start");
  say("/engine/stop", 1);
  say("/engine/start", "x", 2);
  assert.deepEqual(calls, ["pause", "resume", "pause", "resume"]);
  const json = say("/engine/schema", "json").replies[0];
  assert.equal(json.address, "/engine/schema.reply");
  const schema = JSON.parse(String(json.args[0]));
  assert.deepEqual(Object.keys(schema), ["modules", "addresses"], "json: the reply, as /engine/schema");
  const log = console.log;
  const printed: string[] = [];
  console.log = (s: string) => printed.push(s);
  try {
    assert.deepEqual(say("/engine/schema", "stdout").replies, [{
      address: "/engine/schema.reply",
      args: ["stdout"],
    }]);
  } finally {
    console.log = log;
  }
  // Printed and written whole: the reply's parts and the dialects.
  const whole = {
    ...schema,
    ...JSON.parse(String(say("/engine/schema/dialects").replies[0].args[0])),
  };
  assert.deepEqual(JSON.parse(printed[0]), whole);
  const [file] = say("/engine/schema", "file").replies;
  assert.match(String(file.args[0]), /^chronus_schema_\d{8}_\d{6}\.json$/, "at the data directory's top");
  assert.deepEqual(JSON.parse(files.get(String(file.args[0]))!), whole);
  assert.equal(schemaFilePath(new Date(2025, 8, 9, 13, 5, 7)), "chronus_schema_20250909_130507.json");
  const later: unknown[] = [];
  const rigged = rig();
  rigged.r.handle("/engine/record/start", ["take.wav"], {}, (r) => later.push([r.address, ...r.args]));
  rigged.r.handle("/engine/record/stop", [], {}, (r) => later.push([r.address, ...r.args]));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(rigged.calls, ["record start recordings/take.wav", "record stop"]); // a start checks with checkRecording, not status
  assert.deepEqual(later, [["/record/start.reply", "recordings/take.wav", 0], [
    "/record/stop.reply",
    "take.wav",
    48000,
    1,
  ]]);
});

Deno.test("the seed's swing 0.2 renders the same groove: each off-beat sixteenth a tenth of a step late", async () => {
  const module = await compileDsp();
  const SR = 48000, B = 128;
  const gate: PatchFile = {
    modules: {
      g: { type: "adsr", params: { attack: 0, decay: 0, sustain: 1, release: 0 } },
      o: { type: "out" },
    },
    connections: [["g", "o.L"]],
  };
  // The score's text language sends /seq/swing 0.2 and /seq/add t g xxxxxxxx gate_frac=0.5: the seed's forms.
  const score = "0 seq bpm 120\n0 seq swing 0.2\n0 seq add t g xxxxxxxx gate_frac=0.5\n0 seq start";
  const x = channel(
    renderOffline(module, { sampleRate: SR, block: B, seed: 1 }, scoreCommands(gate, score, SR, B), SR),
    0,
  );
  const onsets: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== 0 && (i === 0 || x[i - 1] === 0)) onsets.push(i);
  const F = (60 * SR) / (120 * 4); // 6000 frames a step
  assert.deepEqual(
    onsets.slice(0, 6),
    [0, F + 0.1 * F, 2 * F, 3 * F + 0.1 * F, 4 * F, 5 * F + 0.1 * F].map(Math.round),
  );
});

Deno.test("the issue's examples of what was refused are understood, with the seed's meaning", () => {
  const { say, files } = rig(8);
  files.set("patterns/slot-2.json", JSON.stringify({ bpm: 120, tracks: {} }));
  const examples: [string, OscArg[], string[]][] = [
    ["/mod/voice1/filter/q", [2.0], ["voice1.res=0.75"]],
    ["/mod/voice2/send/reverb", [0.3], ["depth voice2>reverb1.L=0.3", "depth voice2>reverb1.R=0.3"]],
    ["/mod/voice1/adsr/attack", [0.5], ["voice1.attack=500"]],
    ["/mod/voice1/slide_time", [0.2], ["voice1.glide=200"]],
    ["/mod/voice1/osc/type", [1], ["voice1.wave=saw"]],
    ["/mod/acid1/env_amount", [2000], [`acid1.envmod=${r6(Math.log2(2380 / 380))}`]],
    ["/mod/delay1/time", [0.375], ["delay1.time=375"]],
    ["/mod/sine1/freq", [440], ["voice1.freq=440"]],
    ["/gate/adsr1", [1], ["gate voice1 on"]],
    ["/engine/start", [], []],
    ["/engine/schema", ["json"], []],
    ["/seq/swing", [0.2], ["swing 0.55"]],
    ["/pattern/load", [2, "immediate"], ["bpm 120"]],
    ["/patch/create", ["osc1", "simple_sine"], []],
    ["/gate/voice1", ["on"], ["gate voice1 on"]],
    ["/mod/dist1/drive", [0.5], [`dist1.drive=${r6(20 * Math.log10(3))}`]],
  ];
  for (const [address, args, sent] of examples) {
    const got = say(address, ...args);
    assert.deepEqual(got.replies.filter((r) => r.address === "/error"), [], address);
    assert.deepEqual(got.sent, sent, address);
  }
  const lead = say("/seq/add", "lead", "voice5", "x.x.", 523.25, 2800, "C5,E5,G5");
  assert.deepEqual(lead.replies, [{ address: "/seq/add.reply", args: ["lead", "now"] }]);
  assert.equal(
    lead.sent.at(-1),
    "track 0 now",
    "the track is committed at its next step, as the seed added it",
  );
  assert.deepEqual(
    say("/engine/record/start", "take.wav").replies,
    [],
    "it answers when the recorder has started",
  );
});
