// Undo and redo of the edits added after the history (docs/instrument-history.md): mute, solo and unmute,
// scene save, play (at a future bar: cancelled; played: the tracks before it back) and chain, the scale, voice
// groups from a patch load, and the seed dialect's parameter addresses; rendered where audible, and a live
// session with these undos replayed bit for bit.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { scoreCommands, ScoreEngine } from "../cli/score.ts";
import { translate } from "../cli/language.ts";
import { commandDescription } from "../mcp/tools.ts";
import { compileDsp } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { renderOffline } from "../core/render.ts";
import { readWav } from "../core/wav.ts";
import { memoryFiles } from "../osc/files.ts";
import { type OscReply, OscRouter } from "../osc/router.ts";
import { OscServer } from "../osc/server.ts";
import { defaultPatch } from "../patch/default_patch.ts";
import { firstDifferenceOutside, replayLog, startLogged, TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";
import { channel } from "./signal.ts";

const module = await compileDsp();
const SR = 48000, B = 128;
const BAR = 96000; // a bar at 120 BPM
const STEP = 6000; // a sixteenth at 120 BPM

// Gates made audible (as tests/patterns_render_test.ts): each adsr's output is exactly 1 while its gate is on.
const gates: PatchFile = {
  modules: {
    g1: { type: "adsr", params: { attack: 0, decay: 0, sustain: 1, release: 0 } },
    g2: { type: "adsr", params: { attack: 0, decay: 0, sustain: 1, release: 0 } },
    o: { type: "out" },
  },
  connections: [["g1", "o.L"], ["g2", "o.R"]],
};

function render(score: string, seconds: number, file = gates): [Float64Array, Float64Array] {
  const x = renderOffline(
    module,
    { sampleRate: SR, block: B, seed: 1 },
    scoreCommands(file, score, SR, B),
    seconds * SR,
  );
  return [channel(x, 0), channel(x, 1)];
}

// The frames where a gate opens.
function frames(x: Float64Array): number[] {
  const out = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== 0 && (i === 0 || x[i - 1] === 0)) out.push(i);
  return out;
}

// A score engine and a router on it; `at(seconds, line)` runs a text line at that time.
function session(file: PatchFile = gates) {
  const e = new ScoreEngine(SR, B);
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  const router = new OscRouter(e, memoryFiles(new Map()));
  router.author = "score";
  const send = (seconds: number, address: string, ...args: (string | number)[]): OscReply[] => {
    e.frame = Math.round(seconds * SR);
    return router.handle(address, args, { frame: e.frame });
  };
  const at = (seconds: number, line: string) =>
    translate(line).messages.flatMap(([address, ...args]) => send(seconds, address, ...args));
  const lines = () => e.history.list(100).map((h) => h.description);
  return { e, at, send, lines };
}

const errors = (r: OscReply[]) => r.filter((x) => x.address === "/error");

Deno.test("mute, solo and unmute are entries: undone and redone from the next step, in the state and the render", () => {
  const head = ["0 seq bpm 120", "0 seq add a g1 xxxxxxxx", "0 seq add b g2 xxxxxxxx", "0 seq start"];
  const score = [
    ...head,
    "0.26 seq mute a", // steps 3 and 4 silent
    "0.51 undo", // a sounds again from step 5
    "0.76 redo", // steps 7 and 8 silent
    "1.01 undo",
  ].join("\n");
  const [x, y] = render(score, 1.3);
  assert.deepEqual(frames(x), [0, 1, 2, 5, 6, 9, 10].map((k) => k * STEP));
  assert.equal(frames(y).length, 11, "b plays on");

  const { e, at, lines } = session();
  for (const l of head) at(0, l.slice(2));
  at(1, "seq mute a");
  at(2, "seq solo b");
  assert.deepEqual([e.sequencer.toFile().mute, e.sequencer.toFile().solo], [["a"], ["b"]]);
  at(3, "seq unmute");
  assert.deepEqual(lines().slice(-3), ["mute a", "solo b", "unmute a; unsolo b"]);
  const n = e.commands.length;
  at(4, "undo");
  assert.deepEqual([e.sequencer.toFile().mute, e.sequencer.toFile().solo], [["a"], ["b"]]);
  const mutes = e.commands.slice(n).filter((c) => c.op === L.OP_SEQ_MUTE);
  assert.deepEqual(mutes.map((c) => [c.frame, c.i0]), [[4 * SR, 1], [4 * SR, 0]], "a muted, b soloed");
  at(5, "undo 2");
  assert.deepEqual([e.sequencer.toFile().mute, e.sequencer.toFile().solo], [undefined, undefined]);
  at(6, "redo 3");
  assert.deepEqual([e.sequencer.toFile().mute, e.sequencer.toFile().solo], [undefined, undefined]);
  at(6, "undo");
  assert.deepEqual([e.sequencer.toFile().mute, e.sequencer.toFile().solo], [["a"], ["b"]]);
});

Deno.test("scene save is an entry: undo forgets a new scene or puts the replaced one back; redo saves it again", () => {
  const { e, at, lines } = session();
  at(0, "seq add a g1 x...");
  at(0, "scene save one");
  at(0, "seq add a g1 xx..");
  at(0, "scene save one");
  assert.deepEqual(lines(), ["track a set", "scene one saved", "track a set", "scene one saved"]);
  at(1, "undo");
  assert.equal(e.sequencer.toFile().scenes?.one.tracks.a.pattern, "x...");
  at(1, "undo 2");
  assert.equal(e.sequencer.toFile().scenes, undefined);
  assert.match(String(errors(at(1, "scene play one"))[0].args[1]), /no scene "one"/);
  at(2, "redo");
  assert.equal(e.sequencer.toFile().scenes?.one.tracks.a.pattern, "x...");
});

// Scene one: a (g1) once a bar and b (g2) once a bar at 120 BPM; scene two: a eight times a bar at 140 BPM,
// no b.
const SCENES = [
  "0 seq bpm 140",
  "0 seq add a g1 x.x.x.x.x.x.x.x. now",
  "0 scene save two",
  "0 seq bpm 120",
  "0 seq add a g1 x............... now",
  "0 seq add b g2 x............... now",
  "0 scene save one",
  "0 seq start",
];

Deno.test("scene play at a future bar, undone before that bar: cancelled (tempo, tracks and a removed track stay)", () => {
  const plain = render(SCENES.join("\n"), 8.1);
  const [x, y] = render([...SCENES, "0.5 scene play two at 3", "1 undo"].join("\n"), 8.1);
  assert.deepEqual(frames(x), [0, BAR, 2 * BAR, 3 * BAR, 4 * BAR]);
  assert.deepEqual(frames(x), frames(plain[0]), "a as if the scene were never asked for");
  assert.deepEqual(frames(y), frames(plain[1]), "b is not removed at bar 3");

  const { e, at, lines } = session();
  for (const l of SCENES) at(0, l.slice(2));
  const before = e.sequencer.toFile();
  at(0.5, "scene play two at 3");
  assert.equal(lines().at(-1), "scene two played at bar 3");
  at(1, "undo");
  assert.deepEqual(e.sequencer.toFile(), before);
  at(1.5, "redo");
  assert.deepEqual(Object.keys(e.sequencer.toFile().tracks), ["a"]);
  assert.equal(e.sequencer.toFile().bpm, 140);
});

Deno.test("scene play undone after it played: the tracks, tempo and swing before it from the next bar", () => {
  const [x, y] = render([...SCENES, "0.5 scene play two at 2", "2.5 undo"].join("\n"), 8.1);
  // Bar 2 (from 2 s) plays scene two at 140 BPM; the undo at 2.5 s brings scene one back at bar 3, which
  // starts where bar 2 ends at 140 BPM.
  const bar2 = BAR, bar3 = bar2 + Math.floor(16 * ((60 * SR) / (140 * 4)) + 0.5);
  const inBar2 = frames(x).filter((f) => f >= bar2 && f < bar3);
  assert.equal(inBar2.length, 8, "bar 2: scene two");
  assert.deepEqual(
    frames(x).filter((f) => f >= bar3),
    [bar3, bar3 + BAR, bar3 + 2 * BAR],
    "one again, at 120",
  );
  assert.deepEqual(frames(y).filter((f) => f >= bar2 && f < bar3), [], "b silent in scene two");
  assert.deepEqual(frames(y).filter((f) => f >= bar3), [bar3, bar3 + BAR, bar3 + 2 * BAR], "b back");
});

Deno.test("scene chain is an entry: undo ends the chain and restores the tracks; redo starts it again", () => {
  const { e, at, lines } = session();
  for (const l of SCENES.slice(0, -1)) at(0, l.slice(2));
  const before = e.sequencer.toFile();
  const chain = () => e.sequencer.chainState;
  at(1, "scene chain two one loop");
  assert.equal(lines().at(-1), "chain two one loop");
  assert.deepEqual(chain()?.scenes, ["two", "one"]);
  at(2, "undo");
  assert.equal(chain(), null);
  assert.deepEqual(e.sequencer.toFile(), before);
  at(3, "redo");
  assert.deepEqual(chain()?.scenes, ["two", "one"]);
  assert.equal(e.sequencer.toFile().bpm, 140);
});

Deno.test("the scale is an entry: undo and redo change which notes degrees name", () => {
  const { e, at, lines } = session(defaultPatch());
  at(0, "scale D dorian");
  at(1, "scale E minor");
  assert.deepEqual(lines(), ["scale none → D dorian", "scale D dorian → E minor"]);
  const freqOf = (seconds: number) => {
    const n = e.commands.length;
    at(seconds, "note voice1 :1 0.8 0.1");
    return e.commands.slice(n).find((c) => c.op === L.OP_SET_PARAM)?.f0;
  };
  const e3 = freqOf(1.5);
  at(2, "undo");
  assert.equal(e.instrument.toFile().scale, "D dorian");
  const d3 = freqOf(2.5);
  assert.ok(Math.abs(e3! / d3! - 2 ** (2 / 12)) < 1e-9, `E over D: ${e3} / ${d3}`);
  at(3, "undo");
  assert.equal(e.instrument.scale, undefined);
  assert.match(String(errors(at(3.5, "note voice1 :1 0.8 0.1"))[0]?.args[1]), /scale/);
  at(4, "redo 2");
  assert.equal(e.instrument.toFile().scale, "E minor");
  assert.equal(e.history.list(100).length, 2, "a /scale that only asks makes no entry");
  at(5, "scale");
  assert.equal(e.history.list(100).length, 2);
});

Deno.test("a patch load's voice groups are part of its entry: undone with the patch, redone with it", () => {
  const { e, send, lines } = session(defaultPatch());
  assert.deepEqual(e.instrument.groupNames, ["voices"]);
  const file: PatchFile = {
    ...defaultPatch(),
    groups: { pad: ["voice1", "voice2"], lead: { voices: ["voice3"], legato: true } },
    scale: "A minor",
  };
  send(1, "/patch/load/json", JSON.stringify(file));
  assert.deepEqual(e.instrument.groupNames, ["pad", "lead"]);
  assert.equal(lines().at(-1), "patch loaded");
  send(2, "/undo");
  assert.deepEqual(e.instrument.groupNames, ["voices"]);
  assert.equal(e.instrument.scale, undefined);
  send(3, "/redo");
  assert.deepEqual(e.instrument.groupNames, ["pad", "lead"]);
  assert.equal(e.instrument.toFile().scale, "A minor");
  assert.equal(errors(send(4, "/note", "pad", "C3:maj", 0.8, 0.1)).length, 1, "three notes, two voices");
});

Deno.test("the seed dialect's parameter addresses are entries (one module compared); a send's cables too", () => {
  const { e, send, lines } = session(defaultPatch());
  const res0 = e.patch.module("voice1").params.res;
  send(1, "/mod/voice1/filter/q", 2);
  assert.equal(e.patch.module("voice1").params.res, 0.75);
  send(3, "/mod/acid1/env_amount", 1000);
  const envmod = e.patch.module("acid1").params.envmod;
  send(5, "/mod/voice1/send/reverb", 0);
  assert.deepEqual(lines(), [
    `voice1.res ${res0} → 0.75`,
    `acid1.envmod ${e.history.list(100)[1].description.split(" ")[1]} → ${envmod} octaves`,
    "patch: voice1.out → reverb1.L depth 0.1 → 0, voice1.out → reverb1.R depth 0.1 → 0",
  ]);
  send(6, "/undo");
  const depth = (port: string) =>
    e.patch.connections.find((c) => c.src === "voice1" && c.dst === "reverb1" && c.dstPort === port)?.depth;
  assert.deepEqual([depth("L"), depth("R")], [0.1, 0.1]);
  send(7, "/undo 2".split(" ")[0], 2);
  assert.equal(e.patch.module("voice1").params.res, res0);
  assert.notEqual(e.patch.module("acid1").params.envmod, envmod);
  // A knob turn through the dialect merges like a native one.
  for (let i = 0; i < 5; i++) send(8 + i * 0.1, "/mod/voice1/filter/q", 1 + i);
  assert.equal(e.history.list(100).filter((h) => !h.undone).length, 1);
});

Deno.test("the MCP command tool's description lists undo, redo, history and the patch shortcuts", () => {
  const d = commandDescription();
  for (
    const form of [
      "undo [N] [now]",
      "redo [N] [now]",
      "history [N]",
      "clone MODULE NEW",
      "unpatch SRC|* [-> DST|*]",
    ]
  ) {
    assert.ok(d.includes(form), `${form} in the command tool's description`);
  }
});

Deno.test("a live session with mute, solo, scene, scale and seed-dialect undos replays bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const engine = await startLogged(dir, { seconds: 3, lead: TEST_LEAD, patch: defaultPatch() });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const c = new OscTestClient(osc.port);
  let synced = 0;
  const sync = async () => {
    await c.send("/sync", ++synced);
    await c.waitFor((r) => r[0] === "/synced" && r[1] === synced);
  };
  try {
    await c.send("/seq/bpm", 240);
    await c.send("/seq/add", "a", "voice1", "x.x.x.x.", "C3", "now");
    await c.send("/seq/add", "k", "kick1", "x...x...", "now");
    await c.send("/scene/save", "one");
    await c.send("/seq/start");
    await sync();
    for (
      const [address, ...args] of [
        ["/seq/mute", "a"],
        ["/undo"],
        ["/seq/solo", "k"],
        ["/undo", "now"],
        ["/redo"],
        ["/seq/unmute"],
        ["/seq/add", "a", "voice1", "xxxxxxxx", "E3"],
        ["/scene/play", "one"],
        ["/undo"],
        ["/scale", "D", "dorian"],
        ["/undo"],
        ["/mod/voice1/filter/q", 4],
        ["/mod/voice1/send/delay", 0.8],
        ["/undo", 2],
        ["/redo"],
      ] as [string, ...(string | number)[]][]
    ) {
      await c.send(address, ...args);
      await sync();
      await new Promise((r) => setTimeout(r, 60));
    }
    assert.deepEqual(c.received.filter((r) => r[0] === "/error"), []);
    await c.send("/history", 30);
    const [, json] = await c.waitFor((r) => r[0] === "/history.reply");
    const listed = JSON.parse(String(json)) as { description: string; undone: boolean }[];
    // An edit after an undo drops the undone entries (the mute, the scene play and the scale went so).
    assert.deepEqual(listed.map((l) => [l.description.replace(/ depth.*/, ""), l.undone]), [
      ["bpm 120 → 240", false],
      ["track a set", false],
      ["track k set", false],
      ["scene one saved", false],
      ["solo k", false],
      ["unsolo k", false],
      ["track a set", false],
      ["voice1.res 0.35 → 0.875", false],
      ["patch: voice1.out → delay1.L", true],
    ]);
    assert.equal(engine.patch.module("voice1").params.res, 1 - 1 / 8);
  } finally {
    await c.close();
    await osc.close();
  }
  const summary = await engine.finished;
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  await Deno.remove(dir, { recursive: true });
});
