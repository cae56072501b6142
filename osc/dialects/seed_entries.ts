// The seed dialect's building blocks: how an entry of osc/dialects/seed.ts is declared (one route per old
// address, the registry row it shows as), and what several families share: setting a parameter, the sends,
// the gates (voice2 and acid1 gated together, as the seed did).
import type { Command } from "../../core/command.ts";
import { ClientError } from "../../core/errors.ts";
import { moduleDef } from "../../patch/schema.ts";
import type { OscArg, OscReply } from "../types.ts";
import { TONE_MODULE } from "../routes/engine.ts";
import {
  type Call,
  type FamilyName,
  type Legacy,
  type Route,
  route,
  type RouteContext,
  type Shape,
  value,
  type Values,
} from "../routes/route.ts";
import { isGateWord, seedGateOn } from "./convert.ts";
import { clamp, delegate, hasModule, numberOf, oneNumber, seedNumber, voiceOf } from "./dialect.ts";

const NO_REPLY = "none (send /sync to know it has applied)";

/** The seed system's stages, as the entries name where an address comes from. */
export const FROM = {
  phase1: "Phase 1 engine",
  phase2: "Phase 2 chain",
  slots: "slot supervisor",
  router: "router supervisor",
  windows: "Windows port",
  pyo1: "first pyo engine",
  pyo: "final pyo engine",
} as const;

// --- Building entries -------------------------------------------------------------------------------------

/** What declares one registry row: its old addresses, their shape, the native meaning and the handler. */
export interface EntrySpec<A extends readonly Shape[]> {
  /** The old addresses (aliases) that mean the same: one route each, one row in the docs. */
  addresses: readonly string[];
  /** The family whose docs section lists it. */
  family: FamilyName;
  /** The argument shapes, as the seed sent them. */
  args: A;
  /** Where it comes from and what it becomes (docs, /engine/schema). */
  legacy: Legacy;
  /** What it does, in a few words. */
  summary: string;
  /** The reply; default: none (a /sync tells when it applied). */
  reply?: string;
  /** As a route's `claims`, told which of the entry's addresses the message came to. */
  claims?: (
    args: readonly OscArg[],
    path: Readonly<Record<string, string>>,
    ctx: RouteContext,
    address: string,
  ) => boolean;
  /** As a route's `edit`: the history records what it changed (docs/instrument-history.md). */
  edit?: Route["edit"];
  /** As a route's `editModule`: the module an `edit: "param"` entry sets. */
  editModule?: Route["editModule"];
  /** Does the work, as a route's handler. */
  handle(ctx: RouteContext, values: Values<A>, call: Call): OscReply[];
}

/** One route per old address of a registry row, all of the seed dialect. */
export function entry<const A extends readonly Shape[]>(spec: EntrySpec<A>): Route[] {
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
export function served(spec: {
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

/** A row's range text: the seed's range and that values beyond it are clamped. */
export const range = (min: number, max: number, unit?: string): string =>
  `${min} … ${max}${unit ? ` ${unit}` : ""}, clamped`;

/** One number set on a module: clamped to the seed's range, converted, applied at once. */
export function param(spec: {
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
  /** The value is a cable's depth (a send), not a parameter: the history compares the whole patch. */
  cables?: true;
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
    // An edit like a native /mod set (one module compared), or a send's cables (the whole patch).
    ...(spec.cables ? { edit: true } : { edit: "param", editModule: target }),
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
export function ignored(
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

/** The command that sets a module's parameter now, through the patch (validated there). */
export const set = (ctx: RouteContext, module: string, p: string, v: number | string): Command[] => [
  ctx.engine.patch.setNow(module, p, v),
];

/** An old name (/mod/NAME/… or /gate/NAME) means voice1 while the patch has no module of that name. */
export const whileAbsent = (ctx: RouteContext, address: string): boolean =>
  !hasModule(ctx, address.split("/")[2]);

/** What `takes` says of the old names that mean voice1. */
export const WHILE_ABSENT: { takes: string; test: () => boolean } = {
  takes: "while the patch has no module of that name",
  test: () => true,
};

/** voice1, the module the old names play (an /error naming the voices when the patch has none). */
export const voice1 = (ctx: RouteContext): string => voiceOf(ctx, TONE_MODULE.slice("voice".length));

// --- Sends: the depth of the voice's cables into the reverb and the delay ----------------------------------

// The left/right balance of each voice's send in the patch as first found (the default patch pans the delay's
// sends), kept so that a send set to 0 and back keeps it.
const SEND_SHAPES = new WeakMap<object, Map<string, [number, number]>>();

/**
 * The commands that set a voice's send into a bus (reverb1, delay1) to `level`: the depth of its cables into
 * the bus's L and R inputs, keeping their balance as the patch first had it; one committed transaction.
 */
export function sendCommands(ctx: RouteContext, voice: string, bus: string, level: number): Command[] {
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

/** A gate as the seed read it: a number above 0, on, true, "1" or T open it; anything else closes it. */
export function gateShape(): Shape<boolean> {
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

/** True when an argument can be read as a gate (a gate word or a number). */
export const gateArg = (a: OscArg): boolean => isGateWord(a) || numberOf(a) !== null;

/** Gate commands for each module, on or off at once. */
export function gates(ctx: RouteContext, modules: string[], on: boolean): Command[] {
  return modules.map((m) => ctx.engine.patch.gate(m, on));
}

/** The acid line the seed gated with voice2 (it filtered voice2). */
export const ACID = "acid1";
/** The voice the seed gated with the acid line. */
const ACID_VOICE = "voice2";

/** The modules a seed gate on `module` opens: voice2 and acid1 go together, when the patch has both. */
export function withAcid(ctx: RouteContext, module: string): string[] {
  const partner = module === ACID_VOICE ? ACID : module === ACID ? ACID_VOICE : undefined;
  return partner && hasModule(ctx, partner) && moduleDef(ctx.engine.patch.module(partner).type)?.gate
    ? [module, partner]
    : [module];
}

/** The greatest value a native module type's parameter takes (patch/schema.ts). */
export function paramMax(type: string, p: string): number {
  return moduleDef(type)!.params.find((q) => q.name === p)!.max;
}
