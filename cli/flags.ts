// The engine's command-line flags: one table gives parseArgs its options and --help its text, then the values
// are checked, in a fixed order, into a typed Request (the first bad flag is the one reported).
import { STEAL_POLICIES, type StealPolicy } from "../patch/instrument.ts";
import { type SampleSource, sampleSource } from "../patch/samples.ts";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as L from "../asm/layout.ts";
import type { WavFormat } from "../core/wav.ts";
import { type Injection, parseInjection } from "../engine/faults.ts";
import { parseRecordFormat } from "../engine/recorder.ts";
import { DEFAULT_PATCH_URL, DEFAULT_VOICES, MAX_VOICES, VOICES_ENV } from "../patch/default_patch.ts";
import type { SinkRequest } from "./sink_choice.ts";
import { parseCidr } from "../osc/allow.ts";
import { parseRealtime, type RealtimeRequest } from "../core/realtime.ts";
import { type LeadSetting, parseLead } from "../engine/lead.ts";

// Options speaks of these: exported with it, so that this module's documentation is whole.
export type { WavFormat } from "../core/wav.ts";
export type { Injection, WorkerFault } from "../engine/faults.ts";
export type { RealtimeRequest } from "../core/realtime.ts";

/** One flag: parseArgs reads its name, type and default, --help prints its value name and help. */
export interface Flag {
  /** The name after `--`. */
  readonly name: string;
  /** `switch`: on when given; `text`: a value; `number`: a value checked to be a number where the run uses it;
   * `list`: a value, repeatable. */
  readonly type: "switch" | "text" | "number" | "list";
  /** The value's name in the help (`FILE`, `N`); none for a switch. */
  readonly value?: string;
  /** The value when the flag is not given; `{default}` in the help prints it. */
  readonly default?: string | number;
  /** The help, one string a line (wrapped by hand); empty when another flag's line tells it. */
  readonly help: readonly string[];
}

/** The patch loaded when --patch is not given (relative to the repository). */
export const DEFAULT_PATCH = "patches/default.json";

/** Every flag of `deno task start`, in the order --help lists them. */
export const FLAGS = [
  {
    name: "sink",
    type: "text",
    value: "null|wav|portaudio",
    help: [
      "where the audio goes (default: portaudio when the library and a device exist,",
      "else null with a hint; wav when --out is given)",
    ],
  },
  { name: "list-devices", type: "switch", help: ["list PortAudio output devices and exit"] },
  {
    name: "device",
    type: "text",
    value: "NAME|INDEX",
    help: ["PortAudio output device (name or a part of it, or its index)"],
  },
  {
    name: "latency",
    type: "number",
    value: "MS",
    help: ["suggested PortAudio output latency (default: the device's low latency)"],
  },
  {
    name: "tap",
    type: "text",
    value: "FILE",
    help: ["with --sink portaudio: also write exactly what went to the device to a WAV"],
  },
  {
    name: "channels",
    type: "number",
    value: "N",
    default: L.CHANNELS,
    help: ["output channels: the engine renders stereo, so {default} (other values are refused)"],
  },
  {
    name: "out",
    type: "text",
    value: "FILE",
    help: ["WAV file for --sink wav (32-bit float, every frame from frame 0)"],
  },
  { name: "fast", type: "switch", help: ["render the wav sink as fast as possible instead of in real time"] },
  {
    name: "record",
    type: "text",
    value: "FILE",
    help: [
      "record the output from frame 0 into a WAV file (any sink), written off the audio",
      'path, flushed every 0.5 s, finalized at exit; also "record start" at any time',
    ],
  },
  {
    name: "record-format",
    type: "text",
    value: "F",
    default: "float32",
    help: ["{default} (default: the output exactly) or 24 (24-bit PCM)"],
  },
  { name: "sample-rate", type: "number", value: "HZ", default: 48000, help: ["default {default}"] },
  {
    name: "block",
    type: "number",
    value: "FRAMES",
    default: 128,
    help: ["frames per block, default {default}"],
  },
  {
    name: "lead",
    type: "text",
    value: "BLOCKS|auto",
    default: "auto",
    help: [
      "blocks rendered ahead of the output (1 … 14); auto (the default) starts at 3 and widens by one block",
      "after a late block, up to 6 (docs/latency.md)",
    ],
  },
  { name: "seed", type: "number", value: "N", default: 1, help: ["PRNG seed of the DSP, default {default}"] },
  {
    name: "duration",
    type: "number",
    value: "SECONDS",
    help: ["run this long, then stop cleanly (default: until Ctrl-C)"],
  },
  {
    name: "log",
    type: "text",
    value: "FILE",
    help: ["session log (JSON Lines) for deno task render --replay"],
  },
  {
    name: "patch",
    type: "text",
    value: "FILE|none",
    help: [
      `patch loaded at start (default: ${DEFAULT_PATCH}; patches/tone.json: one voice; none: an empty patch)`,
    ],
  },
  {
    name: "voices",
    type: "number",
    value: "N",
    help: [
      `voices in the default patch, voice1 … voiceN, 1…${MAX_VOICES} (default: $${VOICES_ENV}, else ${DEFAULT_VOICES})`,
    ],
  },
  {
    name: "steal",
    type: "text",
    value: "oldest|quietest",
    default: "oldest",
    help: [
      "which busy voice a group note takes when none is free: the oldest released, else the oldest held",
      "(default: {default}), or the quietest; a patch file's group may say its own (docs/instrument.md)",
    ],
  },
  {
    name: "data-dir",
    type: "text",
    value: "DIR",
    default: "chronus-data",
    help: [
      "the only directory clients (OSC, stdin, scores) may name files in (default: {default}, where the",
      "engine runs): patches/, patterns/, recordings/, samples/, created on demand (docs/security.md)",
    ],
  },
  {
    name: "samples",
    type: "text",
    value: "DIR",
    help: [
      'where /sample/load and a patch file\'s "samples" read sample files: WAV, FLAC, MP3, Ogg Vorbis',
      "(default: the data directory's samples/; `deno task start` may read only the project and /tmp)",
    ],
  },
  {
    name: "sample-memory",
    type: "text",
    value: "MB",
    default: "256",
    help: [
      "the sample pool's cap, which both DSP workers share and snapshots never copy (default: {default});",
      "it grows as samples load, nothing is taken up front",
    ],
  },
  {
    name: "autosave",
    type: "switch",
    help: [
      "write the patch and its sequence to DIR/autosave/patch.json after every change (at most once a",
      "second) and every 10 s (default: on; --no-autosave: off)",
    ],
  },
  { name: "no-autosave", type: "switch", help: [] }, // told on --autosave's line
  {
    name: "resume",
    type: "switch",
    help: ["start with DIR/autosave/patch.json, not --patch (which it overrides; an error when absent)"],
  },
  {
    name: "keep-alive",
    type: "switch",
    help: [
      "run the engine as a child and start it again (with --resume) when it dies abnormally",
      "(deno task start:keep-alive: the start permissions plus running deno)",
    ],
  },
  { name: "debug-throw-in-timer", type: "number", value: "MS", help: [] }, // a test hook: cli/guard.ts
  {
    name: "schema",
    type: "switch",
    help: ["print every module type's ports and parameters as JSON and exit"],
  },
  {
    name: "osc-host",
    type: "text",
    value: "HOST",
    default: "127.0.0.1",
    help: ["OSC/UDP address to listen on (default {default})"],
  },
  {
    name: "osc-port",
    type: "number",
    value: "PORT",
    default: 5005,
    help: ["OSC/UDP port (default {default}; 0 = any free port); --no-osc: no OSC server"],
  },
  { name: "no-osc", type: "switch", help: [] }, // told on --osc-port's line
  {
    name: "viz-port",
    type: "number",
    value: "PORT",
    help: ["push /viz/levels (per voice) and /viz/spectrum to this UDP port every 100 ms (the seed's: 5006)"],
  },
  {
    name: "osc-allow-remote",
    type: "switch",
    help: ["allow a non-loopback --osc-host (OSC has no authentication; needs --osc-allow)"],
  },
  {
    name: "osc-allow",
    type: "text",
    value: "CIDR,…",
    help: ["who may send besides this machine (e.g. 192.168.1.0/24,10.0.0.5); others are dropped unanswered"],
  },
  {
    name: "set",
    type: "list",
    value: "MOD.PARAM=VALUE",
    help: ["initial parameter (e.g. voice1.freq=220), repeatable"],
  },
  {
    name: "exercise",
    type: "number",
    value: "BLOCKS",
    help: ["play voice1 and change its pitch every BLOCKS blocks (a deterministic test pattern)"],
  },
  { name: "summary", type: "text", value: "FILE", help: ["write the run summary as JSON at exit"] },
  { name: "allow-fault-injection", type: "switch", help: ["allow --inject"] },
  {
    name: "inject",
    type: "list",
    value: "SPEC",
    help: [
      "KIND@primary|standby:BLOCK (KIND trap, throw, hang, hang-forever, exit, nan)",
      "or poison:BLOCK; repeatable",
    ],
  },
  {
    name: "restart-limit",
    type: "number",
    value: "N",
    default: 5,
    help: [
      "failures in 10 s before the next standby waits (a lost primary is rebuilt at once), default {default}",
    ],
  },
  {
    name: "stdin",
    type: "switch",
    help: ["read commands from stdin even when it is not a terminal (pipes, agents)"],
  },
  {
    name: "realtime",
    type: "text",
    value: "MODE",
    default: "auto",
    help: [
      "real-time threads for the output and the DSP workers: auto (default: SCHED_FIFO 4 and 3 where the",
      "system permits it, else one line and normal priority), off, fifo:PRIO or rr:PRIO (docs/realtime.md)",
    ],
  },
  { name: "quiet", type: "switch", help: ["no status lines"] },
  {
    name: "verbose",
    type: "switch",
    help: ["let ALSA and JACK print their own messages while PortAudio looks for devices"],
  },
  { name: "help", type: "switch", help: ["this text"] },
] as const satisfies readonly Flag[];

/** The flags' lines of --help: each flag and its value, then its help in a column after the longest. */
export function flagLines(flags: readonly Flag[]): string[] {
  const usage = (f: Flag) => `--${f.name}${f.value ? ` ${f.value}` : ""}`;
  const width = Math.max(...flags.filter((f) => f.help.length > 0).map((f) => usage(f).length));
  return flags.flatMap((f) =>
    f.help.map((line, i) =>
      `  ${(i === 0 ? usage(f) : "").padEnd(width)}  ${line.replaceAll("{default}", String(f.default))}`
    )
  );
}

/** `deno task start --help`. */
export const HELP: string = `chronus — a fault-tolerant modular synthesizer engine

Usage: deno task start [flags]

${flagLines(FLAGS).join("\n")}

While it runs, type the text commands of "deno task chronus" on stdin ("set voice1.freq 220", "gate voice1 on",
"note voice2 C3 0.8 0.5", "status", "list", "record start take.wav", "record stop", "quit").`;

type FlagSpec = (typeof FLAGS)[number];
/** The values parseArgs returns: a switch is a boolean, a list an array, a flag with a default a string. */
type Values = {
  [F in FlagSpec as F["name"]]: F["type"] extends "switch" ? boolean
    : F["type"] extends "list" ? string[]
    : F extends { default: string | number } ? string
    : string | undefined;
};

/** parseArgs' options, from the table. */
function parseArgsOptions(flags: readonly Flag[]) {
  return Object.fromEntries(flags.map((f) => {
    const type = f.type === "switch" ? "boolean" as const : "string" as const;
    if (f.type === "switch") return [f.name, { type, default: false }];
    if (f.type === "list") return [f.name, { type, multiple: true, default: [] }];
    return [f.name, f.default === undefined ? { type } : { type, default: String(f.default) }];
  }));
}

/** A flag that cannot be used: the message says which and why (the engine prints it and exits with 2). */
export class UsageError extends Error {}

/** The engine's settings from the flags (engine/engine.ts EngineOptions without the sink, patch and events). */
export interface EngineFlags {
  /** --sample-rate, Hz. */
  sampleRate: number;
  /** --block, frames. */
  block: number;
  /** --lead: blocks, or auto (engine/lead.ts). */
  lead: LeadSetting;
  /** --seed. */
  seed: number;
  /** --duration, seconds (undefined: until stopped). */
  seconds: number | undefined;
  /** False with --fast. */
  realtime: boolean;
  /** --log. */
  logPath: string | undefined;
  /** --inject, parsed. */
  injections: Injection[];
  /** --allow-fault-injection. */
  allowFaultInjection: boolean;
  /** --restart-limit. */
  restartLimit: number;
  /** --record and --record-format. */
  record: { path: string; format: WavFormat } | undefined;
  /** --steal: voice groups' policy when no voice is free (patch/instrument.ts). */
  steal: StealPolicy;
  /** --realtime: the audio threads' scheduling (core/realtime.ts). */
  realtimeThreads: RealtimeRequest;
  /** --sample-memory and where samples come from (--samples, else the data directory's samples/). */
  samples: { megabytes: number; source: SampleSource };
}

/** A checked run of the engine. */
export interface Options {
  /** The engine's settings. */
  engine: EngineFlags;
  /** Where the audio goes, before PortAudio is asked. */
  sink: SinkRequest;
  /** The patch file to load (`file` is what to read, `shown` how messages name it, `voices` the default
   * patch's size: --voices or $CHRONUS_NUM_VOICES, absent for another file); undefined: none. */
  patch: { file: string | URL; shown: string; voices?: number } | undefined;
  /** The OSC server's address (undefined with --no-osc); `loopback` false only with --osc-allow-remote;
   * `allow` the --osc-allow list (who may send besides this machine). */
  osc: { host: string; port: number; loopback: boolean; allow?: string[] } | undefined;
  /** --data-dir: where clients' file names resolve (core/sandbox.ts). */
  dataDir: string;
  /** --set values, in order. */
  set: string[];
  /** --exercise, blocks. */
  exercise: number | undefined;
  /** --summary. */
  summary: string | undefined;
  /** Read stdin even when it is not a terminal. */
  stdin: boolean;
  /** --quiet. */
  quiet: boolean;
  /** --verbose: ALSA's and JACK's own messages while PortAudio probes (ffi/portaudio.ts). */
  verbose: boolean;
  /** --autosave (true unless --no-autosave): cli/autosave.ts. */
  autosave: boolean;
  /** --resume: start with the autosave instead of the patch. */
  resume: boolean;
  /** --keep-alive: cli/keeper.ts. */
  keepAlive: boolean;
  /** --debug-throw-in-timer MS (only with --allow-fault-injection): cli/guard.ts's throwInTimers. */
  debugThrowMs: number | undefined;
  /** --viz-port: where /viz/levels and /viz/spectrum go every 100 ms (undefined: nowhere). */
  vizPort: number | undefined;
}

/** What the command line asks for. */
export type Request =
  | { action: "help" }
  | { action: "schema" }
  | { action: "list-devices"; verbose: boolean }
  | { action: "run"; options: Options };

function leadFlag(text: string | undefined): LeadSetting {
  try {
    return parseLead(text ?? "auto");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function num(name: string, text: string | undefined): number {
  const v = Number(text);
  if (text === undefined || !Number.isFinite(v)) {
    throw new UsageError(`--${name} needs a number, got ${JSON.stringify(text)}`);
  }
  return v;
}

/** The seed system's voice count from the environment (undefined without it, or without the permission). */
export function envVoices(): string | undefined {
  try {
    return Deno.env.get(VOICES_ENV);
  } catch {
    return undefined;
  }
}

/** The default patch's voices: --voices, else $CHRONUS_NUM_VOICES, else 4; a whole number 1 … 16 (UsageError). */
export function voiceCount(flag: string | undefined, env: string | undefined): number {
  const [text, from] = flag !== undefined ? [flag, "--voices"] : [env, `$${VOICES_ENV}`];
  if (text === undefined || (flag === undefined && text.trim() === "")) return DEFAULT_VOICES;
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 1 || n > MAX_VOICES) {
    throw new UsageError(`${from} ${JSON.stringify(text)}: the default patch has 1…${MAX_VOICES} voices`);
  }
  return n;
}

/**
 * Reads the command line (and $CHRONUS_NUM_VOICES, passed as `env` by tests); throws UsageError for the first
 * flag that cannot be used.
 */
export function parseFlags(args: string[], env: string | undefined = envVoices()): Request {
  let a: Values;
  try {
    a = parseArgs({ args, options: parseArgsOptions(FLAGS), strict: true, allowPositionals: false })
      .values as Values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --help)`);
  }
  if (a.help) return { action: "help" };
  if (a.schema) return { action: "schema" };
  if (num("channels", a.channels) !== L.CHANNELS) {
    throw new UsageError(
      `--channels ${a.channels}: the engine renders ${L.CHANNELS} channels (stereo); other layouts are not built yet`,
    );
  }
  let format: WavFormat;
  try {
    format = parseRecordFormat(a["record-format"]);
  } catch (e) {
    throw new UsageError(`--record-format: ${(e as Error).message}`);
  }
  // Two writers on one file would interleave their bytes into neither recording.
  const same = (f?: string) => f !== undefined && a.record !== undefined && resolve(f) === resolve(a.record);
  if (same(a.out) || same(a.tap)) {
    throw new UsageError(`--record ${a.record} is also the ${same(a.out) ? "--out" : "--tap"} file`);
  }
  if (a["list-devices"]) return { action: "list-devices", verbose: a.verbose };
  const sink = sinkRequest(a);
  let injections: Injection[];
  try {
    injections = a.inject.map(parseInjection);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (injections.length > 0 && !a["allow-fault-injection"]) {
    throw new UsageError("--inject needs --allow-fault-injection");
  }
  const host = a["osc-host"];
  const loopback = host === "localhost" || host === "::1" || host.startsWith("127.");
  if (!a["no-osc"] && !loopback && !a["osc-allow-remote"]) {
    throw new UsageError(
      `--osc-host ${host} is not a loopback address: OSC has no authentication; add --osc-allow-remote`,
    );
  }
  const allow = a["osc-allow"]?.split(",").map((x: string) => x.trim()).filter((x: string) => x !== "");
  for (const c of allow ?? []) {
    try {
      parseCidr(c);
    } catch (e) {
      throw new UsageError(`--osc-allow: ${(e as Error).message}`);
    }
  }
  if (!a["no-osc"] && !loopback && !allow?.length) {
    throw new UsageError(
      `--osc-allow-remote needs --osc-allow CIDR,… (who may send, e.g. 192.168.1.0/24): packets from elsewhere are dropped`,
    );
  }
  if (a.autosave && a["no-autosave"]) throw new UsageError("--autosave and --no-autosave: choose one");
  const debugThrowMs = a["debug-throw-in-timer"] !== undefined
    ? num("debug-throw-in-timer", a["debug-throw-in-timer"])
    : undefined;
  if (debugThrowMs !== undefined && !a["allow-fault-injection"]) {
    throw new UsageError("--debug-throw-in-timer needs --allow-fault-injection");
  }
  const voices = voiceCount(a.voices, env);
  if (a.voices !== undefined && a.patch !== undefined) {
    throw new UsageError("--voices sizes the default patch: leave out --patch, or size your own patch file");
  }
  const engine: EngineFlags = {
    sampleRate: num("sample-rate", a["sample-rate"]),
    block: num("block", a.block),
    lead: leadFlag(a.lead),
    seed: num("seed", a.seed),
    seconds: a.duration !== undefined ? num("duration", a.duration) : undefined,
    realtime: !a.fast,
    logPath: a.log,
    injections,
    allowFaultInjection: a["allow-fault-injection"],
    restartLimit: num("restart-limit", a["restart-limit"]),
    record: a.record !== undefined ? { path: a.record, format } : undefined,
    steal: stealPolicy(a.steal),
    realtimeThreads: realtimeRequest(a.realtime),
    samples: {
      megabytes: num("sample-memory", a["sample-memory"]),
      source: sampleSource(a["data-dir"], a.samples),
    },
  };
  return {
    action: "run",
    options: {
      engine,
      sink,
      patch: a.patch === "none"
        ? undefined
        : a.patch === undefined
        ? { file: DEFAULT_PATCH_URL, shown: DEFAULT_PATCH, voices }
        : { file: a.patch, shown: a.patch },
      osc: a["no-osc"]
        ? undefined
        : { host, port: num("osc-port", a["osc-port"]), loopback, ...(allow ? { allow } : {}) },
      dataDir: a["data-dir"],
      set: a.set,
      exercise: a.exercise !== undefined ? num("exercise", a.exercise) : undefined,
      summary: a.summary,
      stdin: a.stdin,
      quiet: a.quiet,
      verbose: a.verbose,
      vizPort: a["viz-port"] !== undefined ? port("viz-port", a["viz-port"]) : undefined,
      autosave: !a["no-autosave"],
      resume: a.resume,
      keepAlive: a["keep-alive"],
      debugThrowMs,
    },
  };
}

/** --realtime's value, checked. */
function realtimeRequest(text: string): RealtimeRequest {
  try {
    return parseRealtime(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --steal's value, checked. */
function stealPolicy(text: string | undefined): StealPolicy {
  const v = text ?? "oldest";
  if (!(STEAL_POLICIES as readonly string[]).includes(v)) {
    throw new UsageError(`--steal ${v}: expected ${STEAL_POLICIES.join(" or ")}`);
  }
  return v as StealPolicy;
}

/** A UDP port number 1 … 65535. */
function port(name: string, text: string): number {
  const v = num(name, text);
  if (!Number.isInteger(v) || v < 1 || v > 65535) {
    throw new UsageError(`--${name} ${text} is not a port (1…65535)`);
  }
  return v;
}

/** The sink the flags ask for: --sink, or wav when --out is given, else PortAudio if it can play. */
function sinkRequest(a: Values): SinkRequest {
  const name = a.sink ?? (a.out ? "wav" : "auto");
  if (name === "wav") {
    if (!a.out) throw new UsageError("--sink wav needs --out FILE");
    return { kind: "wav", path: a.out };
  }
  if (name === "null") return { kind: "null" };
  if (name !== "portaudio" && name !== "auto") {
    throw new UsageError(`--sink must be null, wav or portaudio, got "${name}"`);
  }
  return {
    kind: "portaudio",
    verbose: a.verbose,
    required: name === "portaudio" || a.device !== undefined,
    device: a.device,
    latencyMs: a.latency !== undefined ? num("latency", a.latency) : undefined,
    tap: a.tap,
  };
}
