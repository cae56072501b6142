// Listening: a report of what the output (or one module) played over the last seconds, measured in the
// engine's analysis worker (engine/listener.ts), as one JSON string. The report is about 2 KB for a request of
// about 20 bytes: a reflection amplifier if it went to any address, so it is refused to senders that are
// neither loopback nor --osc-allow (docs/security.md), before any work is done.
import { ClientError } from "../../core/errors.ts";
import { dataPath } from "../../core/sandbox.ts";
import type { OscArg } from "../types.ts";
import { overwriteWord } from "./patch.ts";
import { answerLater, type Call, opt, type Route, route, str, value } from "./route.ts";

const LISTEN = { family: "listen", dialect: "chronus" } as const;

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

// [seconds] [module], or a lone module name: the window and what to listen to.
function windowArgs(args: readonly OscArg[]): { seconds?: unknown; module?: string } {
  if (args.length > 2) throw new ClientError("expected [seconds] [module]");
  const numeric = (a: OscArg) => typeof a === "number" || (typeof a === "string" && NUMERIC.test(a));
  if (args.length === 1 && typeof args[0] === "string" && !numeric(args[0])) {
    return { module: str("module").read(args, 0) };
  }
  return {
    seconds: args.length > 0 ? args[0] : undefined,
    module: args.length > 1 ? str("module").read(args, 1) : undefined,
  };
}

// Large replies go to trusted senders only: refused up front, so an untrusted one costs no analysis either.
function checkPeer(call: Call): void {
  if (call.peer?.trusted === false) {
    throw new ClientError(
      "the report is large: it goes only to loopback or --osc-allow senders (docs/security.md)",
    );
  }
}

/** /analyze and /analyze/plot. */
export const LISTEN_ROUTES: readonly Route[] = [
  route({
    ...LISTEN,
    address: "/analyze",
    args: [
      opt(value("seconds", { doc: "the window: the last 0 … 5.46 s of the output (default 2)" })),
      opt(str("module", { doc: "a module of the patch: its main output instead of the output's" })),
    ],
    summary:
      "what the output (or one module) played over the last seconds: loudness, peaks, spectrum, pitch, key, tempo (docs/listening-live.md); the first request for a module waits the window's length",
    reply: "/analyze.reply <JSON: the report (analysis/analyze.ts Analysis)>",
    text: {
      form: "listen [SECONDS] [MODULE]",
      examples: ["listen", "listen 4", "listen 2 voice1", "listen voice1"],
      note: "a few plain sentences (--json: the report)",
    },
    handle: ({ engine }, _, call) => {
      checkPeer(call);
      if (!engine.analyze) throw new ClientError("listening needs a live engine");
      const { seconds, module } = windowArgs(call.args);
      answerLater(
        call.address,
        engine.analyze(seconds as number | undefined, module),
        call.later,
        (a) => ({ address: "/analyze.reply", args: [JSON.stringify(a)] }),
      );
      return [];
    },
  }),
  route({
    ...LISTEN,
    address: "/analyze/plot",
    args: [
      str("file", { doc: "a name in the data directory's plots/ (a PNG)" }),
      opt(value("seconds", { doc: "the window, as /analyze (default 2)" })),
      opt(str("module", { doc: "a module of the patch, as /analyze" })),
      overwriteWord(),
    ],
    summary:
      "a PNG of the window (waveform, spectrogram, loudness) written to a new file in the data directory's plots/ (an existing one only with overwrite)",
    reply: "/analyze/plot.reply <path in the data directory> <JSON: the report>",
    text: {
      form: "listen plot FILE [SECONDS] [MODULE] [overwrite]",
      examples: ["listen plot mix.png", "listen plot bass.png 4 voice1"],
      note: "into the data directory's plots/",
    },
    handle: ({ engine, files }, _, call) => {
      checkPeer(call);
      if (!engine.analyze) throw new ClientError("listening needs a live engine");
      const all = call.args;
      const overwrite = all.length > 1 && all[all.length - 1] === "overwrite";
      const args = overwrite ? all.slice(0, -1) : all;
      if (args.length < 1) throw new ClientError("expected <file> [seconds] [module] [overwrite]");
      const file = str("file").read(args, 0);
      const { seconds, module } = windowArgs(args.slice(1));
      const rel = dataPath("plots", file, "plot");
      // Checked before the file is made, so that a bad window leaves no empty file behind.
      const analyze = engine.analyze.bind(engine);
      if (seconds !== undefined && !(Number(seconds) > 0)) {
        throw new ClientError(`seconds must be more than 0, not ${JSON.stringify(seconds)}`);
      }
      if (module !== undefined) engine.patch.module(module);
      const path = files.reserve(rel, overwrite);
      answerLater(
        call.address,
        analyze(seconds as number | undefined, module, { plotPath: path }),
        call.later,
        (a) => ({
          address: "/analyze/plot.reply",
          args: [rel, JSON.stringify({ ...(a as object), plot: rel })],
        }),
      );
      return [];
    },
  }),
];
