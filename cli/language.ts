// The text command language of `deno task chronus`, as OSC messages: a small, forgiving language that a
// musician or an agent can type. One line → the messages to send (several are sent as one bundle) and what
// kind of answer to wait for.
import { ClientError } from "../core/errors.ts";
import { nearest } from "../core/nearest.ts";
import type { FamilyName, Route } from "../osc/routes/route.ts";
import { ROUTES } from "../osc/routes/table.ts";

/** One OSC message. */
export type OscMessage = [address: string, ...args: (string | number)[]];

/** What a line turns into. */
export interface Translation {
  /** The messages the line sends, in order (more than one go out as one bundle). */
  messages: OscMessage[];
  /** The reply address to wait for, or "sync" (wait for /synced: the change has applied). */
  expect: string;
  /**
   * With "sync": a reply that may come first and is then the answer (a /note on a voice group answers its
   * ids; on a module it answers nothing, and the language cannot tell a group's name from a module's).
   */
  also?: string;
}

const ON = new Set(["on", "1", "true", "open", "yes"]);
const OFF = new Set(["off", "0", "false", "close", "no"]);

/** A number when the word is one, else the word (names of enumerated values, note names). */
function word(w: string): string | number {
  return /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(w) ? Number(w) : w;
}

/** The text form of an address (osc/routes/): the command that sends it, as help and errors show it. */
function form(address: string): string {
  const r = ROUTES.find((r) => r.address === address);
  if (!r?.text) throw new Error(`${address} has no text form in the address table`);
  return r.text.form;
}

/** The text forms of a family's addresses, for a usage that lists them all. */
function forms(family: FamilyName): string[] {
  return ROUTES.filter((r) => r.family === family && r.text).map((r) => r.text!.form);
}

/** The engine tone's one-word commands (`freq 440`): the /engine/WORD addresses that take one value. */
const TONE_WORDS = new Set(
  ROUTES.filter((r) => r.family === "engine" && r.text && r.args.length === 1).map((r) =>
    r.address.slice("/engine/".length)
  ),
);

/** The help of the language: each address's text form with its examples, family by family. */
export function helpLines(routes: readonly Route[]): string[] {
  return routes.flatMap((r) => {
    if (!r.text) return [];
    const { form, examples, note } = r.text;
    const shown = examples.filter((e) => e !== form).join(", ");
    const say = note ? (shown ? `${shown} (${note})` : note) : shown;
    if (!say) return [form];
    return form.length < 32 ? [`${form.padEnd(32)}${say}`] : [form, `${"".padEnd(32)}${say}`];
  });
}

/** The language's commands, for help and errors (generated from the address table), then the pitch rule. */
export const HELP_LINES: readonly string[] = [
  ...helpLines(ROUTES),
  `${"PITCH".padEnd(32)}a whole number 0–127 is MIDI (55 and 55.0 alike), other numbers Hz; C#3, Eb5, 110hz`,
];

/** The language's command words: each text form's first word ("set", "seq", "freq" …), in the table's order. */
export const COMMAND_WORDS: readonly string[] = [
  ...new Set(ROUTES.flatMap((r) => r.text ? [r.text.form.split(" ")[0].toLowerCase()] : [])),
];

// Words people reach for that mean another command: no edit distance finds "listen" from "levels".
const SYNONYMS: Readonly<Record<string, string>> = {
  levels: "listen",
  level: "listen",
  meter: "listen",
  meters: "listen",
  loudness: "listen",
  spectrum: "listen",
  analyze: "listen",
  key: "scale",
  mode: "scale",
  tempo: "seq",
  bpm: "seq",
  play: "seq",
  stop: "seq",
  start: "seq",
  connect: "patch",
  disconnect: "unpatch",
  remove: "delete",
  rm: "delete",
  new: "create",
  add: "create",
  copy: "clone",
  duplicate: "clone",
  info: "status",
  modules: "list",
  open: "load",
  write: "save",
  store: "save",
};

/** The help lines of one command word (its text forms with their examples). */
export function usageOf(command: string): string[] {
  return helpLines(ROUTES.filter((r) => r.text?.form.split(" ")[0].toLowerCase() === command));
}

/**
 * Why a first word is not a command, with the nearest command (a known synonym, else by edit distance,
 * core/nearest.ts) and its usage alone, never the whole help.
 */
export function unknownCommand(verb: string): string {
  const near = SYNONYMS[verb.toLowerCase()] ?? nearest(verb, COMMAND_WORDS);
  if (near === undefined) {
    return `"${verb}" is not a command; commands: ${COMMAND_WORDS.join(", ")} (help: chronus --help)`;
  }
  return `"${verb}" is not a command; did you mean "${near}"?\n  ${usageOf(near).join("\n  ")}`;
}

// A session's name in `save NAME` / `load NAME`: a bare word (osc/routes/session.ts SESSION_NAME); a word with
// a dot or a slash is a patch file, as before sessions.
const isSessionName = (w: string | undefined): boolean => w !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(w);

/** Translates one line; throws ClientError in plain words. Blank lines and # comments give no messages. */
export function translate(line: string): Translation {
  const words = line.replace(/#.*$/, "").trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return { messages: [], expect: "none" };
  const [verb, ...rest] = words;
  const usage = (u: string): never => {
    throw new ClientError(`"${line.trim()}": expected ${u}`);
  };
  switch (verb.toLowerCase()) {
    case "set": {
      const joined = rest.join(" ").replace("=", " ").split(/\s+/).filter((w) => w !== "");
      if (joined.length !== 2) usage(form("/mod/<module>/<param>"));
      const [target, value] = joined;
      const dot = target.indexOf(".");
      // The engine tone's forms from before the patch: `set freq 440`, `set voice.gain 0.3`.
      if (dot < 0) return { messages: [[`/engine/${target}`, word(value)]], expect: "sync" };
      const module = target.slice(0, dot), param = target.slice(dot + 1);
      const address = module === "voice"
        ? `/engine/${param}`
        : `/mod/${module}/${param.replaceAll(".", "/")}`;
      return { messages: [[address, word(value)]], expect: "sync" };
    }
    case "gate": {
      const [module, state, vel] = rest;
      if (!module || !state || rest.length > 3 || (!ON.has(state) && !OFF.has(state))) {
        usage(form("/gate/<module>"));
      }
      const m: OscMessage = [`/gate/${module}`, ON.has(state) ? 1 : 0];
      if (vel !== undefined) m.push(word(vel));
      return { messages: [m], expect: "sync" };
    }
    case "note": {
      if (rest[0]?.toLowerCase() === "off") {
        if (rest.length < 2 || rest.length > 3) usage(form("/note/off"));
        return { messages: [["/note/off", ...rest.slice(1).map(word)]], expect: "/note/off.reply" };
      }
      if (rest.length < 3 || rest.length > 4) usage(form("/note"));
      return {
        messages: [["/note", rest[0], word(rest[1]), word(rest[2]), ...(rest[3] ? [word(rest[3])] : [])]],
        expect: "sync",
        also: "/note.reply",
      };
    }
    case "scale":
      return { messages: [["/scale", ...rest]], expect: "/scale.reply" };
    case "patch":
    case "unpatch": {
      // `unpatch MODULE`: every cable out of it (the address's destination defaults to *).
      if (verb === "unpatch" && rest.length === 1) {
        return {
          messages: [["/patch/disconnect", rest[0]], ["/patch/commit"]],
          expect: "/patch/commit.reply",
        };
      }
      // "->" (quote it in a shell: > redirects) or "to".
      const arrow = rest.findIndex((w) => w === "->" || w === "to");
      if (arrow !== 1 || rest.length < 3 || rest.length > (verb === "patch" ? 4 : 3)) {
        usage(form(verb === "patch" ? "/patch/connect" : "/patch/disconnect"));
      }
      const m: OscMessage = verb === "patch"
        ? ["/patch/connect", rest[0], rest[2], ...(rest[3] !== undefined ? [word(rest[3])] : [])]
        : ["/patch/disconnect", rest[0], rest[2]];
      return { messages: [m, ["/patch/commit"]], expect: "/patch/commit.reply" };
    }
    case "create":
      if (rest.length !== 2) usage(form("/patch/create"));
      return {
        messages: [["/patch/create", rest[0], rest[1]], ["/patch/commit"]],
        expect: "/patch/commit.reply",
      };
    case "clone":
      if (rest.length !== 2) usage(form("/patch/clone"));
      return {
        messages: [["/patch/clone", rest[0], rest[1]], ["/patch/commit"]],
        expect: "/patch/commit.reply",
      };
    case "delete":
      if (rest.length !== 1) usage(form("/patch/delete"));
      return { messages: [["/patch/delete", rest[0]], ["/patch/commit"]], expect: "/patch/commit.reply" };
    // File names go as typed: the engine resolves them in its data directory (core/sandbox.ts); the chronus
    // client sends a file of its own directory as text instead (cli/chronus.ts localFiles).
    // A bare NAME is a whole session (osc/routes/session.ts), a FILE (with a . or /) the patch and sequence.
    case "load":
      if (rest.length !== 1) usage(`${form("/session/load")} | ${form("/patch/load")}`);
      if (isSessionName(rest[0])) {
        return { messages: [["/session/load", rest[0]]], expect: "/session/load.reply" };
      }
      return { messages: [["/patch/load", rest[0]]], expect: "/patch/commit.reply" };
    case "save":
      if (rest.length < 1 || rest.length > 2 || (rest[1] !== undefined && rest[1] !== "overwrite")) {
        usage(`${form("/session/save")} | ${form("/patch/save")}`);
      }
      if (isSessionName(rest[0])) {
        return { messages: [["/session/save", ...rest]], expect: "/session/save.reply" };
      }
      return { messages: [["/patch/save", ...rest]], expect: "/patch/save.reply" };
    case "get":
      if (rest.length < 1 || rest.length > 2) usage(form("/get"));
      return { messages: [["/get", rest.join(".")]], expect: "/get.reply" };
    case "list": // every module's values as the DSP plays them (osc/routes/engine.ts)
      if (rest.length) usage(form("/engine/state"));
      return { messages: [["/engine/state"]], expect: "/engine/state.reply" };
    case "status":
    case "schema":
      if (rest.length) usage(form(`/engine/${verb.toLowerCase()}`));
      return { messages: [[`/engine/${verb}`]], expect: `/engine/${verb}.reply` };
    case "record": {
      const [sub, ...args] = rest;
      const most = sub === "start" ? 5 : sub === "stop" ? 1 : 0;
      if (!["start", "stop", "status"].includes(sub ?? "") || args.length > most) {
        usage(forms("record").join(" | "));
      }
      return { messages: [[`/record/${sub}`, ...args]], expect: `/record/${sub}.reply` };
    }
    case "sample": {
      const [sub, ...args] = rest;
      const ok = sub === "load"
        ? args.length === 2 || (args.length === 3 && args[2] === "onsets")
        : args.length === (sub === "free" ? 1 : sub === "list" ? 0 : -1);
      if (!ok) usage(forms("sample").join(" | "));
      return { messages: [[`/sample/${sub}`, ...args]], expect: `/sample/${sub}.reply` };
    }
    case "seq":
      return seq(rest, usage);
    case "pattern": {
      const sub = rest[0];
      if (
        !["save", "load", "list"].includes(sub ?? "") ||
        rest.length > (sub === "list" ? 1 : sub === "load" ? 3 : 2)
      ) {
        usage(forms("pattern").join(" | "));
      }
      return { messages: [[`/pattern/${sub}`, ...rest.slice(1)]], expect: `/pattern/${sub}.reply` };
    }
    case "scene":
      return scene(rest, usage);
    case "listen": {
      if (rest[0]?.toLowerCase() === "plot") {
        const args = rest.slice(1);
        const extra = args[args.length - 1] === "overwrite" ? 1 : 0;
        if (args.length < 1 || args.length > 3 + extra) usage(form("/analyze/plot"));
        return { messages: [["/analyze/plot", ...args.map(word)]], expect: "/analyze/plot.reply" };
      }
      if (rest.length > 2) usage(form("/analyze"));
      return { messages: [["/analyze", ...rest.map(word)]], expect: "/analyze.reply" };
    }
    case "sync":
      return { messages: [], expect: "sync" };
    case "undo":
    case "redo":
    case "history": {
      const v = verb.toLowerCase();
      if (rest.length > (v === "history" ? 1 : 2)) usage(form(`/${v}`));
      return { messages: [[`/${v}`, ...rest.map(word)]], expect: `/${v}.reply` };
    }
    default:
      // `freq 440`, `gain 0.3`, `wave sine`: the engine tone's addresses (they set voice1).
      if (rest.length === 1 && TONE_WORDS.has(verb)) {
        return { messages: [[`/engine/${verb}`, word(rest[0])]], expect: "sync" };
      }
      throw new ClientError(unknownCommand(verb));
  }
}

// A word of the pattern grammar (sequencer/grammar.ts); a word of digits alone is a note (MIDI 60), so a
// velocity group joins the pattern only with a step letter, a dot or a bracket in it ("9.5." or "x.95").
const PATTERN_WORD = /^(?:[xX.\-|0-9()*<>?,]|e\()+$/;
const isPatternWord = (w: string): boolean => PATTERN_WORD.test(w) && !/^[0-9]+$/.test(w);

// scene …: `scene play NAME at BAR` sends the bar as a number.
function scene(rest: string[], usage: (u: string) => never): Translation {
  const [sub, ...a] = rest;
  const verb = sub?.toLowerCase();
  if (!["save", "play", "chain", "list"].includes(verb ?? "")) usage(forms("scene").join(" | "));
  let args: (string | number)[] = a;
  if (verb === "play") {
    const at = a.findIndex((w) => w.toLowerCase() === "at");
    if (at >= 0) args = [...a.slice(0, at), word(a[at + 1] ?? ""), ...a.slice(at + 2)];
  }
  return { messages: [[`/scene/${verb}`, ...args]], expect: `/scene/${verb}.reply` };
}

// seq …: a pattern may be typed in groups ("x... x... x..x x..."): consecutive pattern-like words join, with
// their spaces (inside <…> a space separates alternatives).
function seq(rest: string[], usage: (u: string) => never): Translation {
  const [sub, ...a] = rest;
  const joinPattern = (from: number): (string | number)[] => {
    let end = from;
    while (end < a.length && isPatternWord(a[end])) end++;
    if (end === from) end = from + 1; // not a pattern: the router says what is wrong with it
    return [...a.slice(0, from), a.slice(from, end).join(" "), ...a.slice(end).map(word)];
  };
  const reply = (address: string, args: (string | number)[]): Translation => ({
    messages: [[address, ...args]],
    expect: `${address}.reply`,
  });
  switch (sub?.toLowerCase()) {
    case "add":
      if (a.length < 3) usage(form("/seq/add"));
      return reply("/seq/add", joinPattern(2));
    case "pattern":
      if (a.length < 2) usage(form("/seq/update/pattern"));
      return reply("/seq/update/pattern", joinPattern(1));
    case "notes":
      if (a.length < 1) usage(form("/seq/update/notes"));
      return reply("/seq/update/notes", [a[0], ...a.slice(1).map(word)]);
    case "start":
    case "stop":
    case "reset":
    case "status":
    case "clear":
    case "mute":
    case "unmute":
    case "solo":
      return reply(`/seq/${sub.toLowerCase()}`, a);
    case "remove":
    case "bpm":
    case "swing":
    case "set":
    case "lane":
      return reply(
        `/seq/${sub.toLowerCase()}`,
        a.map((w, i) => i === 0 && sub !== "bpm" && sub !== "swing" ? w : word(w)),
      );
    default:
      return usage(`seq ${forms("seq").map((f) => f.split(" ")[1]).join("|")} …`);
  }
}
