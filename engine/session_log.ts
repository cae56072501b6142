// Session logs: JSON Lines of the engine settings, then every accepted command with its effective frame,
// then the number of frames the output produced. `deno task render --replay` re-renders them bit for bit.
import type { StampedCommand } from "../core/command.ts";
import type { DspSettings } from "../core/dsp_host.ts";

/** The first line of a session log. */
export interface LogSettings extends DspSettings {
  /** Marks the settings line (command lines are "cmd", the last line "end"). */
  type: "settings";
  /** The log format's version: 1 is the only one. */
  version: 1;
  /** Output channels (2: interleaved stereo). */
  channels: number;
}

/** A sample the session loaded: its name, pool id, file (relative to the samples directory) and SHA-256. */
export interface LoggedSample {
  /** The name clients gave it. */
  name: string;
  /** Its id in the pool, which the session's commands carry. */
  id: number;
  /** The file, relative to the samples directory. */
  file: string;
  /** SHA-256 of the file, hex. */
  hash: string;
  /** Loaded with its onset slices. */
  onsets?: boolean;
}

/** A parsed session log. */
export interface SessionLog {
  /** The session's settings: what a replay must render with. */
  settings: LogSettings;
  /** Every accepted command, in acceptance order, each with the effective frame it applied at. */
  commands: StampedCommand[];
  /** Frames the live output produced, when the session ended cleanly. */
  frames?: number;
  /** The samples the session loaded, in order ([] for none). */
  samples: LoggedSample[];
}

/** Appends session records to a file; buffered, flushed by the caller off the audio path. */
export class SessionLogWriter {
  #file: Deno.FsFile;
  #lines: string[] = [];
  #enc = new TextEncoder();

  /** Creates (truncates) `path` and writes the settings line at once; throws Deno's error when it cannot. */
  constructor(path: string, settings: Omit<LogSettings, "type" | "version">) {
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.#lines.push(JSON.stringify({ type: "settings", version: 1, ...settings }));
    this.flush();
  }

  /** Records an accepted command. */
  command(c: StampedCommand): void {
    this.#lines.push(JSON.stringify({
      type: "cmd",
      frame: c.frame,
      seq: c.seq,
      op: c.op,
      target: c.target,
      param: c.param,
      i0: c.i0,
      i1: c.i1,
      f0: c.f0,
      f1: c.f1,
    }));
  }

  /** Records a sample loaded into the pool: a replay loads the same file (checked by its hash) at the same id. */
  sample(s: LoggedSample): void {
    const { name, id, file, hash, onsets } = s;
    this.#lines.push(JSON.stringify({ type: "sample", name, id, file, hash, ...(onsets ? { onsets } : {}) }));
  }

  /** Writes buffered lines. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const bytes = this.#enc.encode(this.#lines.join("\n") + "\n");
    this.#lines = [];
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
  }

  /** Records the frame count of the output, flushes and closes. */
  close(frames: number): void {
    this.#lines.push(JSON.stringify({ type: "end", frames }));
    this.flush();
    this.#file.close();
  }
}

/** Parses a session log's text. */
export function parseSessionLog(text: string): SessionLog {
  let settings: LogSettings | undefined;
  const commands: StampedCommand[] = [];
  let frames: number | undefined;
  const samples: LoggedSample[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new SyntaxError(`Cannot read session log: line ${i + 1} is not JSON`);
    }
    if (rec.type === "settings") settings = rec;
    else if (rec.type === "cmd") {
      const { frame, seq, op, target, param, i0, i1, f0, f1 } = rec;
      commands.push({ frame, seq, op, target, param, i0, i1, f0, f1 });
    } else if (rec.type === "end") frames = rec.frames;
    else if (rec.type === "sample") {
      const { name, id, file, hash, onsets } = rec;
      samples.push({ name, id, file, hash, ...(onsets ? { onsets: true } : {}) });
    }
  });
  if (!settings) throw new SyntaxError("Cannot read session log: no settings line");
  return { settings, commands, frames, samples };
}
