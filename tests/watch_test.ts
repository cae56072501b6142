// The live view: the drawing as a pure function of a snapshot, /view against a real engine (its size bound
// with 16 voices and many tracks, the remote refusal), and `chronus watch` as a subprocess in non-TTY mode.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { drawView, markStep, METER_FLOOR_DB, meterCells } from "../cli/view_draw.ts";
import { Engine } from "../engine/engine.ts";
import { OscRouter } from "../osc/router.ts";
import { OscServer } from "../osc/server.ts";
import { VIEW_MAX_BYTES, type ViewSnapshot } from "../osc/view.ts";
import { DEFAULT_PATCH_URL, readPatchFile } from "../patch/default_patch.ts";
import { TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";

const root = new URL("..", import.meta.url).pathname;

const SNAPSHOT: ViewSnapshot = {
  uptimeS: 12.3,
  sampleRate: 48000,
  block: 128,
  health: {
    active: 0,
    redundant: true,
    failovers: 2,
    lateBlocks: 1,
    underflows: 0,
    divergences: 0,
    latencyMs: 16,
    cpu: 0.12,
  },
  position: { bar: 3, beat: 2, bpm: 175 },
  modules: [["voice1", "voice", 0], ["drums", "drums", -30], ["master", "limiter", -120]],
  levels: [-6, -7],
  spectrum: [-20, -30, -40, -50, -60, -70, -80, -90],
  tracks: [["kick", "x.x.X.x-", 4, 0]],
  events: [[1.5, "failover", "slot 0 trapped; slot 1 plays"], [
    3,
    "clamped",
    "/mod/voice1/freq 99999 → 20000",
  ]],
  more: { modules: 0, tracks: 0 },
};

Deno.test("drawView: bars proportional to level, the step marked, events listed, the width respected", () => {
  const lines = drawView(SNAPSHOT, 60, 40);
  for (const l of lines) assert.ok([...l].length <= 60, `too long: ${l}`);
  const row = (name: string) => lines.find((l) => l.startsWith(name))!;
  const cells = (l: string) => [...l].filter((c) => c === "█").length;
  const full = cells(row("voice1")), half = cells(row("drums")), none = cells(row("master"));
  assert.ok(full > 20, row("voice1"));
  assert.equal(half, Math.round(full / 2), `−30 dB is half of a ${-METER_FLOOR_DB} dB bar`);
  assert.equal(none, 0);
  assert.equal(meterCells(-15, 40), 30);
  assert.match(row("kick"), /x\.x\.\[X\]\.x-/);
  assert.equal(markStep("x.x.", -1), "x.x.");
  assert.ok(lines.some((l) => /failover: slot 0 trapped/.test(l)));
  assert.ok(lines.some((l) => /clamped: \/mod\/voice1\/freq/.test(l)));
  assert.match(
    drawView(SNAPSHOT, 140, 40)[0],
    /slot 0 \+ standby · failovers 2 · late 1 .* latency 16\.0 ms · cpu 12%/,
  );
  assert.ok(lines[0].endsWith("…"), "a long line is cut, and says so");
  assert.match(lines[1], /bar 3\.2 · 175 BPM/);
  // A narrow, short terminal: every line fits, and the module list is cut and counted first.
  const small = drawView(
    { ...SNAPSHOT, modules: Array.from({ length: 30 }, (_, i) => [`v${i}`, "voice", -10]) },
    30,
    20,
  );
  assert.ok(small.length <= 20);
  for (const l of small) assert.ok([...l].length <= 30, `too long: ${l}`);
  assert.ok(small.some((l) => /more modules/.test(l)));
  assert.ok(small.some((l) => /failover/.test(l)), "events still shown");
});

async function engineWithOsc(voices: number) {
  const patch = readPatchFile({ file: DEFAULT_PATCH_URL, voices });
  const engine = await Engine.start({ patch, lead: TEST_LEAD, seconds: 60, sink: { kind: "null" } });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const stop = async () => {
    await osc.close();
    await engine.stop();
  };
  return { engine, osc, stop };
}

Deno.test("/view against a real engine: the patch's modules, sane values, under its size bound with 16 voices and 16 tracks", async () => {
  const { engine, osc, stop } = await engineWithOsc(16);
  const client = new OscTestClient(osc.port);
  try {
    const voices = [...engine.patch.modules.keys()].filter((n) => /^voice/.test(n));
    assert.equal(voices.length, 16);
    for (let t = 0; t < L.SEQ_TRACKS; t++) { // as many tracks as the sequencer holds
      const pattern = "x.X-".repeat(16); // 64 steps
      await client.send("/seq/add", `track${t}`, voices[t % 16], pattern, "C3", "E3", "G3", "now");
    }
    await client.send("/seq/start");
    await client.send("/mod/voice1/gain", 0.5);
    await client.send("/frobnicate"); // an error the view lists
    await new Promise((r) => setTimeout(r, 600));
    client.received.length = 0;
    await client.send("/view");
    const [, json] = await client.waitFor((r) => r[0] === "/view.reply");
    const bytes = new TextEncoder().encode(String(json)).length;
    assert.ok(bytes < VIEW_MAX_BYTES, `${bytes} bytes`);
    const s = JSON.parse(String(json)) as ViewSnapshot;
    assert.deepEqual(s.modules.map(([n]) => n), [...engine.patch.modules.keys()]);
    assert.ok(s.modules.every(([, , db]) => db <= 6 && db >= -120));
    assert.equal(s.sampleRate, engine.sampleRate);
    assert.ok(s.health.redundant && s.health.active >= 0);
    assert.equal(s.health.latencyMs, (TEST_LEAD * engine.block * 1000) / engine.sampleRate);
    assert.ok(s.position && s.position.bar >= 1 && s.position.beat >= 1 && s.position.beat <= 4);
    assert.equal(s.tracks.length, 16);
    assert.equal(s.more.tracks, 0);
    for (const [, steps, step] of s.tracks) {
      assert.equal(steps.length, 32);
      assert.ok(step >= 0 && step < 32);
    }
    assert.ok(
      s.events.some(([, type, m]) => type === "error" && /frobnicate/.test(m)),
      JSON.stringify(s.events),
    );
    assert.ok(s.modules.some(([, , db]) => db > -60), "something sounds");
  } finally {
    await client.close();
    await stop();
  }
});

Deno.test("/view refuses a remote peer (a reflection amplifier) and answers a local one", async () => {
  const { engine, stop } = await engineWithOsc(2);
  try {
    const r = new OscRouter(engine);
    const remote = r.handle("/view", [], {}, undefined, { subscribe() {}, trusted: false });
    assert.equal(remote[0].address, "/error");
    assert.match(String(remote[0].args[1]), /only on this machine/);
    const local = r.handle("/view", [], {}, undefined, { subscribe() {}, trusted: true });
    assert.equal(local[0].address, "/view.reply");
  } finally {
    await stop();
  }
});

async function watchRun(port: number, args: string[], signalAfterMs?: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}cli/chronus.ts`, "watch", "--port", String(port), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (signalAfterMs !== undefined) {
    await new Promise((r) => setTimeout(r, signalAfterMs));
    child.kill("SIGINT");
  }
  const o = await child.output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
}

Deno.test("chronus watch, not a terminal: summary lines, then a clean exit after --seconds or on SIGINT", async () => {
  const { osc, stop } = await engineWithOsc(4);
  try {
    const t0 = performance.now();
    const timed = await watchRun(osc.port, ["--seconds", "2"]);
    const ms = performance.now() - t0;
    assert.equal(timed.code, 0, timed.err);
    const lines = timed.out.trim().split("\n");
    assert.ok(lines.length >= 2 && lines.length <= 4, timed.out);
    assert.match(
      lines[lines.length - 1],
      /^up [0-9.]+s · .* · slot [01]\+standby · failovers 0 · .*loudest /,
    );
    assert.ok(!timed.out.includes("\x1b["), "no escape sequences in a pipe");
    assert.ok(ms < 8000, `${ms} ms`);
    const interrupted = await watchRun(osc.port, [], 2500);
    assert.equal(interrupted.code, 0, interrupted.err);
    assert.match(interrupted.out, /up [0-9.]+s/);
    const nobody = await watchRun(1, ["--seconds", "1.2"]);
    assert.equal(nobody.code, 1);
    assert.match(nobody.err, /no answer from 127\.0\.0\.1:1|cannot send/);
  } finally {
    await stop();
  }
});
