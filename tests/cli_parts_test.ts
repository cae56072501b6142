// The parts of main.ts, without an engine: the flag table and its checks, the sink choice without PortAudio,
// the status and stop lines, the console's replies and line reader, and the exercise pattern's frames.
import assert from "node:assert/strict";
import { FLAGS, HELP, type Options, parseFlags, type Request, UsageError } from "../cli/flags.ts";
import { chooseSink } from "../cli/sink_choice.ts";
import { type RunSummary, type Status, statusLine, stopLines } from "../cli/status_line.ts";
import { isQuit, readLines, type Reply, replyText, runLine } from "../cli/console.ts";
import { startExercise } from "../cli/exercise.ts";
import { ClientError } from "../core/errors.ts";

const run = (args: string[]): Options => {
  const r: Request = parseFlags(args);
  assert.equal(r.action, "run");
  return (r as { options: Options }).options;
};

Deno.test("flags: one table gives parseArgs its options and --help its lines", () => {
  const lines = HELP.split("\n");
  for (const f of FLAGS) {
    // Every flag is accepted, and every flag with help has its line, with the value's name.
    const args = f.type === "switch" ? [`--${f.name}`] : [`--${f.name}`, "1"];
    assert.doesNotThrow(() => {
      try {
        parseFlags(args);
      } catch (e) {
        if (/Unknown option/.test((e as Error).message)) throw e;
      }
    });
    if (f.help.length === 0) continue;
    const head = `  --${f.name}${"value" in f ? ` ${f.value}` : ""} `;
    const at = lines.findIndex((l) => l.startsWith(head));
    assert.ok(at >= 0, `--help has no line for --${f.name}`);
    const shown = (line: string) => line.replaceAll("{default}", String("default" in f ? f.default : ""));
    assert.equal(lines[at].slice(29), shown(f.help[0]), `--${f.name}'s help starts in column 29`);
    for (let i = 1; i < f.help.length; i++) assert.equal(lines[at + i], " ".repeat(29) + shown(f.help[i]));
    if ("default" in f) assert.ok(lines[at].includes(String(f.default)), `--${f.name} shows its default`);
  }
  assert.match(
    HELP,
    /--osc-port PORT {12}OSC\/UDP port \(default 5005; 0 = any free port\); --no-osc: no OSC/,
  );
  assert.match(HELP, /^ {2}--sample-rate HZ {11}default 48000$/m);
  assert.match(HELP, /^ {2}--allow-fault-injection {4}allow --inject$/m);
});

Deno.test("flags: no flags give the defaults as typed options", () => {
  const o = run(["--sink", "null"]);
  assert.deepEqual(o.engine, {
    sampleRate: 48000,
    block: 128,
    lead: "auto",
    seed: 1,
    seconds: undefined,
    realtime: true,
    logPath: undefined,
    injections: [],
    allowFaultInjection: false,
    restartLimit: 5,
    record: undefined,
    steal: "oldest",
    realtimeThreads: { mode: "auto" },
    samples: { megabytes: 256, source: { area: "samples", root: "chronus-data" } },
  });
  assert.deepEqual(o.sink, { kind: "null" });
  assert.equal(o.verbose, false);
  assert.deepEqual(run(["--realtime", "fifo:70", "--verbose"]).engine.realtimeThreads, {
    mode: "fifo",
    priority: 70,
  });
  assert.throws(() => parseFlags(["--realtime", "max"]), /^Error: --realtime max: expected auto, off/);
  assert.equal(o.patch?.shown, "patches/default.json");
  assert.ok(Deno.statSync(o.patch!.file).isFile, "the default patch is found from any directory");
  assert.deepEqual(o.osc, { host: "127.0.0.1", port: 5005, loopback: true });
  assert.deepEqual([o.dataDir, o.set, o.exercise, o.summary, o.stdin, o.quiet], [
    "chronus-data",
    [],
    undefined,
    undefined,
    false,
    false,
  ]);
  const p = run([
    ...["--out", "x.wav", "--fast", "--duration", "2.5", "--record", "r.wav", "--record-format", "24"],
    ...["--allow-fault-injection", "--inject", "trap@primary:5", "--inject", "poison:9", "--no-osc"],
    ...["--set", "gain=0.3", "--set", "voice1.freq=220", "--exercise", "7", "--patch", "none"],
  ]);
  assert.deepEqual(p.sink, { kind: "wav", path: "x.wav" });
  assert.equal(p.engine.seconds, 2.5);
  assert.equal(p.engine.realtime, false);
  assert.deepEqual(p.engine.record, { path: "r.wav", format: "pcm24" });
  assert.deepEqual(p.engine.injections, [
    { kind: "trap", role: "primary", block: 5 },
    { kind: "poison", block: 9 },
  ]);
  assert.deepEqual([p.osc, p.patch, p.set, p.exercise], [undefined, undefined, [
    "gain=0.3",
    "voice1.freq=220",
  ], 7]);
  assert.deepEqual(run(["--device", "usb", "--latency", "8", "--tap", "t.wav"]).sink, {
    kind: "portaudio",
    verbose: false,
    required: true,
    device: "usb",
    latencyMs: 8,
    tap: "t.wav",
  });
  assert.equal(
    (run([]).sink as { required: boolean }).required,
    false,
    "no --sink: PortAudio if it can play",
  );
});

Deno.test("flags: --voices and $CHRONUS_NUM_VOICES size the default patch (the flag wins)", () => {
  const voices = (args: string[], env?: string) => {
    const r = parseFlags(args, env) as { options: Options };
    return r.options.patch?.voices;
  };
  assert.equal(voices([], undefined), 4, "the seed's default");
  assert.equal(voices([], "8"), 8);
  assert.equal(voices([], ""), 4, "an empty variable is no variable");
  assert.equal(voices(["--voices", "16"], "8"), 16, "the flag wins");
  assert.equal(voices(["--voices", "1"]), 1);
  assert.equal(voices(["--patch", "mine.json"], "8"), undefined, "the variable leaves another patch alone");
  const refusals: [string[], string | undefined, RegExp][] = [
    [["--voices", "0"], undefined, /^--voices "0": the default patch has 1…16 voices$/],
    [["--voices", "17"], "4", /^--voices "17": the default patch has 1…16 voices$/],
    [["--voices", "2.5"], undefined, /^--voices "2.5"/],
    [[], "32", /^\$CHRONUS_NUM_VOICES "32": the default patch has 1…16 voices$/],
    [[], "eight", /^\$CHRONUS_NUM_VOICES "eight"/],
    [["--voices", "8", "--patch", "mine.json"], undefined, /^--voices sizes the default patch/],
  ];
  for (const [args, env, message] of refusals) {
    assert.throws(
      () => parseFlags(args, env),
      (e) => e instanceof UsageError && message.test(e.message),
      `${args.join(" ")} (env ${env})`,
    );
  }
});

Deno.test("flags: --viz-port is off unless asked, and a port", () => {
  assert.equal(run([]).vizPort, undefined);
  assert.equal(run(["--viz-port", "5006"]).vizPort, 5006);
  for (
    const [text, message] of [["0", /^--viz-port 0 is not a port/], [
      "x",
      /^--viz-port needs a number/,
    ]] as const
  ) {
    assert.throws(
      () => parseFlags(["--viz-port", text]),
      (e) => e instanceof UsageError && message.test(e.message),
    );
  }
});

Deno.test("flags: help, schema and the device list come first; then the first bad flag, in plain words", () => {
  assert.deepEqual(parseFlags(["--help", "--seed", "x"]), { action: "help" });
  assert.deepEqual(parseFlags(["--schema", "--channels", "3"]), { action: "schema" });
  assert.deepEqual(parseFlags(["--list-devices", "--sink", "foo"]), {
    action: "list-devices",
    verbose: false,
  });
  const refusals: [string[], RegExp][] = [
    [["--bogus"], /^Unknown option '--bogus' \(see --help\)$/],
    [["x"], /^Unexpected argument 'x'.*\(see --help\)$/],
    [["--seed"], /argument missing \(see --help\)$/],
    [["--list-devices", "--channels", "3"], /^--channels 3: the engine renders 2 channels \(stereo\)/],
    [["--channels", "abc"], /^--channels needs a number, got "abc"$/],
    [["--record-format", "16"], /^--record-format: unknown recording format "16" \(float32 or 24\)$/],
    [["--record", "a.wav", "--out", "./a.wav"], /^--record a.wav is also the --out file$/],
    [["--record", "a.wav", "--tap", "a.wav"], /^--record a.wav is also the --tap file$/],
    [["--sink", "foo"], /^--sink must be null, wav or portaudio, got "foo"$/],
    [["--sink", "wav"], /^--sink wav needs --out FILE$/],
    [["--latency", "abc"], /^--latency needs a number, got "abc"$/],
    [["--inject", "trap@primary:5"], /^--inject needs --allow-fault-injection$/],
    [["--inject", "wobble"], /^Cannot parse --inject "wobble"/],
    [
      ["--osc-host", "10.1.2.3"],
      /^--osc-host 10.1.2.3 is not a loopback address: .* add --osc-allow-remote$/,
    ],
    [["--sample-rate", "x"], /^--sample-rate needs a number, got "x"$/],
    [["--block", "x"], /^--block needs a number/],
    [["--lead", "six"], /^--lead six: expected a number of blocks or "auto"$/],
    [["--duration", "soon"], /^--duration needs a number/],
    [["--restart-limit", "x"], /^--restart-limit needs a number/],
    [["--osc-port", "x"], /^--osc-port needs a number/],
    [["--exercise", "x"], /^--exercise needs a number/],
  ];
  for (const [args, message] of refusals) {
    assert.throws(
      () => parseFlags(args),
      (e) => e instanceof UsageError && message.test(e.message),
      args.join(" "),
    );
  }
  // What a sink does not use is not checked for it, as before.
  assert.equal(run(["--sink", "null", "--latency", "abc"]).sink.kind, "null");
  assert.equal(run(["--no-osc", "--osc-port", "x", "--osc-host", "10.1.2.3"]).osc, undefined);
  assert.throws(() => run(["--osc-host", "10.1.2.3", "--osc-allow-remote"]), /needs --osc-allow CIDR/);
  assert.throws(
    () => run(["--osc-host", "10.1.2.3", "--osc-allow-remote", "--osc-allow", "10.0.0/8"]),
    /--osc-allow: "10.0.0\/8" is not/,
  );
  const remote = run(["--osc-host", "10.1.2.3", "--osc-allow-remote", "--osc-allow", "10.0.0.0/8, ::1"]).osc;
  assert.ok(remote?.loopback === false);
  assert.deepEqual(remote?.allow, ["10.0.0.0/8", "::1"]);
});

Deno.test("sink choice: null and wav as asked; without PortAudio the null sink with a hint, or an error", () => {
  assert.deepEqual(chooseSink({ kind: "null" }, 48000), { sink: { kind: "null" } });
  assert.deepEqual(chooseSink({ kind: "wav", path: "o.wav" }, 48000), {
    sink: { kind: "wav", path: "o.wav" },
  });
  const before = Deno.env.get("CHRONUS_PORTAUDIO_LIB");
  Deno.env.set("CHRONUS_PORTAUDIO_LIB", "/nonexistent/libportaudio.so.2");
  try {
    const c = chooseSink({ kind: "portaudio", required: false }, 48000);
    assert.deepEqual(c.sink, { kind: "null" });
    assert.match(c.fallback!, /^PortAudio not found \(.*\): playing into the null sink$/);
    assert.throws(() => chooseSink({ kind: "portaudio", required: true }, 48000), /PortAudio not found/);
  } finally {
    if (before === undefined) Deno.env.delete("CHRONUS_PORTAUDIO_LIB");
    else Deno.env.set("CHRONUS_PORTAUDIO_LIB", before);
  }
});

Deno.test("status and stop lines", () => {
  const s: Status = {
    uptimeS: 12.345,
    outBlock: 4629,
    activeSlot: 1,
    redundant: false,
    failovers: 1,
    lateBlocks: 2,
    mergedBlocks: 3,
    underflows: 0,
    quarantined: 0,
    zombies: 0,
    cpu: { slot1: 0.0312 },
  };
  assert.equal(
    statusLine(s),
    "[chronus] 12.3 s · block 4629 · active slot 1 · SINGLE · failovers 1 · late 2 · merged 3 · underflows 0 · " +
      "quarantined 0 · cpu slot1 3.1%",
  );
  assert.match(
    statusLine({ ...s, zombies: 1 }, 4.25),
    / · quarantined 0 · zombies 1 · cpu slot1 3.1% · rec 4.3 s$/,
  );
  assert.match(
    statusLine({ ...s, realtime: "fifo 4 (output), fifo 3 (dsp ×2), shared memory locked" }),
    / · cpu slot1 3\.1% · realtime fifo 4 \(output\), fifo 3 \(dsp ×2\), shared memory locked$/,
  );
  const summary: RunSummary = {
    frames: 96000,
    lateBlocks: 0,
    mergedBlocks: 1,
    metrics: { failovers: 1, quarantined: 0, divergences: 0, zombies: 0 },
    recording: { path: "/tmp/r.wav", format: "pcm24", frames: 96000, seconds: 2, lostFrames: 128 },
  };
  assert.deepEqual(stopLines(summary, 48000, false), [
    "[chronus] stopped after 2.00 s: failovers 1, late blocks 0, merged 1, quarantined 0, divergences 0, zombies 0",
    "[chronus] recorded 2.00 s (96000 frames, pcm24) to /tmp/r.wav; 128 frames lost to overruns, recorded as silence",
  ]);
  assert.deepEqual(
    stopLines({ ...summary, recording: undefined, recordingError: "disk full" }, 48000, true),
    [
      "[chronus] the recording failed: disk full",
    ],
  );
});

Deno.test("console: replies and errors in plain words, quit, lines split anywhere", async () => {
  assert.deepEqual(replyText({ address: "/error", args: ["/voice1/freq", "Cannot set"] }), {
    text: "error: Cannot set",
    stderr: true,
  });
  assert.deepEqual(replyText({ address: "/engine/status.reply", args: ["{}"] }), {
    text: "{}",
    stderr: false,
  });
  assert.deepEqual(replyText({ address: "/x", args: [1, "a"] }), { text: "/x 1 a", stderr: false });
  assert.ok(isQuit(" quit ") && isQuit("exit") && !isQuit("quit now"));
  const sent: unknown[] = [];
  const router = {
    handle(address: string, args: (number | string)[]): Reply[] {
      sent.push([address, ...args]);
      return [];
    },
  };
  assert.equal(runLine(router, "set voice1.freq 220"), true);
  assert.equal(runLine(router, "quit"), false);
  assert.deepEqual(sent, [["/mod/voice1/freq", 220]]);

  const stream = (chunks: string[]) => ReadableStream.from(chunks.map((c) => new TextEncoder().encode(c)));
  const got: string[] = [];
  const onLine = (l: string) => (got.push(l), !isQuit(l));
  assert.equal(await readLines(stream(["a b\nc", "d\n", "quit\nnever\n"]), onLine), true);
  assert.deepEqual(got, ["a b", "cd", "quit"]);
  assert.equal(await readLines(stream(["x\ny"]), onLine), false, "the end of input, no quit");
  assert.deepEqual(got.slice(3), ["x"]);
});

Deno.test("exercise: voice1's gate at frame 0, then the scale every N blocks at block·B + 17", async () => {
  const sent: (string | number | boolean)[][] = [];
  const engine = {
    running: true,
    outBlock: 0,
    block: 128,
    set: (m: string, p: string, v: number, frame: number) => sent.push([m, p, v, frame]),
    gate: (m: string, on: boolean, v: number, frame: number) => sent.push([m, on, v, frame]),
  };
  const stop = startExercise(engine, 7.9, (m) => assert.fail(m));
  await new Promise((r) => setTimeout(r, 60));
  stop();
  assert.deepEqual(sent, [
    ["voice1", true, 1, 0],
    ["voice1", "freq", 220, 7 * 128 + 17],
    ["voice1", "freq", 247.5, 14 * 128 + 17],
    ["voice1", "freq", 275, 21 * 128 + 17],
    ["voice1", "freq", 293.3, 28 * 128 + 17],
  ]);
  // A patch without voice1: the reason is reported and nothing is sent.
  const reports: string[] = [];
  const none = startExercise(
    {
      ...engine,
      gate: () => {
        throw new ClientError('No module "voice1" in the patch');
      },
    },
    7,
    (m) => reports.push(m),
  );
  none();
  assert.deepEqual(reports, ['--exercise plays voice1: No module "voice1" in the patch']);
});
