// Listening (`/analyze`, `listen`, `render --analyze`): a real engine answers with the report of what it
// played, from the record tap or a module's probe; bad requests get /error and change nothing; a full queue is
// refused as busy, not left hanging; a crash of the analysis worker never touches the sound; the report of a
// 2 s window of a playing engine comes within 200 ms.
import assert from "node:assert/strict";
import { analyze } from "../analysis/analyze.ts";
import { describe as describeReport } from "../analysis/describe.ts";
import { translate } from "../cli/language.ts";
import type { PatchFile } from "../core/files.ts";
import { Engine } from "../engine/engine.ts";
import { checkSeconds, MAX_QUEUED, maxSeconds } from "../engine/listener.ts";
import { OscServer } from "../osc/server.ts";
import * as L from "../asm/layout.ts";
import { readWav } from "../core/wav.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { LISTEN_ROUTES } from "../osc/routes/listen.ts";
import type { RouteContext } from "../osc/routes/route.ts";
import { firstDifferenceOutside, replayLog, startLogged, TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";
import { TONE_PATCH_PATH } from "./tone.ts";

const root = new URL("..", import.meta.url).pathname;
const SR = 48000;

/** Two sine tones into the output: tone1 (440 Hz, level 0.5) and tone2 (660 Hz, level 0.25). */
const TWO_TONES: PatchFile = {
  modules: {
    tone1: { type: "vco", params: { wave: "sine", freq: 440, level: 0.5 } },
    tone2: { type: "vco", params: { wave: "sine", freq: 660, level: 0.25 } },
    out1: { type: "out" },
  },
  connections: [["tone1", "out1.L"], ["tone1", "out1.R"], ["tone2", "out1.L"], ["tone2", "out1.R"]],
};

const db = (a: number) => 20 * Math.log10(a);

interface Rig {
  engine: Engine;
  osc: OscServer;
  client: OscTestClient;
  dir: string;
  /** Sends one message and waits for its reply or its /error. */
  ask(address: string, ...args: (string | number)[]): Promise<{ reply?: unknown[]; error?: string }>;
  close(): Promise<void>;
}

async function rig(patch?: PatchFile, options: { faults?: boolean } = {}): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "chronus-listen-" });
  const engine = await Engine.start({
    ...(patch ? { patch } : {}),
    lead: TEST_LEAD,
    sink: { kind: "null" },
    allowFaultInjection: options.faults ?? false,
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir: dir });
  const client = new OscTestClient(osc.port);
  const ask = async (address: string, ...args: (string | number)[]) => {
    const from = client.received.length;
    await client.send(address, ...args);
    const r = await client.waitFor(
      (r) =>
        client.received.indexOf(r) >= from &&
        (r[0] === `${address}.reply` || (r[0] === "/error" && r[1] === address)),
      12_000,
    );
    return r[0] === "/error" ? { error: String(r[2]) } : { reply: r.slice(1) };
  };
  return {
    engine,
    osc,
    client,
    dir,
    ask,
    close: async () => {
      await client.close();
      await osc.close();
      await engine.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// Lets the engine play `ms` of audio.
const play = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("checkSeconds: a number in (0, the tap's length]; anything else is refused with the bounds", () => {
  assert.equal(checkSeconds(2, SR, 128), 2);
  assert.equal(checkSeconds("0.5", SR, 128), 0.5);
  assert.ok(Math.abs(maxSeconds(SR, 128) - 5.46) < 0.01);
  for (const bad of [-1, 0, 99, "abc", NaN, null, [1]]) {
    assert.throws(() => checkSeconds(bad, SR, 128), /seconds|at most 5\.46 s/);
  }
  assert.throws(() => checkSeconds(99, SR, 128), /at most 5\.46 s/);
});

Deno.test("listen: the language sends /analyze and /analyze/plot; too many words are refused", () => {
  assert.deepEqual(translate("listen").messages, [["/analyze"]]);
  assert.deepEqual(translate("listen 4 voice1").messages, [["/analyze", 4, "voice1"]]);
  assert.equal(translate("listen 4").expect, "/analyze.reply");
  assert.deepEqual(translate("listen plot a.png 3 voice1 overwrite").messages, [
    ["/analyze/plot", "a.png", 3, "voice1", "overwrite"],
  ]);
  assert.throws(() => translate("listen 1 2 3"), /listen \[SECONDS\] \[MODULE\]/);
  assert.throws(() => translate("listen plot"), /listen plot FILE/);
});

Deno.test("describe: silence says so plainly; a sound gets its level, peaks and clipping", () => {
  const silent = analyze(new Float32Array(2 * SR), { sampleRate: SR });
  assert.match(describeReport(silent), /^Silence: nothing reaches −90 dBFS in the last 1\.0 s\.$/);
  const x = new Float32Array(2 * SR);
  for (let i = 0; i < SR; i++) x[2 * i] = x[2 * i + 1] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / SR);
  const text = describeReport({ ...analyze(x, { sampleRate: SR, sequencerBpm: 175, limiterDb: -2.34 }) });
  assert.match(text, /peaks −6\.0 dBTP/);
  assert.match(text, /no clipping/i);
  assert.match(text, /175 BPM|sequencer 175/);
  assert.match(text, /limiter takes up to −2\.3 dB/);
});

Deno.test("/analyze: the window has the frames asked for; a silent engine is silent; a sine has its RMS", async () => {
  const silent = await rig();
  try {
    await play(300);
    const r = await silent.ask("/analyze", 0.25);
    assert.equal(r.error, undefined);
    const a = JSON.parse(String(r.reply![0]));
    assert.equal(a.window.frames, 0.25 * SR);
    assert.equal(a.window.seconds, 0.25);
    assert.equal(a.silent, true);
    assert.ok(a.window.startFrame >= 0 && a.window.startFrame % 128 === 0 || a.window.startFrame > 0);
  } finally {
    await silent.close();
  }
  const tones = await rig({
    modules: { tone1: TWO_TONES.modules.tone1, out1: { type: "out" } },
    connections: [["tone1", "out1.L"], ["tone1", "out1.R"]],
  });
  try {
    await play(1200);
    const r = await tones.ask("/analyze", 1);
    const a = JSON.parse(String(r.reply![0]));
    assert.equal(a.window.frames, SR);
    assert.equal(a.silent, false);
    // A sine of amplitude 0.5: RMS 0.5/√2, less what blocks the output played late (silence, in the tap as
    // in the sound) took away: this VM pauses threads now and then, and the count says by how much.
    const late = tones.engine.status().lateBlocks;
    const lost = 10 * Math.log10(Math.max(1e-3, 1 - (late * 128) / SR));
    for (const v of a.rmsDb) {
      const want = db(0.5 / Math.SQRT2);
      assert.ok(v < want + 0.1 && v > want + lost - 0.1, `RMS ${v} dB, ${late} late blocks`);
    }
    assert.equal(a.sequencerBpm, undefined, "no sequence plays");
    assert.equal(a.limiterDb, undefined, "the patch has no limiter");
  } finally {
    await tones.close();
  }
});

Deno.test("/analyze: bad arguments get /error and change nothing; more than the queue bound is busy", async () => {
  const r = await rig(TWO_TONES);
  try {
    await play(300);
    const before = JSON.stringify([...r.engine.patch.modules.values()]);
    const sent = r.engine.supervisor.metrics.toJSON();
    for (
      const [args, why] of [
        [[-1], /more than 0/],
        [[99], /at most 5\.46 s/],
        [["abc"], /No module "abc"/],
        [[1, "nosuch"], /No module "nosuch"/],
        [[1, "out1"], /out1 \(out\) has no audio output/],
        [[1, "tone1", 3], /expected \/analyze \[seconds\] \[module\]/],
      ] as [(string | number)[], RegExp][]
    ) {
      const a = await r.ask("/analyze", ...args);
      assert.equal(a.reply, undefined, `${args} answered`);
      assert.match(a.error!, why);
    }
    assert.equal(JSON.stringify([...r.engine.patch.modules.values()]), before, "the patch is as it was");
    assert.deepEqual(r.engine.supervisor.metrics.toJSON().failovers, sent.failovers);
    // A module's first request waits its window: the queue fills, the rest are refused at once.
    const from = r.client.received.length;
    for (let i = 0; i < MAX_QUEUED + 3; i++) await r.client.send("/analyze", 1, "tone2");
    const busy = await r.client.waitFor(
      (m) => r.client.received.indexOf(m) >= from && m[0] === "/error" && /busy/.test(String(m[2])),
      2000,
    );
    assert.match(String(busy[2]), new RegExp(`^busy: ${MAX_QUEUED} analyses queued$`));
    // The queued ones are answered, none hangs.
    const deadline = performance.now() + 8000;
    while (r.client.received.slice(from).length < MAX_QUEUED + 3 && performance.now() < deadline) {
      await play(50);
    }
    const mine = r.client.received.slice(from);
    assert.equal(mine.filter((m) => m[0] === "/analyze.reply").length, MAX_QUEUED);
    assert.equal(mine.filter((m) => m[0] === "/error").length, 3);
  } finally {
    await r.close();
  }
});

Deno.test("/analyze MODULE: the probe hears one module, not the mix; later requests are immediate", async () => {
  const r = await rig(TWO_TONES);
  try {
    await play(300);
    const t0 = performance.now();
    const first = await r.ask("/analyze", 0.5, "tone2");
    const firstMs = performance.now() - t0;
    assert.equal(first.error, undefined, first.error);
    const probe = JSON.parse(String(first.reply![0]));
    assert.ok(firstMs >= 450, `the first request waits its window (${firstMs.toFixed(0)} ms)`);
    // tone2 alone: a sine of amplitude 0.25 in both channels.
    for (const v of probe.rmsDb) assert.ok(Math.abs(v - db(0.25 / Math.SQRT2)) < 0.1, `probe RMS ${v}`);
    assert.equal(probe.window.frames, 0.5 * SR);
    const master = JSON.parse(String((await r.ask("/analyze", 0.5)).reply![0]));
    // The mix: two incoherent sines, 0.5 and 0.25.
    const mixRms = db(Math.sqrt((0.5 ** 2 + 0.25 ** 2) / 2));
    for (const v of master.rmsDb) assert.ok(Math.abs(v - mixRms) < 0.15, `master RMS ${v} (${mixRms})`);
    const t1 = performance.now();
    const again = await r.ask("/analyze", 0.5, "tone2");
    assert.ok(performance.now() - t1 < 300, "the probe stays on tone2: the next request is immediate");
    assert.ok(JSON.parse(String(again.reply![0])).window.startFrame > probe.window.startFrame);
    // A stereo module (L, R outputs) would be probed from both; tone1 now: the probe moves.
    const one = JSON.parse(String((await r.ask("/analyze", 0.3, "tone1")).reply![0]));
    for (const v of one.rmsDb) assert.ok(Math.abs(v - db(0.5 / Math.SQRT2)) < 0.1, `tone1 RMS ${v}`);
  } finally {
    await r.close();
  }
});

Deno.test("/analyze: a crash of the analysis worker answers its requests with an error and never touches the sound", async () => {
  const r = await rig(TWO_TONES, { faults: true });
  try {
    await play(300);
    const late = r.engine.status().lateBlocks;
    const pending = r.engine.analyze(1, "tone1");
    await play(50);
    r.engine.crashListener();
    await assert.rejects(pending, /the analysis worker failed/);
    const a = await r.ask("/analyze", 0.5);
    assert.equal(a.error, undefined, "a new worker answers the next request");
    assert.equal(JSON.parse(String(a.reply![0])).silent, false);
    assert.equal(r.engine.status().lateBlocks, late, "no block played late");
  } finally {
    await r.close();
  }
});

Deno.test("/analyze: 2 s of a playing engine (examples/dnb-175.json) within 200 ms; sequencer tempo and limiter", async () => {
  const patch = JSON.parse(await Deno.readTextFile(`${root}examples/dnb-175.json`)) as PatchFile;
  const r = await rig(patch);
  try {
    await play(2300);
    const ms: number[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const a = await r.ask("/analyze", 2);
      ms.push(performance.now() - t0);
      assert.equal(a.error, undefined, a.error);
      last = JSON.parse(String(a.reply![0]));
    }
    // The worker's own account of each analysis (thread CPU time) tells slow code from a busy machine: the
    // analysis itself must cost well under the budget on a CPU, and an answer over 200 ms is accepted only
    // when the evidence shows its thread was kept off the CPUs (it ran under half its analysis' wall time) or
    // it waited out the rest that back-to-back requests earn (workers/analysis_worker.ts REST_MS).
    const costs = r.engine.analysisCosts.slice(-20);
    assert.equal(costs.length, 20);
    const context = JSON.stringify(ms.map((m, i) => ({ ms: Math.round(m), ...costs[i] })));
    for (const [i, c] of costs.entries()) {
      if (c.cpuMs !== undefined) {
        assert.ok(c.cpuMs < 150, `analysis ${i} ran ${c.cpuMs} ms on a CPU: ${context}`);
      }
      if (ms[i] < 200) continue;
      const preempted = c.cpuMs !== undefined && c.cpuMs < c.analyseMs / 2;
      const rested = ms[i] - c.waitMs < 200;
      assert.ok(preempted || rested, `answer ${i} took ${ms[i].toFixed(0)} ms unexplained: ${context}`);
    }
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(
      `/analyze 2 on dnb-175: median ${sorted[10].toFixed(1)} ms, max ${sorted[19].toFixed(1)} ms; CPU per ` +
        `analysis median ${[...costs.map((c) => c.cpuMs ?? 0)].sort((a, b) => a - b)[10].toFixed(1)} ms`,
    );
    assert.ok(sorted[10] < 200, `the median answer took ${sorted[10].toFixed(0)} ms: ${context}`);
    assert.equal(last.sequencerBpm, 175);
    assert.equal(typeof last.limiterDb, "number");
    assert.ok((last.limiterDb as number) <= 0);
  } finally {
    await r.close();
  }
});

Deno.test("listen: deno task chronus prints sentences, --json the report; listen plot stays in plots/", async () => {
  const r = await rig(TWO_TONES);
  const chronus = (...words: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}cli/chronus.ts`, "--port", String(r.osc.port), ...words],
      stdout: "piped",
      stderr: "piped",
    }).output().then((o) => ({
      code: o.code,
      out: new TextDecoder().decode(o.stdout),
      err: new TextDecoder().decode(o.stderr),
    }));
  try {
    await play(1200);
    const text = await chronus("listen", "1");
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /peaks −2\.\d dBTP.*over the last 1\.0 s\./);
    assert.match(text.out, /No clipping/);
    const json = await chronus("--json", "listen", "1");
    assert.equal(json.code, 0, json.err);
    assert.equal(JSON.parse(json.out).window.frames, SR);
    const bad = await chronus("listen", "99");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /error: \/analyze: at most 5\.46 s can be analysed/);
    const outside = await r.ask("/analyze/plot", "../x.png");
    assert.match(outside.error!, /\.\./);
  } finally {
    await r.close();
  }
});

Deno.test({
  name: "listen: a 440 Hz voice is A4 with a finite loudness (the issue's acceptance)",
  fn: async () => {
    const patch = JSON.parse(await Deno.readTextFile(TONE_PATCH_PATH)) as PatchFile;
    const r = await rig(patch);
    try {
      r.engine.set("voice1", "freq", 440);
      r.engine.gate("voice1", true);
      await play(1300);
      const a = JSON.parse(String((await r.ask("/analyze", 1)).reply![0]));
      assert.equal(a.pitches[0].note, "A4");
      assert.ok(Number.isFinite(a.lufs));
      assert.match(describeReport(a), /A4/);
      const probe = JSON.parse(String((await r.ask("/analyze", 0.5, "voice1")).reply![0]));
      assert.equal(probe.pitches[0].note, "A4");
    } finally {
      await r.close();
    }
  },
});

Deno.test("render --analyze --json: only the report on stdout, with the render's window and the sequencer's tempo", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-listen-" });
  try {
    const run = (...more: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-P=render",
          `${root}cli/render.ts`,
          "--patch",
          `${root}examples/dnb-175.json`,
          "--out",
          `${dir}/out.wav`,
          "--seconds",
          "1.5",
          "--analyze",
          ...more,
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output().then((o) => ({ code: o.code, out: new TextDecoder().decode(o.stdout) }));
    const j = await run("--json");
    assert.equal(j.code, 0);
    const a = JSON.parse(j.out);
    assert.equal(a.window.frames, 1.5 * SR);
    assert.equal(a.window.startFrame, 0);
    assert.equal(a.sequencerBpm, 175);
    assert.equal(a.silent, false);
    const t = await run();
    assert.equal(t.code, 0);
    assert.match(t.out, /dBTP(, crest \d+ dB)? over the last 1\.5 s\./);
    assert.match(t.out, /17[456](\.\d)? BPM \(sequencer 175\)/);
    assert.ok((await Deno.stat(`${dir}/out.wav`)).size > 1.5 * SR * 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the probe changes no sample: a session that probed two modules replays bit for bit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-listen-" });
  try {
    const engine = await startLogged(dir, { patch: TWO_TONES, lead: TEST_LEAD });
    await play(300);
    const a = await engine.analyze(0.3, "tone2");
    assert.equal(a.silent, false);
    await engine.analyze(0.2, "tone1");
    engine.set("tone2", "freq", 550);
    await engine.analyze(0.2, "tone2");
    const summary = await engine.stop();
    const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
    assert.equal(log.commands.filter((c) => c.op === L.OP_PROBE).length, 3, "each probe is a logged command");
    const live = readWav(await Deno.readFile(`${dir}/out.wav`)).samples;
    const replay = await replayLog(`${dir}/s.jsonl`);
    assert.equal(firstDifferenceOutside(live, replay.samples, summary.output.lateAt), -1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/analyze refuses an untrusted (remote, not --osc-allow) sender before any work: no reflection", () => {
  let asked = 0;
  const ctx = { engine: { analyze: () => (asked++, Promise.resolve({})) } } as unknown as RouteContext;
  for (const r of LISTEN_ROUTES) {
    const call = {
      address: r.address,
      args: r.address === "/analyze" ? [1] : ["x.png"],
      when: "bar",
      path: {},
      delivery: {},
      peer: { subscribe: () => {}, trusted: false },
    } as const;
    assert.throws(() => r.handle(ctx, [], call), /goes only to loopback or --osc-allow senders/);
  }
  assert.equal(asked, 0);
});

Deno.test("/analyze MODULE through a failover: the new primary's probe ring carries on", async () => {
  // The primary traps at block 600 (1.6 s): the probe, on from ~0.4 s, is read from the standby's ring after.
  const r = await Engine.start({
    patch: TWO_TONES,
    lead: TEST_LEAD,
    sink: { kind: "null" },
    allowFaultInjection: true,
    injections: [{ kind: "trap", role: "primary", block: 600 }],
  });
  try {
    await play(300);
    const first = await r.analyze(0.5, "tone2");
    for (const v of first.rmsDb) assert.ok(Math.abs(v - db(0.25 / Math.SQRT2)) < 0.1);
    await play(1500);
    assert.ok(r.supervisor.metrics.failovers >= 1, "the primary failed over");
    const after = await r.analyze(1, "tone2");
    assert.ok(after.window.startFrame + after.window.frames > 600 * 128);
    for (const v of after.rmsDb) assert.ok(Math.abs(v - db(0.25 / Math.SQRT2)) < 0.1, `RMS ${v}`);
  } finally {
    await r.stop();
  }
});
