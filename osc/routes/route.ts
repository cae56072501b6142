// One OSC address as data: the arguments it takes, what it does and answers, how the text language says it,
// and its handler. The router (osc/router.ts) dispatches from a table of these (osc/routes/table.ts);
// /engine/schema, the help of `deno task chronus` and docs/osc.md are generated from the same table, so the
// places that describe an address cannot disagree with the code that serves it.
//
// Arguments are read by shapes: each shape checks one argument and says what is wrong in plain words, and the
// same shape prints the argument in usage text and docs. A handler gets its arguments already read.
// A message that came over OSC brings each argument's type tag (osc/codec.ts): a shape refuses the types it
// cannot mean (a nil, an impulse, a blob, an array where one value belongs), and the pitch shape reads a
// float as Hz even when it is whole. Without tags (the console, scores) a value is read by what it looks like.
import { ClientError } from "../../core/errors.ts";
import { parsePitch } from "../../core/pitch.ts";
import { typeName } from "../codec.ts";
import type { When } from "../../sequencer/sequencer.ts";
import type { History } from "../../sequencer/history.ts";
import type { EditNotes } from "../edit_notes.ts";
import type { PatchFiles } from "../files.ts";
import type { Outbox } from "../outbox.ts";
import type { RecentEvents } from "../recent_events.ts";
import type { Delivery, OscArg, OscEngine, OscPeer, OscReply } from "../types.ts";

/**
 * Whose address space an entry belongs to: Chronus's own, or the seed system's as its old clients send it
 * (osc/dialects/: clamped to the seed's ranges and converted to native commands).
 */
export type Dialect = "chronus" | "seed";

/** The route files, one per family of addresses. */
export type FamilyName =
  | "play"
  | "patch"
  | "seq"
  | "pattern"
  | "history"
  | "scene"
  | "record"
  | "sample"
  | "listen"
  | "view"
  | "engine";

/** One argument's shape: how it is read and checked, and how usage text and docs show it. */
export interface Shape<T = unknown> {
  /** The argument's name, as usage text (`<name>`), errors and /engine/schema show it. */
  readonly name: string;
  /** What it is, for docs and /engine/schema ("number", "string", "number or name", "pitch" …). */
  readonly type: string;
  /** What its values mean, in a few words for docs and /engine/schema ("on unless 0"). */
  readonly doc?: string;
  /** May be left out (usage shows `[name]`); read() then gives the shape's fallback. */
  readonly optional?: boolean;
  /** Takes every remaining argument (zero or more). */
  readonly rest?: boolean;
  /** The least value accepted; with `max`, a range that num() enforces and usage text shows. */
  readonly min?: number;
  /** The greatest value accepted; with `min`, a range that num() enforces and usage text shows. */
  readonly max?: number;
  /** The unit of the values ("Hz", "BPM", "%" …), shown after the range in usage and errors. */
  readonly unit?: string;
  /** The accepted names of an enumerated argument. */
  readonly values?: readonly string[];
  /** What usage text shows inside the brackets when the name says too little ("0|1", "src[.port]"). */
  readonly shown?: string;
  /**
   * Reads argument `i` (for a rest shape: `i` and every one after it); throws ClientError. `tags` holds each
   * argument's OSC type tag when the message came over OSC (osc/codec.ts argTags: "f", "[ii]" …).
   */
  read(args: readonly OscArg[], i: number, tags?: readonly string[]): T;
}

/** What a handler works with: the engine, files, the outbox and the whole table. */
export interface RouteContext {
  /** The engine that commands go to and status comes from (a fake in tests). */
  readonly engine: OscEngine;
  /** Where clients' files are read and written: the data directory (core/sandbox.ts), or a Map in tests. */
  readonly files: PatchFiles;
  /** Sends the handlers' commands, or collects them into the bundle being handled. */
  readonly out: Outbox;
  /** The table the router serves: /engine/schema lists it, an unknown address is answered from it. */
  readonly routes: readonly Route[];
  /** Tells /notify subscribers something happened (`/event <type> <message>`), when there are any. */
  readonly report?: (type: string, message: string) => void;
  /** The last events, clamps and errors the router saw (what /view lists). */
  readonly recent?: RecentEvents;
  /** The edit history that /undo, /redo and /history work on (the engine's, sequencer/history.ts). */
  readonly history: History;
  /** Each sender's edits since its last /sync, in one line each: what /synced answers with. */
  readonly notes?: EditNotes;
}

/** One message as the handler sees it. */
export interface Call {
  /** The address as sent (with the placeholders' values in it): replies name it. */
  readonly address: string;
  /** The arguments, after a trailing "now" or "bar" was taken off (routes with `now`). */
  readonly args: readonly OscArg[];
  /** Each argument's OSC type tag, aligned with `args`, when it came over OSC (what Shape.read takes). */
  readonly tags?: readonly string[];
  /** When a change takes effect: "now" when the message ended with "now", else "bar" (the next bar). */
  readonly when: When;
  /** The values of the address's placeholders ("/mod/<module>/<param>": module, param). */
  readonly path: Readonly<Record<string, string>>;
  /** Where its commands go: at once, or into the bundle being handled at the bundle's frame. */
  readonly delivery: Delivery;
  /** Replies that come after handle() returned (they wait for another thread). */
  readonly later?: (r: OscReply) => void;
  /** The sender, when it came over a socket and can be subscribed (/notify). */
  readonly peer?: OscPeer;
  /**
   * Handles the same message again, as it came (recorded in the history when it edits), outside any bundle:
   * what a handler that first waited for another thread calls to do its work once that is done (/patch/load
   * waits for its samples to be in the pool).
   */
  readonly again?: () => OscReply[];
}

/** How an address names the text language's command that sends it. */
export interface TextForm {
  /** The command with its words in capitals ("gate MODULE on|off [VELOCITY]"). */
  readonly form: string;
  /** Whole commands as a user types them ("gate voice1 on"), for help and docs. */
  readonly examples: readonly string[];
  /** A remark for help and docs. */
  readonly note?: string;
}

/** One address of the table. */
export interface Route {
  /** Exact ("/seq/add") or with placeholders ("/mod/<module>/<param>"). */
  readonly address: string;
  /** The route file it belongs to, which docs and help group it under. */
  readonly family: FamilyName;
  /** Whose address space it belongs to. */
  readonly dialect: Dialect;
  /** Its arguments' shapes, in order. */
  readonly args: readonly Shape[];
  /** The last placeholder takes the rest of the path, joined by "." ("/mod/voice1/filter/freq": filter.freq). */
  readonly tail?: boolean;
  /**
   * A trailing "now" (or "bar") argument: "applies" when it chooses when the change takes effect (shown as
   * [now]), "ignored" when the address accepts it as the rest of its family does but has no bar to wait for.
   */
  readonly now?: "applies" | "ignored";
  /** The address and its arguments, as error messages and docs show them. */
  readonly usage: string;
  /** What it does, in one line. */
  readonly summary: string;
  /** What the sender gets back (besides `/error <address> <message>` when it is refused). */
  readonly reply: string;
  /** How the text language of `deno task chronus` says it; absent when it has no text form. */
  readonly text?: TextForm;
  /**
   * For an entry that shares its address with another (a dialect's form of a native address): whether this
   * message is this entry's, decided by its arguments' types and counts (or a value range the entry's
   * `legacy.takes` states). Entries without it take what no entry at their address claims.
   */
  readonly claims?: (
    args: readonly OscArg[],
    path: Readonly<Record<string, string>>,
    ctx: RouteContext,
  ) => boolean;
  /** A dialect's entry: where the address comes from and what it becomes (docs, /engine/schema). */
  readonly legacy?: Legacy;
  /**
   * An edit the history records (docs/instrument-history.md): true (its one line says what changed), "param"
   * (it sets only the parameter its path names, <module>/<param>: only that module is compared), or a
   * function of its arguments' values that names it ("pattern groove loaded").
   */
  readonly edit?: true | "param" | ((values: readonly unknown[]) => string);
  /**
   * With `edit: "param"`, the module the message sets when its path has no <module> (a dialect's
   * /mod/voice<N>/filter/q sets voiceN); throws ClientError as the handler would.
   */
  readonly editModule?: (ctx: RouteContext, path: Readonly<Record<string, string>>) => string;
  /** Does the work; throws ClientError for bad input (the router answers `/error`). */
  handle(ctx: RouteContext, values: readonly unknown[], call: Call): OscReply[];
}

/** What a dialect's entry is: the old address's meaning and the native command(s) it becomes. */
export interface Legacy {
  /** The stage of the seed system that spoke it ("final engine", "Phase 2", "Windows port" …). */
  readonly origin: string;
  /** The native command(s) it becomes ("voiceN.attack", "/record/start"). */
  readonly native: string;
  /** How its values convert (a formula or "as is"). */
  readonly conversion: string;
  /** The seed's range and what is done outside it ("0.001 … 2 s, clamped"). */
  readonly range: string;
  /** When another entry shares the address: which messages this one takes. */
  readonly takes?: string;
  /** The native entry that serves this address as it is (the dialect adds no entry of its own). */
  readonly servedBy?: string;
}

/** What a tuple of shapes reads as: the values a handler gets, in the shapes' order. */
export type Values<A extends readonly Shape[]> = {
  -readonly [K in keyof A]: A[K] extends Shape<infer T> ? T : never;
};

/** An entry before its usage text is made from its arguments. */
export type RouteSpec<A extends readonly Shape[]> = Omit<Route, "usage" | "args" | "handle"> & {
  readonly args: A;
  handle(ctx: RouteContext, values: Values<A>, call: Call): OscReply[];
};

/** Builds an entry: its usage text comes from its address and argument shapes. */
export function route<const A extends readonly Shape[]>(spec: RouteSpec<A>): Route {
  const tokens = [spec.address, ...spec.args.map(token), ...(spec.now === "applies" ? ["[now]"] : [])];
  return {
    ...spec,
    usage: tokens.join(" "),
    handle: (ctx, values, call) => spec.handle(ctx, values as Values<A>, call),
  };
}

/** How usage text shows one argument: <name>, [name] when optional, [name…] for the rest. */
export function token(s: Shape): string {
  const range = s.min !== undefined && s.max !== undefined
    ? ` ${s.min}…${s.max}${s.unit ? ` ${s.unit}` : ""}`
    : "";
  const inner = s.shown ?? (s.values ? s.values.join("|") : `${s.name}${range}`);
  const name = `${inner}${s.rest && !inner.endsWith("…") ? "…" : ""}`;
  return s.optional || s.rest ? `[${name}]` : `<${name}>`;
}

/**
 * Checks the argument count against the entry and reads every argument (with its OSC type tag when `tags` is
 * given); throws ClientError.
 */
export function readArgs(r: Route, args: readonly OscArg[], tags?: readonly string[]): unknown[] {
  const min = r.args.filter((s) => !s.optional && !s.rest).length;
  const max = r.args.some((s) => s.rest) ? Infinity : r.args.length;
  if (args.length < min || args.length > max) {
    const none = max === 0 ? " with no arguments" : "";
    throw new ClientError(
      `expected ${r.usage}${none} (${args.length} argument${args.length === 1 ? "" : "s"} given)`,
    );
  }
  return r.args.map((s, i) => s.read(args, i, tags));
}

// The readers. Their messages are what a client sees in `/error`, so they name the argument and the value.

/** OSC type tags of numbers, of text and of booleans: what each reader below accepts is a mix of these. */
const NUMBER_TAGS = "ihfd", TEXT_TAGS = "sSc", BOOLEAN_TAGS = "TF";

// Refuses argument `i` when it came over OSC with a type tag outside `accepts`; gives the tag.
function checkTag(
  tags: readonly string[] | undefined,
  i: number,
  name: string,
  accepts: string,
  want: string,
): string | undefined {
  const tag = tags?.[i];
  if (tag !== undefined && (tag.length !== 1 || !accepts.includes(tag))) {
    throw new ClientError(`argument ${i + 1} (${name}) must be ${want}, got an OSC ${typeName(tag)}`);
  }
  return tag;
}

function needString(args: readonly OscArg[], i: number, name: string, tags?: readonly string[]): string {
  checkTag(tags, i, name, TEXT_TAGS, "a string");
  const v = args[i];
  if (typeof v !== "string" || v === "") {
    throw new ClientError(`argument ${i + 1} (${name}) must be a string`);
  }
  return v;
}

function needNumber(args: readonly OscArg[], i: number, name: string, tags?: readonly string[]): number {
  checkTag(tags, i, name, NUMBER_TAGS + TEXT_TAGS, "a number");
  const v = typeof args[i] === "string" && args[i] !== "" ? Number(args[i]) : args[i];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ClientError(
      `argument ${i + 1} (${name}) must be a number, got ${JSON.stringify(args[i] ?? null)}`,
    );
  }
  return v;
}

function needValue(
  args: readonly OscArg[],
  i: number,
  name: string,
  tags?: readonly string[],
): number | string {
  checkTag(tags, i, name, NUMBER_TAGS + TEXT_TAGS + BOOLEAN_TAGS, "a number or a name");
  const v = args[i];
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new ClientError(`argument ${i + 1} (${name}) must be a number or a name`);
}

/** A non-empty string. */
export function str(name: string, more: Partial<Shape> = {}): Shape<string> {
  return { name, type: "string", ...more, read: (a, i, t) => needString(a, i, name, t) };
}

/** A number (numeric strings too), within min … max when both are given (also a whole one when `integer`). */
export function num(
  name: string,
  more: Partial<Shape> & { integer?: boolean } = {},
): Shape<number> {
  const { integer, ...rest } = more;
  return {
    name,
    type: integer ? "integer" : "number",
    ...rest,
    read: (a, i, t) => {
      const v = needNumber(a, i, name, t);
      if (integer && !Number.isInteger(v)) throw new ClientError(`${name} must be a whole number, got ${v}`);
      const { min, max, unit } = more;
      if (min !== undefined && max !== undefined && (v < min || v > max)) {
        throw new ClientError(`${name} ${v} is out of range (${min} … ${max}${unit ? ` ${unit}` : ""})`);
      }
      return v;
    },
  };
}

/** A number or a name (an OSC true/false is 1/0); whoever takes it checks it (a parameter: the patch). */
export function value(name: string, more: Partial<Shape> = {}): Shape<number | string> {
  return { name, type: "number or name", ...more, read: (a, i, t) => needValue(a, i, name, t) };
}

/**
 * A pitch in Hz: a whole number 0–127 is MIDI, other numbers Hz, or a name ("C#3", "110hz"); over OSC a
 * float (`f`, `d`) is Hz even when it is whole, so `55.0` is 55 Hz and `55` (`i`, `h`) MIDI 55.
 */
export function pitch(name: string, more: Partial<Shape> = {}): Shape<number> {
  return {
    name,
    type: "pitch",
    doc: "a whole number 0–127 is a MIDI note, other numbers Hz; or a name: C#3, Eb5, 110hz; " +
      "an OSC float (f, d) is Hz even when whole",
    ...more,
    read: (a, i, t) => {
      const tag = checkTag(t, i, name, NUMBER_TAGS + TEXT_TAGS, "a pitch (a number or a note name)");
      return parsePitch(needValue(a, i, name), tag === "f" || tag === "d");
    },
  };
}

/**
 * A pitch word as given, for core/music.ts pitchesOf to read with the session's scale: a pitch, a chord
 * (`C3:maj7`), a list (`C3,E3,G3`) or a degree (`:5`); `float` when it came as an OSC float (then it is Hz).
 */
export function pitches(
  name: string,
  more: Partial<Shape> = {},
): Shape<{ value: number | string; float: boolean }> {
  return {
    name,
    type: "pitch, chord or degree",
    doc: "a pitch (60, 440.0, C#3, 110hz), a chord (C3:maj7, G2:sus4/D, C3:maj7/1), a list (C3,E3,G3) or a " +
      "degree of the scale (:5, :b7, :^8, :3@2); an OSC float is Hz",
    ...more,
    read: (a, i, t) => {
      const tag = checkTag(t, i, name, NUMBER_TAGS + TEXT_TAGS, "a pitch, chord or degree");
      return { value: needValue(a, i, name), float: tag === "f" || tag === "d" };
    },
  };
}

/** A gate: any number, on when it is not 0; OSC true/false (`T`/`F`) are on/off. */
export function gate(name: string): Shape<boolean> {
  return {
    name,
    type: "number",
    shown: "0|1",
    doc: "on unless 0; OSC T/F: on/off",
    read: (a, i, t) => {
      checkTag(t, i, name, NUMBER_TAGS + TEXT_TAGS + BOOLEAN_TAGS, "a number or true/false");
      const v = a[i];
      return typeof v === "boolean" ? v : needNumber(a, i, name) !== 0;
    },
  };
}

/** Strictly 1 or 0 (also true/false and "1"/"0"). */
export function onOff(name: string, more: Partial<Shape> = {}): Shape<boolean> {
  return {
    name,
    type: "1 or 0",
    shown: "1|0",
    ...more,
    read: (a, i, t) => {
      checkTag(t, i, name, NUMBER_TAGS + TEXT_TAGS + BOOLEAN_TAGS, "1 or 0");
      const v = a[i];
      if (v === 1 || v === true || v === "1") return true;
      if (v === 0 || v === false || v === "0") return false;
      throw new ClientError(`argument ${i + 1} (${name}) must be 1 or 0, got ${JSON.stringify(v ?? null)}`);
    },
  };
}

/** One of `names` (or its index in the list); reads as the name. */
export function choice(name: string, names: readonly string[], more: Partial<Shape> = {}): Shape<string> {
  return {
    name,
    type: "name",
    values: names,
    ...more,
    read: (a, i, t) => {
      const v = needValue(a, i, name, t);
      const index = typeof v === "number" ? v : /^\d+$/.test(v.trim()) ? Number(v) : names.indexOf(v.trim());
      if (!Number.isInteger(index) || index < 0 || index >= names.length) {
        throw new ClientError(`${name} ${JSON.stringify(v)} is not one of ${names.join(" | ")}`);
      }
      return names[index];
    },
  };
}

/** The same shape, optional: absent reads as undefined. */
export function opt<T>(s: Shape<T>): Shape<T | undefined>;
/** The same shape, optional: absent reads as `fallback`. */
export function opt<T>(s: Shape<T>, fallback: T): Shape<T>;
export function opt<T>(s: Shape<T>, fallback?: T): Shape<T | undefined> {
  return { ...s, optional: true, read: (a, i, t) => (i < a.length ? s.read(a, i, t) : fallback) };
}

/** The same shape for every remaining argument (zero or more). */
export function rest<T>(s: Shape<T>, more: Partial<Shape> = {}): Shape<T[]> {
  return {
    ...s,
    rest: true,
    ...more,
    read: (a, i, t) => a.slice(i).map((_, k) => s.read(a, i + k, t)),
  };
}

/** The entry as plain JSON data (what /engine/schema lists under "addresses"). */
export function routeJson(r: Route): unknown {
  return {
    address: r.address,
    family: r.family,
    dialect: r.dialect,
    usage: r.usage,
    summary: r.summary,
    args: r.args.map((s) => ({
      name: s.name,
      type: s.type,
      ...(s.optional ? { optional: true } : {}),
      ...(s.rest ? { rest: true } : {}),
      ...(s.min !== undefined ? { min: s.min } : {}),
      ...(s.max !== undefined ? { max: s.max } : {}),
      ...(s.unit ? { unit: s.unit } : {}),
      ...(s.values ? { values: s.values } : {}),
      ...(s.doc ? { doc: s.doc } : {}),
    })),
    ...(r.now ? { now: r.now } : {}),
    reply: r.reply,
    ...(r.text ? { text: r.text } : {}),
  };
}

/**
 * Sends the reply of an engine call that answers later (a recording's start, an analysis): `ok`'s message, or
 * `/error <address> <message>` for a ClientError (from the call or from `ok`, which may refuse or fail writing
 * what it got); any other error is reported as internal, never swallowed.
 */
export function answerLater<T>(
  address: string,
  p: Promise<T>,
  later: ((r: OscReply) => void) | undefined,
  ok: (v: T) => OscReply,
): void {
  const fail = (e: unknown) => {
    if (!(e instanceof ClientError)) {
      console.error(`[chronus] ${address}: internal error: ${(e as Error).stack}`);
    }
    const text = e instanceof ClientError ? e.message : `internal error: ${(e as Error).message}`;
    later?.({ address: "/error", args: [address, text] });
  };
  // One step after the call settles, as before `ok` could throw: replies keep their order.
  p.then((v) => {
    let r: OscReply;
    try {
      r = ok(v);
    } catch (e) {
      return fail(e);
    }
    later?.(r);
  }, fail);
}
