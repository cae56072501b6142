// Recording the output to a WAV file, off the audio path. Start and stop answer later: they wait for the
// recorder's thread.
import { ClientError } from "../../core/errors.ts";
import { parseRecordFormat } from "../../engine/recorder.ts";
import type { OscArg, OscReply } from "../types.ts";
import { opt, type Route, route, str, value } from "./route.ts";

const RECORD = { family: "record", dialect: "chronus" } as const;

const FORMAT = /^(float32|float|32|pcm24|24)$/i;

// The reply of an engine call that answers later; a ClientError becomes `/error <address> <message>`.
function answerLater<T>(
  address: string,
  p: Promise<T>,
  later: ((r: OscReply) => void) | undefined,
  ok: (v: T) => OscReply,
): void {
  p.then((v) => later?.(ok(v)), (e) => {
    if (!(e instanceof ClientError)) {
      console.error(`[chronus] ${address}: internal error: ${(e as Error).stack}`);
    }
    const text = e instanceof ClientError ? e.message : `internal error: ${(e as Error).message}`;
    later?.({ address: "/error", args: [address, text] });
  });
}

/** /record/*. */
export const RECORD_ROUTES: readonly Route[] = [
  route({
    ...RECORD,
    address: "/record/start",
    args: [
      opt(value("file", { doc: "default: chronus-DATE-TIME.wav where the engine runs" })),
      opt(
        value("format", {
          shown: "float32|24",
          doc: "float32: the output exactly (default); 24: 24-bit PCM",
        }),
      ),
    ],
    summary:
      "records the output from the next block it emits (also inside a timed bundle: it acts at once); a lone float32|24 is the format",
    reply: "/record/start.reply <path> <startFrame>",
    text: {
      form: "record start [FILE] [float32|24]",
      examples: ["record start take.wav", "record start 24"],
      note: "a WAV of the output; default chronus-DATE-TIME.wav where the engine runs",
    },
    handle: ({ engine }, _, { address, args, later }) => {
      const isFormat = (a: OscArg) => a === 24 || a === 32 || (typeof a === "string" && FORMAT.test(a));
      const file = args.length === 2 || (args.length === 1 && !isFormat(args[0]))
        ? str("file").read(args, 0)
        : undefined;
      const f = args.length === 2 ? args[1] : args.length === 1 && file === undefined ? args[0] : "float32";
      const format = parseRecordFormat(typeof f === "number" || typeof f === "string" ? f : String(f));
      answerLater(address, engine.startRecording(file, { format }), later, (r) => ({
        address: "/record/start.reply",
        args: [r.path, r.startFrame],
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
