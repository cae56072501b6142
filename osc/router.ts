// The OSC address space: one decoded message in, commands to the engine and replies out. No sockets here
// (osc/server.ts owns those), so every address is testable without UDP.
//
// Errors are values at this edge: a handler throws ClientError, handle() turns it into `/error <address> <text>`
// and nothing else changes. Out-of-range values are refused, not clamped (the reply names the range).
import * as L from "../asm/layout.ts";
import { type Command, command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import { voiceParamCommand } from "../core/tone_params.ts";
import type { Engine } from "../engine/engine.ts";
import { parseRecordFormat } from "../engine/recorder.ts";
import type { PatchFile } from "../core/files.ts";
import { moduleDef, paramIndex, schemaJson } from "../patch/schema.ts";
import { parsePitch } from "../core/pitch.ts";
import { patternFileName } from "../sequencer/pattern.ts";
import type { SequenceFile, TrackSpec } from "../core/files.ts";
import { checkSequence, type When } from "../sequencer/sequencer.ts";

/** One OSC argument as node-osc decodes it. */
export type OscArg = number | string | boolean | null | Uint8Array;

/** A reply: an address and its arguments. */
export interface OscReply {
  address: string;
  args: (number | string)[];
}

/** What the router needs of an engine (the Engine class, or a fake in tests). */
export type OscEngine = Pick<
  Engine,
  | "sampleRate"
  | "block"
  | "patch"
  | "sequencer"
  | "sequencePosition"
  | "send"
  | "sendBatch"
  | "commit"
  | "status"
  | "asap"
  | "startRecording"
  | "stopRecording"
  | "recordingStatus"
>;

/** Where a message's commands go: sent at once, or collected for a bundle's frame. */
export interface Delivery {
  /** The bundle's frame (undefined: as soon as possible). */
  frame?: number;
  /** Present inside a bundle: commands are appended here and sent together by the server. */
  batch?: Command[];
}

/** Addresses, for the unknown-address reply. */
export const ADDRESSES = [
  "/mod/<module>/<param> <value>",
  "/gate/<module> <0|1> [velocity]",
  "/note <module> <midi|hz|name> <velocity> [seconds]",
  "/engine/freq|gain|amp|wave <value>",
  "/engine/status",
  "/engine/list",
  "/engine/schema",
  "/patch/create <id> <type>",
  "/patch/connect <src>[.<port>] <dst>[.<port>|.<param>] [depth]",
  "/patch/disconnect <src> <dst>",
  "/patch/delete <id>",
  "/patch/set <id> <param> <value>",
  "/patch/commit",
  "/patch/abort",
  "/patch/load <file>",
  "/patch/save <file>",
  "/seq/add <track> <module[,module…]> <pattern> [notes…] [gate=G] [steps=N] [now]",
  "/seq/remove <track> [now]",
  "/seq/clear [now]",
  "/seq/start",
  "/seq/stop",
  "/seq/reset",
  "/seq/bpm <20…300> [now]",
  "/seq/swing <50…75 %>",
  "/seq/update/pattern <track> <pattern> [now]",
  "/seq/update/notes <track> <notes…>",
  "/seq/set <track> gate|steps|modules <value> [now]",
  "/seq/lane <track> <param> <values…>",
  "/seq/status",
  "/pattern/save <name|slot>",
  "/pattern/load <name|slot> [now]",
  "/pattern/list",
  "/sync <id>",
  "/notify <1|0>",
  "/record/start [file] [float32|24]",
  "/record/stop",
  "/record/status",
];

function str(args: OscArg[], i: number, what: string): string {
  const v = args[i];
  if (typeof v !== "string" || v === "") {
    throw new ClientError(`argument ${i + 1} (${what}) must be a string`);
  }
  return v;
}

function num(args: OscArg[], i: number, what: string): number {
  const v = typeof args[i] === "string" && args[i] !== "" ? Number(args[i]) : args[i];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ClientError(
      `argument ${i + 1} (${what}) must be a number, got ${JSON.stringify(args[i] ?? null)}`,
    );
  }
  return v;
}

function count(args: OscArg[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) {
    throw new ClientError(`expected ${usage} (${args.length} argument${args.length === 1 ? "" : "s"} given)`);
  }
}

function value(args: OscArg[], i: number): number | string {
  const v = args[i];
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new ClientError(`argument ${i + 1} must be a number or a name`);
}

/** Reads and writes patch and pattern files (injected so tests can keep them in memory). */
export interface PatchFiles {
  read(path: string): string;
  write(path: string, text: string): void;
  /** Names of the files in a directory ([] when it does not exist). */
  list(dir: string): string[];
}

/** Where /pattern/save and /pattern/load keep their files (relative paths: the engine's directory). */
export const DEFAULT_PATTERN_DIR = "patterns";

// A trailing "now" makes a change take effect at the track's next step instead of the next bar.
function takeWhen(args: OscArg[]): { args: OscArg[]; when: When } {
  const last = args[args.length - 1];
  if (typeof last === "string" && /^(now|bar)$/i.test(last)) {
    return { args: args.slice(0, -1), when: last.toLowerCase() as When };
  }
  return { args, when: "bar" };
}

/** Routes decoded OSC messages to an engine. */
export class OscRouter {
  #e: OscEngine;
  /** The latest frame any command was stamped with (so /sync waits for future-stamped ones too). */
  #lastFrame = 0;
  #files: PatchFiles;
  #patternDir: string;

  constructor(engine: OscEngine, files?: PatchFiles, patternDir = DEFAULT_PATTERN_DIR) {
    this.#e = engine;
    this.#patternDir = patternDir;
    this.#files = files ?? {
      read: (p) => Deno.readTextFileSync(p),
      write: (p, t) => {
        const dir = p.slice(0, p.lastIndexOf("/"));
        if (dir && dir === this.#patternDir) Deno.mkdirSync(dir, { recursive: true });
        Deno.writeTextFileSync(p, t);
      },
      list: (d) => {
        try {
          return [...Deno.readDirSync(d)].filter((e) => e.isFile).map((e) => e.name);
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) return [];
          throw e;
        }
      },
    };
  }

  /**
   * Handles one message. Returns the replies for its sender; `/sync`, `/record/start` and `/record/stop`
   * reply later, through `later` (they wait for another thread). Never throws for bad input: that becomes an
   * `/error` reply.
   */
  handle(address: string, args: OscArg[], at: Delivery = {}, later?: (r: OscReply) => void): OscReply[] {
    try {
      return this.#route(address, args, at, later);
    } catch (e) {
      if (e instanceof ClientError) return [{ address: "/error", args: [address, e.message] }];
      throw e; // a bug: the server reports it as an internal error
    }
  }

  // Sends commands now, or adds them to the bundle being collected.
  #deliver(cmds: Command[], at: Delivery, frame = at.frame): void {
    if (at.batch && frame === at.frame) {
      at.batch.push(...cmds);
      return;
    }
    if (frame !== undefined) this.#lastFrame = Math.max(this.#lastFrame, frame);
    if (cmds.length === 1) this.#e.send(cmds[0], frame);
    else this.#e.sendBatch(cmds, frame);
  }

  /** Notes that a bundle's commands were sent at `frame`. */
  sentAt(frame: number | undefined): void {
    if (frame !== undefined) this.#lastFrame = Math.max(this.#lastFrame, frame);
  }

  #route(address: string, args: OscArg[], at: Delivery, later?: (r: OscReply) => void): OscReply[] {
    const parts = address.split("/").filter((p) => p !== "");
    const head = parts[0] ?? "";
    if (!address.startsWith("/")) throw new ClientError(`an OSC address starts with "/"`);
    if (head === "mod" && parts.length >= 3) {
      count(args, 1, 1, `${address} <value>`);
      const module = parts[1], param = parts.slice(2).join(".");
      this.#deliver([this.#e.patch.setNow(module, param, value(args, 0))], at);
      return [];
    }
    if (head === "gate" && parts.length === 2) {
      count(args, 1, 2, `/gate/<module> <0|1> [velocity]`);
      const on = num(args, 0, "gate") !== 0;
      const vel = args.length > 1 ? num(args, 1, "velocity") : 1;
      this.#deliver([this.#e.patch.gate(parts[1], on, vel)], at);
      return [];
    }
    if (head === "seq") return this.#seq(address, args, at);
    if (head === "pattern") return this.#pattern(address, args, at);
    switch (address) {
      case "/note":
        return this.#note(args, at);
      case "/engine/status":
        count(args, 0, 0, "/engine/status (no arguments)");
        return [{ address: "/engine/status.reply", args: [JSON.stringify(this.#e.status())] }];
      case "/engine/list":
        count(args, 0, 0, "/engine/list (no arguments)");
        return [{ address: "/engine/list.reply", args: [JSON.stringify(this.#e.patch.toFile())] }];
      case "/engine/schema":
        count(args, 0, 0, "/engine/schema (no arguments)");
        return [{ address: "/engine/schema.reply", args: [JSON.stringify(schemaJson())] }];
      case "/patch/create":
        count(args, 2, 2, "/patch/create <id> <type>");
        this.#e.patch.create(str(args, 0, "id"), str(args, 1, "type"));
        return [{ address: "/patch/create.reply", args: [str(args, 0, "id")] }];
      case "/patch/connect":
        count(args, 2, 3, "/patch/connect <src> <dst> [depth]");
        this.#e.patch.connect(
          str(args, 0, "source"),
          str(args, 1, "destination"),
          args.length > 2 ? num(args, 2, "depth") : 1,
        );
        return [];
      case "/patch/disconnect":
        count(args, 2, 2, "/patch/disconnect <src> <dst>");
        this.#e.patch.disconnect(str(args, 0, "source"), str(args, 1, "destination"));
        return [];
      case "/patch/delete":
        count(args, 1, 1, "/patch/delete <id>");
        this.#e.patch.delete(str(args, 0, "id"));
        return [];
      case "/patch/set":
        count(args, 3, 3, "/patch/set <id> <param> <value>");
        this.#e.patch.set(str(args, 0, "id"), str(args, 1, "param"), value(args, 2));
        return [];
      case "/patch/commit":
        count(args, 0, 0, "/patch/commit (no arguments)");
        return this.#commit(at);
      case "/patch/abort":
        count(args, 0, 0, "/patch/abort (no arguments)");
        this.#e.patch.abort();
        return [{ address: "/patch/abort.reply", args: [] }];
      case "/patch/load": {
        count(args, 1, 1, "/patch/load <file>");
        const path = str(args, 0, "file");
        let file: PatchFile;
        try {
          file = JSON.parse(this.#files.read(path));
        } catch (e) {
          throw new ClientError(`cannot read ${path}: ${(e as Error).message}`);
        }
        this.#e.patch.abort();
        this.#e.patch.load(file);
        return this.#commit(at, file);
      }
      case "/patch/save": {
        count(args, 1, 1, "/patch/save <file>");
        const path = str(args, 0, "file");
        try {
          const file: PatchFile = this.#e.patch.toFile();
          const sequence = this.#e.sequencer.toFile();
          if (Object.keys(sequence.tracks).length) file.sequence = sequence;
          this.#files.write(path, JSON.stringify(file, null, 2) + "\n");
        } catch (e) {
          throw new ClientError(`cannot write ${path}: ${(e as Error).message}`);
        }
        return [{ address: "/patch/save.reply", args: [path] }];
      }
      case "/sync":
        return this.#sync(args, at, later);
      case "/record/start":
        return this.#recordStart(args, later);
      case "/record/stop":
        count(args, 0, 0, "/record/stop (no arguments)");
        this.#answer(address, this.#e.stopRecording(), later, (r) => ({
          address: "/record/stop.reply",
          args: [r.path, r.frames, r.seconds],
        }));
        return [];
      case "/record/status":
        count(args, 0, 0, "/record/status (no arguments)");
        return [{ address: "/record/status.reply", args: [JSON.stringify(this.#e.recordingStatus())] }];
      default:
        if (head === "engine" && parts.length === 2) {
          // The engine tone: /engine/freq, /engine/gain (alias amp), /engine/wave; other names are refused by
          // voiceParamCommand, which lists the known ones.
          count(args, 1, 1, `${address} <value>`);
          this.#deliver([voiceParamCommand(parts[1] === "amp" ? "gain" : parts[1], value(args, 0))], at);
          return [];
        }
        throw new ClientError(`unknown address (known: ${ADDRESSES.map((a) => a.split(" ")[0]).join(", ")})`);
    }
  }

  // /record/start [file] [float32|24] (a lone float32|24 is the format) → /record/start.reply <path> <frame>.
  // It acts at once, also inside a timed bundle: the recording starts at the next block the output emits.
  #recordStart(args: OscArg[], later?: (r: OscReply) => void): OscReply[] {
    count(args, 0, 2, "/record/start [file] [float32|24]");
    const isFormat = (a: OscArg) =>
      a === 24 || a === 32 || (typeof a === "string" && /^(float32|float|32|pcm24|24)$/i.test(a));
    const file = args.length === 2 || (args.length === 1 && !isFormat(args[0]))
      ? str(args, 0, "file")
      : undefined;
    const f = args.length === 2 ? args[1] : args.length === 1 && file === undefined ? args[0] : "float32";
    const format = parseRecordFormat(typeof f === "number" || typeof f === "string" ? f : String(f));
    this.#answer("/record/start", this.#e.startRecording(file, { format }), later, (r) => ({
      address: "/record/start.reply",
      args: [r.path, r.startFrame],
    }));
    return [];
  }

  // The reply of an engine call that answers later; a ClientError becomes `/error <address> <message>`.
  #answer<T>(
    address: string,
    p: Promise<T>,
    later: ((r: OscReply) => void) | undefined,
    ok: (v: T) => OscReply,
  ) {
    p.then((v) => later?.(ok(v)), (e) => {
      if (!(e instanceof ClientError)) {
        console.error(`[chronus] ${address}: internal error: ${(e as Error).stack}`);
      }
      const text = e instanceof ClientError ? e.message : `internal error: ${(e as Error).message}`;
      later?.({ address: "/error", args: [address, text] });
    });
  }

  // The staged patch, then tracks left without their modules, then a loaded file's sequence: one batch, one
  // frame.
  #commit(at: Delivery, file?: PatchFile): OscReply[] {
    const seq = this.#e.sequencer, sequence = file?.sequence;
    if (file) checkSequence(file); // a bad sequence changes nothing, the patch included
    const c = this.#e.patch.commit();
    const cmds = [...c.commands, ...seq.prune(), ...(sequence ? seq.load(sequence) : [])];
    this.#deliver(cmds, at);
    return [{ address: "/patch/commit.reply", args: [c.commands.length, JSON.stringify(c.delayed)] }];
  }

  // /seq/*: each change is one batch (a track's whole definition), effective at the next bar unless "now".
  #seq(address: string, raw: OscArg[], at: Delivery): OscReply[] {
    const seq = this.#e.sequencer;
    const { args, when } = takeWhen(raw);
    const ok = (...a: (string | number)[]) => [{ address: `${address}.reply`, args: a }];
    const send = (cmds: Command[]) => this.#deliver(cmds, at);
    switch (address) {
      case "/seq/add": {
        if (args.length < 3) {
          throw new ClientError(
            "expected /seq/add <track> <module[,module…]> <pattern> [notes…] [gate=G] [steps=N]",
          );
        }
        const track = str(args, 0, "track");
        const spec: TrackSpec = {
          modules: str(args, 1, "module").split(",").filter((m) => m !== ""),
          pattern: str(args, 2, "pattern"),
        };
        const notes: (string | number)[] = [];
        for (const a of args.slice(3)) {
          const kv = typeof a === "string" ? /^(gate|steps)=(.+)$/i.exec(a) : null;
          if (kv) spec[kv[1].toLowerCase() as "gate" | "steps"] = Number(kv[2]);
          else if (typeof a === "string" || typeof a === "number") notes.push(a);
          else throw new ClientError(`a note must be a number or a name, not ${typeof a}`);
        }
        if (notes.length) spec.notes = notes;
        send(seq.add(track, spec, when));
        return ok(track, when);
      }
      case "/seq/remove":
        count(args, 1, 1, "/seq/remove <track> [now]");
        send(seq.remove(str(args, 0, "track"), when));
        return ok(str(args, 0, "track"), when);
      case "/seq/clear":
        count(args, 0, 0, "/seq/clear [now]");
        send(seq.clear(when));
        return ok();
      case "/seq/start":
      case "/seq/stop":
      case "/seq/reset":
        count(args, 0, 0, `${address} (no arguments)`);
        send(address === "/seq/start" ? seq.start() : address === "/seq/stop" ? seq.stop() : seq.reset());
        return ok();
      case "/seq/bpm":
        count(args, 1, 1, "/seq/bpm <20…300> [now]");
        send(seq.bpm(num(args, 0, "tempo"), when));
        return ok(num(args, 0, "tempo"));
      case "/seq/swing":
        count(args, 1, 1, "/seq/swing <50…75 percent>");
        send(seq.swing(num(args, 0, "swing")));
        return ok(num(args, 0, "swing"));
      case "/seq/update/pattern":
        count(args, 2, 2, "/seq/update/pattern <track> <pattern> [now]");
        send(seq.update(str(args, 0, "track"), { pattern: str(args, 1, "pattern") }, when));
        return ok(str(args, 0, "track"), when);
      case "/seq/update/notes": {
        if (args.length < 1) throw new ClientError("expected /seq/update/notes <track> <notes…>");
        const notes = args.slice(1).map((a, i) => value(args, i + 1) ?? a);
        send(seq.update(str(args, 0, "track"), { notes }, when));
        return ok(str(args, 0, "track"), when);
      }
      case "/seq/set": {
        count(args, 3, 3, "/seq/set <track> gate|steps|modules <value> [now]");
        const track = str(args, 0, "track"), key = str(args, 1, "field").toLowerCase();
        if (key === "gate" || key === "steps") send(seq.update(track, { [key]: num(args, 2, key) }, when));
        else if (key === "modules" || key === "module") {
          send(seq.update(track, { modules: str(args, 2, "modules").split(",") }, when));
        } else throw new ClientError(`/seq/set changes gate, steps or modules, not "${key}"`);
        return ok(track, when);
      }
      case "/seq/lane": {
        if (args.length < 2) {
          throw new ClientError("expected /seq/lane <track> <param> <values…> (none: remove it)");
        }
        const track = str(args, 0, "track"), param = str(args, 1, "parameter");
        const lanes = { ...seq.toFile().tracks[track]?.lanes };
        if (args.length === 2) delete lanes[param];
        else lanes[param] = args.slice(2).map((_, i) => value(args, i + 2));
        send(seq.update(track, { lanes }, when));
        return ok(track, param, when);
      }
      case "/seq/status":
        count(args, 0, 0, "/seq/status (no arguments)");
        return ok(JSON.stringify({ ...seq.status(), position: this.#e.sequencePosition() }));
      default:
        throw new ClientError(
          `unknown address (sequencer: ${
            ADDRESSES.filter((a) => a.startsWith("/seq")).map((a) => a.split(" ")[0]).join(", ")
          })`,
        );
    }
  }

  // /pattern/save|load|list: the whole sequence (tempo, swing, tracks) as JSON files in the pattern directory.
  #pattern(address: string, raw: OscArg[], at: Delivery): OscReply[] {
    const { args, when } = takeWhen(raw);
    const dir = this.#patternDir;
    switch (address) {
      case "/pattern/save": {
        count(args, 1, 1, "/pattern/save <name|slot>");
        const path = `${dir}/${patternFileName(value(args, 0))}`;
        try {
          this.#files.write(path, JSON.stringify(this.#e.sequencer.toFile(), null, 2) + "\n");
        } catch (e) {
          throw new ClientError(`cannot write ${path}: ${(e as Error).message}`);
        }
        return [{ address: "/pattern/save.reply", args: [path] }];
      }
      case "/pattern/load": {
        count(args, 1, 1, "/pattern/load <name|slot> [now]");
        const path = `${dir}/${patternFileName(value(args, 0))}`;
        let file: SequenceFile;
        try {
          file = JSON.parse(this.#files.read(path));
        } catch (e) {
          throw new ClientError(`cannot read ${path}: ${(e as Error).message}`);
        }
        this.#deliver(this.#e.sequencer.load(file, when), at);
        return [{ address: "/pattern/load.reply", args: [path, when] }];
      }
      case "/pattern/list": {
        count(args, 0, 0, "/pattern/list (no arguments)");
        let names: string[];
        try {
          names = this.#files.list(dir).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)).sort();
        } catch (e) {
          throw new ClientError(`cannot list ${dir}: ${(e as Error).message}`);
        }
        return [{ address: "/pattern/list.reply", args: names }];
      }
      default:
        throw new ClientError("unknown address (patterns: /pattern/save, /pattern/load, /pattern/list)");
    }
  }

  // /note <module> <pitch> <velocity> [seconds]: pitch and gate on at one frame, gate off `seconds` later.
  #note(args: OscArg[], at: Delivery): OscReply[] {
    count(args, 3, 4, "/note <module> <midi|hz|name> <velocity> [seconds]");
    const module = str(args, 0, "module");
    const mod = this.#e.patch.module(module);
    const def = moduleDef(mod.type)!;
    if (paramIndex(def, "freq") < 0 || !def.gate) {
      throw new ClientError(`a ${mod.type} cannot play notes (it needs a freq parameter and a gate)`);
    }
    const hz = parsePitch(args[1]);
    const velocity = num(args, 2, "velocity");
    const seconds = args.length > 3 ? num(args, 3, "seconds") : 0;
    if (seconds < 0 || seconds > 3600) {
      throw new ClientError(`duration ${seconds} s is out of range (0 … 3600)`);
    }
    // An exact frame even "now": the next block the primary may render.
    const frame = at.frame ?? this.#e.asap();
    const on = [this.#e.patch.setNow(module, "freq", hz), this.#e.patch.gate(module, true, velocity)];
    const length = Math.round(seconds * this.#e.sampleRate);
    const off = seconds > 0 ? this.#e.patch.gate(module, false) : undefined;
    if (at.batch || !off) {
      this.#deliver(on, at, frame);
      if (off) this.#deliver([off], at, frame + length);
      return [];
    }
    // The gate-off is stamped from the frame the note really started at (reported when it is accepted): a
    // pause of the main thread between asap() and the send makes the note start a block or two late (seen
    // under CI load), and must not shorten it.
    this.#lastFrame = Math.max(this.#lastFrame, frame + length);
    this.#e.sendBatch(on, frame, {
      accepted: (started) => {
        try {
          this.#e.send(off, started + length);
        } catch (e) {
          console.error(`[chronus] /note ${module}: the gate-off was not sent: ${(e as Error).message}`);
        }
      },
    });
    return [];
  }

  // /sync <id> → /synced <id> once every command sent before it has applied (a no-op stamped at the latest
  // frame anything was sent for is accepted: the primary rendered that block cleanly).
  #sync(args: OscArg[], at: Delivery, later?: (r: OscReply) => void): OscReply[] {
    count(args, 0, 1, "/sync [id]");
    const id = args.length ? value(args, 0) : 0;
    const reply = () => later?.({ address: "/synced", args: [id] });
    const frame = Math.max(this.#lastFrame, at.frame ?? 0);
    this.#e.send(command({ op: L.OP_NOP }), frame || undefined, { accepted: reply, rejected: reply });
    return [];
  }
}
