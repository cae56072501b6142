// Recording the output to WAV files, off the audio path: several at once, each a frame range of the output that
// starts at a timed bundle's frame (or the next frame the output emits) and ends after a length, at a bar line
// or at a stop's frame (docs/recording.md). Start and stop answer later: they wait for the recorder's thread.
// The file is a name in the data directory's recordings/ (core/sandbox.ts), created here (never replacing one
// unless the message ends with "overwrite") before the recorder's thread opens it.
import { ClientError } from "../../core/errors.ts";
import { dataPath } from "../../core/sandbox.ts";
import { parseRecordFormat, recordingFileName, type RecordOptions } from "../../engine/recorder.ts";
import type { PatchFiles } from "../files.ts";
import type { OscArg, OscReply } from "../types.ts";
import type { RecordingResult } from "../../core/messages.ts";
import { answerLater, opt, type Route, route, value } from "./route.ts";

const RECORD = { family: "record", dialect: "chronus" } as const;

const FORMAT = /^(float32|float|32|pcm24|24)$/i;

/** How many numbered default names a second may take before /record/start gives up. */
const DEFAULT_NAME_TRIES = 100;

// Creates the recording's file in recordings/: the name given, or the first free default name. Returns its
// path inside the data directory and the path the recorder opens.
function reserve(files: PatchFiles, name: string | undefined, overwrite: boolean): [string, string] {
  if (name !== undefined) {
    const rel = dataPath("recordings", name, "recording");
    return [rel, files.reserve(rel, overwrite)];
  }
  const now = new Date();
  for (let i = 1;; i++) {
    const rel = `recordings/${recordingFileName(now, i)}`;
    try {
      return [rel, files.reserve(rel, false)];
    } catch (e) {
      if (i >= DEFAULT_NAME_TRIES || !/exists already/.test((e as Error).message)) throw e;
    }
  }
}

/** What /record/start's arguments ask for. */
export interface RecordStartArgs {
  /** The file's name in recordings/ (undefined: a default name). */
  file?: string;
  /** Format, length and overwrite, as the recorder takes them. */
  options: RecordOptions;
  /** The message ended with "overwrite". */
  overwrite: boolean;
}

const LENGTH_WORD = /^(--)?(seconds|bars)$/i;

/**
 * Reads `[file] [seconds S | bars N] [float32|24] [overwrite]` in any order after the file (`--seconds`,
 * `--bars` as the text language types them); throws ClientError naming what is wrong.
 */
export function readRecordStart(all: readonly OscArg[]): RecordStartArgs {
  const overwrite = all.length > 0 && all[all.length - 1] === "overwrite";
  const args = overwrite ? all.slice(0, -1) : all;
  const out: RecordStartArgs = { options: {}, overwrite };
  const isFormat = (a: OscArg) => a === 24 || a === 32 || (typeof a === "string" && FORMAT.test(a));
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const length = typeof a === "string" ? LENGTH_WORD.exec(a) : null;
    if (length) {
      const unit = length[2].toLowerCase() as "seconds" | "bars";
      if (out.options[unit] !== undefined) throw new ClientError(`--${unit} given twice`);
      const v = args[i + 1];
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
      if (!Number.isFinite(n)) {
        throw new ClientError(`--${unit} takes a number${v === undefined ? "" : `, not "${String(v)}"`}`);
      }
      out.options[unit] = n;
      i++;
    } else if (isFormat(a)) {
      if (out.options.format !== undefined) throw new ClientError("the format is given twice");
      out.options.format = parseRecordFormat(a as string | number);
    } else if (i === 0 && typeof a === "string" && a !== "") out.file = a;
    else if (out.options.format === undefined && (typeof a === "string" || typeof a === "number")) {
      parseRecordFormat(a); // a word where the format goes: refused as an unknown format
    } else {
      throw new ClientError(
        `expected [file] [seconds S | bars N] [float32|24] [overwrite], not "${String(a)}" there`,
      );
    }
  }
  return out;
}

/** /record/*. */
export const RECORD_ROUTES: readonly Route[] = [
  route({
    ...RECORD,
    address: "/record/start",
    args: [
      opt(
        value("file", { doc: "a name in the data directory's recordings/ (default: chronus-DATE-TIME.wav)" }),
      ),
      opt(
        value("length", { shown: "seconds|bars", doc: "seconds S: a length; bars N: to the Nth bar line" }),
      ),
      opt(
        value("amount", { shown: "S|N", doc: "the seconds (more than 0) or the bars (a whole number ≥ 1)" }),
      ),
      opt(
        value("format", {
          shown: "float32|24",
          doc: "float32: the output exactly (default); 24: 24-bit PCM",
        }),
      ),
      opt(value("overwrite", { doc: "replace the file when it exists (else it is refused)" })),
    ],
    summary:
      "records the output from the next frame it emits (in a timed bundle: from the bundle's frame) into a new file in the data directory's recordings/ (an existing one only with overwrite), for S seconds exactly, to the Nth bar line of the sequencer, or until /record/stop; up to 8 at once",
    reply:
      "/record/start.reply <path> <startFrame> [endFrame]: the frames [startFrame, endFrame) the file will hold (endFrame once known); /event recorded <text> when a timed one ends by itself",
    text: {
      form: "record start [FILE] [--seconds S | --bars N] [float32|24] [overwrite]",
      examples: [
        "record start take.wav",
        "record start take.wav --seconds 2",
        "record start loop.wav --bars 4 24",
        "record start 24",
        "record start take.wav overwrite",
      ],
      note: "a WAV of the output in the data directory's recordings/; default chronus-DATE-TIME.wav",
    },
    handle: ({ engine, files }, _, { address, args: all, later, delivery }) => {
      const { file, options, overwrite } = readRecordStart(all);
      const opts: RecordOptions = {
        ...options,
        ...(delivery.frame !== undefined ? { frame: delivery.frame } : {}),
      };
      const named = file === undefined ? {} : { name: dataPath("recordings", file, "recording") };
      // Everything that can be refused is refused before the file is created: a bad request changes nothing
      // (an overwrite of a file being recorded would cut it).
      engine.checkRecording(undefined, { ...opts, ...named });
      const [rel, path] = reserve(files, file, overwrite);
      answerLater(address, engine.startRecording(path, { ...opts, name: rel }), later, (r) => ({
        address: "/record/start.reply",
        args: r.endFrame === null ? [rel, r.startFrame] : [rel, r.startFrame, r.endFrame],
      }));
      return [];
    },
  }),
  route({
    ...RECORD,
    address: "/record/stop",
    args: [
      opt(value("file", { doc: "the recording to stop (its name in recordings/); default: every one" })),
    ],
    summary:
      "finalizes the recording named (at the bundle's frame in a timed bundle, else where the output is), or every recording that is on",
    reply:
      "/record/stop.reply <path> <frames> <seconds> for each recording stopped, once its file is finalized",
    text: {
      form: "record stop [FILE]",
      examples: ["record stop", "record stop take.wav"],
      note: "without FILE, every recording that is on",
    },
    handle: ({ engine }, [file], { address, later, delivery }) => {
      const stopped = (r: RecordingResult): OscReply => ({
        address: "/record/stop.reply",
        args: [r.path, r.frames, r.seconds],
      });
      if (file !== undefined) {
        answerLater(address, engine.stopRecording(String(file), delivery.frame), later, stopped);
      } else {
        // One reply per recording: answerLater's error path for a refusal, the replies here for the rest.
        const all = engine.stopRecordings(delivery.frame);
        answerLater(address, all.then(() => null), (r) => {
          if (r.address === "/error") later?.(r);
        }, () => ({ address: "/record/stop.reply", args: [] }));
        all.then((rs) => rs.forEach((r) => later?.(stopped(r))), () => {});
      }
      return [];
    },
  }),
  route({
    ...RECORD,
    address: "/record/status",
    args: [],
    summary: "every recording that is on and the last finished ones",
    reply:
      "/record/status.reply <JSON: recording, path, format, startFrame, frames, seconds, flushed, overruns, lost frames, lag, error of the last started; recordings: each one's name, path, recording, format, startFrame, endFrame, frames, seconds, flushedFrames, overruns, lostFrames, lagMs, maxLagMs, error>",
    text: {
      form: "record status",
      examples: ["record status"],
      note: "each recording: how long, where, its frames, flushed, lost",
    },
    handle: (
      { engine },
    ) => [{ address: "/record/status.reply", args: [JSON.stringify(engine.recordingStatus())] }],
  }),
];
