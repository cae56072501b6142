// The names voice1 had in the seed system's older stages (sine/sine1, adsr/adsr1, filter/filter1), and the
// Windows port's flat addresses (/frequency, /amp, /gate, /note_on …): all of them play voice1.
import { rest, type Route, value } from "../routes/route.ts";
import { qToRes, secondsToMs, SEED_FILTER_MODES } from "./convert.ts";
import { delegate, hasModule } from "./dialect.ts";
import {
  entry,
  FROM,
  gateArg,
  gates,
  gateShape,
  param,
  set,
  voice1,
  WHILE_ABSENT,
  whileAbsent,
} from "./seed_entries.ts";

// The old chain's addresses act on voice1, and only while the patch has no module of the old name.
const WHILE_VOICE1_ABSENT = { window: WHILE_ABSENT, target: voice1, applies: whileAbsent } as const;

// The names voice1 had in older stages: sine/sine1 (its oscillator), adsr/adsr1 (its envelope), filter/filter1.
const OLD_ORIGIN = `${FROM.phase2}, ${FROM.router}, ${FROM.pyo1}`;

/** The old names of voice1's oscillator, envelope and filter. */
export const COMPAT_ROUTES: Route[] = [
  ...param({
    addresses: ["/mod/sine/freq", "/mod/sine/frequency", "/mod/sine1/freq", "/mod/sine1/frequency"],
    origin: OLD_ORIGIN,
    name: "hz",
    min: 20,
    max: 20000,
    unit: "Hz",
    native: "voice1.freq",
    conversion: "as is",
    ...WHILE_VOICE1_ABSENT,
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
    ...WHILE_VOICE1_ABSENT,
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
      ...WHILE_VOICE1_ABSENT,
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
      ...WHILE_VOICE1_ABSENT,
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
    ...WHILE_VOICE1_ABSENT,
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
    ...WHILE_VOICE1_ABSENT,
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
    ...WHILE_VOICE1_ABSENT,
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
    ...WHILE_VOICE1_ABSENT,
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

/** The Windows port's addresses, on voice1. */
export const WINDOWS_ROUTES: Route[] = [
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
