// Compressed samples (issue 14): FLAC, MP3 and Ogg Vorbis decoded (core/sample_formats.ts), told apart by
// content, refused plainly when cut or damaged, loaded on a live engine through its sample worker, which also
// writes them into the pool (engine/sample_decoder.ts), and through /patch/load all or nothing. Every file is
// made here: FLAC by tests/flac_writer.ts, MP3 and Ogg Vorbis by wasm-media-encoders (LAME and libvorbis in
// WebAssembly, a test-only dependency).
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { createMp3Encoder, createOggEncoder } from "wasm-media-encoders";
import { ClientError } from "../core/errors.ts";
import { decodeSample, decodeSampleAsync } from "../core/sample_decode.ts";
import { checkMpegFrames, checkOggPages, sniffFormat } from "../core/sample_formats.ts";
import { FREE_GRACE_MS, SamplePool } from "../core/sample_pool.ts";
import { readWav } from "../core/wav.ts";
import { SampleDecoder } from "../engine/sample_decoder.ts";
import { Patch } from "../patch/graph.ts";
import { SampleLibrary, sampleSource } from "../patch/samples.ts";
import { OscRouter } from "../osc/router.ts";
import type { OscReply } from "../osc/types.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { encodeFlac, encodeWav16 } from "./flac_writer.ts";
import { firstDifferenceOutside, startLogged, TEST_LEAD } from "./helpers.ts";

const SR = 48000;

/** Interleaved integer samples of a sine at `hz` (`channels`, the right one at half the left's level). */
function sineInts(hz: number, seconds: number, channels: number, bits: 16 | 24, rate = SR): Int32Array {
  const n = Math.round(seconds * rate), full = 2 ** (bits - 1) - 1;
  const x = new Int32Array(n * channels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      x[i * channels + c] = Math.round(full * (c ? 0.25 : 0.5) * Math.sin((2 * Math.PI * hz * i) / rate));
    }
  }
  return x;
}

/** Planar float channels of a sine at `hz` (the right one at half the left's level). */
function sinePlanar(hz: number, seconds: number, channels: number, rate = SR): Float32Array[] {
  const n = Math.round(seconds * rate);
  return Array.from(
    { length: channels },
    (_, c) => new Float32Array(n).map((_, i) => (c ? 0.25 : 0.5) * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

/** Encodes planar channels as MP3 (LAME VBR quality 2) or Ogg Vorbis (quality 6) in memory. */
async function encode(kind: "mp3" | "ogg", planar: Float32Array[], rate = SR): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  if (kind === "mp3") {
    const e = await createMp3Encoder();
    e.configure({ sampleRate: rate, channels: planar.length as 1 | 2, vbrQuality: 2 });
    chunks.push(e.encode(planar).slice(), e.finalize().slice());
  } else {
    const e = await createOggEncoder();
    e.configure({ sampleRate: rate, channels: planar.length as 1 | 2, vbrQuality: 6, oggSerialNo: 1 });
    chunks.push(e.encode(planar).slice(), e.finalize().slice());
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Frequency of a clean tone from its rising zero crossings (interpolated) in frames [from, to) of channel `c`. */
function zeroCrossingHz(x: Float32Array, channels: number, c: number, from: number, to: number): number {
  const t: number[] = [];
  const at = (i: number) => x[i * channels + c];
  for (let i = from + 1; i < to; i++) {
    if (at(i - 1) < 0 && at(i) >= 0) t.push(i - 1 + at(i - 1) / (at(i - 1) - at(i)));
  }
  assert.ok(t.length > 10, `too few zero crossings (${t.length})`);
  return ((t.length - 1) * SR) / (t[t.length - 1] - t[0]);
}

/** RMS level in dB of channel `c` over frames [from, to), relative to `amp`'s sine. */
function levelDb(
  x: Float32Array,
  channels: number,
  c: number,
  from: number,
  to: number,
  amp: number,
): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i * channels + c] ** 2;
  return 20 * Math.log10(Math.sqrt(sum / (to - from)) / (amp / Math.SQRT2));
}

const cents = (a: number, b: number) => 1200 * Math.log2(a / b);

Deno.test("FLAC decodes bit-exact to the integers a 16-bit WAV of the same sine holds, mono and stereo; 24-bit too", async () => {
  for (const channels of [1, 2]) {
    const ints = sineInts(1000, 0.5, channels, 16);
    const wav = decodeSample(encodeWav16(ints, channels, SR), "tone.wav", SR);
    const flac = await decodeSampleAsync(encodeFlac(ints, channels, 16, SR), "tone.flac", SR);
    assert.equal(flac.channels, channels);
    assert.equal(flac.frames, ints.length / channels);
    assert.deepEqual(flac.samples, wav.samples, "the FLAC decodes to the WAV's samples, bit for bit");
    for (let i = 0; i < ints.length; i++) {
      if (flac.samples[i] * 32768 !== ints[i]) {
        assert.fail(`sample ${i}: ${flac.samples[i] * 32768} ≠ ${ints[i]}`);
      }
    }
  }
  const ints24 = sineInts(1000, 0.25, 2, 24);
  const flac24 = await decodeSampleAsync(encodeFlac(ints24, 2, 24, SR), "tone24.flac", SR);
  for (let i = 0; i < ints24.length; i++) {
    if (flac24.samples[i] * 2 ** 23 !== ints24[i]) assert.fail(`24-bit sample ${i}`);
  }
});

Deno.test("MP3 and Ogg Vorbis decode a 1 kHz sine within 0.5 cent and 1 dB, mono and stereo", async () => {
  const measured: string[] = [];
  for (const kind of ["mp3", "ogg"] as const) {
    for (const channels of [1, 2]) {
      const bytes = await encode(kind, sinePlanar(1000, 1, channels));
      assert.equal(sniffFormat(bytes), kind === "mp3" ? "mp3" : "ogg-vorbis");
      const s = await decodeSampleAsync(bytes, `tone.${kind}`, SR);
      assert.equal(s.channels, channels, `${kind}: stereo stays stereo`);
      assert.ok(Math.abs(s.frames - SR) < 4096, `${kind}: ${s.frames} frames for 1 s`);
      for (let c = 0; c < channels; c++) {
        const hz = zeroCrossingHz(s.samples, channels, c, 0.1 * SR, 0.9 * SR);
        const db = levelDb(s.samples, channels, c, 0.1 * SR, 0.9 * SR, c ? 0.25 : 0.5);
        measured.push(`${kind} ${channels}ch c${c}: ${cents(hz, 1000).toFixed(4)} cent, ${db.toFixed(3)} dB`);
        assert.ok(Math.abs(cents(hz, 1000)) < 0.5, measured.at(-1));
        assert.ok(Math.abs(db) < 1, measured.at(-1));
      }
    }
  }
  console.log(measured.join("\n"));
});

Deno.test("the format is told by content: WAV named .flac loads, FLAC named .wav loads, unknown bytes are refused", async () => {
  const ints = sineInts(1000, 0.1, 1, 16);
  const wav = encodeWav16(ints, 1, SR), flac = encodeFlac(ints, 1, 16, SR);
  const a = await decodeSampleAsync(wav, "x.flac", SR);
  const b = await decodeSampleAsync(flac, "x.wav", SR);
  assert.deepEqual(a.samples, b.samples);
  await assert.rejects(
    decodeSampleAsync(new TextEncoder().encode("just some text, not audio"), "x.flac", SR),
    (e: Error) =>
      e instanceof ClientError &&
      /^"x\.flac" is not a sample this engine reads: its first bytes are none of the formats/.test(e.message),
  );
  // The synchronous path (an offline score) names what it is and where it is read.
  assert.throws(
    () => decodeSample(flac, "x.flac", SR),
    /"x\.flac" is not a sample this engine reads: it is FLAC/,
  );
});

Deno.test("a cut or damaged FLAC, MP3 and Ogg Vorbis file each get a plain ClientError", async () => {
  const ints = sineInts(1000, 0.5, 2, 16);
  const flac = encodeFlac(ints, 2, 16, SR);
  const mp3 = await encode("mp3", sinePlanar(1000, 0.5, 2));
  const ogg = await encode("ogg", sinePlanar(1000, 0.5, 2));
  const flipped = (b: Uint8Array, at: number) =>
    b.slice().map((v, i) => (i >= at && i < at + 16 ? v ^ 0x5a : v));
  const cases: [string, Uint8Array, RegExp][] = [
    ["cut.flac", flac.slice(0, Math.floor(flac.length * 0.6)), /FLAC: it holds \d+ of the 24000 frames/],
    [
      "damaged.flac",
      flipped(flac, Math.floor(flac.length / 2)),
      /FLAC: (the decoder found it damaged|it holds \d+ of the 24000 frames .* \(cut short or damaged\))/,
    ],
    ["cut.mp3", mp3.slice(0, Math.floor(mp3.length * 0.6) + 7), /MP3\): it is cut short in MPEG frame/],
    [
      "cut.ogg",
      ogg.slice(0, Math.floor(ogg.length * 0.6)),
      /Ogg Vorbis: it is cut short|Ogg Vorbis: the Ogg stream has no last page/,
    ],
    ["damaged.ogg", flipped(ogg, Math.floor(ogg.length / 2)), /Ogg Vorbis: Ogg page \d+'s checksum is wrong/],
    ["header.mp3", mp3.slice(0, 4), /MP3\): it is cut short in MPEG frame 1/],
    [
      "opus.ogg",
      new Uint8Array([
        ...new TextEncoder().encode("OggS"),
        ...new Uint8Array(22),
        1,
        19,
        ...new TextEncoder().encode("OpusHead"),
      ]),
      /it is Ogg Opus, which is not read/,
    ],
  ];
  for (const [file, bytes, pattern] of cases) {
    await assert.rejects(decodeSampleAsync(bytes, file, SR), (e: Error) => {
      assert.ok(e instanceof ClientError, `${file}: ${e.stack}`);
      assert.match(
        e.message,
        new RegExp(`^"${file.replace(".", "\\.")}" is not a sample this engine reads: `),
      );
      assert.match(e.message, pattern, `${file}: ${e.message}`);
      return true;
    });
  }
  // The framing checks alone pass the whole files.
  assert.ok(checkOggPages(ogg) > 0);
  assert.ok(checkMpegFrames(mp3).samples >= 0.5 * SR);
});

Deno.test("a compressed file whose audio outgrows the pool's room stops decoding with the full pool's error", async () => {
  const mp3 = await encode("mp3", sinePlanar(1000, 2, 1));
  await assert.rejects(
    decodeSampleAsync(mp3, "long.mp3", SR, { free: 100_000, capacity: 1 << 20 }),
    /the sample pool is full: needs at least 0\.\d MB, 0\.1 MB free of 1\.0 MB/,
  );
});

Deno.test("deno task render: a score's `sample load` lines and a patch's samples read FLAC, MP3 and Ogg", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/tone.flac`, encodeFlac(sineInts(1000, 1, 1, 16), 1, 16, SR));
  await Deno.writeFile(`${dir}/tone.mp3`, await encode("mp3", sinePlanar(1000, 1, 1)));
  await Deno.writeFile(`${dir}/tone.ogg`, await encode("ogg", sinePlanar(1000, 1, 1)));
  await Deno.writeTextFile(
    `${dir}/p.json`,
    JSON.stringify({
      samples: { o: "tone.ogg" },
      modules: { out1: { type: "out" }, smp: { type: "sampler" } },
      connections: [["smp", "out1.L"]],
    }),
  );
  await Deno.writeTextFile(
    `${dir}/s.txt`,
    ["0 sample load f tone.flac", "0 sample load m tone.mp3"].concat(
      ["f", "m", "o"].flatMap((
        n,
        k,
      ) => [`${k * 0.5} set smp.sample ${n}`, `${k * 0.5} gate smp on`, `${k * 0.5 + 0.4} gate smp off`]),
    ).join("\n") + "\n",
  );
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/render.ts", import.meta.url).pathname,
      "--patch",
      `${dir}/p.json`,
      "--score",
      `${dir}/s.txt`,
      "--samples",
      dir,
      "--out",
      `${dir}/o.wav`,
      "--seconds",
      "1.5",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const out = readWav(await Deno.readFile(`${dir}/o.wav`)).samples;
  for (const k of [0, 1, 2]) {
    const from = Math.round((k * 0.5 + 0.05) * SR), to = Math.round((k * 0.5 + 0.35) * SR);
    const hz = zeroCrossingHz(out, 2, 0, from, to);
    assert.ok(Math.abs(cents(hz, 1000)) < 0.5, `tone ${k}: ${hz} Hz`);
  }
  await Deno.remove(dir, { recursive: true });
});

/** A live engine's router and a way to wait for a reply that comes later. */
/** Replays the session log a live engine wrote to `dir` (startLogged) through `render --replay`; its samples. */
async function replayLive(dir: string): Promise<Float32Array> {
  const render = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/render.ts", import.meta.url).pathname,
      "--replay",
      `${dir}/s.jsonl`,
      "--samples",
      dir,
      "--out",
      `${dir}/replay.wav`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(render.code, 0, new TextDecoder().decode(render.stderr));
  return readWav(await Deno.readFile(`${dir}/replay.wav`)).samples;
}

function rig(engine: ConstructorParameters<typeof OscRouter>[0], dir: string) {
  const router = new OscRouter(engine, undefined, dir);
  const later: OscReply[] = [];
  const waiters: (() => void)[] = [];
  const call = (address: string, ...args: (string | number)[]) =>
    router.handle(address, args, {}, (r) => {
      later.push(r);
      waiters.splice(0).forEach((w) => w());
    });
  /** Sends and returns the first reply, now or later. */
  const ask = async (address: string, ...args: (string | number)[]): Promise<OscReply> => {
    const now = call(address, ...args);
    if (now.length) return now[0];
    const deadline = Date.now() + 20000;
    while (!later.length) {
      if (Date.now() > deadline) throw new Error(`no reply to ${address}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return later.shift()!;
  };
  return { call, ask };
}

Deno.test("live: FLAC, MP3 and Ogg load through /sample/load and play through a sampler; damaged ones change nothing; the replay equals the output", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-formats-" });
  await Deno.writeFile(`${dir}/tone.flac`, encodeFlac(sineInts(1000, 1, 2, 16), 2, 16, SR));
  await Deno.writeFile(`${dir}/tone.mp3`, await encode("mp3", sinePlanar(1000, 1, 1)));
  await Deno.writeFile(`${dir}/tone.ogg`, await encode("ogg", sinePlanar(1000, 1, 2)));
  await Deno.writeFile(`${dir}/wav-inside.flac`, encodeWav16(sineInts(1000, 1, 1, 16), 1, SR));
  const good = await Deno.readFile(`${dir}/tone.flac`);
  await Deno.writeFile(`${dir}/cut.flac`, good.slice(0, good.length >> 1));
  const mp3 = await Deno.readFile(`${dir}/tone.mp3`);
  await Deno.writeFile(`${dir}/cut.mp3`, mp3.slice(0, (mp3.length >> 1) + 3));
  const ogg = await Deno.readFile(`${dir}/tone.ogg`);
  await Deno.writeFile(
    `${dir}/damaged.ogg`,
    ogg.map((v, i) => (i > ogg.length >> 1 && i < (ogg.length >> 1) + 8 ? ~v : v)),
  );
  const engine = await startLogged(dir, {
    seconds: 6,
    lead: TEST_LEAD,
    samples: { megabytes: 64, source: sampleSource(dir, dir) },
    patch: { modules: { out1: { type: "out" }, smp: { type: "sampler" } }, connections: [["smp", "out1.L"]] },
  });
  const { call, ask } = rig(engine, dir);
  try {
    for (
      const [name, file] of [["f", "tone.flac"], ["m", "tone.mp3"], ["o", "tone.ogg"], [
        "w",
        "wav-inside.flac",
      ]]
    ) {
      const r = await ask("/sample/load", name, file);
      assert.equal(r.address, "/sample/load.reply", JSON.stringify(r));
      // Lossless: every frame; lossy: the encoder's padding at most (LAME's delay is undone by mpg123).
      const frames = Number(r.args[1]);
      if (name === "f" || name === "w") assert.equal(frames, SR);
      else assert.ok(Math.abs(frames - SR) < 4096, `${file}: ${frames} frames`);
    }
    const list = JSON.stringify(call("/sample/list"));
    for (
      const [file, pattern] of [["cut.flac", /cut short/], ["cut.mp3", /cut short/], [
        "damaged.ogg",
        /checksum is wrong/,
      ]] as const
    ) {
      const r = await ask("/sample/load", "bad", file);
      assert.equal(r.address, "/error");
      assert.match(
        String(r.args[1]),
        new RegExp(`^"${file.replace(".", "\\.")}" is not a sample this engine reads: `),
      );
      assert.match(String(r.args[1]), pattern);
      assert.equal(JSON.stringify(call("/sample/list")), list, `${file}: /sample/list is unchanged`);
    }
    // Each plays in turn: 0.3 s of it, then the next.
    for (const name of ["f", "m", "o", "w"]) {
      assert.deepEqual(call("/mod/smp/sample", name), []);
      assert.deepEqual(call("/gate/smp", 1), []);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(call("/gate/smp", 0), []);
      assert.deepEqual(call("/mod/smp/sample", 0), []);
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    engine.stop();
  }
  const summary = await engine.finished;
  const out = readWav(await Deno.readFile(`${dir}/out.wav`)).samples;
  // Four stretches of tone on the left channel, each a clean 1 kHz.
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i < out.length / 2; i++) {
    const loud = Math.abs(out[2 * i]) > 0.05;
    if (loud && start < 0) start = i;
    if (!loud && start >= 0 && i - start > 200) {
      // a run ends at a gap of a whole period
      let quiet = true;
      for (let k = i; k < i + 96 && k < out.length / 2; k++) if (Math.abs(out[2 * k]) > 0.05) quiet = false;
      if (quiet) {
        runs.push([start, i]);
        start = -1;
      }
    }
  }
  assert.equal(runs.length, 4, `four tones played: ${JSON.stringify(runs)}`);
  for (const [a, b] of runs) {
    const hz = zeroCrossingHz(out, 2, 0, a + 2000, b - 2000);
    assert.ok(Math.abs(cents(hz, 1000)) < 0.5, `${hz} Hz`);
  }
  // The session log names the files; a replay decodes them again, to the same bytes, and renders the same.
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  assert.deepEqual(log.samples.map((s) => s.file), ["tone.flac", "tone.mp3", "tone.ogg", "wav-inside.flac"]);
  const replay = await replayLive(dir);
  const diff = firstDifferenceOutside(out, replay, summary.output.lateAt);
  assert.equal(diff, -1, `the live output differs from the replay at frame ${diff / 2}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("live: /patch/load decodes its samples in the sample worker, answers once they are in, and a refused file loads none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-patchload-" });
  await Deno.mkdir(`${dir}/patches`);
  await Deno.writeFile(`${dir}/tone.flac`, encodeFlac(sineInts(1000, 1, 1, 16), 1, 16, SR));
  await Deno.writeFile(`${dir}/tone.ogg`, await encode("ogg", sinePlanar(1000, 1, 1)));
  const file = (extra: Record<string, unknown>) =>
    JSON.stringify({
      samples: { f: "tone.flac", o: { file: "tone.ogg" } },
      modules: { out1: { type: "out" }, smp: { type: "sampler", params: { sample: "o" } }, ...extra },
      connections: [["smp", "out1.L"]],
    });
  await Deno.writeTextFile(`${dir}/patches/good.json`, file({}));
  await Deno.writeTextFile(`${dir}/patches/bad.json`, file({ x: { type: "nope" } }));
  await Deno.writeTextFile(
    `${dir}/patches/missing.json`,
    JSON.stringify({ samples: { f: "tone.flac", g: "nothing.flac" }, modules: { out1: { type: "out" } } }),
  );
  const engine = await startLogged(dir, {
    seconds: 6,
    lead: TEST_LEAD,
    samples: { megabytes: 64, source: sampleSource(dir, dir) },
  });
  const { call, ask } = rig(engine, dir);
  try {
    const bad = await ask("/patch/load", "bad.json");
    assert.equal(bad.address, "/error", JSON.stringify(bad));
    assert.match(String(bad.args[1]), /nope/);
    assert.deepEqual(engine.samples.list(), [], "a refused patch loads no sample");
    const missing = await ask("/patch/load", "missing.json");
    assert.equal(missing.address, "/error");
    assert.match(String(missing.args[1]), /nothing\.flac/);
    assert.deepEqual(engine.samples.list(), [], "a missing sample loads none of the others");
    const ok = await ask("/patch/load", "good.json");
    assert.equal(ok.address, "/patch/commit.reply", JSON.stringify(ok));
    assert.deepEqual(engine.samples.list().map((s) => s.name), ["f", "o"]);
    assert.equal(engine.patch.module("smp").params.sample, engine.samples.pool.idOf("o"));
    // Loaded already: a second load of the same file answers at once.
    assert.equal(call("/patch/load", "good.json")[0]?.address, "/patch/commit.reply");
  } finally {
    engine.stop();
  }
  await engine.finished;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a load that outlasts its time limit is refused plainly, changes nothing, and the next load works", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/tone.flac`, encodeFlac(sineInts(1000, 0.5, 1, 16), 1, 16, SR));
  const pool = new SamplePool(8, 0);
  const lib = new SampleLibrary(pool, sampleSource(dir, dir), new Patch(), SR);
  let limit = 1;
  const decoder = new SampleDecoder(pool.memory, () => limit);
  try {
    const before = JSON.stringify(pool.usage());
    await assert.rejects(
      lib.loadAsync("a", "tone.flac", (job, reserve) => decoder.load(job, reserve)),
      (e: Error) => e instanceof ClientError && /"tone\.flac" took longer than 0 s to load/.test(e.message),
    );
    assert.equal(JSON.stringify(pool.usage()), before);
    assert.deepEqual(pool.list(), []);
    limit = 60_000;
    const info = await lib.loadAsync("a", "tone.flac", (job, reserve) => decoder.load(job, reserve));
    assert.equal(info.frames, SR / 2);
  } finally {
    decoder.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the sample worker writes the data into the pool: the entry's levels hold the decoded samples", async () => {
  const dir = await Deno.makeTempDir();
  const ints = sineInts(1000, 0.2, 2, 16);
  await Deno.writeFile(`${dir}/tone.flac`, encodeFlac(ints, 2, 16, SR));
  const pool = new SamplePool(8, 0);
  const lib = new SampleLibrary(pool, sampleSource(dir, dir), new Patch(), SR);
  const decoder = new SampleDecoder(pool.memory);
  try {
    const info = await lib.loadAsync("a", "tone.flac", (job, reserve) => decoder.load(job, reserve));
    const table = new Int32Array(pool.memory.buffer);
    const e = info.id * L.POOL_ENTRY_WORDS;
    assert.deepEqual(
      [table[e + L.POOL_E_READY], table[e + L.POOL_E_FRAMES], table[e + L.POOL_E_CHANNELS]],
      [1, ints.length / 2, 2],
    );
    const level0 = new Float32Array(pool.memory.buffer, table[e + L.POOL_E_LEVEL_AT], ints.length);
    for (let i = 0; i < ints.length; i++) if (level0[i] * 32768 !== ints[i]) assert.fail(`sample ${i}`);
  } finally {
    decoder.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("live: a name freed and loaded again gets a new id, and the session replays bit for bit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-reload-" });
  await Deno.writeFile(`${dir}/a.wav`, encodeWav16(sineInts(1000, 1, 1, 16), 1, SR));
  await Deno.writeFile(`${dir}/b.wav`, encodeWav16(sineInts(500, 1, 1, 16), 1, SR));
  const engine = await startLogged(dir, {
    seconds: 5,
    lead: TEST_LEAD,
    samples: { megabytes: 16, source: sampleSource(dir, dir) },
    patch: { modules: { out1: { type: "out" }, smp: { type: "sampler" } }, connections: [["smp", "out1.L"]] },
  });
  const { call, ask } = rig(engine, dir);
  const play = async (name: string) => {
    assert.deepEqual(call("/mod/smp/sample", name), []);
    assert.deepEqual(call("/gate/smp", 1), []);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(call("/gate/smp", 0), []);
    assert.deepEqual(call("/mod/smp/sample", 0), []);
    await new Promise((r) => setTimeout(r, 100));
  };
  try {
    assert.equal((await ask("/sample/load", "s", "a.wav")).address, "/sample/load.reply");
    await play("s");
    assert.deepEqual(call("/sample/free", "s"), [{ address: "/sample/free.reply", args: ["s"] }]);
    // Past the grace, the freed id is free again; the next load still takes a new one.
    await new Promise((r) => setTimeout(r, FREE_GRACE_MS + 200));
    assert.equal((await ask("/sample/load", "s", "b.wav")).address, "/sample/load.reply");
    await play("s");
  } finally {
    engine.stop();
  }
  const summary = await engine.finished;
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  assert.deepEqual(log.samples.map((s) => [s.name, s.id, s.file]), [["s", 1, "a.wav"], ["s", 2, "b.wav"]]);
  const out = readWav(await Deno.readFile(`${dir}/out.wav`)).samples;
  const replay = await replayLive(dir);
  let loud = 0;
  for (const x of out) loud = Math.max(loud, Math.abs(x));
  assert.ok(loud > 0.1, "both samples played");
  const diff = firstDifferenceOutside(out, replay, summary.output.lateAt);
  assert.equal(diff, -1, `the live output differs from the replay at frame ${diff / 2}`);
  await Deno.remove(dir, { recursive: true });
});
