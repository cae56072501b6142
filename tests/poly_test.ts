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

Deno.test("with nothing released, the oldest held note is stolen; --steal quietest takes the quietest", () => {
  const e = new ScoreEngine(SR, BLOCK);
  const file = sines(2);
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  const a = e.instrument.noteOn("pad", [220], 1, 0, 0);
  const b = e.instrument.noteOn("pad", [330], 0.2, 1000, 0);
  const c = e.instrument.noteOn("pad", [440], 1, 2000, 0);
  const owner = (plan: { on: { op: number; target: number }[] }) => plan.on[1].target;
  assert.equal(owner(c), owner(a), "oldest held (220 Hz) stolen");
  const q = new ScoreEngine(SR, BLOCK);
  q.patch.load(file);
  q.instrument.load({ ...file, groups: { pad: { voices: ["v1", "v2"], steal: "quietest" } } });
  q.commit(0);
  const qa = q.instrument.noteOn("pad", [220], 1, 0, 0);
  const qb = q.instrument.noteOn("pad", [330], 0.2, 1000, 0);
  const qc = q.instrument.noteOn("pad", [440], 1, 20000, 0);
  assert.equal(owner(qc), owner(qb), "quietest (velocity 0.2) stolen");
  assert.notEqual(owner(qc), owner(qa));
  assert.notEqual(owner(b), owner(a));
  // Same pitch again: its own voice retriggers.
  const again = e.instrument.noteOn("pad", [440], 1, 3000, 0);
  assert.equal(owner(again), owner(c));
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
  const cmds = scoreCommands(file, score, SR, BLOCK);
  const at = (t: number) => cmds.filter((c) => c.frame === Math.round(t * SR) && c.op === 24);
  assert.equal(at(0)[0].i1, 1, "the first note opens the gate");
  assert.equal(at(0.5)[0].i1, 0, "the second is legato: no retrigger");
  const x = await render(file, score, 1.6);
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
  assert.ok(log.commands.filter((c) => c.op === L.OP_NOTE_ON).length >= 30, "the group notes are in the log");
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
