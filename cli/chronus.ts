// deno task chronus [COMMAND …] | play SCORE: talks to a running engine over OSC in the text command language
// (cli/language.ts) and prints the answers in plain words. Without a command it reads commands line by line
// (an interactive prompt in a terminal; a pipe works too). Exit code 1 when the engine answered with an error.
import { basename, dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { encode } from "node-osc";
import { describe as describeAnalysis } from "../analysis/describe.ts";
import { ClientError } from "../core/errors.ts";
import { DEFAULT_DATA_DIR } from "../core/sandbox.ts";
import { decodePacket } from "../osc/codec.ts";
import { HELP_LINES, type OscMessage, translate, type Translation } from "./language.ts";
import type { TrackSpec } from "../core/files.ts";
import { dialectHelp } from "../osc/routes/table.ts";

const HELP = `Usage: deno task chronus [--host H] [--port P] [--json] [--data-dir DIR] [COMMAND …]
       deno task chronus play SCORE [--host H] [--port P]

Sends one command (or, without one, each line typed or piped) to a running engine over OSC (default
127.0.0.1:5005) and prints the answer. play sends a score (lines "SECONDS COMMAND") live, as timed bundles.
Files: "load FILE" sends a file of this directory as text (up to 60 KB; else a name in the engine's
data directory's patches/), "save FILE" writes the engine's patch here, "record start FILE" names a file
in the engine's --data-dir recordings/ (DIR: the engine's data directory as seen from here, default
${DEFAULT_DATA_DIR}). In a score, file names are the engine's, in its data directory.

Commands:
  ${HELP_LINES.join("\n  ")}

${dialectHelp().join("\n")}`;

/** A message from the engine as the client receives it: its address, then its arguments. */
export type Reply = [string, ...(string | number)[]];

/** An OSC connection to the engine. */
class Connection {
  #sock: Deno.DatagramConn;
  #to: Deno.NetAddr;
  #queue: Reply[] = [];
  #wake: (() => void) | null = null;
  #loop: Promise<void>;
  #sync = 0;

  constructor(host: string, port: number) {
    const sock = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
    this.#sock = sock;
    this.#to = { transport: "udp", hostname: host, port };
    this.#loop = (async () => {
      for (;;) {
        try {
          const [b] = await sock.receive();
          // The engine's own decoder: replies carry integers past 2^31 as int64 (h), which node-osc cannot
          // read.
          const d = decodePacket(b);
          if (!d.ok || d.packet.kind !== "message") continue;
          this.#queue.push([d.packet.address, ...(d.packet.args as (string | number)[])]);
          this.#wake?.();
        } catch {
          return;
        }
      }
    })();
  }

  async send(messages: OscMessage[], timetag?: number): Promise<void> {
    if (messages.length === 0) return;
    const packet = timetag !== undefined || messages.length > 1
      ? {
        oscType: "bundle",
        timetag: timetag ?? 0,
        elements: messages.map(([address, ...args]) => ({ oscType: "message", address, args })),
      }
      : { oscType: "message", address: messages[0][0], args: messages[0].slice(1) };
    await this.#sock.send(encode(packet), this.#to);
  }

  /** Waits for a reply with one of the addresses; /error replies come back as errors. */
  async next(addresses: string[], ms = 3000): Promise<{ reply?: Reply; errors: Reply[] }> {
    const errors: Reply[] = [];
    const deadline = performance.now() + ms;
    for (;;) {
      while (this.#queue.length) {
        const r = this.#queue.shift()!;
        if (r[0] === "/error") errors.push(r);
        else if (addresses.includes(r[0])) return { reply: r, errors };
      }
      const left = deadline - performance.now();
      if (left <= 0) return { errors };
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.#wake = () => {
          clearTimeout(t);
          this.#wake = null;
          res();
        };
      });
    }
  }

  /** Sends /sync and waits until everything sent before it has applied. */
  async sync(ms = 5000): Promise<{ ok: boolean; errors: Reply[] }> {
    const id = ++this.#sync;
    await this.send([["/sync", id]]);
    for (;;) {
      const { reply, errors } = await this.next(["/synced"], ms);
      if (!reply) return { ok: false, errors };
      if (reply[1] === id) return { ok: true, errors };
    }
  }

  async close(): Promise<void> {
    this.#sock.close();
    await this.#loop;
  }
}

/** An engine's reply in plain words (`json`: JSON replies as they came). */
export function describe(reply: Reply, json: boolean): string {
  const [address, ...args] = reply;
  if (json && typeof args[0] === "string" && args[0].startsWith("{")) return args[0];
  if (json && address === "/analyze/plot.reply") return String(args[1]);
  switch (address) {
    case "/engine/status.reply": {
      const s = JSON.parse(String(args[0]));
      const cpu = Object.entries(s.cpu as Record<string, number>).map(([k, v]) =>
        `${k} ${(v * 100).toFixed(1)}%`
      );
      return `up ${
        s.uptimeS.toFixed(1)
      } s · ${s.sampleRate} Hz, block ${s.block} · active slot ${s.activeSlot} · ` +
        `${
          s.redundant ? "redundant" : "SINGLE"
        } · failovers ${s.failovers} · late blocks ${s.lateBlocks} · cpu ${cpu.join(", ")}`;
    }
    case "/engine/list.reply": {
      const p = JSON.parse(String(args[0]));
      const mods = Object.entries(p.modules as Record<string, { type: string }>).map(([n, m]) =>
        `${n} (${m.type})`
      );
      const cables = (p.connections ?? []).map((c: [string, string, number?]) =>
        `${c[0]} -> ${c[1]}${c[2] !== undefined ? ` ${c[2]}` : ""}`
      );
      return `modules: ${mods.join(", ")}\ncables:\n  ${cables.join("\n  ")}`;
    }
    case "/engine/schema.reply": {
      const s = JSON.parse(String(args[0]));
      return s.modules.map((
        m: { type: string; inputs: string[]; outputs: string[]; params: { name: string }[] },
      ) =>
        `${m.type}: in ${m.inputs.join(", ") || "-"}; out ${m.outputs.join(", ") || "-"}; params ${
          m.params.map((p) => p.name).join(", ")
        }`
      ).join("\n");
    }
    case "/patch/commit.reply": {
      const delayed = JSON.parse(String(args[1] ?? "[]")) as string[];
      return `applied (${args[0]} commands)${
        delayed.length
          ? `; these cables close a cycle and carry one block of delay: ${delayed.join(", ")}`
          : ""
      }`;
    }
    case "/seq/status.reply": {
      const s = JSON.parse(String(args[0]));
      const tracks = Object.entries(s.tracks as Record<string, TrackSpec>).map(([n, t]) =>
        `  ${n}: ${t.modules.join(",")} ${t.pattern}${t.notes ? ` (${t.notes.join(" ")})` : ""}`
      );
      const at = s.position ? ` · bar ${s.position.bar} beat ${s.position.beat}` : "";
      return `${s.running ? "playing" : "stopped"}${at} · ${s.bpm} BPM · swing ${s.swing} %\n${
        tracks.length ? tracks.join("\n") : "  no tracks (seq add TRACK MODULE PATTERN)"
      }`;
    }
    case "/seq/add.reply":
    case "/seq/remove.reply":
    case "/seq/update/pattern.reply":
    case "/seq/update/notes.reply":
    case "/seq/set.reply":
    case "/seq/lane.reply": {
      const when = args[args.length - 1] === "now" ? "from its next step" : "from the next bar";
      const what = address === "/seq/remove.reply" ? "removed" : "set";
      return `track ${args[0]} ${what} ${when}`;
    }
    case "/seq/start.reply":
      return "playing from the first bar";
    case "/seq/stop.reply":
      return "stopped (every gate closed)";
    case "/pattern/list.reply":
      return args.length ? args.join("\n") : "no patterns saved yet (pattern save NAME)";
    case "/pattern/save.reply":
      return `saved ${args[0]}`;
    case "/pattern/load.reply":
      return `loaded ${args[0]} (${args[1] === "now" ? "from each track's next step" : "from the next bar"})`;
    case "/analyze.reply":
      return describeAnalysis(JSON.parse(String(args[0])));
    case "/analyze/plot.reply":
      return `plotted ${args[0]}. ${describeAnalysis(JSON.parse(String(args[1])))}`;
    case "/record/start.reply":
      return `recording to ${args[0]} from frame ${args[1]}`;
    case "/record/stop.reply":
      return `recorded ${Number(args[2]).toFixed(2)} s (${args[1]} frames) to ${args[0]}`;
    case "/record/status.reply": {
      const r = JSON.parse(String(args[0]));
      const lost = r.lostFrames ? `, ${r.lostFrames} frames lost to ${r.overruns} overruns (silence)` : "";
      if (r.recording) {
        return `recording to ${r.path} (${r.format}): ${r.seconds.toFixed(2)} s, ` +
          `${r.flushedSeconds.toFixed(2)} s on disk, ` +
          `${r.lagMs.toFixed(0)} ms behind the output${lost}`;
      }
      const why = r.error ? `; it ended early: ${r.error}` : "";
      return r.path === null
        ? "not recording"
        : `not recording (last: ${r.path}, ${r.seconds.toFixed(2)} s${lost}${why})`;
    }
    default:
      return `${address} ${args.join(" ")}`;
  }
}

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
    const named = !(args.length === 1 && format.test(String(args[0]))) && args[0] !== "overwrite";
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

// `save FILE` of the client: the engine's patch (/engine/list) and sequence (/seq/status) written here.
async function saveHere(c: Connection, path: string, overwrite: boolean): Promise<boolean> {
  await c.send([["/engine/list"]]);
  const list = await c.next(["/engine/list.reply"]);
  await c.send([["/seq/status"]]);
  const seq = await c.next(["/seq/status.reply"]);
  for (const e of [...list.errors, ...seq.errors]) console.error(`error: ${e[1]}: ${e[2]}`);
  if (!list.reply || !seq.reply) return list.errors.length + seq.errors.length > 0 ? false : noAnswer();
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
  if (t.expect === "none") return true;
  await c.send(t.messages);
  let errors: Reply[];
  if (t.expect === "sync") {
    const r = await c.sync();
    errors = r.errors;
    if (!r.ok && errors.length === 0) return noAnswer();
    if (errors.length === 0) console.log("ok");
  } else {
    // A module's first analysis collects its window (up to 5.46 s) before it answers.
    const r = await c.next([t.expect], t.expect.startsWith("/analyze") ? 10_000 : 3000);
    errors = r.errors;
    if (!r.reply && errors.length === 0) return noAnswer();
    if (r.reply) console.log(describe(r.reply, json));
  }
  for (const e of errors) console.error(`error: ${e[1]}: ${e[2]}`);
  return errors.length === 0;
}

let target = "";
function noAnswer(): false {
  console.error(`error: no answer from the engine at ${target} (is it running? deno task start)`);
  return false;
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
  let a;
  try {
    a = parseArgs({
      args: Deno.args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5005" },
        json: { type: "boolean", default: false },
        "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
        help: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    console.error(`chronus: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (a.values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  target = `${a.values.host}:${a.values.port}`;
  const c = new Connection(a.values.host, Number(a.values.port));
  let ok = true;
  const words = a.positionals;
  if (words[0] === "play") {
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
