// chronus: starts the engine. `deno task start --help` lists the flags.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { translate } from "./cli/language.ts";
import type { EngineEvent } from "./engine/supervisor.ts";
import { Engine, type EngineStatus } from "./engine/engine.ts";
import { type Injection, parseInjection } from "./engine/faults.ts";
import * as L from "./asm/layout.ts";
import type { SinkSpec } from "./core/messages.ts";
import { chooseDevice, deviceTable, PortAudio } from "./ffi/portaudio.ts";
import type { PatchFile } from "./core/files.ts";
import { schemaJson } from "./patch/schema.ts";
import { OscServer } from "./osc/server.ts";
import { type OscReply, OscRouter } from "./osc/router.ts";
import { describe } from "./cli/chronus.ts";
import { parseRecordFormat } from "./engine/recorder.ts";
import type { WavFormat } from "./core/wav.ts";

const DEFAULT_PATCH = new URL("./patches/default.json", import.meta.url);

const HELP = `chronus — a fault-tolerant modular synthesizer engine

Usage: deno task start [flags]

  --sink null|wav|portaudio  where the audio goes (default: portaudio when the library and a device exist,
                             else null with a hint; wav when --out is given)
  --list-devices             list PortAudio output devices and exit
  --device NAME|INDEX        PortAudio output device (name or a part of it, or its index)
  --latency MS               suggested PortAudio output latency (default: the device's low latency)
  --tap FILE                 with --sink portaudio: also write exactly what went to the device to a WAV
  --channels N               output channels: the engine renders stereo, so 2 (other values are refused)
  --out FILE                 WAV file for --sink wav (32-bit float, every frame from frame 0)
  --fast                     render the wav sink as fast as possible instead of in real time
  --record FILE              record the output from frame 0 into a WAV file (any sink), written off the audio
                             path, flushed every 0.5 s, finalized at exit; also "record start" at any time
  --record-format F          float32 (default: the output exactly) or 24 (24-bit PCM)
  --sample-rate HZ           default 48000
  --block FRAMES             frames per block, default 128
  --lead BLOCKS              blocks rendered ahead of the output, default 6
  --seed N                   PRNG seed of the DSP, default 1
  --duration SECONDS         run this long, then stop cleanly (default: until Ctrl-C)
  --log FILE                 session log (JSON Lines) for deno task render --replay
  --patch FILE|none          patch loaded at start (default: patches/default.json; patches/tone.json: one
                             voice; none: an empty patch, silent)
  --patterns DIR             where pattern save/load keep their files (default: patterns)
  --schema                   print every module type's ports and parameters as JSON and exit
  --osc-host HOST            OSC/UDP address to listen on (default 127.0.0.1)
  --osc-port PORT            OSC/UDP port (default 5005; 0 = any free port); --no-osc: no OSC server
  --osc-allow-remote         allow a non-loopback --osc-host (OSC has no authentication)
  --set MOD.PARAM=VALUE      initial parameter (e.g. voice1.freq=220), repeatable
  --exercise BLOCKS          play voice1 and change its pitch every BLOCKS blocks (a deterministic test pattern)
  --summary FILE             write the run summary as JSON at exit
  --allow-fault-injection    allow --inject
  --inject SPEC              KIND@primary|standby:BLOCK (KIND trap, throw, hang, hang-forever, exit, nan)
                             or poison:BLOCK; repeatable
  --restart-limit N          failures in 10 s before rebuilding backs off, default 5
  --stdin                    read commands from stdin even when it is not a terminal (pipes, agents)
  --quiet                    no status lines
  --help                     this text

While it runs, type the text commands of "deno task chronus" on stdin ("set voice1.freq 220", "gate voice1 on",
"note voice2 C3 0.8 0.5", "status", "list", "record start take.wav", "record stop", "quit").`;

function fail(message: string): never {
  console.error(`chronus: ${message}`);
  Deno.exit(2);
}

function parse() {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        sink: { type: "string" },
        out: { type: "string" },
        "list-devices": { type: "boolean", default: false },
        device: { type: "string" },
        latency: { type: "string" },
        tap: { type: "string" },
        channels: { type: "string", default: "2" },
        fast: { type: "boolean", default: false },
        record: { type: "string" },
        "record-format": { type: "string", default: "float32" },
        "sample-rate": { type: "string", default: "48000" },
        block: { type: "string", default: "128" },
        lead: { type: "string", default: "6" },
        seed: { type: "string", default: "1" },
        duration: { type: "string" },
        log: { type: "string" },
        set: { type: "string", multiple: true, default: [] },
        patch: { type: "string" },
        schema: { type: "boolean", default: false },
        "osc-host": { type: "string", default: "127.0.0.1" },
        "osc-port": { type: "string", default: "5005" },
        "osc-allow-remote": { type: "boolean", default: false },
        "no-osc": { type: "boolean", default: false },
        patterns: { type: "string", default: "patterns" },
        exercise: { type: "string" },
        summary: { type: "string" },
        "allow-fault-injection": { type: "boolean", default: false },
        inject: { type: "string", multiple: true, default: [] },
        "restart-limit": { type: "string", default: "5" },
        stdin: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail(`${(e as Error).message} (see --help)`);
  }
}

function num(name: string, text: string | undefined): number {
  const v = Number(text);
  if (text === undefined || !Number.isFinite(v)) {
    fail(`--${name} needs a number, got ${JSON.stringify(text)}`);
  }
  return v;
}

function statusLine(s: EngineStatus): string {
  const cpu = Object.entries(s.cpu).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(", ");
  return `[chronus] ${s.uptimeS.toFixed(1)} s · block ${s.outBlock} · active slot ${s.activeSlot} · ` +
    `${s.redundant ? "redundant" : "SINGLE"} · failovers ${s.failovers} · late ${s.lateBlocks} · ` +
    `merged ${s.mergedBlocks} · underflows ${s.underflows} · quarantined ${s.quarantined}${
      s.zombies ? ` · zombies ${s.zombies}` : ""
    } · cpu ${cpu}`;
}

async function main(): Promise<void> {
  const a = parse();
  if (a.help) {
    console.log(HELP);
    return;
  }
  if (a.schema) {
    console.log(JSON.stringify(schemaJson(), null, 2));
    return;
  }
  let patch: PatchFile | undefined;
  if (a.patch !== "none") {
    const url = a.patch === undefined ? DEFAULT_PATCH : a.patch;
    try {
      patch = JSON.parse(Deno.readTextFileSync(url));
    } catch (e) {
      fail(`cannot read the patch ${a.patch ?? "patches/default.json"}: ${(e as Error).message}`);
    }
  }
  if (num("channels", a.channels) !== L.CHANNELS) {
    fail(
      `--channels ${a.channels}: the engine renders ${L.CHANNELS} channels (stereo); other layouts are not built yet`,
    );
  }
  let recordFormat: WavFormat = "float32";
  try {
    recordFormat = parseRecordFormat(a["record-format"]);
  } catch (e) {
    fail(`--record-format: ${(e as Error).message}`);
  }
  // Two writers on one file would interleave their bytes into neither recording.
  const same = (f?: string) => f !== undefined && a.record !== undefined && resolve(f) === resolve(a.record);
  if (same(a.out) || same(a.tap)) {
    fail(`--record ${a.record} is also the ${same(a.out) ? "--out" : "--tap"} file`);
  }
  if (a["list-devices"]) {
    const pa = PortAudio.open();
    if ("error" in pa) fail(pa.error);
    console.log(pa.version());
    console.log(deviceTable(pa.devices()));
    pa.terminate();
    return;
  }
  let sink: SinkSpec;
  const sinkName = a.sink ?? (a.out ? "wav" : "auto");
  if (sinkName === "wav") {
    if (!a.out) fail("--sink wav needs --out FILE");
    sink = { kind: "wav", path: a.out };
  } else if (sinkName === "null") {
    sink = { kind: "null" };
  } else if (sinkName === "portaudio" || sinkName === "auto") {
    // Check the library and the device here, so that a bad --device is a clear error before anything starts.
    const pa = PortAudio.open();
    let problem = "error" in pa ? pa.error : "";
    if (!("error" in pa)) {
      try {
        const device = chooseDevice(pa.devices(), pa.hostDefaultOutputs(), a.device, L.CHANNELS);
        const latency = a.latency !== undefined
          ? num("latency", a.latency) / 1000
          : device.defaultLowOutputLatency;
        pa.checkOutput(device, L.CHANNELS, num("sample-rate", a["sample-rate"]), latency);
      } catch (e) {
        problem = (e as Error).message;
      }
      pa.terminate();
    }
    const latency = a.latency !== undefined ? num("latency", a.latency) / 1000 : undefined;
    if (!problem) sink = { kind: "portaudio", device: a.device, latency, tapPath: a.tap };
    else if (sinkName === "portaudio" || a.device !== undefined) fail(problem);
    else {
      if (!a.quiet) console.error(`chronus: ${problem.split(";")[0]}: playing into the null sink`);
      sink = { kind: "null" };
    }
  } else fail(`--sink must be null, wav or portaudio, got "${sinkName}"`);

  let injections: Injection[];
  try {
    injections = a.inject.map(parseInjection);
  } catch (e) {
    fail((e as Error).message);
  }
  if (injections.length > 0 && !a["allow-fault-injection"]) fail("--inject needs --allow-fault-injection");

  const quiet = a.quiet;
  const oscHost = a["osc-host"];
  const loopback = oscHost === "localhost" || oscHost === "::1" || oscHost.startsWith("127.");
  if (!a["no-osc"] && !loopback && !a["osc-allow-remote"]) {
    fail(
      `--osc-host ${oscHost} is not a loopback address: OSC has no authentication; add --osc-allow-remote`,
    );
  }
  let osc: OscServer | undefined;
  const onEvent = (e: EngineEvent) => {
    console.error(`[chronus] ${e.type}: ${e.message}`);
    osc?.event(e);
  };
  let engine: Engine;
  try {
    engine = await Engine.start({
      sampleRate: num("sample-rate", a["sample-rate"]),
      block: num("block", a.block),
      lead: num("lead", a.lead),
      seed: num("seed", a.seed),
      seconds: a.duration !== undefined ? num("duration", a.duration) : undefined,
      sink,
      realtime: !a.fast,
      logPath: a.log,
      injections,
      allowFaultInjection: a["allow-fault-injection"],
      restartLimit: num("restart-limit", a["restart-limit"]),
      onEvent,
      patch,
      record: a.record !== undefined ? { path: a.record, format: recordFormat } : undefined,
    });
  } catch (e) {
    fail((e as Error).message);
  }

  if (!a["no-osc"]) {
    try {
      osc = await OscServer.start(engine, {
        host: oscHost,
        port: num("osc-port", a["osc-port"]),
        patternDir: a.patterns,
      });
      if (!quiet) console.error(`[chronus] OSC on ${oscHost}:${osc.port} (udp)`);
      if (osc.receiveBuffer.note) console.error(`[chronus] ${osc.receiveBuffer.note}`);
      if (!loopback) {
        console.error(
          `[chronus] warning: OSC listens on ${oscHost}: anyone who can reach it can play and patch`,
        );
      }
    } catch (e) {
      console.error(`[chronus] ${(e as Error).message}: running without OSC (choose another --osc-port)`);
    }
  }

  // Stdin speaks the text language of `deno task chronus`, through the same router as OSC.
  const router = new OscRouter(engine, undefined, a.patterns);
  const print = (r: OscReply) => {
    if (r.address === "/error") console.error(`error: ${r.args[1]}`);
    else if (r.address.startsWith("/record/")) console.log(describe([r.address, ...r.args], false));
    else console.log(r.args.length === 1 ? String(r.args[0]) : `${r.address} ${r.args.join(" ")}`);
  };
  const sendLine = (line: string): boolean => {
    if (/^\s*(quit|exit)\s*$/.test(line)) return false;
    try {
      for (const [address, ...args] of translate(line).messages) {
        for (const r of router.handle(address, args, {}, print)) print(r);
      }
    } catch (e) {
      console.error(`error: ${(e as Error).message}`);
    }
    return true;
  };
  for (const s of a.set) sendLine(`set ${s}`);

  // A deterministic pitch pattern for tests and demos: a command every N blocks, stamped at exact frames.
  let exerciseTimer: ReturnType<typeof setInterval> | undefined;
  if (a.exercise !== undefined) {
    const every = Math.max(1, Math.floor(num("exercise", a.exercise)));
    const scale = [220, 247.5, 275, 293.3, 330, 366.7, 412.5, 440];
    let i = 0;
    let nextBlock = every;
    // It plays voice1 (patches/tone.json has nothing else): held open from frame 0, a new pitch each time.
    try {
      engine.gate("voice1", true, 1, 0);
    } catch (e) {
      fail(`--exercise plays voice1: ${(e as Error).message}`);
    }
    exerciseTimer = setInterval(() => {
      while (engine.running && nextBlock < engine.outBlock + 32) {
        const f0 = scale[i++ % scale.length];
        engine.send(engine.patch.setNow("voice1", "freq", f0), nextBlock * engine.block + 17);
        nextBlock += every;
      }
    }, 20);
  }

  let lastLine = "";
  let lastPrint = 0;
  const statusTimer = quiet ? undefined : setInterval(() => {
    if (!engine.running) return;
    const s = engine.status();
    const rec = engine.recordingStatus();
    const line = statusLine(s) + (rec.recording ? ` · rec ${rec.seconds.toFixed(1)} s` : "");
    const key = `${s.activeSlot}${s.redundant}${s.failovers}${s.lateBlocks}${s.underflows}${s.quarantined}`;
    if (key !== lastLine || performance.now() - lastPrint >= 1000) {
      console.error(line);
      lastLine = key;
      lastPrint = performance.now();
    }
  }, 100);

  const stop = () => engine.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);

  if (a.stdin || Deno.stdin.isTerminal()) {
    (async () => {
      const decoder = new TextDecoderStream();
      const reader = Deno.stdin.readable.pipeThrough(decoder).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          if (!sendLine(buf.slice(0, nl))) {
            stop();
            return;
          }
          buf = buf.slice(nl + 1);
        }
      }
    })();
  }

  let code = 0;
  try {
    const summary = await engine.finished;
    await osc?.close();
    const text = JSON.stringify(summary, null, 2);
    if (a.summary) Deno.writeTextFileSync(a.summary, text);
    if (!quiet) {
      const m = summary.metrics;
      console.error(
        `[chronus] stopped after ${
          (summary.frames / engine.sampleRate).toFixed(2)
        } s: failovers ${m.failovers}, ` +
          `late blocks ${summary.lateBlocks}, merged ${summary.mergedBlocks}, quarantined ${m.quarantined}, ` +
          `divergences ${m.divergences}, zombies ${m.zombies}`,
      );
    }
    // Where the recording went matters even when quiet: it is the one file the run was for.
    const r = summary.recording;
    if (r) {
      const lost = r.lostFrames ? `; ${r.lostFrames} frames lost to overruns, recorded as silence` : "";
      console.error(
        `[chronus] recorded ${r.seconds.toFixed(2)} s (${r.frames} frames, ${r.format}) to ${r.path}${lost}`,
      );
    }
    if (summary.recordingError) console.error(`[chronus] the recording failed: ${summary.recordingError}`);
  } catch (e) {
    console.error(`chronus: ${(e as Error).message}`);
    code = 1;
  } finally {
    clearInterval(statusTimer);
    clearInterval(exerciseTimer);
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  // Exit explicitly: a zombie DSP thread (a worker hung in synchronous code) cannot be joined otherwise.
  Deno.exit(code);
}

if (import.meta.main) await main();
