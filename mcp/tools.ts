// The MCP server's tools: what an agent can do with a running engine, each with a description that teaches
// the part of the language it needs. The command tool's list of commands is generated from the address table
// (osc/routes/, through cli/language.ts's HELP_LINES), so it names what the engine actually accepts.
// Inputs are checked by zod schemas (the SDK refuses a call that does not fit them before a handler runs) and
// bounded; an engine's `/error` comes back as a tool error (isError) in the engine's words.
import * as L from "../asm/layout.ts";
import { z } from "zod";
import type { Analysis } from "../analysis/analyze.ts";
import { describe as describeAnalysis } from "../analysis/describe.ts";
import { HELP_LINES } from "../cli/language.ts";
import type { Answer } from "../cli/session.ts";
import type { EngineLink } from "./link.ts";
import { preview } from "./preview.ts";

/** A tool's result as MCP returns it: text, the structured JSON when there is some, isError when it failed. */
export interface ToolResult {
  /** What the agent reads: plain words, or the JSON as text. */
  content: { type: "text"; text: string }[];
  /** The JSON, matching the tool's output schema. */
  structuredContent?: Record<string, unknown>;
  /** True when the tool failed (the text says why). */
  isError?: boolean;
  /** MCP results are open objects. */
  [key: string]: unknown;
}

/** One tool: what an agent reads about it, its zod schemas, and its work on the engine. */
export interface Tool {
  /** Its name in tools/list and tools/call. */
  name: string;
  /** A title for people. */
  title: string;
  /** What an agent reads to use it. */
  description: string;
  /** The arguments: a zod shape (an object of zod schemas, one per argument). */
  input: Readonly<Record<string, unknown>>;
  /** The structured result's zod schema, when it has one. */
  output?: unknown;
  /** MCP's hints: whether it only reads, whether it can destroy, whether it reaches past the engine. */
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; openWorldHint?: boolean };
  /** Does the work with arguments the input schema has checked. */
  run(args: Record<string, unknown>, link: EngineLink): Promise<ToolResult>;
}

// A tool whose run() sees its arguments' types as its input schema gives them.
function tool<S extends z.ZodRawShape>(
  t: Omit<Tool, "input" | "run"> & {
    input: S;
    run(args: z.infer<z.ZodObject<S>>, link: EngineLink): Promise<ToolResult>;
  },
): Tool {
  return t as unknown as Tool;
}

/** The longest line the command tool takes (characters). */
export const MAX_LINE_CHARS = 2000;

/** The longest stretch listen analyses, s: the record tap's length at 48 kHz (engine/listener.ts maxSeconds). */
export const MAX_LISTEN_SECONDS: number = Math.floor((L.TAP_FRAMES / 48000) * 100) / 100;

/** The largest score preview takes (characters), and the most lines. */
export const MAX_SCORE_CHARS = 20_000, MAX_SCORE_LINES = 1000;

/** The longest preview render, s of audio. */
export const MAX_PREVIEW_SECONDS = 120;

/** The largest patch preview takes, as JSON text (characters). */
export const MAX_PATCH_CHARS = 1_000_000;

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** The command tool's description: how to talk, then every command (from the address table). */
export function commandDescription(): string {
  return [
    "Play the running Chronus engine with one line of its text language; returns the answer in plain words.",
    'Changes answer "ok" once applied. Frequencies are in Hz, times in seconds, levels 0…1 unless the',
    "schema tool says otherwise. A refused line returns an error with the engine's reason",
    '(e.g. `/mod/voice1/bogus: voice has no parameter "bogus"`). Module names come from the patch tool,',
    "parameters with ranges and units from the schema tool. load/save FILE and record start FILE name",
    "files in the engine's data directory. Examples: `set voice1.freq 440`, `note voice1 C3 0.8 0.5`,",
    "`seq add drums kick1 x...x...x...x...`, `patch lfo1 -> voice2.cutoff 1`, `seq start`.",
    "",
    "Commands (FORM  EXAMPLES (NOTE)):",
    ...HELP_LINES,
  ].join("\n");
}

// A tool error result in plain words.
function failure(text: string): ToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

// An answer that carried errors as a tool error: the engine's words, one refusal a line.
function refused(a: Answer): ToolResult {
  return failure(a.errors.join("\n"));
}

// A result with structured content, its JSON also as text (MCP asks for both, for clients that read only text).
function structured(data: Record<string, unknown>, text?: string): ToolResult {
  const json = JSON.stringify(data);
  return {
    content: text === undefined
      ? [{ type: "text", text: json }]
      : [{ type: "text", text }, { type: "text", text: json }],
    structuredContent: data,
  };
}

// The listening report's shape (analysis/analyze.ts Analysis), for listen's and preview's outputSchema; loose,
// so that a field the report gains later passes through.
const ANALYSIS_SCHEMA = z.looseObject({
  window: z.looseObject({ startFrame: z.number(), frames: z.number(), seconds: z.number() }),
  lufs: z.number().nullable(),
  lufsShort: z.number().nullable(),
  truePeakDb: z.number(),
  rmsDb: z.array(z.number()),
  crestDb: z.number(),
  clipped: z.number(),
  silent: z.boolean(),
  dcOffset: z.array(z.number()),
  correlation: z.number(),
  centroidHz: z.number(),
  rolloffHz: z.number(),
  flatness: z.number(),
  bands: z.array(z.looseObject({ hz: z.number(), db: z.number() })),
  pitches: z.array(
    z.looseObject({ hz: z.number(), note: z.string(), cents: z.number(), db: z.number() }),
  ),
  chroma: z.array(z.number()),
  key: z.looseObject({ name: z.string(), confidence: z.number() }).nullable(),
  onsets: z.array(z.number()),
  bpm: z.looseObject({ value: z.number(), confidence: z.number() }).nullable(),
  sequencerBpm: z.number().optional(),
  limiterDb: z.number().optional(),
});

const STATUS_SCHEMA = z.looseObject({
  sampleRate: z.number(),
  block: z.number(),
  uptimeS: z.number(),
  outBlock: z.number(),
  activeSlot: z.number(),
  redundant: z.boolean(),
  failovers: z.number(),
  lateBlocks: z.number(),
  // The ring lead now (engine/lead.ts): `auto` widens it after a late block.
  lead: z.looseObject({ blocks: z.number(), ms: z.number(), auto: z.boolean() }).optional(),
  cpu: z.record(z.string(), z.number()),
});

const PATCH_SCHEMA = z.object({
  patch: z.looseObject({ modules: z.record(z.string(), z.unknown()) }),
  sequence: z.looseObject({ running: z.boolean(), bpm: z.number(), swing: z.number() }),
});

/**
 * The patch as the DSP plays it (/engine/list/playing: what notes, lanes and smoothing left, not the set
 * values) and the sequence (/seq/status), as JSON: what the patch tool and resources read.
 */
export async function currentPatch(
  link: EngineLink,
): Promise<{ ok: true; patch: unknown; sequence: unknown } | { ok: false; error: string }> {
  const list = await link.ask({
    messages: [["/engine/list/playing"]],
    expect: "/engine/list/playing.reply",
  });
  if (!list.ok) return { ok: false, error: list.errors.join("\n") };
  const seq = await link.ask({ messages: [["/seq/status"]], expect: "/seq/status.reply" });
  if (!seq.ok) return { ok: false, error: seq.errors.join("\n") };
  return { ok: true, patch: list.json, sequence: seq.json };
}

/** The engine's schema (/engine/schema): module types, their parameters and every address. */
export async function engineSchema(
  link: EngineLink,
): Promise<{ ok: true; schema: Record<string, unknown> } | { ok: false; error: string }> {
  const a = await link.ask({ messages: [["/engine/schema"]], expect: "/engine/schema.reply" });
  return a.ok
    ? { ok: true, schema: a.json as Record<string, unknown> }
    : { ok: false, error: a.errors.join("\n") };
}

/** The tools, in the order tools/list gives them. */
export const TOOLS: readonly Tool[] = [
  tool({
    name: "command",
    title: "Play a command",
    description: commandDescription(),
    input: {
      line: z.string().min(1).max(MAX_LINE_CHARS).regex(/^[^\r\n]*$/, "one line, no line breaks")
        .describe("one line of the text language, e.g. `set voice1.freq 440`"),
    },
    annotations: { destructiveHint: false, openWorldHint: false },
    run: async ({ line }, link) => {
      const a = await link.line(line);
      if (!a.ok) return refused(a);
      return {
        content: [{ type: "text", text: a.text || "ok (nothing to send: a blank line or a comment)" }],
      };
    },
  }),

  tool({
    name: "listen",
    title: "Listen to the output",
    description: [
      "Analyse the engine's live output over the next SECONDS (default 2, at most " +
      `${MAX_LISTEN_SECONDS}) and report what it sounds like: loudness (LUFS), true peak (dBTP), RMS per`,
      "channel (dBFS), clipping, spectrum (centroid, roll-off, octave bands), strongest pitches with notes and",
      "cents, key, onsets and tempo. `module` listens to one module's output instead of the master.",
      'Returns the report as structured JSON and a few plain sentences, e.g. "−14 LUFS, peaks −1.2 dBTP …".',
    ].join("\n"),
    input: {
      seconds: z.number().min(0.1).max(MAX_LISTEN_SECONDS).optional().describe("how long to listen, s"),
      module: z.string().regex(NAME, "a module name (letters, digits, _ and -)").optional()
        .describe("one module's output (a name from the patch tool) instead of the master"),
    },
    output: ANALYSIS_SCHEMA,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async ({ seconds, module }, link) => {
      const s = seconds ?? 2;
      const a = await link.ask(
        { messages: [["/analyze", s, ...(module ? [module] : [])]], expect: "/analyze.reply" },
        s * 1000 + 5000,
      );
      if (!a.ok) return refused(a);
      if (typeof a.json !== "object" || a.json === null) {
        return failure(`/analyze.reply carried no JSON report`);
      }
      const report = a.json as Analysis;
      return structured(a.json as Record<string, unknown>, describeAnalysis(report));
    },
  }),

  tool({
    name: "status",
    title: "Engine status",
    description: "The engine's health: sample rate (Hz), block size (frames), uptime (s), which DSP slot " +
      "plays, whether a standby is ready (redundant), failovers, late blocks and each slot's CPU share " +
      "(0…1). Structured JSON plus one line in plain words.",
    input: {},
    output: STATUS_SCHEMA,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (_, link) => {
      const a = await link.ask({ messages: [["/engine/status"]], expect: "/engine/status.reply" });
      if (!a.ok) return refused(a);
      return structured(a.json as Record<string, unknown>, a.text);
    },
  }),

  tool({
    name: "schema",
    title: "Module types and addresses",
    description: "What the engine can be told: each module type with its inputs, outputs and parameters " +
      "(ranges, units, defaults), and each OSC address with its text form. Give `module` (a type such as " +
      "voice, vco, lfo, or a module's name from the patch tool) to see one type, `family` to see one family " +
      "of addresses (play, patch, seq, pattern, record, engine); `addresses: false` leaves the addresses out.",
    input: {
      module: z.string().regex(NAME).optional().describe("a module type, or a module's name in the patch"),
      family: z.enum(["play", "patch", "seq", "pattern", "record", "engine"]).optional(),
      addresses: z.boolean().optional().describe("include the addresses (default: true unless module given)"),
    },
    output: z.object({
      modules: z.array(z.looseObject({ type: z.string() })),
      addresses: z.array(z.looseObject({ address: z.string() })).optional(),
    }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async ({ module, family, addresses }, link) => {
      const s = await engineSchema(link);
      if (!s.ok) return failure(s.error);
      let modules = s.schema.modules as { type: string }[];
      if (module !== undefined) {
        let type = module;
        if (!modules.some((m) => m.type === type)) {
          // A module's name: its type from the current patch.
          const p = await currentPatch(link);
          const found = p.ok
            ? (p.patch as { modules?: Record<string, { type?: string }> }).modules?.[module]?.type
            : undefined;
          if (found === undefined) {
            return failure(
              `"${module}" is neither a module type (${modules.map((m) => m.type).join(", ")}) ` +
                `nor a module in the patch`,
            );
          }
          type = found;
        }
        modules = modules.filter((m) => m.type === type);
      }
      const withAddresses = addresses ?? (module === undefined || family !== undefined);
      const all = s.schema.addresses as { address: string; family: string }[];
      const out: Record<string, unknown> = { modules };
      if (withAddresses) out.addresses = family ? all.filter((a) => a.family === family) : all;
      return structured(out);
    },
  }),

  tool({
    name: "patch",
    title: "The current patch and sequence",
    description: "The engine's current patch as a patch file's JSON (modules with their type and parameter " +
      "values as the DSP plays them, after notes and lanes; connections [source, destination, depth?]) and the sequence (running, bpm, swing, tracks " +
      "with their modules, pattern and notes, the position). Read-only.",
    input: {},
    output: PATCH_SCHEMA,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (_, link) => {
      const p = await currentPatch(link);
      if (!p.ok) return failure(p.error);
      return structured({ patch: p.patch, sequence: p.sequence });
    },
  }),

  tool({
    name: "preview",
    title: "Preview a score offline",
    description: [
      "Render a score offline, without touching the live engine, and return the listening report (as listen).",
      'score: lines "SECONDS COMMAND" of the command tool\'s language, e.g.',
      "  0.0 set voice1.freq 220",
      "  0.0 note voice1 C3 0.8 0.5",
      "  1.5 patch lfo1 -> voice2.cutoff 1",
      "patch: a patch file's JSON (as the patch tool's `patch`; default the default patch). seconds: how long",
      `to render (default 2 s after the last event; at most ${MAX_PREVIEW_SECONDS}).`,
    ].join("\n"),
    input: {
      score: z.string().max(MAX_SCORE_CHARS)
        .refine((s) => s.split("\n").length <= MAX_SCORE_LINES, `at most ${MAX_SCORE_LINES} lines`)
        .describe('lines "SECONDS COMMAND"'),
      patch: z.record(z.string(), z.unknown())
        .refine((p) => JSON.stringify(p).length <= MAX_PATCH_CHARS, `at most ${MAX_PATCH_CHARS} characters`)
        .optional().describe("a patch file's JSON object"),
      seconds: z.number().min(0.01).max(MAX_PREVIEW_SECONDS).optional().describe("how long to render, s"),
    },
    output: ANALYSIS_SCHEMA,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async ({ score, patch, seconds }) => {
      const r = await preview({ score, patch, seconds });
      if (!r.ok) return failure(r.error);
      if (typeof r.analysis !== "object" || r.analysis === null) {
        return failure("the render's report is not an object");
      }
      return structured(r.analysis as Record<string, unknown>, describeAnalysis(r.analysis as Analysis));
    },
  }),

  tool({
    name: "record",
    title: "Record the output",
    description: "Record the engine's output to a WAV file in its data directory's recordings/. " +
      "action start (optional file such as take.wav, format float32 (default, exact) or 24 (24-bit PCM), " +
      "overwrite to replace an existing file) answers the path and the start frame; stop answers the path, " +
      "frames and seconds once the file is finalized; status says what is being recorded.",
    input: {
      action: z.enum(["start", "stop", "status"]),
      file: z.string().min(1).max(255).regex(/^[^\r\n\0\\]*$/).optional()
        .describe("a name in recordings/, e.g. take.wav"),
      format: z.enum(["float32", "24"]).optional(),
      overwrite: z.boolean().optional(),
    },
    output: z.looseObject({
      path: z.string().nullable(),
      startFrame: z.number().optional(),
      frames: z.number().optional(),
      seconds: z.number().optional(),
      recording: z.boolean().optional(),
    }),
    annotations: { destructiveHint: false, openWorldHint: false },
    run: async ({ action, file, format, overwrite }, link) => {
      if (action !== "start" && (file !== undefined || format !== undefined || overwrite !== undefined)) {
        return failure(`record ${action} takes no file, format or overwrite`);
      }
      const args = action === "start"
        ? [
          ...(file !== undefined ? [file] : []),
          ...(format !== undefined ? [format] : []),
          ...(overwrite ? ["overwrite"] : []),
        ]
        : [];
      const a = await link.ask(
        { messages: [[`/record/${action}`, ...args]], expect: `/record/${action}.reply` },
        5000,
      );
      if (!a.ok) return refused(a);
      const text = a.text;
      const data: Record<string, unknown> = action === "status" ? a.json as Record<string, unknown> : {};
      if (action === "start") Object.assign(data, { path: a.reply?.[1], startFrame: a.reply?.[2] });
      if (action === "stop") {
        Object.assign(data, { path: a.reply?.[1], frames: a.reply?.[2], seconds: a.reply?.[3] });
      }
      return structured(data, text);
    },
  }),
];
