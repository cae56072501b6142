// The address table: every route file's entries, family by family, in the order docs and help list them, then
// the old systems' dialects (osc/dialects/): their entries are routes of the same table.
import { SEED_ROUTES } from "../dialects/seed.ts";
import { ENGINE_ROUTES } from "./engine.ts";
import { HISTORY_ROUTES } from "./history.ts";
import { PATCH_ROUTES } from "./patch.ts";
import { PATTERN_ROUTES } from "./pattern.ts";
import { PLAY_ROUTES } from "./play.ts";
import { LISTEN_ROUTES } from "./listen.ts";
import { RECORD_ROUTES } from "./record.ts";
import type { Dialect, FamilyName, Route } from "./route.ts";
import { SAMPLE_ROUTES } from "./sample.ts";
import { SCENE_ROUTES } from "./scene.ts";
import { SESSION_ROUTES } from "./session.ts";
import { SEQ_ROUTES } from "./seq.ts";
import { VIEW_ROUTES } from "./view.ts";

/** A family of addresses: one route file. */
export interface Family {
  /** Its name, as routes give it in their `family`. */
  readonly name: FamilyName;
  /** Its section heading in docs/osc.md and its name in the address summary ("Playing", "Sequencer" …). */
  readonly title: string;
  /** How an unknown address under the family's prefix is answered ("unknown address (sequencer: …)"). */
  readonly label: string;
  /** What its addresses are for, in one line (docs/osc.md and README.md's address summary). */
  readonly summary: string;
  /** Its addresses, in the order docs and help list them. */
  readonly routes: readonly Route[];
}

/** Every family, in the order docs and help list them. */
export const FAMILIES: readonly Family[] = [
  {
    name: "play",
    title: "Playing",
    label: "playing",
    summary: "parameters, gates and notes on named modules; /sync to know they applied",
    routes: PLAY_ROUTES,
  },
  {
    name: "patch",
    title: "Patching",
    label: "patch",
    summary: "a transaction of modules and cables, applied at one frame; patch files and whole sessions",
    routes: [...PATCH_ROUTES, ...SESSION_ROUTES],
  },
  {
    name: "seq",
    title: "Sequencer",
    label: "sequencer",
    summary: "tracks, tempo, swing and the transport; changes wait for the next bar unless `now`",
    routes: SEQ_ROUTES,
  },
  {
    name: "pattern",
    title: "Patterns",
    label: "patterns",
    summary: "the whole sequence saved and loaded by name or slot",
    routes: PATTERN_ROUTES,
  },
  {
    name: "history",
    title: "History",
    label: "history",
    summary: "every edit with its frame and author; undo and redo, stamped like any change",
    routes: HISTORY_ROUTES,
  },
  {
    name: "scene",
    title: "Scenes",
    label: "scenes",
    summary: "the sequence saved as named scenes, switched at a bar line and chained into a song",
    routes: SCENE_ROUTES,
  },
  {
    name: "record",
    title: "Recording",
    label: "recording",
    summary: "the output to a WAV file, off the audio path",
    routes: RECORD_ROUTES,
  },
  {
    name: "sample",
    title: "Samples",
    label: "samples",
    summary:
      "sample files (WAV, FLAC, MP3, Ogg Vorbis) loaded into the shared sample pool that `sampler` modules play",
    routes: SAMPLE_ROUTES,
  },
  {
    name: "listen",
    title: "Listening",
    label: "listening",
    summary: "a report of what the output or one module played: loudness, spectrum, pitch, tempo",
    routes: LISTEN_ROUTES,
  },
  {
    name: "engine",
    title: "Engine",
    label: "engine",
    summary:
      "status, the output stopped and started, the patch, the schema, events and meters; the engine tone's old addresses (voice1)",
    routes: ENGINE_ROUTES,
  },
  {
    name: "view",
    title: "View",
    label: "view",
    summary:
      "one bounded snapshot for a live view (`deno task chronus watch`): meters, spectrum, steps, events, health",
    routes: VIEW_ROUTES,
  },
];

/** An old system's dialect: its entries, which the router serves next to the native ones. */
export interface DialectTable {
  /** Its name, as its routes give it in their `dialect`. */
  readonly name: Dialect;
  /** Its section heading in docs/osc.md. */
  readonly title: string;
  /** Who spoke it, in one line (docs/osc.md, README.md, `deno task chronus --help`). */
  readonly summary: string;
  /** Its entries, in the order docs list them. */
  readonly routes: readonly Route[];
}

/** Every dialect besides Chronus's own. */
export const DIALECTS: readonly DialectTable[] = [
  {
    name: "seed",
    title: "Seed dialect",
    summary:
      "the OSC of the seed system's clients (its engines, supervisors and the Windows port), clamped to its ranges and converted to native commands",
    routes: SEED_ROUTES,
  },
];

/** Every native address, family by family. */
export const NATIVE_ROUTES: readonly Route[] = FAMILIES.flatMap((f) => f.routes);

/** Every address the router serves: the native ones, then the dialects' entries. */
export const ROUTES: readonly Route[] = [...NATIVE_ROUTES, ...DIALECTS.flatMap((d) => d.routes)];

/**
 * The dialects in a few lines for `deno task chronus --help`: each one's summary and the addresses it handles
 * itself (not those a native entry serves as they are), shortened to two segments ("/mod/voice<N>/…").
 */
export function dialectHelp(): string[] {
  return DIALECTS.flatMap((d) => {
    const short = new Set(
      d.routes.filter((r) => !r.legacy?.servedBy).map((r) => {
        const parts = r.address.split("/").filter((p) => p !== "");
        return `/${parts.slice(0, 2).join("/")}${parts.length > 2 ? "/…" : ""}`;
      }),
    );
    const head = `${d.title} (docs/osc.md#${d.title.toLowerCase().replaceAll(" ", "-")}): ${d.summary}.`;
    return [...fill(head.split(" "), 100, ""), ...fill([...short], 100, "  ")];
  });
}

// Words filled into lines of at most `width` characters, each line starting with `indent`.
function fill(words: string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const w of words) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + w.length <= width) lines[last] += ` ${w}`;
    else lines.push(`${indent}${w}`);
  }
  return lines;
}
