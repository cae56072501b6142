// One connection to a running engine and the conversation on it: send one line of the text language
// (cli/language.ts), wait for its answer, say it in plain words. `deno task chronus` (cli/chronus.ts) and the
// MCP server (mcp/) both play the engine through this module, so they answer alike.
import { encode } from "node-osc";
import { decodePacket } from "../osc/codec.ts";
import { describe as describeAnalysis } from "../analysis/describe.ts";
import { type OscMessage, translate, type Translation } from "./language.ts";
import type { TrackSpec } from "../core/files.ts";
import type { HistoryLine } from "../sequencer/history.ts";
import { ROUTES } from "../osc/routes/table.ts";

/** A message from the engine as the client receives it: its address, then its arguments. */
export type Reply = [string, ...(string | number)[]];

/** An OSC connection to the engine: one reply socket, replies queued in arrival order. */
export class Connection {
  /** The engine's address as "host:port", for messages that name it. */
  readonly target: string;
  #sock: Deno.DatagramConn;
  #to: Deno.NetAddr;
  #queue: Reply[] = [];
  #wake: (() => void) | null = null;
  #loop: Promise<void>;
  #sync = 0;

  /** A connection to the engine's OSC port at `host`:`port`, replies on an ephemeral port of our own. */
  constructor(host: string, port: number) {
    this.target = `${host}:${port}`;
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

  /** Sends the messages: one alone, several (or any with a time tag, Unix seconds) as one bundle. */
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

  /**
   * Waits for a reply with one of the addresses; /error replies come back as errors, and an /error about one
   * of `final` (the address whose reply is awaited: refused, it will not answer) ends the wait.
   */
  async next(
    addresses: string[],
    ms = 3000,
    final: string[] = [],
  ): Promise<{ reply?: Reply; errors: Reply[] }> {
    const errors: Reply[] = [];
    const deadline = performance.now() + ms;
    for (;;) {
      while (this.#queue.length) {
        const r = this.#queue.shift()!;
        if (r[0] === "/error") {
          errors.push(r);
          if (final.includes(String(r[1]))) return { errors };
        } else if (addresses.includes(r[0])) return { reply: r, errors };
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

  /**
   * Sends /sync and waits until everything sent before it has applied; replies with an address of `keep` that
   * come meanwhile are kept (a /note's ids), others are dropped.
   */
  async sync(ms = 5000, keep: string[] = []): Promise<{ ok: boolean; errors: Reply[]; kept: Reply[] }> {
    const id = ++this.#sync;
    await this.send([["/sync", id]]);
    const errors: Reply[] = [], kept: Reply[] = [];
    const deadline = performance.now() + ms;
    for (;;) {
      const left = Math.max(0, deadline - performance.now());
      const r = await this.next(["/synced", ...keep], left);
      errors.push(...r.errors);
      if (!r.reply) return { ok: false, errors, kept };
      if (r.reply[0] !== "/synced") kept.push(r.reply);
      else if (r.reply[1] === id) return { ok: true, errors, kept };
    }
  }

  /**
   * Sends the messages and a /sync in one bundle, then waits up to `ms` until both the reply with address
   * `expect` (unless "sync") has come, or an /error about one of `final` or the bundle, and the /synced; replies
   * with an address of `keep` are kept. `said` is what /synced reports this client's edits changed, one line
   * each (osc/edit_notes.ts). `timetag` (Unix seconds) stamps the bundle: every message then lands at its one
   * frame, the edits' lines included.
   */
  async exchange(
    messages: OscMessage[],
    expect: string,
    ms: number,
    final: string[] = [],
    keep: string[] = [],
    timetag?: number,
  ): Promise<{ reply?: Reply; kept: Reply[]; errors: Reply[]; synced: boolean; said: string[] }> {
    const id = ++this.#sync;
    await this.send([...messages, ["/sync", id]], timetag);
    const out = { reply: undefined as Reply | undefined, kept: [] as Reply[], errors: [] as Reply[] };
    let synced = false, said: string[] = [];
    const deadline = performance.now() + ms;
    const answered = () => expect === "sync" || out.reply !== undefined || out.errors.length > 0;
    while (!(synced && answered())) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const r = await this.next([expect, "/synced", ...keep], left, [...final, "#bundle"]);
      out.errors.push(...r.errors);
      if (!r.reply) {
        // A refusal of the awaited message ends the wait for its reply; the /synced still comes.
        if (r.errors.length && !synced) continue;
        if (!r.errors.length) break;
        continue;
      }
      if (r.reply[0] === "/synced") {
        if (r.reply[1] === id) [synced, said] = [true, r.reply.slice(2).map(String)];
      } else if (r.reply[0] === expect) out.reply = r.reply;
      else out.kept.push(r.reply);
    }
    return { ...out, synced, said };
  }

  /** Closes the socket and waits for the receive loop to end. */
  async close(): Promise<void> {
    this.#sock.close();
    await this.#loop;
  }
}

// The lead as the status says it: "lead 2 (5.3 ms, auto)".
function leadText(lead?: { blocks: number; ms: number; auto: boolean }): string {
  return lead ? ` · lead ${lead.blocks} (${lead.ms.toFixed(1)} ms${lead.auto ? ", auto" : ""})` : "";
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
        `${s.redundant ? "redundant" : "SINGLE"} · failovers ${s.failovers} · late blocks ${s.lateBlocks}${
          leadText(s.lead)
        } · cpu ${cpu.join(", ")}` +
        (s.realtime ? ` · realtime: ${s.realtime}` : "");
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
    case "/engine/state.reply": {
      const s = JSON.parse(String(args[0]));
      const cables = (s.connections as [string, string, number?][]).map((c) =>
        `  ${c[0]} -> ${c[1]}${c[2] !== undefined ? ` ${c[2]}` : ""}`
      );
      const mods = Object.values(s.modules as Record<string, { text: string }>).map((m) => m.text);
      return `${mods.join("\n")}\ncables:${cables.length ? `\n${cables.join("\n")}` : " none"}`;
    }
    case "/get.reply":
      return (JSON.parse(String(args[0])).params as { text: string }[]).map((p) => p.text).join("\n");
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
    case "/seq/reset.reply":
      return "back to the first bar";
    case "/seq/clear.reply":
      return "every track removed";
    case "/seq/bpm.reply":
      return `tempo ${args[0]} BPM from the next bar`;
    case "/seq/swing.reply":
      return `swing ${args[0]} % from the next bar`;
    case "/seq/mute.reply":
    case "/seq/solo.reply":
      return `track ${args[0]} ${address === "/seq/mute.reply" ? "muted" : "soloed"}`;
    case "/seq/unmute.reply":
      return args.length ? `track ${args[0]} unmuted` : "every track unmuted, no solo";
    case "/pattern/list.reply":
      return args.length ? args.join("\n") : "no patterns saved yet (pattern save NAME)";
    case "/pattern/save.reply":
      return `saved ${args[0]} (the sequence)`;
    case "/patch/save.reply":
      return `saved ${args[0]} (patch and sequence)`;
    case "/session/save.reply":
      return `saved ${args[0]} (the whole session: patch, sequence, scenes and ${plural(args[1], "edit")})`;
    case "/session/load.reply":
      return `loaded ${args[0]} (the whole session, with ${plural(args[1], "edit")} to undo)`;
    case "/patch/create.reply":
      return `staged ${args[0]} (it applies at the commit)`;
    case "/patch/abort.reply":
      return "dropped the staged patch";
    case "/note/off.reply":
      return args.length
        ? `released note ${plural(args.length, "id", false)} ${args.join(" ")}`
        : "no such note sounds now";
    case "/scale.reply":
      return args.length
        ? `scale ${args[0]} ${args[1]}: ${args.slice(2).join(" ")}`
        : "no scale set (scale ROOT MODE)";
    case "/scene/save.reply":
      return `scene ${args[0]} saved (${plural(args[1], "bar")})`;
    case "/scene/play.reply": {
      const at = args[1] === "now" ? "now" : args[1] === "bar" ? "from the next bar" : `at bar ${args[1]}`;
      return `scene ${args[0]} plays ${at}`;
    }
    case "/scene/chain.reply":
      return `chain from bar ${args[0]} (${plural(args[1], "bar")} in all)`;
    case "/scene/list.reply":
      return args.length
        ? args.map((a) => String(a).replace(/:(\d+)$/, (_, n) => ` (${plural(n, "bar")})`)).join("\n")
        : "no scenes saved yet (scene save NAME)";
    case "/analyze.reply":
      return describeAnalysis(JSON.parse(String(args[0])));
    case "/analyze/plot.reply":
      return `plotted ${args[0]}. ${describeAnalysis(JSON.parse(String(args[1])))}`;
    case "/pattern/load.reply":
      return `loaded ${args[0]} (${args[1] === "now" ? "from each track's next step" : "from the next bar"})`;
    case "/record/start.reply": {
      if (args[2] === undefined) return `recording to ${args[0]} from frame ${args[1]}`;
      const frames = Number(args[2]) - Number(args[1]);
      return `recording to ${args[0]} from frame ${args[1]} to frame ${args[2]} ` +
        `(${frames} frames)`;
    }
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
      const on = (r.recordings ?? []).filter((e: { recording: boolean }) => e.recording);
      if (on.length > 1) {
        type On = {
          path: string;
          format: string;
          startFrame: number;
          endFrame: number | null;
          seconds: number;
        };
        return on.map((e: On) =>
          `recording to ${e.path} (${e.format}): ${e.seconds.toFixed(2)} s from frame ${e.startFrame}` +
          (e.endFrame === null ? "" : ` to frame ${e.endFrame}`)
        ).join("\n");
      }
      return r.path === null
        ? "not recording"
        : `not recording (last: ${r.path}, ${r.seconds.toFixed(2)} s${lost}${why})`;
    }
    case "/history.reply":
      return historyText(JSON.parse(String(args[0])));
    case "/note.reply":
      return `note ${args.length === 1 ? "id" : "ids"} ${
        args.join(" ")
      } (note off ID, or note off GROUP PITCH)`;
    case "/undo.reply":
    case "/redo.reply": {
      const entries = JSON.parse(String(args[0])) as HistoryLine[];
      const verb = address === "/undo.reply" ? "undid" : "redid";
      return entries.map((e) => `${verb} #${e.index} ${e.description}`).join("\n");
    }
    default:
      // A reply this client has no sentence for (a newer engine's): its words, never a raw "/x.reply" line.
      return `${address.replace(/\.reply$/, "").split("/").filter((w) => w).join(" ")}: ${args.join(" ")}`
        .replace(/: $/, "");
  }
}

// "1 bar", "4 bars"; `count` false: the noun alone, singular or plural.
function plural(n: unknown, noun: string, count = true): string {
  const word = Number(n) === 1 ? noun : `${noun}s`;
  return count ? `${n} ${word}` : word;
}

/** History entries as lines: "#3 frame 96000 (2.1) 127.0.0.1:9001 voice1.cutoff 500 → 3000 Hz (undone)". */
export function historyText(entries: readonly HistoryLine[]): string {
  const lines = entries.map((e) =>
    `#${e.index} frame ${e.frame}${e.at ? ` (${e.at})` : ""} ${e.author} ${e.description}${
      e.undone ? " (undone)" : ""
    }`
  );
  return lines.length ? lines.join("\n") : "no edits yet";
}

/** How long a line waits for the engine's answer, ms (a /sync after a change: SYNC_WAIT_MS). */
export const ANSWER_WAIT_MS = 3000;

/** How long /analyze may take, ms: a module's first analysis collects its window (up to 5.46 s) first. */
export const ANALYZE_WAIT_MS = 10_000;

/** How long a change waits for its /synced, ms. */
export const SYNC_WAIT_MS = 5000;

/** What one line got from the engine. */
export interface Answer {
  /** True when the engine answered and refused nothing. */
  ok: boolean;
  /** The answer in plain words ("ok" after a change), empty when nothing but errors came back. */
  text: string;
  /** The reply's JSON argument, parsed, when it carried one (status, list, schema …). */
  json?: unknown;
  /** The reply as it came (its address and arguments), when one came. */
  reply?: Reply;
  /** The engine's refusals as "ADDRESS: MESSAGE", and "no engine answered …" when nothing came back. */
  errors: string[];
}

/** The words for an engine that did not answer within `ms`. */
export function noAnswerText(target: string, ms: number): string {
  return `no engine answered on ${target} within ${ms / 1000} s: start it with deno task start`;
}

/**
 * Sends a translated line with a /sync in one bundle and waits up to `waitMs` for its answer (`json`: JSON
 * replies as they came, as `--json` prints them). An edit's answer is what it changed, from what to what and
 * when, as the engine's history says it ("voice3.cutoff 320 → 1000 Hz at bar 12.3"); a query's is its reply in
 * plain words.
 */
export async function runTranslation(
  c: Connection,
  t: Translation,
  json = false,
  waitMs: number = t.expect.startsWith("/analyze") ? ANALYZE_WAIT_MS : ANSWER_WAIT_MS,
): Promise<Answer> {
  if (t.expect === "none") return { ok: true, text: "", errors: [] };
  const last = t.messages.at(-1)?.[0];
  const r = await c.exchange(
    t.messages,
    t.expect,
    t.expect === "sync" ? SYNC_WAIT_MS : Math.max(waitMs, SYNC_WAIT_MS),
    t.expect === "sync" || last === undefined ? [] : [last],
    t.also ? [t.also] : [],
  );
  const errors = r.errors.map(errorText);
  const answered = t.expect === "sync" ? r.synced : r.reply !== undefined;
  if (!answered && errors.length === 0) {
    errors.push(noAnswerText(c.target, t.expect === "sync" ? SYNC_WAIT_MS : waitMs));
  }
  // A reply that came before /synced (a group note's ids) is the answer of a sync line.
  const reply = r.reply ?? r.kept.at(-1);
  if (!reply) {
    const text = errors.length ? r.said.join("\n") : changedText(r.said, t.messages);
    return { ok: errors.length === 0, text, errors };
  }
  const text = json
    ? describe(reply, json)
    : !r.said.length && r.reply && isEdit(t.messages.at(-1))
    ? "nothing changed" // an edit that found everything as it asked
    : replyText(reply, r.said);
  return { ok: errors.length === 0, text, json: replyJson(reply), reply, errors };
}

/** What a line without a reply of its own did: the edits' lines, else what it played, else "nothing changed". */
export function changedText(said: readonly string[], messages: readonly OscMessage[]): string {
  if (said.length) return said.join("\n");
  const played = messages.flatMap(([address, ...args]) => {
    if (address.startsWith("/gate/")) {
      return [`${address.slice(6)} gate ${Number(args[0]) ? "open" : "closed"}`];
    }
    if (address === "/note") return [`${args[0]} played ${args[1]} for ${args[3] ?? 0.25} s`];
    return [];
  });
  if (played.length) return played.join("\n");
  return messages.length ? "nothing changed" : "everything sent before has applied";
}

// Whether the address is an edit the history records (osc/routes/: its entry's `edit`), so that no line of
// what it changed means it changed nothing (`scale` alone asks).
function isEdit(m: OscMessage | undefined): boolean {
  if (!m || (m[0] === "/scale" && m.length === 1)) return false;
  return ROUTES.some((r) => r.address === m[0] && r.dialect === "chronus" && r.edit !== undefined);
}

// Replies whose sentence the edits' own lines say better (what changed, from what to what, when); what the
// reply adds (a seq change's timing, a commit's delayed cables) follows them.
function replyText(reply: Reply, said: readonly string[]): string {
  const [address, ...args] = reply;
  if (!said.length) return describe(reply, false);
  const lines = [...said];
  if (address === "/patch/commit.reply") {
    const delayed = JSON.parse(String(args[1] ?? "[]")) as string[];
    if (delayed.length) {
      lines.push(`these cables close a cycle and carry one block of delay: ${delayed.join(", ")}`);
    }
    return lines.join("\n");
  }
  if (address.startsWith("/seq/") || address === "/pattern/load.reply") {
    const when = args.at(-1);
    const from = when === "now"
      ? "from each track's next step"
      : when === "bar" || address === "/seq/bpm.reply" || address === "/seq/swing.reply"
      ? "from the next bar"
      : "";
    // The change is made now and heard from the bar (or step) the reply names: that is its "when".
    if (from) {
      lines[lines.length - 1] = `${lines[lines.length - 1].replace(/ at (bar|frame) \S+$/, "")} ${from}`;
    }
    return lines.join("\n");
  }
  if (
    address === "/session/load.reply" || address === "/scene/play.reply" || address === "/scene/chain.reply"
  ) {
    return [describe(reply, false), ...said].join("\n");
  }
  return lines.join("\n");
}

/** Translates one line and runs it; a line the language refuses is an error in plain words, nothing sent. */
export function runLine(c: Connection, line: string, json = false): Promise<Answer> {
  let t: Translation;
  try {
    t = translate(line);
  } catch (e) {
    return Promise.resolve({ ok: false, text: "", errors: [(e as Error).message] });
  }
  return runTranslation(c, t, json);
}

/** An /error reply as "ADDRESS: MESSAGE". */
export function errorText(e: Reply): string {
  return `${e[1]}: ${e[2]}`;
}

// A reply's JSON argument (the engine sends objects as one JSON string), when its first argument is one.
function replyJson(r: Reply): unknown {
  const a = r[1];
  if (typeof a !== "string" || !(a.startsWith("{") || a.startsWith("["))) return undefined;
  try {
    return JSON.parse(a);
  } catch {
    return undefined; // a string that only looks like JSON: the text says it
  }
}
