// Recording the output to a WAV file, off the audio path. Start and stop answer later: they wait for the
// recorder's thread. The file is a name in the data directory's recordings/ (core/sandbox.ts), created here
// (never replacing one unless the message ends with "overwrite") before the recorder's thread opens it.
import { ClientError } from "../../core/errors.ts";
import { dataPath } from "../../core/sandbox.ts";
import { parseRecordFormat, recordingFileName } from "../../engine/recorder.ts";
import type { PatchFiles } from "../files.ts";
import type { OscArg } from "../types.ts";
import { overwriteWord } from "./patch.ts";
import { answerLater, opt, type Route, route, str, value } from "./route.ts";

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
        value("format", {
          shown: "float32|24",
          doc: "float32: the output exactly (default); 24: 24-bit PCM",
        }),
      ),
      overwriteWord(),
    ],
    summary:
      "records the output from the next block it emits (also inside a timed bundle: it acts at once) into a new file in the data directory's recordings/ (an existing one only with overwrite); a lone float32|24 is the format",
    reply: "/record/start.reply <path> <startFrame>",
    text: {
      form: "record start [FILE] [float32|24] [overwrite]",
      examples: ["record start take.wav", "record start 24", "record start take.wav overwrite"],
      note: "a WAV of the output in the data directory's recordings/; default chronus-DATE-TIME.wav",
    },
    handle: ({ engine, files }, _, { address, args: all, later }) => {
      const overwrite = all.length > 0 && all[all.length - 1] === "overwrite";
      const args = overwrite ? all.slice(0, -1) : all;
      if (args.length > 2) throw new ClientError("expected [file] [float32|24] [overwrite]");
      const isFormat = (a: OscArg) => a === 24 || a === 32 || (typeof a === "string" && FORMAT.test(a));
      const file = args.length === 2 || (args.length === 1 && !isFormat(args[0]))
        ? str("file").read(args, 0)
        : undefined;
      const f = args.length === 2 ? args[1] : args.length === 1 && file === undefined ? args[0] : "float32";
      const format = parseRecordFormat(typeof f === "number" || typeof f === "string" ? f : String(f));
      if (engine.recordingStatus().recording) {
        throw new ClientError("already recording: stop that recording first");
      }
      const [rel, path] = reserve(files, file, overwrite);
      answerLater(address, engine.startRecording(path, { format }), later, (r) => ({
        address: "/record/start.reply",
        args: [rel, r.startFrame],
      }));
      return [];
    },
  }),
  route({
    ...RECORD,
    address: "/record/stop",
    args: [],
    summary: "finalizes the recording",
    reply: "/record/stop.reply <path> <frames> <seconds>, once the file is finalized",
    text: { form: "record stop", examples: ["record stop"] },
    handle: ({ engine }, _, { address, later }) => {
      answerLater(address, engine.stopRecording(), later, (r) => ({
        address: "/record/stop.reply",
        args: [r.path, r.frames, r.seconds],
      }));
      return [];
    },
  }),
  route({
    ...RECORD,
    address: "/record/status",
    args: [],
    summary: "the recording that is on, or the last one",
    reply:
      "/record/status.reply <JSON: recording, path, format, startFrame, frames, seconds, flushed, overruns, lost frames, lag, error>",
    text: { form: "record status", examples: ["record status"], note: "how long, where, flushed, lost" },
    handle: (
      { engine },
    ) => [{ address: "/record/status.reply", args: [JSON.stringify(engine.recordingStatus())] }],
  }),
];
