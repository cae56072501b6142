// deno task chronus [COMMAND …] | play SCORE: talks to a running engine over OSC in the text command language
// (cli/language.ts) and prints the answers in plain words. Without a command it reads commands line by line
// (an interactive prompt in a terminal; a pipe works too). A batch (--batch [FILE], or stdin redirected from a
// file: chronus < moves.txt) sends every line as one bundle that applies at one frame. Exit code 1 when the
// engine answered with an error.
import { basename, dirname, relative, resolve } from "node:path";
import { fstatSync } from "node:fs";
import { parseArgs } from "node:util";
import { encode } from "node-osc";
import { ClientError } from "../core/errors.ts";
import { DEFAULT_DATA_DIR } from "../core/sandbox.ts";
import { HELP_LINES, type OscMessage, translate, type Translation } from "./language.ts";
import {
  ANSWER_WAIT_MS,
  changedText,
  Connection,
  errorText,
  noAnswerText,
  runTranslation,
  SYNC_WAIT_MS,
} from "./session.ts";
import { dialectHelp } from "../osc/routes/table.ts";
import { MAX_PACKET_MESSAGES } from "../osc/server.ts";
import { watchMain } from "./watch.ts";

const HELP = `Usage: deno task chronus [--host H] [--port P] [--json] [--data-dir DIR] [COMMAND …]
       deno task chronus --batch [FILE]   (or: deno task chronus < FILE)
       deno task chronus play SCORE [--host H] [--port P]
       deno task chronus watch [--host H] [--port P] [--seconds N]  (a live view: docs/view.md)

Sends one command (or, without one, each line typed or piped) to a running engine over OSC (default
127.0.0.1:5005) and prints the answer. A batch (--batch FILE, --batch reading stdin, or stdin redirected
from a file) sends every line as one bundle applied at one frame, up to 1,000 lines; a line that does not
translate refuses the whole batch, nothing sent. play sends a score (lines "SECONDS COMMAND") live, as timed bundles.
Files: "load FILE" sends a file of this directory as text (up to 60 KB; else a name in the engine's
data directory's patches/), "save FILE" writes the engine's patch here, "record start FILE" names a file
in the engine's --data-dir recordings/ (DIR: the engine's data directory as seen from here, default
${DEFAULT_DATA_DIR}). In a score, file names are the engine's, in its data directory.

Commands:
  ${HELP_LINES.join("\n  ")}

${dialectHelp().join("\n")}`;

/** The most text a patch sent in one OSC message may hold (a UDP datagram carries under 64 KiB). */
export const MAX_SENT_PATCH_BYTES = 60_000;

/** What a line does with the client's own files: sends other messages, or saves the patch here. */
export type LocalLine = Translation | { save: string; overwrite: boolean };

/**
 * A translated line with its file names made the client's (the engine resolves names in its data directory,
 * core/sandbox.ts, and reads no file of ours): `load FILE` of an existing file here sends its text
 * (/patch/load/json), `save FILE` becomes a local save, `record start FILE` a name inside `dataDir`'s
 * recordings/ (as seen from here). Throws ClientError in plain words.
 */
export function localFiles(t: Translation, dataDir = DEFAULT_DATA_DIR): LocalLine {
  const [m] = t.messages;
  if (t.messages.length !== 1) return t;
  const [address, ...args] = m;
  if (address === "/patch/load" && typeof args[0] === "string") {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(args[0]);
    } catch {
      return t; // not here: a name in the engine's patches/
    }
    if (!info.isFile) throw new ClientError(`${args[0]} is not a regular file`);
    if (info.size > MAX_SENT_PATCH_BYTES) {
      throw new ClientError(
        `${args[0]} is ${info.size} bytes, more than the ${MAX_SENT_PATCH_BYTES} one OSC message carries: ` +
          `copy it into the engine's data directory's patches/ and load it by name`,
      );
    }
    return { ...t, messages: [["/patch/load/json", Deno.readTextFileSync(args[0])]] };
  }
  if (address === "/patch/save") return { save: String(args[0]), overwrite: args[1] === "overwrite" };
  if (address === "/record/start" && args.length > 0) {
    const format = /^(float32|float|32|pcm24|24)$/i;
    const first = String(args[0]);
    const named = !format.test(first) && first !== "overwrite" && !/^(--)?(seconds|bars)$/i.test(first);
    if (!named) return t;
    const file = String(args[0]);
    const abs = resolve(file);
    const recordings = resolve(dataDir, "recordings");
    const inside = relative(recordings, abs);
    let name: string;
    if (dirname(abs) === Deno.cwd()) name = basename(abs);
    else if (inside && !inside.startsWith("..") && !inside.startsWith("/")) name = inside;
    else {
      throw new ClientError(
        `${file} is outside the engine's data directory: the engine records into its --data-dir's ` +
          `recordings/ (${recordings} with --data-dir ${dataDir}); give a name like take.wav`,
      );
    }
    return { ...t, messages: [["/record/start", name, ...args.slice(1)]] };
  }
  return t;
}

/** This client's own options: --host, --port, --data-dir (each with a value), --json, --help. */
const OWN_OPTIONS: Readonly<Record<string, "string" | "boolean">> = {
  host: "string",
  port: "string",
  "data-dir": "string",
  json: "boolean",
  batch: "boolean",
  help: "boolean",
};

/**
 * Splits the command line into this client's options and the command's words, so that a command's own
 * `--words` (`record start take.wav --seconds 2`) reach the command instead of being refused as unknown
 * options. Returns [options, words].
 */
export function splitOptions(args: readonly string[]): [string[], string[]] {
  const options: string[] = [], words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(=.*)?$/.exec(args[i]);
    const kind = m ? OWN_OPTIONS[m[1]] : undefined;
    if (!kind) words.push(args[i]);
    else {
      options.push(args[i]);
      if (kind === "string" && m![2] === undefined && i + 1 < args.length) options.push(args[++i]);
    }
  }
  return [options, words];
}

// `save FILE` of the client: the engine's patch (/engine/list) and sequence (/seq/status) written here.
async function saveHere(c: Connection, path: string, overwrite: boolean): Promise<boolean> {
  await c.send([["/engine/list"]]);
  const list = await c.next(["/engine/list.reply"]);
  await c.send([["/seq/status"]]);
  const seq = await c.next(["/seq/status.reply"]);
  for (const e of [...list.errors, ...seq.errors]) console.error(`error: ${errorText(e)}`);
  if (!list.reply || !seq.reply) return list.errors.length + seq.errors.length > 0 ? false : noAnswer(c);
  const file = JSON.parse(String(list.reply[1]));
  const { bpm, swing, tracks } = JSON.parse(String(seq.reply[1]));
  if (Object.keys(tracks ?? {}).length) file.sequence = { bpm, swing, tracks };
  try {
    Deno.writeTextFileSync(path, JSON.stringify(file, null, 2) + "\n", overwrite ? {} : { createNew: true });
  } catch (e) {
    const why = e instanceof Deno.errors.AlreadyExists
      ? "it exists already (add overwrite to replace it)"
      : (e as Error).message;
    console.error(`error: cannot write ${path}: ${why}`);
    return false;
  }
  console.log(`saved ${path}`);
  return true;
}

/** Runs one line; returns false when the engine answered with an error. */
async function runLine(c: Connection, line: string, json: boolean, dataDir?: string): Promise<boolean> {
  let t;
  try {
    const local = localFiles(translate(line), dataDir);
    if ("save" in local) return await saveHere(c, local.save, local.overwrite);
    t = local;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return false;
  }
  const a = await runTranslation(c, t, json);
  if (a.text) console.log(a.text);
  for (const e of a.errors) console.error(`error: ${e}`);
  return a.ok;
}

function noAnswer(c: Connection): false {
  console.error(`error: ${noAnswerText(c.target, ANSWER_WAIT_MS)}`);
  return false;
}

/** The most lines a batch may hold: its messages and the /sync fit one packet (osc/server.ts, 1,024). */
export const MAX_BATCH_LINES = 1000;

/** How far ahead a batch's time tag is, seconds: past the time the engine takes to handle 1,000 messages. */
export const BATCH_AHEAD_S = 0.1;

/** The most bytes a batch's bundle may take: one UDP datagram (docs/limits.md). */
export const MAX_BATCH_BYTES = 60_000;

/**
 * A batch's lines as the messages of one bundle, in order (`source` names the input in errors). Throws
 * ClientError naming the first line that does not translate, or the bound the batch is over: nothing is sent.
 */
export function batchMessages(text: string, source: string, dataDir = DEFAULT_DATA_DIR): OscMessage[] {
  const lines = text.split("\n");
  const used = lines.filter((l) => l.replace(/#.*$/, "").trim() !== "").length;
  if (used > MAX_BATCH_LINES) {
    throw new ClientError(`${source}: ${used} lines; a batch holds at most ${MAX_BATCH_LINES}`);
  }
  const messages: OscMessage[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      const t = localFiles(translate(line), dataDir);
      if ("save" in t) throw new ClientError(`save FILE writes here, not in the engine: run it on its own`);
      messages.push(...t.messages);
    } catch (e) {
      throw new ClientError(`${source}:${i + 1}: ${(e as Error).message}; nothing was sent`);
    }
  }
  if (messages.length + 1 > MAX_PACKET_MESSAGES) {
    throw new ClientError(
      `${source}: ${messages.length} messages; a batch sends at most ${MAX_PACKET_MESSAGES - 1} (one packet)`,
    );
  }
  const bytes = encode({
    oscType: "bundle",
    timetag: 0,
    elements: [...messages, ["/sync", 0] as OscMessage].map(([address, ...args]) => ({
      oscType: "message",
      address,
      args,
    })),
  }).length;
  if (bytes > MAX_BATCH_BYTES) {
    throw new ClientError(
      `${source}: ${bytes} bytes in one bundle; a batch sends at most ${MAX_BATCH_BYTES}`,
    );
  }
  return messages;
}

/** Sends a batch as one bundle with a /sync and prints what it changed; false when anything was refused. */
export async function runBatch(
  c: Connection,
  text: string,
  source: string,
  dataDir?: string,
): Promise<boolean> {
  let messages: OscMessage[];
  try {
    messages = batchMessages(text, source, dataDir);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return false;
  }
  // A time tag a little ahead: the engine stamps every message at its one frame (an immediate bundle's
  // commands go out together too, but each edit would be labelled with the frame it was handled at).
  const r = await c.exchange(messages, "sync", SYNC_WAIT_MS, [], [], Date.now() / 1000 + BATCH_AHEAD_S);
  const errors = r.errors.map(errorText);
  if (!r.synced && errors.length === 0) errors.push(noAnswerText(c.target, SYNC_WAIT_MS));
  if (r.synced) console.log(changedText(r.said, messages));
  for (const e of errors) console.error(`error: ${e}`);
  return r.synced && errors.length === 0;
}

// Sends a score live: each line as a bundle stamped start + its time, at most one second ahead.
async function play(c: Connection, path: string): Promise<boolean> {
  const lines = Deno.readTextFileSync(path).split("\n");
  const events: { at: number; messages: OscMessage[] }[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const m = /^(\d+(?:\.\d*)?|\.\d+)\s+(.+)$/.exec(line);
    if (!m) {
      console.error(`error: ${path}:${i + 1}: expected "SECONDS COMMAND"`);
      return false;
    }
    try {
      events.push({ at: Number(m[1]), messages: translate(m[2]).messages });
    } catch (e) {
      console.error(`error: ${path}:${i + 1}: ${(e as Error).message}`);
      return false;
    }
  }
  events.sort((a, b) => a.at - b.at);
  const start = Date.now() / 1000 + 0.3;
  for (const e of events) {
    const wait = (start + e.at - 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await c.send(e.messages, start + e.at);
  }
  const last = events.length ? events[events.length - 1].at : 0;
  const r = await c.sync(5000 + last * 1000);
  for (const e of r.errors) console.error(`error: ${e[1]}: ${e[2]}`);
  console.log(`played ${events.length} events`);
  return r.ok && r.errors.length === 0;
}

if (import.meta.main) {
  if (Deno.args[0] === "watch") Deno.exit(await watchMain(Deno.args.slice(1))); // cli/watch.ts
  let a;
  let positionals: string[] = [];
  try {
    const [options, words] = splitOptions(Deno.args);
    a = parseArgs({
      args: options,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5005" },
        json: { type: "boolean", default: false },
        batch: { type: "boolean", default: false },
        "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
        help: { type: "boolean", default: false },
      },
      allowPositionals: false,
    });
    positionals = words;
  } catch (e) {
    console.error(`chronus: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (a.values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const c = new Connection(a.values.host, Number(a.values.port));
  let ok = true;
  const words = positionals;
  // A batch: --batch (FILE, else stdin), or stdin redirected from a file; a pipe stays line by line, so a
  // program can hold a conversation on it.
  const redirected = !Deno.stdin.isTerminal() && words.length === 0 && fstatSync(0).isFile();
  if (a.values.batch || redirected) {
    const file = words.length === 1 ? words[0] : undefined;
    if (words.length > 1) {
      console.error("usage: chronus --batch [FILE]");
      ok = false;
    } else {
      let text: string | undefined;
      try {
        text = file === undefined
          ? await new Response(Deno.stdin.readable).text()
          : Deno.readTextFileSync(file);
      } catch (e) {
        console.error(`error: cannot read ${file}: ${(e as Error).message}`);
      }
      ok = text !== undefined && await runBatch(c, text, file ?? "stdin", a.values["data-dir"]);
    }
  } else if (words[0] === "play") {
    ok = words.length === 2 ? await play(c, words[1]) : (console.error("usage: chronus play SCORE"), false);
  } else if (words.length) {
    ok = await runLine(c, words.join(" "), a.values.json, a.values["data-dir"]);
  } else {
    const tty = Deno.stdin.isTerminal();
    const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    if (tty) Deno.stdout.writeSync(new TextEncoder().encode("chronus> "));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (/^\s*(quit|exit)\s*$/.test(line)) {
          await c.close();
          Deno.exit(ok ? 0 : 1);
        }
        if (line.trim()) ok = (await runLine(c, line, a.values.json, a.values["data-dir"])) && ok;
        if (tty) Deno.stdout.writeSync(new TextEncoder().encode("chronus> "));
      }
    }
    if (buf.trim()) ok = (await runLine(c, buf, a.values.json, a.values["data-dir"])) && ok;
  }
  await c.close();
  Deno.exit(ok ? 0 : 1);
}
