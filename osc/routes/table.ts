// The address table: every route file's entries, family by family, in the order docs and help list them.
import { ENGINE_ROUTES } from "./engine.ts";
import { PATCH_ROUTES } from "./patch.ts";
import { PATTERN_ROUTES } from "./pattern.ts";
import { PLAY_ROUTES } from "./play.ts";
import { RECORD_ROUTES } from "./record.ts";
import type { FamilyName, Route } from "./route.ts";
import { SEQ_ROUTES } from "./seq.ts";

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
    summary: "a transaction of modules and cables, applied at one frame; patch files",
    routes: PATCH_ROUTES,
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
    name: "record",
    title: "Recording",
    label: "recording",
    summary: "the output to a WAV file, off the audio path",
    routes: RECORD_ROUTES,
  },
  {
    name: "engine",
    title: "Engine",
    label: "engine",
    summary: "status, the patch, the schema, events and meters; the engine tone's old addresses (voice1)",
    routes: ENGINE_ROUTES,
  },
];

/** Every address, family by family. */
export const ROUTES: readonly Route[] = FAMILIES.flatMap((f) => f.routes);
