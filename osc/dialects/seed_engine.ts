// The seed dialect's engine and patching words: /engine/start|stop|status|list|schema, /engine/record/*,
// /test, and /patch/* with the old module type names.
import { writeJson } from "../files.ts";
import { fullSchema } from "../routes/engine.ts";
import { choice, opt, rest, type Route, str, value } from "../routes/route.ts";
import { qToRes } from "./convert.ts";
import { delegate, seedNumber } from "./dialect.ts";
import { entry, FROM, served } from "./seed_entries.ts";

const SCHEMA_FORMATS = ["json", "stdout", "file"] as const;

const stamp = (d: Date) =>
  `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}_${
    [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join("")
  }`;

/** Where /engine/schema file writes, relative to the data directory (core/sandbox.ts): its top. */
export function schemaFilePath(when: Date): string {
  return `chronus_schema_${stamp(when)}.json`;
}

/** The engine words, /test and /engine/record/*. */
export const ENGINE_ROUTES: Route[] = [
  ...(["start", "stop"] as const).flatMap((verb) =>
    entry({
      addresses: [`/engine/${verb}`],
      family: "engine",
      args: [rest(value("ignored"), { doc: "any arguments, ignored" })],
      summary: verb === "start" ? "resumes the output" : "pauses the output, the sequencer and any recording",
      reply: `/engine/${verb}.reply`,
      legacy: {
        origin: `${FROM.pyo1}, ${FROM.pyo}`,
        native: `/engine/${verb}`,
        conversion: "arguments ignored",
        range: "any arguments",
        takes: "one or more arguments (none: the native form)",
      },
      claims: (args) => args.length > 0,
      handle: (ctx, _, call) => delegate(ctx, `/engine/${verb}`, [], call),
    })
  ),
  ...served({
    addresses: ["/engine/status"],
    family: "engine",
    args: [],
    origin: `${FROM.pyo1}, ${FROM.pyo}`,
    by: "/engine/status",
    native: "/engine/status (a JSON reply; the seed printed it)",
    range: "no arguments",
    summary: "the engine's status",
  }),
  ...entry({
    addresses: ["/engine/list"],
    family: "engine",
    args: [rest(value("ignored"), { doc: "any arguments, ignored" })],
    summary: "the patch (the seed printed its modules)",
    reply: "/engine/list.reply <JSON patch file>",
    legacy: {
      origin: FROM.pyo,
      native: "/engine/list",
      conversion: "arguments ignored",
      range: "any arguments",
      takes: "one or more arguments (none: the native form)",
    },
    claims: (args) => args.length > 0,
    handle: (ctx, _, call) => delegate(ctx, "/engine/list", [], call),
  }),
  ...entry({
    addresses: ["/engine/schema"],
    family: "engine",
    args: [choice("format", SCHEMA_FORMATS)],
    summary:
      "the schema: json answers it, stdout prints it on the engine's standard output, file writes chronus_schema_YYYYmmdd_HHMMSS.json in the data directory (a new file)",
    reply:
      "/engine/schema.reply <JSON> (json), /engine/schema.reply stdout, /engine/schema.reply <path> (file)",
    legacy: {
      origin: FROM.pyo,
      native: "/engine/schema",
      conversion:
        "json: the reply; stdout: printed; file: the data directory (the seed wrote beside its patterns)",
      range: "json|stdout|file",
      takes: "one argument (none: the native form)",
    },
    claims: (args) => args.length === 1,
    handle: (ctx, [format], call) => {
      if (format === "json") return delegate(ctx, "/engine/schema", [], call);
      // Printed and written whole: only a reply is bound by the datagram's size.
      const whole = fullSchema(ctx.routes);
      if (format === "stdout") {
        console.log(JSON.stringify(whole));
        return [{ address: "/engine/schema.reply", args: ["stdout"] }];
      }
      const path = schemaFilePath(new Date());
      writeJson(ctx.files, path, whole);
      return [{ address: "/engine/schema.reply", args: [path] }];
    },
  }),
  ...(["start", "stop", "status"] as const).flatMap((verb) =>
    entry({
      addresses: [`/engine/record/${verb}`],
      family: "record",
      args: verb === "start" ? [opt(value("file", { doc: "default: chronus-DATE-TIME.wav" }))] : [],
      summary: `= /record/${verb}`,
      reply: `as /record/${verb}`,
      legacy: {
        origin: FROM.pyo,
        native: `/record/${verb}`,
        conversion: verb === "start"
          ? "the file in the data directory's recordings/, as the seed had it"
          : "as is",
        range: verb === "start" ? "an optional file name" : "no arguments",
      },
      handle: (ctx, _, call) => delegate(ctx, `/record/${verb}`, call.args, call),
    })
  ),
  ...served({
    addresses: ["/engine/freq"],
    family: "engine",
    args: [seedNumber("hz", { min: 20, max: 20000, unit: "Hz" })],
    origin: `${FROM.phase1}, ${FROM.phase2}`,
    by: "/engine/freq",
    native: "voice1.freq",
    range: "20 … 20000 Hz (native: 0.1 … 20000 Hz)",
    summary: "the engine tone's pitch",
  }),
  ...served({
    addresses: ["/engine/gain", "/engine/amp"],
    family: "engine",
    args: [seedNumber("gain", { min: 0, max: 1 })],
    origin: `${FROM.phase1}, ${FROM.phase2}`,
    by: "/engine/gain",
    native: "voice1.gain",
    range: "0 … 1",
    summary: "the engine tone's level",
  }),
  ...(["start", "stop", "status"] as const).flatMap((verb) =>
    served({
      addresses: [`/record/${verb}`],
      family: "record",
      args: verb === "start" ? [opt(value("file"))] : [],
      origin: FROM.router,
      by: `/record/${verb}`,
      native: `/record/${verb}`,
      range: verb === "start" ? "an optional file name" : "no arguments",
      summary: `recording: ${verb}`,
    })
  ),
];

/** The seed's module type names (router supervisor) and the native types that stand for them. */
export const SEED_TYPES: Readonly<
  Record<string, { type: string; params: Record<string, number | string>; note: string }>
> = {
  simple_sine: {
    type: "vco",
    params: { wave: "sine", freq: 440, level: 0.5 },
    note: "a sine vco (freq 440, level 0.5)",
  },
  sine_v2: { type: "vco", params: { wave: "sine", freq: 440 }, note: "a sine vco" },
  biquad_filter: {
    type: "vcf",
    params: { mode: "low", cutoff: 1000, res: qToRes(0.707) },
    note: "a low-pass vcf (Q 0.707)",
  },
  acid_filter: {
    type: "acid",
    params: { osc: 0 },
    note: "an acid line filtering its input (its oscillator off)",
  },
};

/** /patch/* with the seed's module type names. */
export const PATCH_ROUTES: Route[] = [
  ...entry({
    addresses: ["/patch/create"],
    family: "patch",
    args: [str("id"), choice("type", Object.keys(SEED_TYPES))],
    summary: "stages a module of one of the seed's types, as the closest native type",
    reply: "/patch/create.reply <id>",
    legacy: {
      origin: FROM.router,
      native: "/patch/create <id> " + Object.values(SEED_TYPES).map((t) => t.type).join("|"),
      conversion: Object.entries(SEED_TYPES).map(([k, t]) => `${k} → ${t.note}`).join("; "),
      range: "a seed type name",
      takes: "a seed type name (adsr and distortion are native names: the native form)",
    },
    claims: (args) => args.length === 2 && typeof args[1] === "string" && args[1] in SEED_TYPES,
    handle: ({ engine }, [id, type]) => {
      const t = SEED_TYPES[type];
      engine.patch.create(id, t.type, t.params);
      return [{ address: "/patch/create.reply", args: [id] }];
    },
  }),
  ...served({
    addresses: ["/patch/create"],
    family: "patch",
    args: [str("id"), choice("type", ["adsr", "distortion"])],
    origin: FROM.router,
    by: "/patch/create",
    native:
      "the native adsr (an envelope: patch it into a vca's cv; the seed's adsr also carried the audio) or distortion",
    range: "adsr|distortion",
    summary: "stages a module whose seed type name is a native one",
  }),
  ...served({
    addresses: ["/patch/connect"],
    family: "patch",
    args: [str("source"), str("destination")],
    origin: FROM.router,
    by: "/patch/connect",
    native: "/patch/connect (depth 1: audio)",
    range: "two module ids",
    summary: "stages a cable",
  }),
  ...["/patch/commit", "/patch/abort"].flatMap((address) =>
    served({
      addresses: [address],
      family: "patch",
      args: [],
      origin: FROM.router,
      by: address,
      native: address,
      range: "no arguments",
      summary: address === "/patch/commit" ? "applies the staged modules and cables" : "drops them",
    })
  ),
];
