// Patterns that grow, measured on rendered signal offline (core/render.ts): euclidean onsets on the Bjorklund
// positions at their exact frames, velocity digits, ratchets, alternation per bar, chance steps from the seeded
// PRNG (60 % of 10,000, the same steps for the same seed), mute and solo, scenes at a bar and chains.
import assert from "node:assert/strict";
import { scoreCommands, ScoreEngine } from "../cli/score.ts";
import { compileDsp } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { renderOffline } from "../core/render.ts";
import { OscRouter } from "../osc/router.ts";
import { translate } from "../cli/language.ts";
import { euclid } from "../sequencer/grammar.ts";
import { channel } from "./signal.ts";

const module = await compileDsp();
const SR = 48000, B = 128;

// Gates made audible: an envelope with no attack, decay or release is exactly the velocity while the gate is on.
const gates = (n = 2): PatchFile => ({
  modules: {
    ...Object.fromEntries(
      [...Array(n).keys()].map((i) => [
        `g${i + 1}`,
        { type: "adsr", params: { attack: 0, decay: 0, sustain: 1, release: 0 } },
      ]),
    ),
    o: { type: "out" },
  },
  connections: [...Array(n).keys()].map((i) => [`g${i + 1}`, i === 0 ? "o.L" : "o.R"] as [string, string]),
});

function render(score: string, seconds: number, seed = 1, file = gates()): [Float64Array, Float64Array] {
  const x = renderOffline(
    module,
    { sampleRate: SR, block: B, seed },
    scoreCommands(file, score, SR, B),
    seconds * SR,
  );
  return [channel(x, 0), channel(x, 1)];
}

function onsets(x: Float64Array): { frame: number; level: number }[] {
  const out = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0 && (i === 0 || x[i - 1] === 0)) out.push({ frame: i, level: x[i] });
  }
  return out;
}

const frames = (x: Float64Array) => onsets(x).map((o) => o.frame);
// The DSP's grid formula, the same IEEE operations: step k at spb steps per beat.
const at = (k: number, bpm: number, spb = 4) => Math.floor(k * ((60 * SR) / (bpm * spb)) + 0.5);

Deno.test("patterns: euclidean onsets land on the Bjorklund positions at their exact frames", () => {
  const [x, y] = render("0 seq bpm 175\n0 seq add a g1 e(3,8)\n0 seq add b g2 e(5,16,2)\n0 seq start", 4);
  const want = (k: number, n: number, r: number, limit: number) => {
    const on = euclid(k, n, r), out = [];
    for (let s = 0; at(s, 175) < limit; s++) if (on[s % n]) out.push(at(s, 175));
    return out;
  };
  assert.deepEqual(frames(x), want(3, 8, 0, 4 * SR));
  assert.deepEqual(frames(y), want(5, 16, 2, 4 * SR));
  assert.deepEqual(frames(x).slice(0, 3), [0, at(3, 175), at(6, 175)], "x..x..x.");
});

Deno.test("patterns: velocity digits give proportional levels; x 0.75, X 1", () => {
  const [x] = render("0 seq bpm 120\n0 seq add a g1 123456789xX\n0 seq start", 1.4);
  const levels = onsets(x).slice(0, 11).map((o) => o.level);
  const want = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => d / 9).concat([0.75, 1]);
  assert.deepEqual(levels.map(Math.fround), want.map(Math.fround));
});

Deno.test("patterns: a ratchet plays N hits evenly in its step; ties hold the last", () => {
  const [x, y] = render("0 seq bpm 120\n0 seq add a g1 x3...\n0 seq add b g2 x4-..\n0 seq start", 0.5);
  const F = at(1, 120); // 6000 frames a step
  assert.deepEqual(frames(x).slice(0, 3), [0, 2000, 4000]);
  assert.deepEqual(frames(y).slice(0, 4), [0, 1500, 3000, 4500]);
  // Each hit is gated for its share of the half-step gate; the tied last hit closes half a step into step 2.
  assert.ok(x[999] === 0.75 && x[1000] === 0, "a third of the 3000-frame gate: 1000 frames");
  assert.ok(x[2999] === 0.75 && x[3000] === 0 && x[4000] === 0.75, "each hit its own gate");
  assert.ok(y[4500] !== 0 && y[F + F / 2 - 1] !== 0 && y[F + F / 2] === 0, "the tie holds the last hit");
});

Deno.test("patterns: an alternation takes its next option every repetition of the pattern", () => {
  const [x] = render("0 seq bpm 120\n0 seq add a g1 <x . X 5>...............\n0 seq start", 8.1);
  const bar = 96000;
  const got = onsets(x).map((o) => [Math.round(o.frame / bar), Math.fround(o.level)]);
  assert.deepEqual(
    got,
    [[0, Math.fround(0.75)], [2, 1], [3, Math.fround(5 / 9)], [4, Math.fround(0.75)], [6, 1], [
      7,
      Math.fround(5 / 9),
    ], [8, Math.fround(0.75)]].filter(([b]) => b * bar < 8.1 * SR),
  );
  // bars=2 stretches one repetition of 16 steps over two bars: two steps a beat.
  const [y] = render("0 seq bpm 120\n0 seq add a g1 x.......x....... bars=2\n0 seq start", 8.1);
  assert.deepEqual(
    frames(y),
    [0, bar, 2 * bar, 3 * bar, 4 * bar],
    "x....... at two steps a beat: once a bar",
  );
});

Deno.test("patterns: a 60 % track plays 60 ± 1.5 % of 10,000 steps; the same seed the same steps", () => {
  // 300 BPM at 32 steps a beat: 160 steps a second, 10,000 steps in 62.5 s.
  const score = "0 seq bpm 300\n0 seq add a g1 x prob=0.6 steps=32 gate=0.25\n0 seq start";
  const seconds = 62.5;
  const hits = (x: Float64Array) => {
    const on = new Set(frames(x));
    return [...Array(10000).keys()].map((k) => on.has(at(k, 300, 32)));
  };
  const a = hits(render(score, seconds, 7)[0]);
  const share = a.filter(Boolean).length / a.length;
  assert.ok(Math.abs(share - 0.6) <= 0.015, `played ${(share * 100).toFixed(2)} %`);
  assert.deepEqual(hits(render(score, seconds, 7)[0]), a, "the same seed plays the same steps");
  const other = hits(render(score, seconds, 8)[0]);
  assert.notDeepEqual(other, a, "another seed plays others");
  // Per-step chance: x?30 plays 30 ± 1.5 %.
  const b = hits(render(score.replace("x prob=0.6", "x?30"), seconds, 7)[0]);
  assert.ok(Math.abs(b.filter(Boolean).length / 1e4 - 0.3) <= 0.015);
});

Deno.test("patterns: mute and solo silence hits from the next step; the track keeps its place", () => {
  const score = [
    "0 seq bpm 120",
    "0 seq add a g1 xxxxxxxx",
    "0 seq add b g2 xxxxxxxx",
    "0 seq start",
    "0.26 seq mute a", // between step 2 (0.25 s) and step 3
    "0.51 seq unmute a",
    "0.76 seq solo b",
    "1.01 seq unmute",
  ].join("\n");
  const [x, y] = render(score, 1.3);
  const F = 6000;
  assert.deepEqual(
    frames(x),
    [0, 1, 2, 5, 6, 7, 8, 9, 10].filter((k) => k < 3 || (k > 4 && k < 7) || k > 8).map((
      k,
    ) => k * F).filter((f) => f < 1.3 * SR),
  );
  assert.deepEqual(
    frames(y).length,
    Math.ceil((1.3 * SR) / F),
    "b plays on through a's mute and its own solo",
  );
});

Deno.test("patterns: bad patterns are refused with the position and change nothing", () => {
  assert.throws(
    () => render("0 seq add a g1 x.(x", 0.1),
    /score line 1: \/seq\/add: track "a": pattern "x.\(x": at 4, expected "\)"/,
  );
  assert.throws(() => render("0 seq add a g1 x... bars=3", 0.1), /needs a multiple of 12 steps/);
  assert.throws(() => render("0 seq add a g1 x prob=1.5", 0.1), /prob 1.5 is out of range/);
});

Deno.test("patterns: a scene plays at the bar asked, exactly; a chain switches at each scene's bar", () => {
  const bar = 96000; // 120 BPM
  const [x] = render(
    [
      "0 seq bpm 120",
      "0 seq add a g1 x...............",
      "0 scene save one",
      "0 seq add a g1 x.x.x.x.x.x.x.x. now",
      "0 scene save two",
      "0 scene play one now",
      "0 seq start",
      "0.5 scene play two at 3",
      "0.6 scene list",
    ].join("\n"),
    6.1,
  );
  assert.deepEqual(frames(x).filter((f) => f < 2 * bar), [0, bar], "bars 1 and 2: scene one");
  assert.equal(
    frames(x).filter((f) => f >= 2 * bar && f < 3 * bar).length,
    8,
    "bar 3: scene two from its downbeat",
  );
  assert.equal(frames(x).find((f) => f >= 2 * bar), 2 * bar);

  // A chain, driven as the engine's supervision loop drives it: chainDue with the output's bar.
  const e = new ScoreEngine(SR, B);
  e.patch.load(gates());
  e.commit(0);
  const seq = e.sequencer;
  e.sendBatch(seq.bpm(120, "now"));
  e.sendBatch(seq.add("a", { modules: ["g1"], pattern: "x..............." }, "now"));
  seq.saveScene("a1");
  e.sendBatch(seq.add("a", { modules: ["g1"], pattern: "xxxx............ x.x............." }, "now"));
  seq.saveScene("b2"); // 32 steps: two bars
  e.sendBatch(seq.start());
  e.sendBatch(seq.chain(["a1", "b2", "a1"], false, 0, 1)); // from bar 2
  for (let b = 1; b <= 8; b++) {
    e.frame = (b - 1) * bar + 30000; // a tick in the middle of each bar
    e.sendBatch(seq.chainDue(b));
  }
  const x2 = channel(renderOffline(module, { sampleRate: SR, block: B, seed: 1 }, e.commands, 7 * bar), 0);
  const step = 6000;
  const per = (b: number) =>
    frames(x2).filter((f) => f >= (b - 1) * bar && f < b * bar).map((f) => f - (b - 1) * bar);
  assert.deepEqual(per(1), [0, step, 2 * step, 3 * step], "bar 1: the track as last added (b2's first bar)");
  assert.deepEqual(per(2), [0], "bar 2: a1");
  assert.deepEqual(per(3), [0, step, 2 * step, 3 * step], "bar 3: b2's first bar");
  assert.deepEqual(per(4), [0, 2 * step], "bar 4: b2's second bar");
  assert.deepEqual(per(5), [0], "bar 5: a1 again");
  assert.deepEqual(per(6), [0], "the last scene keeps playing");
  assert.equal(seq.chainState, null, "the chain has ended");
});

Deno.test("patterns over OSC: a bad pattern or scene gets /error and sends nothing; scenes survive a save and load", () => {
  const e = new ScoreEngine(SR, B);
  e.patch.load(gates());
  e.commit(0);
  const router = new OscRouter(e);
  const say = (line: string) =>
    translate(line).messages.flatMap(([address, ...args]) => router.handle(address, args, { frame: 0 }));
  say("seq add a g1 x...");
  say("scene save one");
  const before = e.commands.length;
  const cases: [string, RegExp][] = [
    ["seq add b g1 x.(x", /pattern "x.\(x": at 4, expected "\)"/],
    ["seq pattern a e(3,8", /pattern "e\(3,8": at 5, expected "\)"/],
    ["seq add b g1 <x ..>", /at 0, expected alternatives of one length \(these have 1, 2 steps\)/],
    ["seq mute nosuch", /no track "nosuch"/],
    ["scene play nosuch", /no scene "nosuch" \(scenes: one\)/],
    ["scene save ../x", /not a scene name/],
    ["scene chain", /a chain names 1 … 256 scenes/],
  ];
  for (const [line, re] of cases) {
    const replies = say(line);
    assert.equal(replies.length, 1, line);
    assert.equal(replies[0].address, "/error", line);
    assert.match(String(replies[0].args[1]), re, line);
  }
  assert.equal(e.commands.length, before, "nothing was sent");
  assert.deepEqual(say("scene list"), [{ address: "/scene/list.reply", args: ["one:1"] }]);
  // Scenes, mutes and solos are session state: the file carries them and a load brings them back.
  say("seq mute a");
  const file = e.sequencer.toFile();
  assert.deepEqual(Object.keys(file.scenes ?? {}), ["one"]);
  assert.deepEqual(file.mute, ["a"]);
  const e2 = new ScoreEngine(SR, B);
  e2.patch.load(gates());
  e2.commit(0);
  e2.sequencer.load(file);
  assert.deepEqual(e2.sequencer.toFile(), file);
  // A file whose scene does not fit the patch changes nothing.
  const bad = {
    ...file,
    scenes: { two: { bpm: 120, swing: 50, tracks: { z: { modules: ["nope"], pattern: "x" } } } },
  };
  assert.throws(() => e2.sequencer.load(bad), /scene "two": track "z": no module "nope"/);
  assert.deepEqual(e2.sequencer.toFile(), file);
});
