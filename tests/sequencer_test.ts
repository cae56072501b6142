// The sequencer measured on rendered signal, offline: every step on its exact frame (swing, ties, tempo and
// pattern changes at the bar, an hour without drift), notes, lanes and voice groups; and its OSC surface.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { ScoreEngine } from "../cli/score.ts";
import { OscRouter } from "../osc/router.ts";
import { memoryFiles } from "../osc/files.ts";
import type { StampedCommand } from "../core/command.ts";
import { compileDsp, DspHost } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { readWav, WavWriter } from "../core/wav.ts";
import { scoreCommands } from "../cli/score.ts";
import type { PatchFile } from "../core/files.ts";
import { translate } from "../cli/language.ts";
import { channel, zeroCrossingHz } from "./signal.ts";

const module = await compileDsp();
const SR = 48000, B = 128;
const settings = { sampleRate: SR, block: B, seed: 1 };

// A gate made audible: an envelope with no attack, decay or release is exactly the velocity while the gate is
// on and exactly 0 after it, so the rendered signal shows each gate's frames to the sample.
const gates = (n = 1, params: Record<string, number> = {}): PatchFile => ({
  modules: {
    ...Object.fromEntries(
      [...Array(n).keys()].map((i) => [
        `g${i + 1}`,
        { type: "adsr", params: { attack: 0, decay: 0, sustain: 1, release: 0, ...params } },
      ]),
    ),
    o: { type: "out" },
  },
  connections: [...Array(n).keys()].map((i) => [`g${i + 1}`, i === 0 ? "o.L" : "o.R"] as [string, string]),
});

/** Renders a patch with a score; returns [left, right]. */
function render(file: PatchFile, score: string, seconds: number): [Float64Array, Float64Array] {
  const x = renderOffline(module, settings, scoreCommands(file, score, SR, B), Math.round(seconds * SR));
  return [channel(x, 0), channel(x, 1)];
}

/** Frames where the signal rises from 0, with the level it rises to. */
function onsets(x: Float64Array): { frame: number; level: number }[] {
  const out = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0 && (i === 0 || x[i - 1] === 0)) out.push({ frame: i, level: x[i] });
  }
  return out;
}

/** Frames where the signal falls to 0. */
function offsets(x: Float64Array): number[] {
  const out = [];
  for (let i = 1; i < x.length; i++) if (x[i] === 0 && x[i - 1] !== 0) out.push(i);
  return out;
}

/** The ideal frame of step k, written as the DSP's formula is (the same IEEE operations). */
const ideal = (start: number, k: number, bpm: number, spb = 4) =>
  start + Math.floor(k * ((60 * SR) / (bpm * spb)) + 0.5);

Deno.test("sequencer: steps land on their exact frames at 175 BPM; x and X velocities; gate lengths", () => {
  const [x] = render(gates(), "0.1 seq bpm 175\n0.1 seq add t g1 x.X.x...x..xx..x\n0.1 seq start", 4);
  const start = Math.round(0.1 * SR);
  const pattern = "x.X.x...x..xx..x";
  const want: { frame: number; level: number }[] = [];
  for (let k = 0; ideal(start, k, 175) < 4 * SR; k++) {
    if (pattern[k % 16] !== ".") {
      want.push({ frame: ideal(start, k, 175), level: pattern[k % 16] === "X" ? 1 : 0.75 });
    }
  }
  const got = onsets(x);
  // Hits 11 and 12 are adjacent with a half-step gate: each is its own onset.
  assert.deepEqual(got.map((o) => o.frame), want.map((w) => w.frame));
  assert.deepEqual(got.map((o) => Math.fround(o.level)), want.map((w) => Math.fround(w.level)));
  const step = (60 * SR) / (175 * 4);
  for (const [i, off] of offsets(x).entries()) {
    assert.equal(off, got[i].frame + Math.floor(0.5 * step + 0.5), `gate ${i} closes after half a step`);
  }
});

Deno.test("sequencer: swing delays exactly the off-beat steps and keeps the tempo", () => {
  const [x] = render(gates(), "0 seq bpm 120\n0 seq swing 62.5\n0 seq add t g1 xxxxxxxx\n0 seq start", 2.1);
  const F = (60 * SR) / (120 * 4); // 6000 frames a step
  const got = onsets(x).map((o) => o.frame);
  const want = [...Array(20).keys()].map((k) =>
    Math.floor(k * F + (k % 2 ? (0.625 - 0.5) * 2 * F : 0) + 0.5)
  );
  assert.deepEqual(got, want.filter((f) => f < 2.1 * SR));
  assert.equal(got[1] - got[0], 7500, "the off-beat moves by a quarter of a step");
  assert.equal(got[2] - got[0], 12000, "the pairs keep the tempo");
});

Deno.test("sequencer: ties hold the gate; rests are silent; steps per beat other than 4", () => {
  const [x] = render(gates(), "0 seq bpm 100\n0 seq add t g1 x--.x... gate=0.25 steps=2\n0 seq start", 2.5);
  const F = (60 * SR) / (100 * 2); // 14400
  const on = onsets(x).map((o) => o.frame), off = offsets(x);
  assert.deepEqual(on.slice(0, 3), [0, 4 * F, 8 * F]);
  assert.equal(off[0], 2 * F + 0.25 * F, "x-- closes a quarter step into its last tied step");
  assert.equal(off[1], 4 * F + 0.25 * F);
});

Deno.test("sequencer: a pattern change waits for the next bar and starts it from its first step", () => {
  // 120 BPM: a step is 6000 frames, a bar 96000. The change is sent in the first bar (at 1.3 s = 62400).
  const [x] = render(
    gates(),
    "0 seq bpm 120\n0 seq add t g1 x.......x.......\n0 seq start\n1.3 seq pattern t ..x.",
    4.5,
  );
  const got = onsets(x).map((o) => o.frame);
  const bar = 96000;
  assert.deepEqual(got.filter((f) => f < bar), [0, 48000], "the old pattern plays to the bar");
  const want = [];
  for (let f = bar + 12000; f < 4.5 * SR; f += 24000) want.push(f);
  assert.deepEqual(got.filter((f) => f >= bar), want, "the new one from its first step on the bar");
  // "now": the next step (step 3, at 0.375 s) already plays the new pattern, in the bar's phase (its step 3).
  const [y] = render(
    gates(),
    "0 seq bpm 120\n0 seq add t g1 x.......\n0 seq start\n0.3 seq pattern t .x.x now",
    1,
  );
  assert.deepEqual(onsets(y).map((o) => o.frame), [0, 6000 * 3, 6000 * 5, 6000 * 7]);
});

Deno.test("sequencer: a tempo change waits for the bar, then the grid follows the new tempo from it", () => {
  const [x] = render(gates(), "0 seq bpm 120\n0 seq add t g1 x...\n0 seq start\n0.7 seq bpm 150", 3.5);
  const got = onsets(x).map((o) => o.frame);
  const beat120 = 24000, beat150 = 19200;
  assert.deepEqual(got.slice(0, 4), [0, beat120, 2 * beat120, 3 * beat120], "bar 1 at 120 BPM");
  assert.deepEqual(got.slice(4, 8), [96000, 96000 + beat150, 96000 + 2 * beat150, 96000 + 3 * beat150]);
});

Deno.test("sequencer: an hour of 16ths at 175 BPM lands on the ideal grid in its last bar (no drift)", () => {
  const host = new DspHost(module, settings);
  const cmds: StampedCommand[] = scoreCommands(
    gates(),
    "0 seq bpm 175\n0 seq add t g1 x.x.x.x.x.x.x.x.\n0 seq start",
    SR,
    B,
  );
  for (const c of cmds) host.push(c);
  const blocks = Math.ceil((3600 * SR) / B);
  const tail = 2 * SR; // the last two seconds are kept
  const x = new Float64Array(tail + B);
  const from = blocks * B - tail;
  for (let n = 0; n < blocks; n++) {
    host.render(n);
    const at = n * B - from;
    if (at + B > 0) { for (let i = 0; i < B; i++) if (at + i >= 0) x[at + i] = host.out[2 * i]; }
  }
  const got = onsets(x.subarray(0, tail)).map((o) => o.frame + from);
  const want = [];
  for (let k = 0; ideal(0, k, 175) < blocks * B; k += 2) {
    if (ideal(0, k, 175) >= from + 1) want.push(ideal(0, k, 175));
  }
  assert.ok(want.length > 8);
  assert.deepEqual(got, want);
  // The last step really is an hour in: k ≈ 3600 s · 175/60 beats · 4 steps.
  assert.ok(want[want.length - 1] > 3599 * SR);
});

Deno.test("sequencer: notes cycle per hit, a voice group plays round robin, lanes set a value per step", () => {
  // Two voices alternate (left, right); notes cycle over both.
  const file: PatchFile = {
    modules: {
      v1: {
        type: "voice",
        params: { wave: "sine", cutoff: 20000, attack: 0, decay: 0, sustain: 1, release: 0 },
      },
      v2: {
        type: "voice",
        params: { wave: "sine", cutoff: 20000, attack: 0, decay: 0, sustain: 1, release: 0 },
      },
      o: { type: "out" },
    },
    connections: [["v1", "o.L"], ["v2", "o.R"]],
  };
  const [l, r] = render(
    file,
    "0 seq bpm 60\n0 seq add t v1,v2 x...x...x... A3 330hz 69 gate=3.5\n0 seq start",
    3,
  );
  const F = 12000; // a step at 60 BPM
  const hz = (x: Float64Array, k: number) => zeroCrossingHz(x, SR, k * F + 1000, k * F + 3 * F);
  assert.ok(Math.abs(hz(l, 0) - 220) < 0.5, `hit 1 on v1 at A3: ${hz(l, 0)}`);
  assert.ok(Math.abs(hz(r, 4) - 330) < 0.5, `hit 2 on v2 at 330 Hz: ${hz(r, 4)}`);
  assert.ok(Math.abs(hz(l, 8) - 440) < 0.5, `hit 3 back on v1 at MIDI 69: ${hz(l, 8)}`);
  assert.ok(r.subarray(0, 4 * F).every((v) => v === 0), "v2 is silent until its turn");

  const [x] = render(
    gates(),
    "0 seq bpm 120\n0 seq add t g1 xxxx gate=0.9\n0 seq lane t sustain 1 0.5 0.25\n0 seq start",
    1,
  );
  // Each step sets the lane's value before its hit: sustain 1, 0.5, 0.25, 1 … (cycling over 3 values).
  const level = (k: number) => x[k * 6000 + 100];
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map(level).map(Math.fround),
    [1, 0.5, 0.25, 1, 0.5, 0.25].map((v) => Math.fround(0.75 * v)),
  );
});

/** A router on a score engine with the default patch and files kept in memory. */
async function router() {
  const e = new ScoreEngine(SR, B);
  e.patch.load(JSON.parse(await Deno.readTextFile(new URL("../patches/default.json", import.meta.url))));
  e.commit(0);
  const files = new Map<string, string>();
  const r = new OscRouter(e, memoryFiles(files));
  /** Sends one text command line; returns its replies. */
  const say = (line: string) => translate(line).messages.flatMap(([a, ...args]) => r.handle(a, args));
  return { e, r, say, files };
}

Deno.test("sequencer over OSC: every bad input gets a plain /error and sends nothing", async () => {
  const { e, say } = await router();
  assert.deepEqual(say("seq add drums voice1 x..."), [{ address: "/seq/add.reply", args: ["drums", "bar"] }]);
  const before = e.commands.length;
  const cases: [string, RegExp][] = [
    ["seq add t nosuch x...", /no module "nosuch"/],
    ["seq add t voice1 x..o", /pattern "x..o": at 3, expected a step .* not "o"/],
    ["seq add t lfo1 x...", /a lfo \(lfo1\) has no gate/],
    ["seq add t voice1,acid1 x...", /one type/],
    ["seq add t voice1 x... H9", /"H9" is not a pitch/],
    ["seq add t voice1 x... gate=0", /gate length 0 is out of range \(0.01 … 16\)/],
    ["seq add t voice1 x... steps=2.5", /whole number/],
    ["seq bpm 400", /tempo 400 is out of range \(20 … 300\)/],
    ["seq swing 90", /swing 90 is out of range \(50 … 75\)/],
    ["seq pattern nosuch x...", /no track "nosuch" \(tracks: drums\)/],
    ["seq lane drums nosuch 1 2", /lane nosuch/],
    ["seq lane drums cutoff 1 99999", /out of range/],
    ["pattern load nothing", /cannot read patterns\/nothing.json/],
    ["pattern save ../etc", /not a pattern name/],
  ];
  for (const [line, re] of cases) {
    const replies = say(line);
    assert.equal(replies.length, 1, line);
    assert.equal(replies[0].address, "/error", line);
    assert.match(String(replies[0].args[1]), re, line);
  }
  assert.equal(e.commands.length, before, "no command was sent for a bad input");
  for (let i = 1; i < L.SEQ_TRACKS; i++) say(`seq add t${i} voice1 x...`);
  assert.match(String(say("seq add one-too-many voice1 x...")[0].args[1]), /no free track/);
});

Deno.test("sequencer over OSC: patterns save, list and load; patch files carry the sequence; deleted modules take their tracks", async () => {
  const { e, say, files } = await router();
  say("seq bpm 174");
  say("seq swing 55");
  say("seq add bass acid1 x.x- X... C2 Eb2 gate=0.8");
  say("seq lane bass cutoff 400 800");
  assert.deepEqual(say("pattern save groove"), [{
    address: "/pattern/save.reply",
    args: ["patterns/groove.json"],
  }]);
  say("pattern save 3");
  assert.deepEqual(say("pattern list"), [{ address: "/pattern/list.reply", args: ["groove", "slot-3"] }]);
  const saved = e.sequencer.toFile();
  assert.deepEqual(saved.tracks.bass, {
    modules: ["acid1"],
    pattern: "x.x- X...",
    notes: ["C2", "Eb2"],
    gate: 0.8,
    lanes: { cutoff: [400, 800] },
  });
  say("seq clear");
  say("seq bpm 120");
  assert.deepEqual(e.sequencer.toFile().tracks, {});
  assert.deepEqual(say("pattern load groove now"), [{
    address: "/pattern/load.reply",
    args: ["patterns/groove.json", "now"],
  }]);
  assert.deepEqual(e.sequencer.toFile(), saved);
  // The patch file holds the sequence; loading it brings the sequence back with the modules.
  say("save p.json");
  assert.deepEqual(JSON.parse(files.get("patches/p.json")!).sequence, saved);
  say("seq clear");
  assert.equal(say("load p.json")[0].address, "/patch/commit.reply");
  assert.deepEqual(e.sequencer.toFile().tracks, saved.tracks);
  // Deleting the module a track plays removes the track in the same transaction.
  const n = e.commands.length;
  say("delete acid1");
  assert.deepEqual(e.sequencer.toFile().tracks, {});
  assert.ok(e.commands.slice(n).some((c) => c.op === L.OP_SEQ_REMOVE));
  // A patch file whose sequence is bad changes nothing, the patch included.
  files.set(
    "patches/bad.json",
    JSON.stringify({
      modules: { v: { type: "voice" } },
      sequence: { tracks: { t: { modules: ["nope"], pattern: "x" } } },
    }),
  );
  const m = e.commands.length;
  assert.match(String(say("load bad.json")[0].args[1]), /no module "nope"/);
  assert.equal(e.commands.length, m);
  assert.ok(e.patch.modules.has("voice1"));
});

Deno.test("sequencer: stop closes every gate at its frame; start plays from the first step again", () => {
  const [x] = render(gates(), "0 seq add t g1 x--- gate=4\n0 seq start\n0.3 seq stop\n0.5 seq start", 0.8);
  assert.equal(x[Math.round(0.3 * SR) - 1], 0.75);
  assert.equal(x[Math.round(0.3 * SR)], 0, "the gate closes at the stop's frame");
  assert.deepEqual(onsets(x).map((o) => o.frame), [0, 0.5 * SR]);
});

Deno.test("sequencer: a pattern loaded mid-bar takes over exactly on the next downbeat", () => {
  const e = new ScoreEngine(SR, B);
  e.patch.load(gates(2));
  e.commit(0);
  const files = new Map<string, string>();
  const r = new OscRouter(e, memoryFiles(files));
  const say = (line: string) => {
    for (const [a, ...args] of translate(line).messages) {
      for (const reply of r.handle(a, args)) assert.notEqual(reply.address, "/error", JSON.stringify(reply));
    }
  };
  // Save "b" (two tracks at 150 BPM), then play "a" and load "b" 1.1 s in (bar 1 at 120 BPM is 2 s long).
  say("seq bpm 150");
  say("seq add one g1 x.x.");
  say("seq add two g2 ....x...");
  say("pattern save b");
  say("seq clear now");
  say("seq bpm 120");
  say("seq add one g1 x...");
  say("seq start");
  e.frame = Math.round(1.1 * SR);
  say("pattern load b");
  const x = renderOffline(module, settings, e.commands, 4 * SR);
  const [one, two] = [onsets(channel(x, 0)).map((o) => o.frame), onsets(channel(x, 1)).map((o) => o.frame)];
  const bar = 2 * SR; // 120 BPM, four beats
  assert.deepEqual(one.filter((f) => f < bar), [0, 24000, 48000, 72000], "a plays to the bar");
  // From the bar: 150 BPM (a step is 4800 frames), b's first step on the downbeat.
  assert.deepEqual(one.filter((f) => f >= bar).slice(0, 4), [bar, bar + 9600, bar + 19200, bar + 28800]);
  assert.deepEqual(two.slice(0, 2), [bar + 4 * 4800, bar + 12 * 4800]);
});

Deno.test("drum patterns: onsets detected in the rendered WAV match the ideal 175 BPM grid with swing, to the sample", async () => {
  // Short decays, so each hit rises out of exact silence (a drum's envelope reaches exactly 0 at its decay
  // time); the kick's pitchdecay and the snare's noisedecay short too. A clap's three strikes are 2 ms apart
  // with silence between them: an onset within 20 ms of the one before belongs to the same hit.
  const drums: Record<string, Record<string, number>> = {
    kick: { decay: 20, pitchdecay: 5 },
    snare: { decay: 20, noisedecay: 20 },
    hat: { closed: 20 },
    clap: { decay: 20, spread: 2 },
  };
  const pattern = "x..x ..x. X.x. x..x";
  const hits = [...pattern.replace(/ /g, "")].flatMap((c, i) => c === "." ? [] : [i]);
  const dir = await Deno.makeTempDir();
  for (const [type, params] of Object.entries(drums)) {
    const file: PatchFile = {
      modules: { d: { type, params }, o: { type: "out" } },
      connections: [["d", "o.L"]],
    };
    const x = renderOffline(
      module,
      settings,
      scoreCommands(file, `0 seq bpm 175\n0 seq swing 58\n0 seq add t d ${pattern}\n0.05 seq start`, SR, B),
      3 * SR,
    );
    const path = `${dir}/${type}.wav`;
    const w = new WavWriter(path, SR, 2);
    w.write(x);
    w.close();
    const left = channel(readWav(await Deno.readFile(path)).samples, 0);
    const start = Math.round(0.05 * SR), F = (60 * SR) / (175 * 4);
    const want: number[] = [];
    for (let bar = 0; bar < 3; bar++) {
      for (const h of hits) {
        const k = bar * 16 + h;
        const f = start + Math.floor(k * F + (k % 2 ? (0.58 - 0.5) * 2 * F : 0) + 0.5);
        if (f < 3 * SR) want.push(f);
      }
    }
    const got = onsets(left).map((o) => o.frame).filter((f, i, all) => i === 0 || f - all[i - 1] > 0.02 * SR);
    assert.deepEqual(got, want, type);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("examples: the dnb, acid and reese patches play their sequences at once, under full scale", async () => {
  for (const name of ["dnb-175", "acid", "reese"]) {
    const file: PatchFile = JSON.parse(
      await Deno.readTextFile(new URL(`../examples/${name}.json`, import.meta.url)),
    );
    assert.equal(file.sequence?.playing, true, name);
    const x = renderOffline(module, settings, scoreCommands(file, "", SR, B), 6 * SR);
    let peak = 0;
    for (const v of x) peak = Math.max(peak, Math.abs(v));
    assert.ok(peak > 0.3 && peak <= 1, `${name}: peak ${peak}`);
    for (let s = 0; s < 6; s++) {
      const sec = x.subarray(s * 2 * SR, (s + 1) * 2 * SR);
      const db = 10 * Math.log10(sec.reduce((a, v) => a + v * v, 0) / sec.length);
      assert.ok(db > -30, `${name}: second ${s} at ${db.toFixed(1)} dB RMS`);
    }
  }
});
