// The seed dialect's voices (/mod/voice<N>/…, /gate/voice<N>) and its acid line (/mod/acid1/…): the final
// engine's parameter paths, clamped to its ranges and converted to native units.
import { type Route } from "../routes/route.ts";
import { acidDriveToDb, envAmountToOctaves, isGateWord, qToRes, secondsToMs, SEED_WAVES } from "./convert.ts";
import { oneNumber, seedNumber, voiceOf } from "./dialect.ts";
import {
  ACID,
  entry,
  FROM,
  gates,
  gateShape,
  ignored,
  param,
  paramMax,
  sendCommands,
  served,
  set,
  withAcid,
} from "./seed_entries.ts";

/** The voices' parameter paths and gates. */
export const VOICE_ROUTES: Route[] = [
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
    cables: true,
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
    cables: true,
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

/** The acid line's parameters (acid1). */
export const ACID_ROUTES: Route[] = [
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
