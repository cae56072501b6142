// Samples: the pool, decoding and resampling, the sampler module, the /sample addresses and the offline
// render (issue 14's acceptance check), all with generated signals.
import assert from "node:assert/strict";
import { ClientError } from "../core/errors.ts";
import { compileDsp } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { resample } from "../core/sample_decode.ts";
import { SamplePool } from "../core/sample_pool.ts";
import { readWav, WavWriter } from "../core/wav.ts";
import { scoreCommands } from "../cli/score.ts";
import { decodeHere, SampleLibrary, type SampleLoader, sampleSource } from "../patch/samples.ts";
import { Patch } from "../patch/graph.ts";
import { SampleDecoder } from "../engine/sample_decoder.ts";
import { ScoreEngine } from "../cli/score.ts";
import { OscRouter } from "../osc/router.ts";
import type { PatchFile } from "../core/files.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { firstDifferenceOutside, runCli, TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";
import { encodeFlac } from "./flac_writer.ts";

const renderTs = new URL("../cli/render.ts", import.meta.url).pathname;
const SR = 48000;

/** Writes a mono float32 WAV of a sine at `hz` for `seconds` into `path` (amplitude `amp`, at `rate`). */
function writeSine(path: string, hz: number, seconds: number, amp = 0.5, rate = SR): void {
  const n = Math.round(seconds * rate);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  const w = new WavWriter(path, rate, 1);
  w.write(x);
  w.close();
}

/** Frequency of a clean tone from its rising zero crossings (interpolated) in samples [from, to) of `x`. */
function zeroCrossingHz(x: Float32Array | Float64Array, from: number, to: number, rate = SR): number {
  const t: number[] = [];
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) t.push(i - 1 + x[i - 1] / (x[i - 1] - x[i]));
  }
  assert.ok(t.length > 10, `too few zero crossings (${t.length}): is the tone there?`);
  return ((t.length - 1) * rate) / (t[t.length - 1] - t[0]);
}

const cents = (a: number, b: number) => 1200 * Math.log2(a / b);

/** Frames of the 100 MiB test file: float32 mono, 9.1 minutes at 48 kHz. */
const BIG_FRAMES = 26_214_400;

/** The longest stretch the control thread may be held while a 100 MiB sample loads (ms). */
const MAX_GAP_MS = 100;

/** Writes a 100 MiB float32 mono WAV of a 440 Hz sine. */
function writeBig(path: string): void {
  const w = new WavWriter(path, SR, 1);
  const chunk = new Float32Array(SR);
  for (let done = 0; done < BIG_FRAMES; done += chunk.length) {
    const n = Math.min(chunk.length, BIG_FRAMES - done);
    for (let i = 0; i < n; i++) chunk[i] = 0.25 * Math.sin((2 * Math.PI * 440 * (done + i)) / SR);
    w.write(chunk.subarray(0, n));
  }
  w.close();
}

/** Left channel of interleaved stereo. */
function left(stereo: Float32Array): Float32Array {
  const out = new Float32Array(stereo.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = stereo[2 * i];
  return out;
}

/** Magnitude in dB (re a full-scale sine) of the largest DFT bin of `x` over [lo, hi] Hz (Hann window). */
function peakDb(x: Float32Array, lo: number, hi: number, rate = SR): number {
  const n = x.length;
  let best = 0;
  for (let f = lo; f <= hi; f += rate / n / 2) {
    let re = 0, im = 0;
    for (let i = 0; i < n; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
      const ph = (2 * Math.PI * f * i) / rate;
      re += w * x[i] * Math.cos(ph);
      im -= w * x[i] * Math.sin(ph);
    }
    best = Math.max(best, Math.hypot(re, im) / (n / 4)); // a full-scale sine: n/4 under a Hann window
  }
  return 20 * Math.log10(best + 1e-30);
}

/** Renders a score with samples from `dir`; returns the left channel. */
async function renderScore(dir: string, score: string, seconds: number, patch: PatchFile = OUT_ONLY) {
  const pool = new SamplePool(64, Infinity);
  const commands = scoreCommands(patch, score, SR, 128, dir, { pool, source: sampleSource(dir, dir) });
  return left(
    renderOffline(
      await compileDsp(),
      { sampleRate: SR, block: 128, seed: 1 },
      commands,
      seconds * SR,
      pool.memory,
    ),
  );
}

const OUT_ONLY: PatchFile = { modules: { out1: { type: "out" } } };

const PLAY = (extra: string) =>
  `0 sample load s1 tone.wav
0 create smp sampler
0 patch smp -> out1.L
0 set smp.sample s1
${extra}
0.01 gate smp on
`;

Deno.test("acceptance: deno task render --samples plays a 1 kHz sample at pitch 12 as 2 kHz within 0.5 cent", async () => {
  const dir = await Deno.makeTempDir();
  writeSine(`${dir}/tone.wav`, 1000, 2);
  await Deno.writeTextFile(`${dir}/s.txt`, PLAY("0 set smp.pitch 12"));
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      renderTs,
      "--score",
      `${dir}/s.txt`,
      "--out",
      `${dir}/o.wav`,
      "--samples",
      dir,
      "--seconds",
      "1",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const x = left(readWav(await Deno.readFile(`${dir}/o.wav`)).samples);
  const hz = zeroCrossingHz(x, 0.05 * SR, 0.95 * SR);
  assert.ok(Math.abs(cents(hz, 2000)) < 0.5, `${hz} Hz is ${cents(hz, 2000).toFixed(3)} cents from 2 kHz`);
});

Deno.test("a sample at another rate is resampled: 1 kHz at 44.1 kHz plays 1 kHz at 48 kHz, and pitch −12 halves it", async () => {
  const dir = await Deno.makeTempDir();
  writeSine(`${dir}/tone.wav`, 1000, 1, 0.5, 44100);
  const x = await renderScore(dir, PLAY(""), 0.8);
  assert.ok(Math.abs(cents(zeroCrossingHz(x, 0.05 * SR, 0.75 * SR), 1000)) < 0.5);
  const y = await renderScore(dir, PLAY("0 set smp.pitch -12"), 1.5);
  assert.ok(Math.abs(cents(zeroCrossingHz(y, 0.05 * SR, 1.4 * SR), 500)) < 0.5);
});

Deno.test("the resampler keeps what is below the new Nyquist and removes what is above it (−80 dB)", () => {
  const n = 44100;
  const x = new Float32Array(n);
  // 1 kHz (kept) and 23 kHz (above 48 kHz→22.05 kHz's Nyquist of the 44.1 kHz target: must go)
  for (let i = 0; i < n; i++) {
    x[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000) +
      0.5 * Math.sin((2 * Math.PI * 23000 * i) / 48000);
  }
  const y = resample(x, 1, 48000, 44100).subarray(2000, 2000 + 8192);
  assert.ok(Math.abs(peakDb(y, 995, 1005, 44100) - 20 * Math.log10(0.5)) < 0.1);
  // 23 kHz would fold to 44.1 − 23 = 21.1 kHz
  assert.ok(peakDb(y, 21000, 21200, 44100) < -80, `alias at ${peakDb(y, 21000, 21200, 44100).toFixed(1)} dB`);
});

Deno.test("pitched up 4 octaves, a sine above Nyquist/16 leaves no alias above −60 dB (mip levels)", async () => {
  const dir = await Deno.makeTempDir();
  // 2 kHz × 16 = 32 kHz: read from the sample itself it would fold to 48 − 32 = 16 kHz.
  writeSine(`${dir}/tone.wav`, 2000, 2, 0.9);
  const x = await renderScore(dir, PLAY("0 set smp.pitch 48"), 0.1);
  const seg = x.subarray(1000, 1000 + 2048);
  const alias = peakDb(seg, 15500, 16500);
  assert.ok(alias < -60, `alias at ${alias.toFixed(1)} dB`);
  // And a sine below Nyquist/16 comes through at +4 octaves: 1 kHz → 16 kHz.
  writeSine(`${dir}/low.wav`, 1000, 2, 0.5);
  const y = await renderScore(dir, PLAY("0 set smp.pitch 48").replace("tone.wav", "low.wav"), 0.1);
  assert.ok(peakDb(y.subarray(1000, 3048), 15900, 16100) > -8);
});

Deno.test("every step the sampler allows is band-limited: 1 kHz at steps 32 and 256 (levels 5 and 8) leaves no alias above −60 dB, 40 Hz comes through", async () => {
  const dir = await Deno.makeTempDir();
  // 1 kHz × 32 = 32 kHz and × 256 = 256 kHz both fold to 16 kHz; level 4 (the top before) kept 1 kHz whole.
  writeSine(`${dir}/tone.wav`, 1000, 10, 0.9);
  writeSine(`${dir}/low.wav`, 40, 10, 0.5);
  for (const [rate, step] of [[2, 32], [16, 256]]) {
    const score = PLAY(`0 set smp.pitch 48\n0 set smp.rate ${rate}`);
    const seg = (await renderScore(dir, score, 0.05)).subarray(600, 600 + 1024);
    assert.ok(seg.every(Number.isFinite));
    const alias = peakDb(seg, 15500, 16500);
    assert.ok(alias < -60, `step ${step}: alias at ${alias.toFixed(1)} dB`);
    let peak = 0;
    for (const v of seg) peak = Math.max(peak, Math.abs(v));
    assert.ok(20 * Math.log10(peak + 1e-30) < -60, `step ${step}: quiet (peak ${peak})`);
    const low = (await renderScore(dir, score.replace("tone.wav", "low.wav"), 0.05)).subarray(
      600,
      600 + 1024,
    );
    const hz = 40 * step;
    assert.ok(peakDb(low, hz - 100, hz + 100) > -10, `step ${step}: ${hz} Hz comes through`);
  }
});

Deno.test("a slice starts at its exact sample and at the gate's frame", async () => {
  const dir = await Deno.makeTempDir();
  // A ramp: sample i holds i / n, so the first sample played names where the slice starts.
  const n = 48000;
  const ramp = new Float32Array(n).map((_, i) => i / n);
  const w = new WavWriter(`${dir}/tone.wav`, SR, 1);
  w.write(ramp);
  w.close();
  const x = await renderScore(dir, PLAY("0 set smp.slices 8\n0 set smp.slice 3"), 0.2);
  const gate = Math.round(0.01 * SR);
  assert.equal(x[gate - 1], 0);
  assert.equal(x[gate], Math.fround((3 * n) / 8 / n));
  assert.equal(x[gate + 1], Math.fround(((3 * n) / 8 + 1) / n));
});

Deno.test("a forward loop over whole periods is seamless: no step above −60 dB at the wrap", async () => {
  const dir = await Deno.makeTempDir();
  writeSine(`${dir}/tone.wav`, 1000, 0.1); // 100 periods exactly
  const x = await renderScore(dir, PLAY("0 set smp.loop forward"), 0.5);
  // The largest sample-to-sample step anywhere stays that of the sine itself (2π·f/sr·amp), within −60 dB.
  const sineStep = 0.5 * 2 * Math.sin(Math.PI * 1000 / SR);
  let worst = 0;
  for (let i = 0.02 * SR; i < 0.45 * SR; i++) {
    const predicted = 2 * x[i - 1] * Math.cos(2 * Math.PI * 1000 / SR) - x[i - 2];
    worst = Math.max(worst, Math.abs(x[i] - predicted));
  }
  assert.ok(worst < 0.001, `largest deviation from the sine ${worst} (step ${sineStep})`);
  assert.ok(
    Math.abs(x[Math.round(0.3 * SR)]) > 0 || Math.abs(x[Math.round(0.3 * SR) + 10]) > 0,
    "still playing",
  );
});

Deno.test("/sample errors: a missing file, a corrupt one, a missing name and a full pool each get a plain /error and change nothing", () => {
  const dir = Deno.makeTempDirSync();
  writeSine(`${dir}/tone.wav`, 1000, 1);
  Deno.writeTextFileSync(`${dir}/bad.wav`, "RIFF not really a wave file");
  writeSine(`${dir}/big.wav`, 1000, 10); // a 1.9 MB file
  // A 1.2 MB file (24-bit) that takes 2.8 MB once decoded, with its mip levels.
  const w = new WavWriter(`${dir}/big24.wav`, SR, 1, { format: "pcm24" });
  w.write(new Float32Array(8 * SR).map((_, i) => 0.5 * Math.sin(i / 10)));
  w.close();
  const pool = new SamplePool(2, 0);
  const e = new ScoreEngine(SR, 128, { pool, source: sampleSource(dir, dir) });
  const router = new OscRouter(e, undefined, dir);
  const call = (address: string, ...args: (string | number)[]) => router.handle(address, args, {});
  const [ok] = call("/sample/load", "s1", "tone.wav");
  assert.deepEqual(ok, { address: "/sample/load.reply", args: ["s1", 48000, 1, 48000, 1, 0] });
  const before = JSON.stringify([pool.list(), pool.usage()]);
  const expectError = (r: { address: string; args: (string | number)[] }[], pattern: RegExp) => {
    assert.equal(r.length, 1);
    assert.equal(r[0].address, "/error");
    assert.match(String(r[0].args[1]), pattern);
    assert.equal(JSON.stringify([pool.list(), pool.usage()]), before, "the pool is unchanged");
  };
  expectError(call("/sample/load", "s2", "missing.wav"), /no such file/);
  expectError(call("/sample/load", "s2", "bad.wav"), /^"bad\.wav" is not a sample this engine reads: /);
  expectError(call("/sample/load", "s2", "../escape.wav"), /"\.\." is refused/);
  expectError(call("/sample/load", "s1", "tone.wav"), /loaded already/);
  expectError(
    call("/sample/load", "s2", "big.wav"),
    /pool is full: needs at least 1\.8 MB, 1\.6 MB free of 2\.0 MB/,
  );
  expectError(
    call("/sample/load", "s2", "big24.wav"),
    /pool is full: needs 2\.9 MB, 1\.6 MB free of 2\.0 MB/,
  );
  expectError(call("/sample/free", "nope"), /no sample "nope" \(loaded: s1\)/);
  expectError(call("/mod/x/sample", "s1"), /x/);
  // A sampler naming s1 keeps it: free is refused until it names another.
  for (const r of [call("/patch/create", "smp", "sampler"), call("/patch/commit")]) {
    assert.notEqual(r[0]?.address, "/error", JSON.stringify(r));
  }
  const sent = e.commands.length;
  expectError(call("/mod/smp/sample", "nope"), /no sample "nope"/);
  assert.equal(e.commands.length, sent, "nothing was sent");
  assert.deepEqual(call("/mod/smp/sample", "s1"), []);
  expectError(call("/sample/free", "s1"), /smp plays it/);
  assert.deepEqual(call("/mod/smp/sample", 0), []);
  assert.deepEqual(call("/sample/free", "s1"), [{ address: "/sample/free.reply", args: ["s1"] }]);
  assert.equal(pool.list().length, 0);
  // The freed space is reused: the pool still has room for the same file.
  assert.equal(call("/sample/load", "s3", "tone.wav")[0].address, "/sample/load.reply");
});

Deno.test("a stereo sample stays stereo; reverse plays it backwards", async () => {
  const dir = await Deno.makeTempDir();
  const n = 4800;
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i / n;
    x[2 * i + 1] = -i / n;
  }
  const w = new WavWriter(`${dir}/tone.wav`, SR, 2);
  w.write(x);
  w.close();
  const pool = new SamplePool(8, Infinity);
  const commands = scoreCommands(
    OUT_ONLY,
    PLAY("0 patch smp.right -> out1.R\n0 set smp.reverse on"),
    SR,
    128,
    dir,
    {
      pool,
      source: sampleSource(dir, dir),
    },
  );
  const out = renderOffline(
    await compileDsp(),
    { sampleRate: SR, block: 128, seed: 1 },
    commands,
    0.2 * SR,
    pool.memory,
  );
  const g = Math.round(0.01 * SR);
  assert.equal(out[2 * g], Math.fround((n - 1) / n));
  assert.equal(out[2 * g + 1], Math.fround(-(n - 1) / n));
  assert.equal(out[2 * (g + 100)], Math.fround((n - 101) / n));
  assert.equal(out[2 * (g + n)], 0, "silent after the start");
});

Deno.test("a patch file's samples load before its modules, and its sampler names one", async () => {
  const dir = await Deno.makeTempDir();
  writeSine(`${dir}/tone.wav`, 1000, 1);
  const patch = {
    samples: { s1: "tone.wav" },
    modules: { out1: { type: "out" }, smp: { type: "sampler", params: { sample: "s1", pitch: 7 } } },
    connections: [["smp", "out1.L"]] as [string, string][],
  };
  const x = await renderScore(dir, "0.01 gate smp on", 0.5, patch as never);
  const hz = zeroCrossingHz(x, 0.05 * SR, 0.45 * SR);
  assert.ok(Math.abs(cents(hz, 1000 * 2 ** (7 / 12))) < 0.5, `${hz}`);
  assert.throws(() => scoreCommands(patch as never, "", SR, 128, dir), ClientError);
});

Deno.test("a failover while a sample plays: the live output equals the replay of the session log bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  // A chirp with overtones, so every read position sounds different.
  const n = SR / 2;
  const chirp = new Float32Array(n).map((_, i) => {
    const t = i / SR;
    return 0.3 * Math.sin(2 * Math.PI * (200 * t + 800 * t * t)) + 0.1 * Math.sin(2 * Math.PI * 3100 * t);
  });
  const w = new WavWriter(`${dir}/chirp.wav`, 44100, 1); // resampled at load
  w.write(chirp);
  w.close();
  const patch = {
    samples: { s1: "chirp.wav" },
    modules: {
      out1: { type: "out" },
      smp: {
        type: "sampler",
        params: { sample: "s1", pitch: 5, loop: "forward", loopstart: 0.2, slices: 2 },
      },
    },
    connections: [["smp.left", "out1.L"], ["smp.right", "out1.R"]],
    sequence: { bpm: 150, playing: true, tracks: { s: { modules: ["smp"], pattern: "x...x..x ..x.x..." } } },
  };
  await Deno.writeTextFile(`${dir}/p.json`, JSON.stringify(patch));
  const run = await runCli([
    "--duration",
    "2",
    "--patch",
    `${dir}/p.json`,
    "--samples",
    dir,
    "--allow-fault-injection",
    "--inject",
    "trap@primary:600",
    "--restart-limit",
    "1000",
    "--lead",
    String(TEST_LEAD),
    "--no-osc",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.summary.metrics.failovers >= 1, run.stderr);
  assert.equal(run.summary.metrics.divergences, 0);
  const log = parseSessionLog(await Deno.readTextFile(run.logPath));
  assert.deepEqual(log.samples.map((s) => [s.name, s.id, s.file]), [["s1", 1, "chirp.wav"]]);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", renderTs, "--replay", run.logPath, "--samples", dir, "--out", `${dir}/replay.wav`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const replay = readWav(await Deno.readFile(`${dir}/replay.wav`)).samples;
  let loud = 0;
  for (let i = 0; i < run.wav.length; i++) loud = Math.max(loud, Math.abs(run.wav[i]));
  assert.ok(loud > 0.1, "the sample played");
  // A late block is silence live; the output locates up to 64 (as failover_test.ts, every one must be).
  assert.equal(
    run.summary.output.lateAt.length,
    run.summary.lateBlocks,
    `every late block is located: ${run.stderr}`,
  );
  const diff = firstDifferenceOutside(run.wav, replay, run.summary.output.lateAt);
  assert.equal(
    diff,
    -1,
    `live output differs from the replay at frame ${diff / 2} (block ${Math.floor(diff / 256)}); late ${
      JSON.stringify(run.summary.output.lateAt)
    }; ${JSON.stringify(run.summary.metrics)}\n${run.stderr}`,
  );
  // A replay whose sample file changed is refused, not rendered wrong.
  writeSine(`${dir}/chirp.wav`, 1000, 0.1);
  const changed = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", renderTs, "--replay", run.logPath, "--samples", dir, "--out", `${dir}/r2.wav`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.notEqual(changed.code, 0);
  assert.match(new TextDecoder().decode(changed.stderr), /not the file the session loaded/);
  await Deno.remove(run.dir, { recursive: true });
});

Deno.test("the sequencer plays slices per hit: seq add brk smp x.x.x.x. slice=0,3,5,7 starts each hit on its slice's first sample", async () => {
  const dir = await Deno.makeTempDir();
  const n = 48000;
  const w = new WavWriter(`${dir}/tone.wav`, SR, 1);
  w.write(new Float32Array(n).map((_, i) => i / n));
  w.close();
  const score = `0 sample load s1 tone.wav
0 create smp sampler
0 patch smp -> out1.L
0 set smp.sample s1
0 set smp.slices 8
0 seq bpm 120 now
0 seq add brk smp X.X.X.X. slice=0,3,5,7 now
0 seq start
`;
  const x = await renderScore(dir, score, 2.2);
  // A hit every 2 steps of 6000 frames; `X` plays at velocity 1, so the first sample is the slice's start / n.
  const starts = Array.from({ length: 8 }, (_, k) => x[k * 12000] * 8);
  const before = Array.from({ length: 8 }, (_, k) => x[k * 12000 - 1]);
  assert.deepEqual(starts, [0, 3, 5, 7, 0, 3, 5, 7]);
  // Each slice ran to its end (6000 frames) and stopped before the next hit.
  assert.deepEqual(before.slice(1), [0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("loading a 100 MB sample while the engine plays: 0 late blocks, and the reply gives its facts", async () => {
  const dir = await Deno.makeTempDir();
  const frames = BIG_FRAMES;
  writeBig(`${dir}/big.wav`);
  const port = 20000 + Math.floor(Math.random() * 30000);
  const summaryPath = `${dir}/summary.json`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "--sink",
      "null",
      "--duration",
      "14",
      "--lead",
      String(TEST_LEAD),
      "--osc-port",
      String(port),
      "--samples",
      dir,
      "--summary",
      summaryPath,
      "--no-autosave",
      "--data-dir",
      dir,
      "--quiet",
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const client = new OscTestClient(port);
  let from = 0;
  try {
    // Wait until the engine answers, then load while it plays.
    for (let i = 0; i < 50 && !client.received.length; i++) {
      await client.send("/engine/status");
      await new Promise((r) => setTimeout(r, 200));
    }
    // From the output's block now on, nothing may be late (a start under load may be: not this test's subject).
    await new Promise((r) => setTimeout(r, 1000));
    client.received.length = 0;
    await client.send("/engine/status");
    const status = await client.waitFor((r) => r[0] === "/engine/status.reply");
    from = JSON.parse(String(status[1])).outBlock;
    const t0 = performance.now();
    await client.send("/sample/load", "big", "big.wav");
    const reply = await client.waitFor((r) => r[0] === "/sample/load.reply" || r[0] === "/error", 12000);
    const ms = performance.now() - t0;
    assert.deepEqual([...reply.slice(0, 5), reply[6]], ["/sample/load.reply", "big", frames, 1, SR, 0]);
    assert.ok(Math.abs(Number(reply[5]) - frames / SR) < 0.001, `${reply[5]} s`);
    console.log(`100 MiB loaded in ${ms.toFixed(0)} ms`);
  } finally {
    await client.close();
  }
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const summary = JSON.parse(await Deno.readTextFile(summaryPath));
  const late = (summary.output.lateAt as number[]).filter((b) => b >= from);
  assert.deepEqual(late, [], `late blocks from block ${from} on: ${JSON.stringify(late)}: ${stderr}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("examples/break-174.json: the break the project makes itself, chopped at 174 BPM, renders and measures 174 BPM", async () => {
  const dir = await Deno.makeTempDir();
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", ...args], stdout: "piped", stderr: "piped" })
      .output();
  const made = await run([new URL("../scripts/make_break.ts", import.meta.url).pathname, "--data-dir", dir]);
  assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
  const example = new URL("../examples/break-174.json", import.meta.url).pathname;
  const r = await run([
    renderTs,
    "--patch",
    example,
    "--data-dir",
    dir,
    "--out",
    `${dir}/o.wav`,
    "--analyze",
    "--json",
  ]);
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const report = JSON.parse(new TextDecoder().decode(r.stdout));
  // The tempo the analysis hears in the audio (not the sequencer's, which it reports apart).
  const bpm = JSON.stringify(report).match(/"bpm":\{"value":([\d.]+)/);
  assert.ok(bpm && Math.abs(Number(bpm[1]) - 174) < 1, JSON.stringify(report).slice(0, 400));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a set of sample ends the hit playing at its frame (so the old sample may be freed)", async () => {
  const dir = await Deno.makeTempDir();
  writeSine(`${dir}/tone.wav`, 1000, 0.1);
  const x = await renderScore(dir, PLAY("0 set smp.loop forward") + "0.1 set smp.sample 0\n", 0.2);
  const at = Math.round(0.1 * SR);
  assert.ok(x.subarray(at - 100, at).some((v) => Math.abs(v) > 0.1), "it played until then");
  assert.ok(x.subarray(at).every((v) => v === 0), "silent from the set's frame on");
});

Deno.test("/patch/save names the samples and their files; /patch/load of that file loads them again", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/samples`);
  writeSine(`${dir}/samples/tone.wav`, 1000, 0.5);
  const e = new ScoreEngine(SR, 128, { pool: new SamplePool(16, 0), source: sampleSource(dir) });
  const router = new OscRouter(e, undefined, dir);
  const call = (address: string, ...args: (string | number)[]) => router.handle(address, args, {});
  for (
    const [a, ...args] of [
      ["/sample/load", "s1", "tone.wav"],
      ["/patch/create", "smp", "sampler"],
      ["/patch/commit"],
      ["/mod/smp/sample", "s1"],
      ["/patch/save", "with-samples.json"],
    ] as [string, ...string[]][]
  ) {
    const r = call(a, ...args);
    assert.ok(r.every((x) => x.address !== "/error"), JSON.stringify(r));
  }
  const saved = JSON.parse(Deno.readTextFileSync(`${dir}/patches/with-samples.json`));
  assert.deepEqual(saved.samples, { s1: "tone.wav" });
  assert.equal(saved.modules.smp.params.sample, "s1");
  // A fresh engine loads the file: the sample comes with it.
  const e2 = new ScoreEngine(SR, 128, { pool: new SamplePool(16, 0), source: sampleSource(dir) });
  const r2 = new OscRouter(e2, undefined, dir).handle("/patch/load", ["with-samples.json"], {});
  assert.ok(r2.every((x) => x.address !== "/error"), JSON.stringify(r2));
  assert.equal(e2.samples!.list()[0].name, "s1");
  assert.equal(e2.patch.module("smp").params.sample, e2.samples!.list()[0].id);
  // A file whose patch is refused loads no sample.
  Deno.writeTextFileSync(
    `${dir}/patches/bad.json`,
    JSON.stringify({ samples: { s9: "tone.wav" }, modules: { x: { type: "nope" } } }),
  );
  const e3 = new ScoreEngine(SR, 128, { pool: new SamplePool(16, 0), source: sampleSource(dir) });
  const r3 = new OscRouter(e3, undefined, dir).handle("/patch/load", ["bad.json"], {});
  assert.equal(r3[0].address, "/error");
  assert.equal(e3.samples!.list().length, 0);
});

Deno.test("sample load NAME FILE onsets: the attacks become the slices, and slice k starts at attack k", async () => {
  const dir = await Deno.makeTempDir();
  const hits = [0, 9000, 21000, 30000, 41000];
  const x = new Float32Array(48000);
  let seed = 1;
  for (const h of hits) {
    for (let i = 0; i < 4000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      x[h + i] += 0.8 * Math.exp(-i / 600) * ((seed / 2 ** 32) * 2 - 1);
    }
  }
  const w = new WavWriter(`${dir}/tone.wav`, SR, 1);
  w.write(x);
  w.close();
  const pool = new SamplePool(8, Infinity);
  const e = new ScoreEngine(SR, 128, { pool, source: sampleSource(dir, dir) });
  const [reply] = new OscRouter(e, undefined, dir).handle("/sample/load", ["s1", "tone.wav", "onsets"], {});
  assert.equal(reply.address, "/sample/load.reply", JSON.stringify(reply));
  assert.equal(reply.args[5], hits.length);
  // Each stored start lies within 1 ms before its attack (the detector places it at the attack's rise).
  const table = new Int32Array(pool.memory.buffer);
  const entry = 1 * 16, at = table[entry + 5] / 4;
  const starts = [...table.subarray(at, at + hits.length)];
  starts.forEach((s, k) =>
    assert.ok(s <= hits[k] && hits[k] - s <= 48, `slice ${k} at ${s}, attack ${hits[k]}`)
  );
  // Played: slice 2 starts with that attack's first sample.
  const score = PLAY("0 set smp.slice 2").replace(
    "sample load s1 tone.wav",
    "sample load s1 tone.wav onsets",
  );
  const y = await renderScore(dir, score, 0.3);
  const g = Math.round(0.01 * SR);
  assert.equal(y[g + (hits[2] - starts[2])], x[hits[2]]);
  // …and ends where slice 3 starts.
  assert.equal(y[g + (starts[3] - starts[2])], 0);
});

Deno.test("gated: the gate off releases linearly over `release` ms; attack rises linearly; one-shot ignores the gate off", async () => {
  const dir = await Deno.makeTempDir();
  const w = new WavWriter(`${dir}/tone.wav`, SR, 1);
  w.write(new Float32Array(SR).fill(0.5)); // a constant: the output is the envelope × 0.5 × velocity
  w.close();
  const g = Math.round(0.01 * SR), off = Math.round(0.2 * SR);
  const gated = await renderScore(
    dir,
    PLAY("0 set smp.mode gated\n0 set smp.attack 10\n0 set smp.release 20").replace(
      "gate smp on",
      "gate smp on 1",
    ) +
      "0.2 gate smp off\n",
    0.3,
  );
  assert.equal(gated[g], 0); // the attack starts from 0 …
  assert.ok(Math.abs(gated[g + 240] - 0.25) < 1e-6, `${gated[g + 240]}`); // … is half way after 5 ms …
  assert.equal(gated[g + 480], 0.5); // … and full after 10 ms
  assert.equal(gated[off - 1], 0.5);
  assert.ok(Math.abs(gated[off + 480] - 0.25) < 1e-3, `${gated[off + 480]}`); // half way through the release
  assert.equal(gated[off + 960 + 1], 0); // silent after it
  const oneShot = await renderScore(
    dir,
    PLAY("").replace("gate smp on", "gate smp on 1") + "0.2 gate smp off\n",
    0.3,
  );
  assert.equal(oneShot[off + 2000], 0.5);
});

Deno.test("pingpong turns at the loop's ends and plays every frame between them", async () => {
  const dir = await Deno.makeTempDir();
  const n = 1000;
  const w = new WavWriter(`${dir}/tone.wav`, SR, 1);
  w.write(new Float32Array(n).map((_, i) => i / n));
  w.close();
  const x = await renderScore(
    dir,
    PLAY("0 set smp.loop pingpong\n0 set smp.loopstart 0.5").replace("gate smp on", "gate smp on 1"),
    0.1,
  );
  const g = Math.round(0.01 * SR);
  const frames = [...x.subarray(g, g + 2000)].map((v) => Math.round(v * n));
  // 0 … 999 forward, then back down to 500 and up again, one frame a sample, never leaving [500, 999].
  assert.deepEqual(frames.slice(0, 1000), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(frames.slice(1000, 1499), Array.from({ length: 499 }, (_, i) => 998 - i));
  assert.equal(frames[1499], 501);
  assert.equal(frames[1500], 502);
});

Deno.test("at most two sample loads decode at once: a third is refused at once and changes nothing", async () => {
  const dir = Deno.makeTempDirSync();
  writeSine(`${dir}/tone.wav`, 1000, 0.1);
  const pool = new SamplePool(8, 0);
  const e = new ScoreEngine(SR, 128, { pool, source: sampleSource(dir, dir) });
  const gates: (() => void)[] = [];
  // A loader that waits until the test lets it go, as the sample worker would while it works.
  const here = decodeHere(pool.memory);
  const loader: SampleLoader = (job, reserve) =>
    new Promise((resolve) => gates.push(() => resolve(here(job, reserve))));
  const a = e.samples!.loadAsync("a", "tone.wav", loader);
  await assert.rejects(e.samples!.loadAsync("a", "tone.wav", loader), /loaded already/); // held while it loads
  const b = e.samples!.loadAsync("b", "tone.wav", loader);
  await assert.rejects(e.samples!.loadAsync("c", "tone.wav", loader), /busy: 2 samples are loading/);
  assert.equal(pool.list().length, 0);
  gates.forEach((g) => g());
  assert.deepEqual([(await a).id, (await b).id], [1, 2]);
  assert.equal((await e.samples!.loadAsync("c", "tone.wav", here)).id, 3);
});

Deno.test("a sample loaded with onsets is saved as {file, onsets: true}; /patch/load and --resume's file restore the same slices", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/samples`);
  const x = new Float32Array(48000);
  let seed = 7;
  for (const h of [0, 12000, 25000, 37000]) {
    for (let i = 0; i < 4000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      x[h + i] += 0.8 * Math.exp(-i / 600) * ((seed / 2 ** 32) * 2 - 1);
    }
  }
  const w = new WavWriter(`${dir}/samples/brk.wav`, SR, 1);
  w.write(x);
  w.close();
  const e = new ScoreEngine(SR, 128, { pool: new SamplePool(16, 0), source: sampleSource(dir) });
  const router = new OscRouter(e, undefined, dir);
  const call = (address: string, ...args: (string | number)[]) => router.handle(address, args, {});
  for (
    const [a, ...args] of [
      ["/sample/load", "brk", "brk.wav", "onsets"],
      ["/sample/load", "plain", "brk.wav"],
      ["/patch/create", "smp", "sampler"],
      ["/patch/create", "smp2", "sampler"],
      ["/patch/commit"],
      ["/mod/smp/sample", "brk"],
      ["/mod/smp2/sample", "plain"],
      ["/patch/save", "sliced.json"],
    ] as [string, ...string[]][]
  ) {
    const r = call(a, ...args);
    assert.ok(r.every((x) => x.address !== "/error"), JSON.stringify(r));
  }
  const slices = e.samples!.list()[0].slices;
  assert.ok(slices >= 4, `${slices} slices`);
  const saved = JSON.parse(Deno.readTextFileSync(`${dir}/patches/sliced.json`));
  assert.deepEqual(saved.samples, { brk: { file: "brk.wav", onsets: true }, plain: "brk.wav" });
  // The same file through /patch/load (and so --resume, which loads the autosave's file the same way).
  const e2 = new ScoreEngine(SR, 128, { pool: new SamplePool(16, 0), source: sampleSource(dir) });
  const r2 = new OscRouter(e2, undefined, dir).handle("/patch/load", ["sliced.json"], {});
  assert.ok(r2.every((x) => x.address !== "/error"), JSON.stringify(r2));
  assert.deepEqual(
    e2.samples!.list().map((s) => [s.name, s.slices]),
    [["brk", slices], ["plain", 0]],
  );
  // A malformed entry is refused plainly.
  Deno.writeTextFileSync(
    `${dir}/patches/odd.json`,
    JSON.stringify({ samples: { s: { onsets: true } }, modules: {} }),
  );
  const e3 = new ScoreEngine(SR, 128, { pool: new SamplePool(16, 0), source: sampleSource(dir) });
  const r3 = new OscRouter(e3, undefined, dir).handle("/patch/load", ["odd.json"], {});
  assert.equal(r3[0].address, "/error");
  assert.match(String(r3[0].args[1]), /sample "s": give a file name, or \{"file"/);
});

Deno.test("--patch with samples of every format: the engine's start awaits their decoding", async () => {
  const dir = await Deno.makeTempDir();
  writeSine(`${dir}/tone.wav`, 1000, 0.5);
  const ints = new Int32Array(SR / 2).map((_, i) =>
    Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / SR))
  );
  await Deno.writeFile(`${dir}/tone.flac`, encodeFlac(ints, 1, 16, SR));
  const run = await runCli([
    "--duration",
    "1",
    "--patch",
    await (async () => {
      const p = `${dir}/p.json`;
      await Deno.writeTextFile(
        p,
        JSON.stringify({
          samples: { a: "tone.flac", b: { file: "tone.wav", onsets: true } },
          modules: { out1: { type: "out" }, smp: { type: "sampler", params: { sample: "a" } } },
          connections: [["smp", "out1.L"]],
          sequence: { bpm: 120, playing: true, tracks: { s: { modules: ["smp"], pattern: "x..." } } },
        }),
      );
      return p;
    })(),
    "--samples",
    dir,
    "--lead",
    String(TEST_LEAD),
    "--no-osc",
  ]);
  assert.equal(run.code, 0, run.stderr);
  // The FLAC played from the start: a 1 kHz tone on the left.
  let loud = 0;
  for (let i = 0; i < run.wav.length; i += 2) loud = Math.max(loud, Math.abs(run.wav[i]));
  assert.ok(loud > 0.3, `the sample played (peak ${loud})`); // 16000/32768 at the step's velocity
  const log = parseSessionLog(await Deno.readTextFile(run.logPath));
  assert.deepEqual(log.samples.map((s) => [s.name, s.file, s.onsets ?? false]), [
    ["a", "tone.flac", false],
    ["b", "tone.wav", true],
  ]);
  await Deno.remove(run.dir, { recursive: true });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a 100 MB load through the sample worker: the control thread's longest stretch between 1 ms ticks stays short", async () => {
  const dir = await Deno.makeTempDir();
  writeBig(`${dir}/big.wav`);
  const pool = new SamplePool(256);
  const lib = new SampleLibrary(pool, sampleSource(dir, dir), new Patch(), SR);
  const decoder = new SampleDecoder(pool.memory);
  const gaps: number[] = [];
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  try {
    const t0 = performance.now();
    const info = await lib.loadAsync("big", "big.wav", (job, reserve) => decoder.load(job, reserve));
    const ms = performance.now() - t0;
    assert.equal(info.frames, BIG_FRAMES);
    const worst = Math.max(...gaps);
    console.log(
      `100 MiB loaded in ${ms.toFixed(0)} ms; the longest gap between 1 ms ticks: ${worst.toFixed(1)} ms`,
    );
    // Before the worker wrote the pool itself (and read and hashed the file), the control thread held
    // ~MEASURED_BEFORE ms in one stretch; a scheduler's hiccup under load stays well below this bound.
    assert.ok(worst < MAX_GAP_MS, `the control thread was held ${worst.toFixed(1)} ms in one stretch`);
  } finally {
    clearInterval(tick);
    decoder.close();
  }
  await Deno.remove(dir, { recursive: true });
});
