// The seed system's OSC, declared once: every address its clients could send, stage by stage (the Phase 1
// engine, the Phase 2 fixed chain, the slot and router supervisors, the Windows port, the first and the final
// pyo engines), with its argument shape, the native command(s) it becomes, the unit conversion and the range.
//
// Each entry is a route of the one address table (dialect "seed"): the router serves it, /engine/schema lists
// it under "dialects", docs/osc.md's "Seed dialect" table and `deno task chronus --help` are generated from it.
// Where a native entry serves the old address as it is (same unit, a range that holds the seed's), the entry
// says so (`servedBy`) and adds no dispatch. Where both take one address, the old form `claims` its messages
// by argument types and counts, or by a value range that the native unit cannot mean (stated in `takes`).
//
// Range policy: the old addresses clamp to the seed's range and apply, as the seed did; each clamp is an
// `/event clamped <address> <value> → <clamped>` to /notify subscribers, never an /error.
import type { Command } from "../../core/command.ts";
import { ClientError } from "../../core/errors.ts";
import { moduleDef } from "../../patch/schema.ts";
import { SWING_MIN } from "../../sequencer/pattern.ts";
import { writeJson } from "../files.ts";
import type { OscArg, OscReply } from "../types.ts";
import { TONE_MODULE } from "../routes/engine.ts";
import {
  type Call,
  choice,
  type FamilyName,
  type Legacy,
  opt,
  rest,
  type Route,
  route,
  type RouteContext,
  type Shape,
  str,
  value,
  type Values,
} from "../routes/route.ts";
import {
  acidDriveToDb,
  driveToDb,
  envAmountToOctaves,
  isGateWord,
  qToRes,
  secondsToMs,
  SEED_FILTER_MODES,
  SEED_WAVES,
  seedGateOn,
  swingToPercent,
} from "./convert.ts";
import { clamp, delegate, hasModule, numberOf, oneNumber, seedNumber, voiceOf } from "./dialect.ts";
import { isSeedSeqAdd, readSeedTrack, seedTrackSpec } from "./seed_seq.ts";

const NO_REPLY = "none (send /sync to know it has applied)";

/** The seed system's stages, as the entries name where an address comes from. */
const FROM = {
  phase1: "Phase 1 engine",
  phase2: "Phase 2 chain",
  slots: "slot supervisor",
  router: "router supervisor",
  windows: "Windows port",
  pyo1: "first pyo engine",
  pyo: "final pyo engine",
} as const;

// --- Building entries -------------------------------------------------------------------------------------

interface EntrySpec<A extends readonly Shape[]> {
  /** The old addresses (aliases) that mean the same: one route each, one row in the docs. */
  addresses: readonly string[];
  family: FamilyName;
  args: A;
  legacy: Legacy;
  summary: string;
  reply?: string;
  /** As a route's `claims`, told which of the entry's addresses the message came to. */
  claims?: (
    args: readonly OscArg[],
    path: Readonly<Record<string, string>>,
    ctx: RouteContext,
    address: string,
  ) => boolean;
  handle(ctx: RouteContext, values: Values<A>, call: Call): OscReply[];
}

function entry<const A extends readonly Shape[]>(spec: EntrySpec<A>): Route[] {
  const { addresses, reply, claims, ...rest } = spec;
  return addresses.map((address) =>
    route({
      ...rest,
      address,
      dialect: "seed",
      reply: reply ?? NO_REPLY,
      ...(claims ? { claims: (args, path, ctx) => claims(args, path, ctx, address) } : {}),
    })
  );
}

/** An old address that a native entry serves as it is: a row of the registry, no dispatch of its own. */
function served(spec: {
  addresses: readonly string[];
  family: FamilyName;
  args: readonly Shape[];
  origin: string;
  by: string;
  native: string;
  range: string;
  summary: string;
}): Route[] {
  return entry({
    addresses: spec.addresses,
    family: spec.family,
    args: spec.args,
    summary: spec.summary,
    legacy: {
      origin: spec.origin,
      native: spec.native,
      conversion: "as is",
      range: spec.range,
      servedBy: spec.by,
    },
    handle: (ctx, _, call) => delegate(ctx, spec.by, call.args, call),
  });
}

const range = (min: number, max: number, unit?: string) =>
  `${min} … ${max}${unit ? ` ${unit}` : ""}, clamped`;

/** One number set on a module: clamped to the seed's range, converted, applied at once. */
function param(spec: {
  addresses: readonly string[];
  family?: FamilyName;
  origin: string;
  name: string;
  min: number;
  max: number;
  unit?: string;
  native: string;
  conversion: string;
  summary: string;
  /** The values this entry takes when a native entry serves the same address (docs say it in `takes`). */
  window?: { takes: string; test: (v: number) => boolean };
  /** The module the address sets (default: the address's voice<N>). */
  target?: (ctx: RouteContext, path: Readonly<Record<string, string>>) => string;
  /** Whether this entry applies (an old module name means voice1 only while the patch has no such module). */
  applies?: (ctx: RouteContext, address: string) => boolean;
  apply(ctx: RouteContext, module: string, v: number, address: string): Command[];
}): Route[] {
  const target = spec.target ?? ((ctx, path) => voiceOf(ctx, path.N));
  return entry({
    addresses: spec.addresses,
    family: spec.family ?? "play",
    args: [seedNumber(spec.name, { min: spec.min, max: spec.max, unit: spec.unit })],
    summary: spec.summary,
    legacy: {
      origin: spec.origin,
      native: spec.native,
      conversion: spec.conversion,
      range: range(spec.min, spec.max, spec.unit),
      ...(spec.window ? { takes: spec.window.takes } : {}),
    },
    claims: (args, _, ctx, address) =>
      oneNumber(args) && (spec.window?.test(numberOf(args[0])!) ?? true) &&
      (spec.applies?.(ctx, address) ?? true),
    handle: (ctx, [v], { address, path, delivery }) => {
      const module = target(ctx, path);
      const c = clamp(ctx, address, v, spec.min, spec.max);
      ctx.out.deliver(spec.apply(ctx, module, c, address), delivery);
      return [];
    },
  });
}

/** A number the seed accepted and did nothing with: accepted, and reported as ignored. */
function ignored(
  spec: { addresses: readonly string[]; origin: string; why: string; summary: string },
): Route[] {
  return entry({
    addresses: spec.addresses,
    family: "play",
    args: [seedNumber("value", { doc: "any number" })],
    summary: spec.summary,
    legacy: { origin: spec.origin, native: "nothing", conversion: spec.why, range: "any number, ignored" },
    claims: (args) => oneNumber(args),
    handle: (ctx, [v], { address }) => {
      ctx.report?.("ignored", `${address} ${v}: ${spec.why}`);
      return [];
    },
  });
}

const set = (ctx: RouteContext, module: string, p: string, v: number | string): Command[] => [
  ctx.engine.patch.setNow(module, p, v),
];

/** An old name (/mod/NAME/… or /gate/NAME) means voice1 while the patch has no module of that name. */
const whileAbsent = (ctx: RouteContext, address: string) => !hasModule(ctx, address.split("/")[2]);

/** What `takes` says of the old names that mean voice1. */
const WHILE_ABSENT = { takes: "while the patch has no module of that name", test: () => true };

const voice1 = (ctx: RouteContext) => voiceOf(ctx, TONE_MODULE.slice("voice".length));

// --- Sends: the depth of the voice's cables into the reverb and the delay ----------------------------------

// The left/right balance of each voice's send in the patch as first found (the default patch pans the delay's
// sends), kept so that a send set to 0 and back keeps it.
const SEND_SHAPES = new WeakMap<object, Map<string, [number, number]>>();

function sendCommands(ctx: RouteContext, voice: string, bus: string, level: number): Command[] {
  const patch = ctx.engine.patch;
  if (!patch.modules.has(bus)) throw new ClientError(`the patch has no ${bus} to send to`);
  if (patch.staging) {
    throw new ClientError(
      "a patch transaction is open: /patch/commit or /patch/abort it before setting a send",
    );
  }
  const shapes = SEND_SHAPES.get(patch) ?? new Map<string, [number, number]>();
  SEND_SHAPES.set(patch, shapes);
  const key = `${voice}>${bus}`;
  if (!shapes.has(key)) {
    const depth = (port: string) =>
      patch.connections.find((c) => c.src === voice && c.dst === bus && c.dstPort === port && !c.toParam)
        ?.depth ?? 0;
    const l = depth("L"), r = depth("R"), most = Math.max(l, r);
    shapes.set(key, most > 0 ? [l / most, r / most] : [1, 1]);
  }
  const [l, r] = shapes.get(key)!;
  try {
    patch.connect(voice, `${bus}.L`, level * l);
    patch.connect(voice, `${bus}.R`, level * r);
    return patch.commit().commands;
  } catch (e) {
    patch.abort();
    throw e;
  }
}

// --- Gates -------------------------------------------------------------------------------------------------

function gateShape(): Shape<boolean> {
  return {
    ...value("gate"),
    type: "gate",
    shown: "0|1|on|off|true|false",
    doc: 'on: a number above 0, on, true, "1" or T',
    read: (a, i) => {
      const v = a[i];
      if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
        throw new ClientError(`argument ${i + 1} (gate) must be 0|1|on|off|true|false`);
      }
      return seedGateOn(v);
    },
  };
}

const gateArg = (a: OscArg) => isGateWord(a) || numberOf(a) !== null;

function gates(ctx: RouteContext, modules: string[], on: boolean): Command[] {
  return modules.map((m) => ctx.engine.patch.gate(m, on));
}

/** The acid line the seed gated with voice2 (it filtered voice2), when the patch has one. */
const ACID = "acid1", ACID_VOICE = "voice2";

function withAcid(ctx: RouteContext, module: string): string[] {
  const partner = module === ACID_VOICE ? ACID : module === ACID ? ACID_VOICE : undefined;
  return partner && hasModule(ctx, partner) && moduleDef(ctx.engine.patch.module(partner).type)?.gate
    ? [module, partner]
    : [module];
}

// --- The entries -------------------------------------------------------------------------------------------

const VOICE_ROUTES: Route[] = [
  ...served({
    addresses: ["/mod/voice<N>/freq"],
    family: "play",
    args: [seedNumber("hz", { min: 20, max: 5000, unit: "Hz" })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "voiceN.freq",
    range: "20 … 5000 Hz (native: 0.1 … 20000 Hz)",
    summary: "a voice's pitch",
  }),
  ...served({
    addresses: ["/mod/voice<N>/amp"],
    family: "play",
    args: [seedNumber("amp", { min: 0, max: 1 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "voiceN.gain (alias amp)",
    range: "0 … 1",
    summary: "a voice's level",
  }),
  ...served({
    addresses: ["/mod/voice<N>/filter/freq"],
    family: "play",
    args: [seedNumber("hz", { min: 50, max: 8000, unit: "Hz" })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "voiceN.cutoff (alias filter.freq)",
    range: "50 … 8000 Hz (native: 20 … 20000 Hz)",
    summary: "a voice's filter cutoff",
  }),
  ...param({
    addresses: ["/mod/voice<N>/filter/q"],
    origin: FROM.pyo,
    name: "q",
    min: 0.5,
    max: 10,
    native: "voiceN.res",
    conversion: "res = 1 − 1/(2·Q) (the filter's Q = 1/(2·(1−res)))",
    summary: "a voice's filter Q",
    apply: (ctx, m, q) => set(ctx, m, "res", qToRes(q)),
  }),
  ...param({
    addresses: ["/mod/voice<N>/adsr/attack"],
    origin: FROM.pyo,
    name: "seconds",
    min: 0.001,
    max: 2,
    unit: "s",
    native: "voiceN.attack",
    conversion: "seconds × 1000 → ms",
    summary: "a voice's attack",
    apply: (ctx, m, s) => set(ctx, m, "attack", secondsToMs(s)),
  }),
  ...param({
    addresses: ["/mod/voice<N>/adsr/decay"],
    origin: FROM.pyo,
    name: "seconds",
    min: 0,
    max: 2,
    unit: "s",
    native: "voiceN.decay",
    conversion: "seconds × 1000 → ms",
    summary: "a voice's decay",
    apply: (ctx, m, s) => set(ctx, m, "decay", secondsToMs(s)),
  }),
  ...param({
    addresses: ["/mod/voice<N>/adsr/sustain"],
    origin: FROM.pyo,
    name: "level",
    min: 0,
    max: 1,
    native: "voiceN.sustain",
    conversion: "as is",
    summary: "a voice's sustain level",
    apply: (ctx, m, v) => set(ctx, m, "sustain", v),
  }),
  ...param({
    addresses: ["/mod/voice<N>/adsr/release"],
    origin: FROM.pyo,
    name: "seconds",
    min: 0.01,
    max: 3,
    unit: "s",
    native: "voiceN.release",
    conversion: "seconds × 1000 → ms",
    summary: "a voice's release",
    apply: (ctx, m, s) => set(ctx, m, "release", secondsToMs(s)),
  }),
  ...param({
    addresses: ["/mod/voice<N>/send/reverb"],
    origin: FROM.pyo,
    name: "level",
    min: 0,
    max: 1,
    native: "the depth of voiceN → reverb1.L and .R",
    conversion:
      "the level, times the patch's left/right balance of that send (the louder side gets the level)",
    summary: "a voice's reverb send",
    apply: (ctx, m, v) => sendCommands(ctx, m, "reverb1", v),
  }),
  ...param({
    addresses: ["/mod/voice<N>/send/delay"],
    origin: FROM.pyo,
    name: "level",
    min: 0,
    max: 1,
    native: "the depth of voiceN → delay1.L and .R",
    conversion:
      "the level, times the patch's left/right balance of that send (the louder side gets the level)",
    summary: "a voice's delay send",
    apply: (ctx, m, v) => sendCommands(ctx, m, "delay1", v),
  }),
  ...param({
    addresses: ["/mod/voice<N>/slide_time"],
    origin: FROM.pyo,
    name: "seconds",
    min: 0,
    max: 1.5,
    unit: "s",
    native: "voiceN.glide",
    conversion: "seconds × 1000 → ms",
    summary: "a voice's portamento",
    apply: (ctx, m, s) => set(ctx, m, "glide", secondsToMs(s)),
  }),
  ...entry({
    addresses: ["/mod/voice<N>/osc/type"],
    family: "play",
    args: [seedNumber("type", { min: 0, max: 5, doc: SEED_WAVES.map((w, i) => `${i} ${w}`).join(", ") })],
    summary: "a voice's waveform by the seed's number",
    legacy: {
      origin: FROM.pyo,
      native: "voiceN.wave",
      conversion: SEED_WAVES.map((w, i) => `${i} → ${w}`).join(", "),
      range: "a whole number 0 … 5; anything else is 0 (sine), as the seed did, and reported",
    },
    claims: (args) => oneNumber(args),
    handle: (ctx, [n], { address, path, delivery }) => {
      const voice = voiceOf(ctx, path.N);
      const i = Number.isInteger(n) && n >= 0 && n < SEED_WAVES.length ? n : 0;
      if (i !== n) ctx.report?.("clamped", `${address} ${n} → ${i}`);
      ctx.out.deliver(set(ctx, voice, "wave", SEED_WAVES[i]), delivery);
      return [];
    },
  }),
  ...served({
    addresses: ["/gate/voice<N>"],
    family: "play",
    args: [seedNumber("gate", { min: 0, max: 1, doc: "on unless 0" })],
    origin: FROM.pyo,
    by: "/gate/<module>",
    native: "gate voiceN (that voice alone)",
    range: "a number: on unless 0",
    summary: "a voice's gate, as a number",
  }),
  ...entry({
    addresses: ["/gate/voice<N>", "/gate/acid1"],
    family: "play",
    args: [gateShape()],
    summary: "a gate as a word; voice2 and acid1 open and close together, as in the seed",
    legacy: {
      origin: `${FROM.slots}, ${FROM.pyo}`,
      native: "gate voiceN; with voice2 also acid1, with acid1 also voice2 (when the patch has both)",
      conversion: "on, true, T → on; off, false, F → off",
      range: "one word",
      takes: "a word or true/false (a number is the native form: that module alone)",
    },
    claims: (args) => args.length === 1 && isGateWord(args[0]),
    handle: (ctx, [on], { path, address, delivery }) => {
      const module = path.N === undefined ? address.slice("/gate/".length) : voiceOf(ctx, path.N);
      ctx.out.deliver(gates(ctx, withAcid(ctx, module), on), delivery);
      return [];
    },
  }),
];

const acidParam = (
  p: string,
  spec: Omit<Parameters<typeof param>[0], "addresses" | "origin" | "target" | "summary"> & {
    summary?: string;
  },
) =>
  param({
    addresses: [`/mod/acid1/${p}`],
    origin: FROM.pyo,
    target: (ctx) => ctx.engine.patch.module(ACID).name,
    summary: spec.summary ?? `the acid line's ${p}`,
    ...spec,
  });

// The acid line's level before the seed's resonance compensation first changed it, per patch.
const ACID_LEVELS = new WeakMap<object, number>();

const ACID_ROUTES: Route[] = [
  ...served({
    addresses: ["/mod/acid1/cutoff"],
    family: "play",
    args: [seedNumber("hz", { min: 80, max: 5000, unit: "Hz" })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "acid1.cutoff",
    range: "80 … 5000 Hz (native: 20 … 20000 Hz)",
    summary: "the acid line's cutoff",
  }),
  ...served({
    addresses: ["/mod/acid1/res"],
    family: "play",
    args: [seedNumber("res", { min: 0, max: 0.98 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "acid1.res",
    range: "0 … 0.98 (native: 0 … 1)",
    summary: "the acid line's resonance",
  }),
  ...served({
    addresses: ["/mod/acid1/accent"],
    family: "play",
    args: [seedNumber("accent", { min: 0, max: 1 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "acid1.accent (a stub in the seed; it applies here)",
    range: "0 … 1",
    summary: "the acid line's accent",
  }),
  ...acidParam("env_amount", {
    name: "hz",
    min: 0,
    max: 5000,
    unit: "Hz",
    native: "acid1.envmod",
    conversion: "octaves = log2(min(cutoff + amount, 5000) / cutoff), from the cutoff when it is sent",
    summary: "the acid envelope's depth in Hz",
    apply: (ctx, m, hz) => {
      const cutoff = ctx.engine.patch.module(m).params.cutoff;
      return set(ctx, m, "envmod", Math.min(envAmountToOctaves(cutoff, hz), paramMax("acid", "envmod")));
    },
  }),
  ...acidParam("decay", {
    name: "seconds",
    min: 0.02,
    max: 1,
    unit: "s",
    native: "acid1.decay",
    conversion: "seconds × 1000 → ms",
    window: { takes: "a value below 10 (seconds; from 10 on it is the native ms)", test: (v) => v < 10 },
    summary: "the acid envelope's decay in seconds",
    apply: (ctx, m, s) => set(ctx, m, "decay", secondsToMs(s)),
  }),
  ...acidParam("drive", {
    name: "drive",
    min: 0,
    max: 1,
    native: "acid1.drive (dB)",
    conversion: "dB = 20·log10((1+D)/(1−D)), D = 0.5 + 0.5·drive (the seed's shaper gain), at most 24",
    window: { takes: "a value up to 1 (above 1 it is the native dB)", test: (v) => v <= 1 },
    summary: "the acid line's drive, 0–1",
    apply: (ctx, m, d) => set(ctx, m, "drive", Math.min(acidDriveToDb(d), paramMax("acid", "drive"))),
  }),
  ...acidParam("vol_comp", {
    name: "amount",
    min: 0,
    max: 1,
    native: "acid1.level",
    conversion: "level = the patch's level × (1 − res × vol_comp), from the resonance when it is sent",
    summary: "the acid line's resonance volume compensation",
    apply: (ctx, m, vc) => {
      const mod = ctx.engine.patch.module(m);
      if (!ACID_LEVELS.has(mod)) ACID_LEVELS.set(mod, mod.params.level);
      return set(ctx, m, "level", ACID_LEVELS.get(mod)! * (1 - mod.params.res * vc));
    },
  }),
  ...ignored({
    addresses: ["/mod/acid1/mix"],
    origin: FROM.pyo,
    why: "the native acid line has no dry path to mix with",
    summary: "the acid filter's dry/wet mix",
  }),
  ...ignored({
    addresses: ["/mod/acid1/cutoff_offset", "/mod/acid1/res_accent_boost", "/mod/acid1/accent_decay"],
    origin: FROM.pyo,
    why: "a stub in the seed, which did nothing with it",
    summary: "the acid line's accent shaping (disabled in the seed)",
  }),
];

function paramMax(type: string, p: string): number {
  return moduleDef(type)!.params.find((q) => q.name === p)!.max;
}

const FX_ROUTES: Route[] = [
  ...param({
    addresses: ["/mod/dist1/drive"],
    origin: FROM.pyo,
    name: "drive",
    min: 0,
    max: 1,
    native: "dist1.drive (dB)",
    conversion: "dB = 20·log10((1+d)/(1−d)) (the seed's shaper gain, d ≤ 0.998), at most 48",
    window: { takes: "a value up to 1 (above 1 it is the native dB)", test: (v) => v <= 1 },
    target: () => "dist1",
    summary: "the master distortion's drive, 0–1",
    apply: (ctx, m, d) => set(ctx, m, "drive", Math.min(driveToDb(d), paramMax("distortion", "drive"))),
  }),
  ...served({
    addresses: ["/mod/dist1/mix", "/mod/dist1/tone"],
    family: "play",
    args: [seedNumber("value", { min: 0, max: 1 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "dist1.mix, dist1.tone",
    range: "0 … 1",
    summary: "the master distortion's mix and tone",
  }),
  ...served({
    addresses: ["/mod/reverb1/mix", "/mod/reverb1/room", "/mod/reverb1/damp"],
    family: "play",
    args: [seedNumber("value", { min: 0, max: 1 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "reverb1.mix, .room, .damp",
    range: "0 … 1",
    summary: "the reverb",
  }),
  ...param({
    addresses: ["/mod/delay1/time"],
    origin: FROM.pyo,
    name: "seconds",
    min: 0.1,
    max: 0.6,
    unit: "s",
    native: "delay1.time",
    conversion: "seconds × 1000 → ms",
    window: { takes: "a value below 1 (seconds; from 1 on it is the native ms)", test: (v) => v < 1 },
    target: () => "delay1",
    summary: "the delay time in seconds",
    apply: (ctx, m, s) => set(ctx, m, "time", secondsToMs(s)),
  }),
  ...served({
    addresses: ["/mod/delay1/feedback"],
    family: "play",
    args: [seedNumber("feedback", { min: 0, max: 0.7 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "delay1.feedback",
    range: "0 … 0.7 (native: 0 … 0.98)",
    summary: "the delay's feedback",
  }),
  ...served({
    addresses: ["/mod/delay1/mix"],
    family: "play",
    args: [seedNumber("mix", { min: 0, max: 1 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "delay1.mix",
    range: "0 … 1",
    summary: "the delay's mix",
  }),
  ...served({
    addresses: ["/mod/delay1/lowcut"],
    family: "play",
    args: [seedNumber("hz", { min: 20, max: 1000, unit: "Hz" })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "delay1.lowcut",
    range: "20 … 1000 Hz",
    summary: "the delay's low cut",
  }),
  ...served({
    addresses: ["/mod/delay1/highcut"],
    family: "play",
    args: [seedNumber("hz", { min: 1000, max: 10000, unit: "Hz" })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "delay1.highcut",
    range: "1000 … 10000 Hz (native: 1000 … 20000 Hz)",
    summary: "the delay's high cut",
  }),
  ...served({
    addresses: ["/mod/lfo<N>/rate"],
    family: "play",
    args: [seedNumber("hz", { min: 0.01, max: 10, unit: "Hz" })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "lfoN.rate",
    range: "0.01 … 10 Hz (native: 0.01 … 100 Hz)",
    summary: "an LFO's rate",
  }),
  ...served({
    addresses: ["/mod/lfo<N>/depth"],
    family: "play",
    args: [seedNumber("depth", { min: 0, max: 1 })],
    origin: FROM.pyo,
    by: "/mod/<module>/<param>",
    native: "lfoN.depth",
    range: "0 … 1",
    summary: "an LFO's depth",
  }),
  ...ignored({
    addresses: ["/mod/lfo<N>/shape"],
    origin: FROM.pyo,
    why: "the seed advertised it but never routed it (its LFOs were sine only)",
    summary: "an LFO's shape",
  }),
];

// The names voice1 had in older stages: sine/sine1 (its oscillator), adsr/adsr1 (its envelope), filter/filter1.
const OLD_ORIGIN = `${FROM.phase2}, ${FROM.router}, ${FROM.pyo1}`;

const COMPAT_ROUTES: Route[] = [
  ...param({
    addresses: ["/mod/sine/freq", "/mod/sine/frequency", "/mod/sine1/freq", "/mod/sine1/frequency"],
    origin: OLD_ORIGIN,
    name: "hz",
    min: 20,
    max: 20000,
    unit: "Hz",
    native: "voice1.freq",
    conversion: "as is",
    window: WHILE_ABSENT,
    target: voice1,
    applies: whileAbsent,
    summary: "the old chain's oscillator pitch, now voice1's",
    apply: (ctx, v, hz) => set(ctx, v, "freq", hz),
  }),
  ...param({
    addresses: ["/mod/sine/gain", "/mod/sine1/gain"],
    origin: `${FROM.phase2}, ${FROM.slots}`,
    name: "gain",
    min: 0,
    max: 1,
    native: "voice1.gain",
    conversion: "as is",
    window: WHILE_ABSENT,
    target: voice1,
    applies: whileAbsent,
    summary: "the old chain's oscillator level, now voice1's",
    apply: (ctx, v, g) => set(ctx, v, "gain", g),
  }),
  ...(["attack", "decay", "release"] as const).flatMap((stage) =>
    param({
      addresses: [`/mod/adsr/${stage}`],
      origin: FROM.phase2,
      name: "ms",
      min: 0.1,
      max: 10000,
      unit: "ms",
      native: `voice1.${stage}`,
      conversion: "as is (the Phase 2 envelope counted in ms)",
      window: WHILE_ABSENT,
      target: voice1,
      applies: whileAbsent,
      summary: `the old envelope's ${stage} in ms, now voice1's`,
      apply: (ctx, v, ms) => set(ctx, v, stage, ms),
    })
  ),
  ...([["attack", 0.001, 2], ["decay", 0, 2], ["release", 0.01, 3]] as const).flatMap(([stage, min, max]) =>
    param({
      addresses: [`/mod/adsr1/${stage}`],
      origin: FROM.pyo1,
      name: "seconds",
      min,
      max,
      unit: "s",
      native: `voice1.${stage}`,
      conversion: "seconds × 1000 → ms (as the pyo engines read adsr1)",
      window: WHILE_ABSENT,
      target: voice1,
      applies: whileAbsent,
      summary: `the old envelope's ${stage} in seconds, now voice1's`,
      apply: (ctx, v, s) => set(ctx, v, stage, secondsToMs(s)),
    })
  ),
  ...param({
    addresses: ["/mod/adsr/sustain", "/mod/adsr1/sustain"],
    origin: `${FROM.phase2}, ${FROM.pyo1}`,
    name: "level",
    min: 0,
    max: 1,
    native: "voice1.sustain",
    conversion: "as is",
    window: WHILE_ABSENT,
    target: voice1,
    applies: whileAbsent,
    summary: "the old envelope's sustain, now voice1's",
    apply: (ctx, v, s) => set(ctx, v, "sustain", s),
  }),
  ...param({
    addresses: [
      "/mod/filter/cutoff",
      "/mod/filter/freq",
      "/mod/filter1/cutoff",
      "/mod/filter1/freq",
      "/mod/filter1/frequency",
    ],
    origin: OLD_ORIGIN,
    name: "hz",
    min: 50,
    max: 8000,
    unit: "Hz",
    native: "voice1.cutoff",
    conversion: "as is",
    window: WHILE_ABSENT,
    target: voice1,
    applies: whileAbsent,
    summary: "the old filter's cutoff, now voice1's",
    apply: (ctx, v, hz) => set(ctx, v, "cutoff", hz),
  }),
  ...param({
    addresses: ["/mod/filter/q", "/mod/filter/resonance", "/mod/filter1/q", "/mod/filter1/resonance"],
    origin: OLD_ORIGIN,
    name: "q",
    min: 0.5,
    max: 10,
    native: "voice1.res",
    conversion: "res = 1 − 1/(2·Q)",
    window: WHILE_ABSENT,
    target: voice1,
    applies: whileAbsent,
    summary: "the old filter's Q, now voice1's resonance",
    apply: (ctx, v, q) => set(ctx, v, "res", qToRes(q)),
  }),
  ...param({
    addresses: ["/mod/filter/mode", "/mod/filter1/mode", "/mod/filter1/filter_mode"],
    origin: `${FROM.phase2}, ${FROM.router}`,
    name: "mode",
    min: 0,
    max: 2,
    native: "voice1.fmode",
    conversion: SEED_FILTER_MODES.map((f, i) => `${i} → ${f}`).join(", ") + " (rounded)",
    window: WHILE_ABSENT,
    target: voice1,
    applies: whileAbsent,
    summary: "the old filter's response, now voice1's",
    apply: (ctx, v, mode) => set(ctx, v, "fmode", SEED_FILTER_MODES[Math.round(mode)]),
  }),
  ...entry({
    addresses: ["/gate/adsr", "/gate/adsr1", "/gate/1"],
    family: "play",
    args: [gateShape()],
    summary: "the old envelope's gate, now voice1's",
    legacy: {
      origin: `${FROM.phase2}, ${FROM.slots}, ${FROM.pyo1}`,
      native: "gate voice1",
      conversion: 'on: a number above 0, on, true, "1", T',
      range: "one argument",
      takes: WHILE_ABSENT.takes,
    },
    claims: (args, _, ctx, address) => args.length === 1 && gateArg(args[0]) && whileAbsent(ctx, address),
    handle: (ctx, [on], { delivery }) => {
      ctx.out.deliver(gates(ctx, [voice1(ctx)], on), delivery);
      return [];
    },
  }),
  ...entry({
    addresses: ["/mod/<module>/gate"],
    family: "play",
    args: [gateShape()],
    summary:
      "a gate sent as a parameter (sine, adsr, adsr1 and 1 are voice1 while the patch has no such module)",
    legacy: {
      origin: FROM.windows,
      native: "gate MODULE",
      conversion: 'on: a number above 0, on, true, "1", T',
      range: "one argument",
      takes: "one gate argument (no native module has a parameter called gate)",
    },
    claims: (args) => args.length === 1 && gateArg(args[0]),
    handle: (ctx, [on], { path, delivery }) => {
      const old = ["sine", "sine1", "adsr", "adsr1", "1"].includes(path.module) &&
        !hasModule(ctx, path.module);
      ctx.out.deliver(gates(ctx, [old ? voice1(ctx) : path.module], on), delivery);
      return [];
    },
  }),
];

const WINDOWS_ROUTES: Route[] = [
  ...param({
    addresses: ["/frequency", "/freq"],
    origin: FROM.windows,
    name: "hz",
    min: 20,
    max: 20000,
    unit: "Hz",
    native: "voice1.freq",
    conversion: "as is",
    target: voice1,
    summary: "the tone's pitch, now voice1's",
    apply: (ctx, v, hz) => set(ctx, v, "freq", hz),
  }),
  ...param({
    addresses: ["/amplitude", "/amp"],
    origin: FROM.windows,
    name: "amp",
    min: 0,
    max: 1,
    native: "voice1.gain",
    conversion: "as is",
    target: voice1,
    summary: "the tone's level, now voice1's",
    apply: (ctx, v, a) => set(ctx, v, "gain", a),
  }),
  ...entry({
    addresses: ["/gate"],
    family: "play",
    args: [gateShape()],
    summary: "the tone's gate, now voice1's",
    legacy: {
      origin: FROM.windows,
      native: "gate voice1",
      conversion: 'on: a number above 0, on, true, "1", T',
      range: "one argument",
    },
    handle: (ctx, [on], { delivery }) => {
      ctx.out.deliver(gates(ctx, [voice1(ctx)], on), delivery);
      return [];
    },
  }),
  ...(["on", "off"] as const).flatMap((which) =>
    entry({
      addresses: [`/note_${which}`],
      family: "play",
      args: [rest(value("ignored"), { doc: "any arguments, ignored" })],
      summary: `voice1's gate ${which}`,
      legacy: {
        origin: FROM.windows,
        native: `gate voice1 ${which}`,
        conversion: "arguments ignored",
        range: "any arguments",
      },
      handle: (ctx, _, { delivery }) => {
        ctx.out.deliver(gates(ctx, [voice1(ctx)], which === "on"), delivery);
        return [];
      },
    })
  ),
  ...entry({
    addresses: ["/test"],
    family: "play",
    args: [rest(value("ignored"), { doc: "any arguments, ignored" })],
    summary: "the seed's test tone: voice1 at 440 Hz, gain 0.3, a one-second note",
    legacy: {
      origin: FROM.slots,
      native: "voice1.gain 0.3, then /note voice1 440 1 1",
      conversion: "a one-second note (the seed left the gate open)",
      range: "no arguments",
    },
    handle: (ctx, _, call) => {
      const v = voice1(ctx);
      ctx.out.deliver(set(ctx, v, "gain", 0.3), call.delivery);
      return delegate(ctx, "/note", [v, 440, 1, 1], call);
    },
  }),
];

const SCHEMA_FORMATS = ["json", "stdout", "file"] as const;

const stamp = (d: Date) =>
  `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}_${
    [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join("")
  }`;

/** Where /engine/schema file writes: the pattern directory's parent (the engine's working directory by default). */
export function schemaFilePath(patternDir: string, when: Date): string {
  const cut = patternDir.replace(/\/+$/, "").lastIndexOf("/");
  const dir = cut < 0 ? "." : cut === 0 ? "/" : patternDir.slice(0, cut);
  return `${dir === "/" ? "" : dir}/chronus_schema_${stamp(when)}.json`;
}

const ENGINE_ROUTES: Route[] = [
  ...(["start", "stop"] as const).flatMap((verb) =>
    entry({
      addresses: [`/engine/${verb}`],
      family: "engine",
      args: [rest(value("ignored"), { doc: "any arguments, ignored" })],
      summary: verb === "start" ? "resumes the output" : "pauses the output, the sequencer and any recording",
      reply: `/engine/${verb}.reply`,
      legacy: {
        origin: `${FROM.pyo1}, ${FROM.pyo}`,
        native: `/engine/${verb}`,
        conversion: "arguments ignored",
        range: "any arguments",
        takes: "one or more arguments (none: the native form)",
      },
      claims: (args) => args.length > 0,
      handle: (ctx, _, call) => delegate(ctx, `/engine/${verb}`, [], call),
    })
  ),
  ...served({
    addresses: ["/engine/status"],
    family: "engine",
    args: [],
    origin: `${FROM.pyo1}, ${FROM.pyo}`,
    by: "/engine/status",
    native: "/engine/status (a JSON reply; the seed printed it)",
    range: "no arguments",
    summary: "the engine's status",
  }),
  ...entry({
    addresses: ["/engine/list"],
    family: "engine",
    args: [rest(value("ignored"), { doc: "any arguments, ignored" })],
    summary: "the patch (the seed printed its modules)",
    reply: "/engine/list.reply <JSON patch file>",
    legacy: {
      origin: FROM.pyo,
      native: "/engine/list",
      conversion: "arguments ignored",
      range: "any arguments",
      takes: "one or more arguments (none: the native form)",
    },
    claims: (args) => args.length > 0,
    handle: (ctx, _, call) => delegate(ctx, "/engine/list", [], call),
  }),
  ...entry({
    addresses: ["/engine/schema"],
    family: "engine",
    args: [choice("format", SCHEMA_FORMATS)],
    summary:
      "the schema: json answers it, stdout prints it on the engine's standard output, file writes chronus_schema_YYYYmmdd_HHMMSS.json next to the pattern directory",
    reply:
      "/engine/schema.reply <JSON> (json), /engine/schema.reply stdout, /engine/schema.reply <path> (file)",
    legacy: {
      origin: FROM.pyo,
      native: "/engine/schema",
      conversion: "json: the reply; stdout: printed; file: the pattern directory's parent",
      range: "json|stdout|file",
      takes: "one argument (none: the native form)",
    },
    claims: (args) => args.length === 1,
    handle: (ctx, [format], call) => {
      const [reply] = delegate(ctx, "/engine/schema", [], call);
      if (format === "json") return [reply];
      const text = String(reply.args[0]);
      if (format === "stdout") {
        console.log(text);
        return [{ address: "/engine/schema.reply", args: ["stdout"] }];
      }
      const path = schemaFilePath(ctx.patternDir, new Date());
      writeJson(ctx.files, path, JSON.parse(text));
      return [{ address: "/engine/schema.reply", args: [path] }];
    },
  }),
  ...(["start", "stop", "status"] as const).flatMap((verb) =>
    entry({
      addresses: [`/engine/record/${verb}`],
      family: "record",
      args: verb === "start" ? [opt(value("file", { doc: "default: chronus-DATE-TIME.wav" }))] : [],
      summary: `= /record/${verb}`,
      reply: `as /record/${verb}`,
      legacy: {
        origin: FROM.pyo,
        native: `/record/${verb}`,
        conversion: verb === "start" ? "the file as given (the seed put it in recordings/)" : "as is",
        range: verb === "start" ? "an optional file name" : "no arguments",
      },
      handle: (ctx, _, call) => delegate(ctx, `/record/${verb}`, call.args, call),
    })
  ),
  ...served({
    addresses: ["/engine/freq"],
    family: "engine",
    args: [seedNumber("hz", { min: 20, max: 20000, unit: "Hz" })],
    origin: `${FROM.phase1}, ${FROM.phase2}`,
    by: "/engine/freq",
    native: "voice1.freq",
    range: "20 … 20000 Hz (native: 0.1 … 20000 Hz)",
    summary: "the engine tone's pitch",
  }),
  ...served({
    addresses: ["/engine/gain", "/engine/amp"],
    family: "engine",
    args: [seedNumber("gain", { min: 0, max: 1 })],
    origin: `${FROM.phase1}, ${FROM.phase2}`,
    by: "/engine/gain",
    native: "voice1.gain",
    range: "0 … 1",
    summary: "the engine tone's level",
  }),
  ...(["start", "stop", "status"] as const).flatMap((verb) =>
    served({
      addresses: [`/record/${verb}`],
      family: "record",
      args: verb === "start" ? [opt(value("file"))] : [],
      origin: FROM.router,
      by: `/record/${verb}`,
      native: `/record/${verb}`,
      range: verb === "start" ? "an optional file name" : "no arguments",
      summary: `recording: ${verb}`,
    })
  ),
];

/** The seed's module type names (router supervisor) and the native types that stand for them. */
export const SEED_TYPES: Readonly<
  Record<string, { type: string; params: Record<string, number | string>; note: string }>
> = {
  simple_sine: {
    type: "vco",
    params: { wave: "sine", freq: 440, level: 0.5 },
    note: "a sine vco (freq 440, level 0.5)",
  },
  sine_v2: { type: "vco", params: { wave: "sine", freq: 440 }, note: "a sine vco" },
  biquad_filter: {
    type: "vcf",
    params: { mode: "low", cutoff: 1000, res: qToRes(0.707) },
    note: "a low-pass vcf (Q 0.707)",
  },
  acid_filter: {
    type: "acid",
    params: { osc: 0 },
    note: "an acid line filtering its input (its oscillator off)",
  },
};

const PATCH_ROUTES: Route[] = [
  ...entry({
    addresses: ["/patch/create"],
    family: "patch",
    args: [str("id"), choice("type", Object.keys(SEED_TYPES))],
    summary: "stages a module of one of the seed's types, as the closest native type",
    reply: "/patch/create.reply <id>",
    legacy: {
      origin: FROM.router,
      native: "/patch/create <id> " + Object.values(SEED_TYPES).map((t) => t.type).join("|"),
      conversion: Object.entries(SEED_TYPES).map(([k, t]) => `${k} → ${t.note}`).join("; "),
      range: "a seed type name",
      takes: "a seed type name (adsr and distortion are native names: the native form)",
    },
    claims: (args) => args.length === 2 && typeof args[1] === "string" && args[1] in SEED_TYPES,
    handle: ({ engine }, [id, type]) => {
      const t = SEED_TYPES[type];
      engine.patch.create(id, t.type, t.params);
      return [{ address: "/patch/create.reply", args: [id] }];
    },
  }),
  ...served({
    addresses: ["/patch/create"],
    family: "patch",
    args: [str("id"), choice("type", ["adsr", "distortion"])],
    origin: FROM.router,
    by: "/patch/create",
    native:
      "the native adsr (an envelope: patch it into a vca's cv; the seed's adsr also carried the audio) or distortion",
    range: "adsr|distortion",
    summary: "stages a module whose seed type name is a native one",
  }),
  ...served({
    addresses: ["/patch/connect"],
    family: "patch",
    args: [str("source"), str("destination")],
    origin: FROM.router,
    by: "/patch/connect",
    native: "/patch/connect (depth 1: audio)",
    range: "two module ids",
    summary: "stages a cable",
  }),
  ...["/patch/commit", "/patch/abort"].flatMap((address) =>
    served({
      addresses: [address],
      family: "patch",
      args: [],
      origin: FROM.router,
      by: address,
      native: address,
      range: "no arguments",
      summary: address === "/patch/commit" ? "applies the staged modules and cables" : "drops them",
    })
  ),
];

const SEQ_ROUTES: Route[] = [
  ...entry({
    addresses: ["/seq/add"],
    family: "seq",
    args: [
      str("track"),
      str("voice"),
      str("pattern", { doc: "X accent, x hit, anything else a rest" }),
      rest(value("extra"), {
        shown: "base_freq filter_freq notes-csv|key=value…",
        doc:
          "base_freq Hz, filter_freq Hz, notes (C4,E4,440.0,60), or base_amp=, gate_frac=, accent_boost=, reverb_send=, delay_send=, notes=",
      }),
    ],
    summary: "defines or replaces a track the seed's way (its pitch, level and filter at every hit)",
    reply: "/seq/add.reply <track> now",
    legacy: {
      origin: FROM.pyo,
      native: "/seq/add <track> <voice> <pattern> with notes, gate and cutoff and gain lanes (now)",
      conversion:
        "notes (else base_freq) → Hz notes; gate_frac → gate (steps); cutoff lane = filter_freq + accent_boost × (velocity − 0.5) with velocity 1 for X and 0.6 for x; gain lane = base_amp × velocity ÷ Chronus's own velocity; reverb_send, delay_send → the voice's sends; other keys reported",
      range: "base_freq 20 … 5000 Hz, cutoff 50 … 8000 Hz, gain 0 … 1, clamped",
      takes:
        "one module and a key=value the native form has no key for, or a voice<N> and exactly two numbers (and a string) after the pattern",
    },
    claims: (args) => isSeedSeqAdd(args),
    handle: (ctx, [track, voice, pattern], { address, args, delivery }) => {
      const t = readSeedTrack(args);
      const sends: Command[] = [];
      for (const [key, bus] of [["reverb_send", "reverb1"], ["delay_send", "delay1"]] as const) {
        const level = t[key];
        if (level !== undefined) {
          sends.push(...sendCommands(ctx, voice, bus, clamp(ctx, `${address} ${key}`, level, 0, 1)));
        }
      }
      const spec = seedTrackSpec(ctx, address, voice, pattern, t);
      ctx.out.deliver([...sends, ...ctx.engine.sequencer.add(track, spec, "now")], delivery);
      return [{ address: "/seq/add.reply", args: [track, "now"] }];
    },
  }),
  ...served({
    addresses: ["/seq/add"],
    family: "seq",
    args: [str("track"), str("voice"), str("pattern")],
    origin: FROM.pyo,
    by: "/seq/add",
    native: "/seq/add <track> <voice> <pattern> (the module's own pitch, level and filter)",
    range: "three arguments",
    summary: "a track with nothing after the pattern",
  }),
  ...entry({
    addresses: ["/seq/swing"],
    family: "seq",
    args: [seedNumber("swing", { min: 0, max: 0.6 })],
    summary: "the swing as the seed's fraction",
    reply: "/seq/swing.reply <percent>",
    legacy: {
      origin: FROM.pyo,
      native: "/seq/swing <percent>",
      conversion: "percent = 50 + 25 × swing (the off-beat sixteenth moves swing/2 of a step later)",
      range: range(0, 0.6),
      takes: `a value below ${SWING_MIN} (from ${SWING_MIN} on it is the native percent)`,
    },
    claims: (args) => oneNumber(args) && numberOf(args[0])! < SWING_MIN,
    handle: (ctx, [s], { address, delivery }) => {
      const percent = swingToPercent(clamp(ctx, address, s, 0, 0.6));
      ctx.out.deliver(ctx.engine.sequencer.swing(percent), delivery);
      return [{ address: "/seq/swing.reply", args: [percent] }];
    },
  }),
  ...served({
    addresses: ["/seq/bpm"],
    family: "seq",
    args: [seedNumber("bpm", { min: 30, max: 300 })],
    origin: FROM.pyo,
    by: "/seq/bpm",
    native: "/seq/bpm (from the next bar)",
    range: "30 … 300 (native: 20 … 300, refused outside)",
    summary: "the tempo",
  }),
  ...[
    "/seq/remove",
    "/seq/clear",
    "/seq/start",
    "/seq/stop",
    "/seq/update/pattern",
    "/seq/update/notes",
    "/seq/status",
  ]
    .flatMap((address) =>
      served({
        addresses: [address],
        family: "seq",
        args: address === "/seq/remove"
          ? [str("track")]
          : address.startsWith("/seq/update/")
          ? [str("track"), str(address.endsWith("notes") ? "notes-csv" : "pattern")]
          : [],
        origin: FROM.pyo,
        by: address,
        native: address,
        range: address.startsWith("/seq/update/") ? "from the next bar (the seed: the next step)" : "as is",
        summary: `the sequencer: ${address.slice(5)}`,
      })
    ),
];

const PATTERN_ROUTES: Route[] = [
  ...served({
    addresses: ["/pattern/save"],
    family: "pattern",
    args: [seedNumber("slot", { min: 1, max: 128 })],
    origin: FROM.pyo,
    by: "/pattern/save",
    native: "/pattern/save <slot> (slot-N.json)",
    range: "a slot number",
    summary: "saves the sequence to a slot",
  }),
  ...entry({
    addresses: ["/pattern/load"],
    family: "pattern",
    args: [value("slot"), value("immediate", { shown: "1|true|immediate|now|…" })],
    summary: "loads a slot, at once for 1, true, immediate or now, else at the next bar",
    reply: "/pattern/load.reply <file> bar|now",
    legacy: {
      origin: FROM.pyo,
      native: "/pattern/load <slot> [now]",
      conversion: "1, true, immediate, now (or T) → now; anything else → the next bar",
      range: "a slot number",
      takes: "two arguments (one, or a slot and now|bar: the native form)",
    },
    claims: (args) => args.length === 2 && !(typeof args[1] === "string" && /^(now|bar)$/i.test(args[1])),
    handle: (ctx, [slot, flag], call) => {
      const n = numberOf(slot);
      if (n === null) {
        throw new ClientError(`argument 1 (slot) must be a slot number, got ${JSON.stringify(slot)}`);
      }
      const now = /^(1|true|immediate|now)$/i.test(String(flag).trim()); // T reads as 1
      return delegate(ctx, "/pattern/load", [Math.trunc(n)], { ...call, when: now ? "now" : "bar" });
    },
  }),
  ...served({
    addresses: ["/pattern/list"],
    family: "pattern",
    args: [],
    origin: FROM.pyo,
    by: "/pattern/list",
    native: "/pattern/list",
    range: "no arguments",
    summary: "the saved patterns",
  }),
];

/** Every entry of the seed dialect, in the order docs list them. */
export const SEED_ROUTES: readonly Route[] = [
  ...VOICE_ROUTES,
  ...ACID_ROUTES,
  ...FX_ROUTES,
  ...COMPAT_ROUTES,
  ...WINDOWS_ROUTES,
  ...ENGINE_ROUTES,
  ...PATCH_ROUTES,
  ...SEQ_ROUTES,
  ...PATTERN_ROUTES,
];
