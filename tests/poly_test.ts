// Voice groups, chords, scales and degrees, measured in the rendered signal: which partials sound, at which
// frequencies, after which notes (docs/instrument.md).
import assert from "node:assert/strict";
import type { PatchFile } from "../core/files.ts";
import { renderOffline } from "../core/render.ts";
import { scoreCommands, ScoreEngine } from "../cli/score.ts";
import { defaultPatch } from "../patch/default_patch.ts";
import { OscRouter } from "../osc/router.ts";
import { cents, channel, spectrum } from "./signal.ts";
import { dspModule, firstDifferenceOutside, replayLog, startLogged, TEST_LEAD } from "./helpers.ts";
import { readWav } from "../core/wav.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { parseInjection } from "../engine/faults.ts";
import { sessionFile } from "../cli/autosave.ts";
import * as L from "../asm/layout.ts";

const SR = 48000, BLOCK = 128;

/** Four sine voices (long release: a released voice still sounds, so only a steal silences it) into out1. */
function sines(n = 4, extra: Partial<PatchFile> = {}, release = 3000): PatchFile {
  const modules: PatchFile["modules"] = { out1: { type: "out" } };
  const connections: PatchFile["connections"] = [];
  for (let k = 1; k <= n; k++) {
    modules[`v${k}`] = {
      type: "voice",
      params: { wave: "sine", cutoff: 20000, envamt: 0, attack: 2, sustain: 1, release, gain: 0.2 },
    };
    connections.push([`v${k}`, "out1.L"], [`v${k}`, "out1.R"]);
  }
  return {
    modules,
    connections,
    groups: { pad: Array.from({ length: n }, (_, i) => `v${i + 1}`) },
    ...extra,
  };
}

async function render(file: PatchFile, score: string, seconds: number): Promise<Float64Array> {
  const cmds = scoreCommands(file, score, SR, BLOCK);
  return channel(
    renderOffline(await dspModule(), { sampleRate: SR, block: BLOCK, seed: 1 }, cmds, seconds * SR),
  );
}

/** The frequency of the strongest partial within ±40 cents of `near` (log-parabolic peak of a 2^bits FFT). */
function partial(x: Float64Array, from: number, near: number, bits = 16): { hz: number; db: number } {
  const n = 1 << bits;
  assert.ok(from + n <= x.length, "the window lies inside the render");
  const mag = spectrum(x, n, from);
  const lo = Math.floor((near * 2 ** (-40 / 1200) * n) / SR),
    hi = Math.ceil((near * 2 ** (40 / 1200) * n) / SR);
  let k = lo;
  for (let i = lo; i <= hi; i++) if (mag[i] > mag[k]) k = i;
  const [a, b, c] = [mag[k - 1], mag[k], mag[k + 1]].map((m) => Math.log(m + 1e-30));
  const d = (a - c) / (2 * (a - 2 * b + c));
  return { hz: ((k + d) * SR) / n, db: 20 * Math.log10(mag[k] + 1e-30) };
}

const C3 = 130.8128, E3 = 164.8138, G3 = 195.9977, B3 = 246.9417;

Deno.test("acceptance: note voices C3:maj7 0.8 2 on the default patch renders C3 E3 G3 B3 within 2 cents", async () => {
  const x = await render(defaultPatch(), "0 note voices C3:maj7 0.8 2", 2);
  for (const f of [C3, E3, G3, B3]) {
    const p = partial(x, Math.round(0.3 * SR), f);
    assert.ok(Math.abs(cents(p.hz, f)) < 2, `${f} Hz came out at ${p.hz.toFixed(3)} Hz`);
    assert.ok(p.db > 20, `${f} Hz is there (${p.db.toFixed(1)} dB)`);
  }
});

Deno.test("a chord's partials sound at their equal-tempered frequencies within 1 cent", async () => {
  const y = await render(sines(), "0 note pad C3:maj7 0.8 2\n", 2);
  for (const f of [C3, E3, G3, B3]) {
    const p = partial(y, Math.round(0.3 * SR), f);
    assert.ok(Math.abs(cents(p.hz, f)) < 1, `${f} Hz came out at ${p.hz.toFixed(4)} Hz`);
  }
  const z = await render(sines(4), "0 note pad G2:sus4/D 0.8 2", 2); // D3 G3 C4 (tonal's inversion)
  for (const f of [146.8324, G3, 261.6256]) {
    const p = partial(z, Math.round(0.3 * SR), f);
    assert.ok(Math.abs(cents(p.hz, f)) < 1, `${f} Hz came out at ${p.hz.toFixed(4)} Hz`);
  }
});

Deno.test("4 voices, 6 overlapping notes: the two oldest released are stolen, the others sound on", async () => {
  // A3 B3 C#4 D4 start 0 … 0.3 s; A3 ends at 0.5, B3 at 0.6 (their 3 s releases still ring); at 1.0 and 1.1 s
  // E4 and F#4 arrive: A3's and B3's voices are the oldest released, so those two are taken.
  const notes = [220, 246.9417, 277.1826, 293.6648];
  const Gb4 = 369.9944;
  const score = [
    "0 note pad A3 0.8 0.5",
    "0.1 note pad B3 0.8 0.5",
    "0.2 note pad Db4 0.8",
    "0.3 note pad D4 0.8",
    "1.0 note pad E4 0.8",
    "1.1 note pad Gb4 0.8",
  ].join("\n");
  const x = await render(sines(), score, 2.6);
  const before = (f: number) => partial(x, Math.round(0.31 * SR), f, 15).db;
  const after = (f: number) => partial(x, Math.round(1.15 * SR), f).db;
  // Before the steal all four sound (A3 and B3 in their release).
  for (const f of notes) assert.ok(before(f) > 20, `${f} Hz sounds before the steal`);
  for (const f of [277.1826, 293.6648, 329.6276, Gb4]) {
    assert.ok(after(f) > 20, `${f} Hz sounds after the steal (${after(f).toFixed(1)} dB)`);
  }
  for (const f of notes.slice(0, 2)) {
    assert.ok(
      after(f) < before(f) - 30,
      `${f} Hz was stolen: ${before(f).toFixed(1)} → ${after(f).toFixed(1)} dB`,
    );
  }
});

Deno.test("with nothing released, the oldest held note is stolen; --steal quietest takes the quietest", async () => {
  // Two voices hold 220 Hz (velocity 1) and 330 Hz (velocity 0.2); 440 Hz arrives at 0.5 s.
  const score = "0 note pad 220.0 1\n0.1 note pad 330.0 0.2\n0.5 note pad 440.0 1\n0.8 note pad 440.0 1";
  const oldest = await render(sines(2), score, 1.6);
  const db = (x: Float64Array, t: number, f: number) => partial(x, Math.round(t * SR), f, 14).db;
  assert.ok(db(oldest, 0.2, 220) > 20 && db(oldest, 0.2, 330) > 0, "both sound before the steal");
  assert.ok(db(oldest, 1.0, 220) < db(oldest, 0.2, 220) - 40, "oldest held (220 Hz) stolen");
  assert.ok(db(oldest, 1.0, 330) > 0, "330 Hz sounds on");
  // Same pitch again at 0.8 s: its own voice retriggers, so 330 Hz is still there.
  assert.ok(db(oldest, 1.0, 440) > 20 && Math.abs(db(oldest, 1.0, 330) - db(oldest, 0.2, 330)) < 3);
  const q = await render(
    { ...sines(2), groups: { pad: { voices: ["v1", "v2"], steal: "quietest" } } },
    score,
    1.6,
  );
  assert.ok(db(q, 1.0, 330) < db(q, 0.2, 330) - 40, "quietest (velocity 0.2) stolen");
  assert.ok(Math.abs(db(q, 1.0, 220) - db(q, 0.2, 220)) < 3, "220 Hz sounds on");
});

Deno.test("quietest reads the voices' real envelope levels: a nearly silent held voice goes before a loud release", async () => {
  // v1 holds C3 but its envelope has decayed to sustain 0.01 (velocity 1: an estimate from velocity alone would
  // call it loud); v2's G3 was released at 0.3 s with a 5 s release, still near full level. E3 at 0.6 s: oldest
  // takes v2 (the only released voice), quietest takes v1 (the lowest real level).
  const file = sines(2, {}, 5000);
  file.modules.v1.params = { ...file.modules.v1.params, decay: 50, sustain: 0.01 };
  const score = "0 note pad C3 1\n0.1 note pad G3 1 0.2\n0.6 note pad E3 1";
  // 2^14-frame windows (0.34 s): one before E3 (0.25 … 0.59 s), one after (0.65 … 0.99 s).
  const db = (x: Float64Array, t: number, f: number) => partial(x, Math.round(t * SR), f, 14).db;
  const oldest = await render(file, score, 1.2);
  assert.ok(db(oldest, 0.65, G3) < db(oldest, 0.25, G3) - 40, "oldest: the released G3 is stolen");
  assert.ok(db(oldest, 0.65, C3) > db(oldest, 0.25, C3) - 3, "oldest: the quiet held C3 stays");
  const q = await render(
    { ...file, groups: { pad: { voices: ["v1", "v2"], steal: "quietest" } } },
    score,
    1.2,
  );
  assert.ok(db(q, 0.25, G3) > db(q, 0.25, C3) + 20, "before: the release is louder than the held note");
  assert.ok(db(q, 0.65, G3) > db(q, 0.25, G3) - 6, "quietest: the loud release rings on");
  assert.ok(db(q, 0.65, C3) < db(q, 0.25, C3) - 30, "quietest: the nearly silent C3 is stolen");
  assert.ok(db(q, 0.65, E3) > db(q, 0.25, C3) - 3, "E3 sounds on the stolen voice (at its sustain)");
});

Deno.test("a sequencer track on a group and live notes share its voices through one allocator", async () => {
  // Two voices, 50 ms releases. The track plays every beat (0.5 s), gated ¼ s.
  const track = (notes: string[]) => ({
    bpm: 120,
    playing: true,
    tracks: { p: { modules: ["pad"], pattern: "x", notes, gate: 0.5, steps: 1 } },
  });
  // 2^12-frame windows (85 ms).
  const db = (x: Float64Array, t: number, f: number) => partial(x, Math.round(t * SR), f, 12).db;
  // A live C3 held from 0 s and the track's G3: G3 takes the free voice each beat, never C3's (the round robin
  // of a plain track would cut C3 on beat 2).
  const one = await render({ ...sines(2, {}, 50), sequence: track(["G3"]) }, "0 note pad C3 0.8", 2.2);
  for (const t of [0.05, 0.55, 1.05, 2.05]) assert.ok(db(one, t, C3) > 20, `the live C3 sounds at ${t} s`);
  assert.ok(db(one, 0.05, G3) > 20 && db(one, 1.05, G3) > 20, "the track's G3 plays on its beats");
  assert.ok(db(one, 0.32, G3) < -20, "and is released between them");
  // A two-note chord (E4 B4, far from C3: no leakage in the short windows) needs both voices: the live C3 at
  // 0.35 s takes a free voice, and the chord on beat 2 (0.5 s) takes the other free one and steals C3's (the
  // only held voice not its own); C3's release by id at 0.6 s cuts nothing of the chord.
  const E4 = 329.6276, B4 = 493.8833;
  const two = await render(
    { ...sines(2, {}, 50), sequence: track(["E4+B4"]) },
    "0.35 note pad C3 0.8\n0.6 note off 1",
    1.2,
  );
  assert.ok(db(two, 0.37, C3) > 20, "C3 sounds from 0.35 s");
  assert.ok(db(two, 0.37, E4) < -20 && db(two, 0.37, B4) < -20, "the first chord has ended");
  assert.ok(db(two, 0.52, C3) < -20, "the chord on beat 2 stole C3's voice");
  for (const t of [0.05, 0.52, 0.62]) {
    assert.ok(db(two, t, E4) > 20 && db(two, t, B4) > 20, `the chord sounds whole at ${t} s`);
  }
});

Deno.test("/note/off by id and by pitch releases exactly those notes; a stolen note's gate-off does not cut its thief", async () => {
  const score = [
    "0 note pad C3,E3 0.8", // ids 1, 2
    "0.5 note off 1",
    "0.5 note off pad E3",
  ].join("\n");
  const x = await render(sines(2, {}, 50), score, 1.4);
  assert.ok(partial(x, Math.round(0.05 * SR), C3, 14).db > 20);
  assert.ok(partial(x, Math.round(0.05 * SR), E3, 14).db > 20);
  assert.ok(partial(x, Math.round(0.6 * SR), C3, 15).db < -40, "C3 released by id");
  assert.ok(partial(x, Math.round(0.6 * SR), E3, 15).db < -40, "E3 released by pitch");
  // One voice: a 0.5 s note is stolen at 0.2 s by a 2 s one; the first note's gate-off at 0.5 s is its own.
  const y = await render(sines(1, {}, 50), "0 note pad C3 0.8 0.5\n0.2 note pad G3 0.8 2", 1.5);
  assert.ok(partial(y, Math.round(0.7 * SR), G3, 15).db > 20, "G3 still sounds after C3's gate-off time");
});

Deno.test("a legato group glides to the next pitch without retriggering while a key is held", async () => {
  const file = sines(2);
  file.modules.v1.params!.glide = 30;
  file.groups = { lead: { voices: ["v1"], legato: true } };
  const score = "0 note lead C3 0.8 1\n0.5 note lead G3 0.8 1";
  // Sustain ½: a retrigger would climb back to full level; legato keeps the envelope where it is.
  file.modules.v1.params = { ...file.modules.v1.params, decay: 20, sustain: 0.5 };
  const x = await render(file, score, 1.6);
  const rms = (t: number) => {
    const a = Math.round(t * SR);
    let e = 0;
    for (let i = a; i < a + 480; i++) e += x[i] * x[i];
    return Math.sqrt(e / 480);
  };
  assert.ok(rms(0.502) < rms(0.45) * 1.1, `no retrigger: ${rms(0.45)} → ${rms(0.502)}`);
  assert.ok(partial(x, Math.round(0.6 * SR), G3, 14).db > 20, "G3 sounds after the glide");
  assert.ok(partial(x, Math.round(0.6 * SR), C3, 14).db < partial(x, Math.round(0.6 * SR), G3, 14).db - 30);
  assert.ok(
    partial(x, Math.round(1.05 * SR), G3, 14).db > 20,
    "held past the first note's end (its off is ignored)",
  );
});

Deno.test("degrees in note, sequencer notes and lanes count in the session's scale", async () => {
  const file = sines(4, { scale: "D dorian" });
  // :1 = D4, :3 = F4, :b7 → C5 flattened = B4, :^1 = D5
  const x = await render(file, "0 note pad :1,:3,:^1 0.8 2", 2);
  for (const f of [293.6648, 349.2282, 587.3295]) {
    assert.ok(Math.abs(cents(partial(x, Math.round(0.2 * SR), f).hz, f)) < 1, `degree at ${f} Hz`);
  }
  const seq = {
    ...file,
    sequence: {
      bpm: 120,
      playing: true,
      tracks: { p: { modules: ["pad"], pattern: "x---", notes: [":5@3+:1"], gate: 3 } },
    },
  };
  const y = await render(seq, "", 1.5);
  for (const f of [220, 293.6648]) { // A3 (degree 5 from D3) and D4
    assert.ok(Math.abs(cents(partial(y, Math.round(0.1 * SR), f).hz, f)) < 1, `sequencer chord tone ${f} Hz`);
  }
  const lane = {
    ...file,
    sequence: {
      bpm: 120,
      playing: true,
      tracks: { p: { modules: ["v1"], pattern: "x---", lanes: { freq: [":5"] }, gate: 3 } },
    },
  };
  const z = await render(lane, "", 1.5);
  assert.ok(Math.abs(cents(partial(z, Math.round(0.1 * SR), 440).hz, 440)) < 1, "lane degree :5 = A4");
});

Deno.test("a sequencer step with a chord plays each tone on its own voice of the group", async () => {
  const file = sines(4);
  file.sequence = {
    bpm: 120,
    playing: true,
    tracks: { p: { modules: ["pad"], pattern: "x---", notes: ["C3:maj7"], gate: 3 } },
  };
  const x = await render(file, "", 1.5);
  for (const f of [C3, E3, G3, B3]) {
    const p = partial(x, Math.round(0.1 * SR), f);
    assert.ok(Math.abs(cents(p.hz, f)) < 1 && p.db > 20, `step chord tone ${f}: ${p.hz.toFixed(3)} Hz`);
  }
});

Deno.test("bad input gets a plain /error and changes nothing", () => {
  const e = new ScoreEngine(SR, BLOCK);
  const file = sines(4);
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  const router = new OscRouter(e);
  const before = e.commands.length;
  const err = (address: string, ...args: (string | number)[]) => {
    const r = router.handle(address, args, { frame: 0 });
    assert.equal(r[0]?.address, "/error", `${address} ${args.join(" ")} → ${JSON.stringify(r)}`);
    return String(r[0].args[1]);
  };
  assert.match(err("/note", "pad", "C3:blah", 0.8), /not a chord quality: expected maj/);
  assert.match(err("/scale", "D", "blah"), /not a mode: expected major, minor, dorian/);
  assert.match(err("/note", "pad", ":3", 0.8), /degree :3 needs a scale: send scale C minor first/);
  assert.match(err("/note", "nope", "C3", 0.8), /no group or module "nope" \(groups: pad/);
  assert.match(err("/note/off", 99), /no note 99: no note played yet/);
  assert.match(err("/note", "pad", "C3:maj7,D4", 0.8), /4 voices: it cannot play 5 notes/);
  assert.match(err("/note", "v1", "C3:maj7", 0.8), /a chord needs a voice group/);
  assert.equal(e.commands.length, before, "nothing was sent");
  assert.equal(e.instrument.scale, undefined, "the scale is unchanged");
  const ok = router.handle("/note", ["pad", "C3", 0.8], { frame: 0 });
  assert.deepEqual(
    ok,
    [{ address: "/note.reply", args: [1] }],
    "the first id is 1: the refused notes took none",
  );
  assert.deepEqual(router.handle("/scale", ["D", "dorian"], { frame: 0 })[0].args, [
    "D",
    "dorian",
    "D",
    "E",
    "F",
    "G",
    "A",
    "B",
    "C",
  ]);
});

Deno.test("live: group notes, chords and degrees through a primary trap equal the session log's replay bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const seconds = 4;
  const engine = await startLogged(dir, {
    seconds,
    lead: TEST_LEAD,
    patch: defaultPatch(),
    injections: [parseInjection("trap@primary:700")],
    allowFaultInjection: true,
  });
  const router = new OscRouter(engine);
  const send = (address: string, ...args: (string | number)[]) => router.handle(address, args);
  assert.equal(send("/scale", "A", "minor")[0].address, "/scale.reply");
  const ids: number[] = [];
  const phrase = ["C3:maj7", "A2:m7", ":1,:3,:5", "G2:sus4/D", "F3:maj7/1", ":^1"];
  for (let k = 0; k < 12; k++) {
    const r = send("/note", "voices", phrase[k % phrase.length], 0.7, k % 3 === 0 ? 0 : 0.3);
    assert.equal(r[0].address, "/note.reply", JSON.stringify(r));
    ids.push(...(r[0].args as number[]));
    if (k % 3 === 2) send("/note/off", ids[ids.length - 4]);
    await new Promise((res) => setTimeout(res, 200));
  }
  const summary = await engine.finished;
  assert.ok(
    (summary.metrics.failures.trap ?? 0) >= 1,
    `the trap happened: ${JSON.stringify(summary.metrics)}`,
  );
  assert.equal(summary.metrics.divergences, 0);
  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  assert.ok(live.samples.some((x) => x !== 0), "the chords sound");
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  assert.ok(
    log.commands.filter((c) => c.op === L.OP_GROUP_NOTE_ON).length >= 30,
    "the group notes are in the log",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the scale and the groups are saved with the patch and come back on load (autosave and --resume)", () => {
  const e = new ScoreEngine(SR, BLOCK);
  const file = { ...sines(4), groups: { pad: ["v1", "v2"], lead: { voices: ["v3"], legato: true } } };
  file.modules.v3.params!.glide = 20;
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  const router = new OscRouter(e);
  router.handle("/scale", ["D", "dorian"], { frame: 0 });
  const saved = sessionFile(e);
  assert.equal(saved.scale, "D dorian");
  assert.deepEqual(saved.groups, {
    pad: ["v1", "v2"],
    lead: { voices: ["v3"], legato: true, steal: "oldest" },
  });
  const back = new ScoreEngine(SR, BLOCK);
  const restored = JSON.parse(JSON.stringify(saved));
  back.patch.load(restored);
  back.instrument.load(restored);
  back.commit(0);
  assert.deepEqual(back.instrument.scale, { root: "D", mode: "dorian" });
  assert.equal(back.instrument.group("lead")?.legato, true);
  // A file with a bad scale is refused whole.
  assert.throws(() => back.instrument.load({ ...restored, scale: "D blah" }), /not a mode/);
  assert.deepEqual(back.instrument.scale, { root: "D", mode: "dorian" });
});
