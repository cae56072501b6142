// The MCP server's resources: the engine's schema, its current patch and its sequence, as JSON documents an
// agent host can read (or attach) without calling a tool. Each read asks the engine afresh.
import type { EngineLink } from "./link.ts";
import { currentPatch, engineSchema } from "./tools.ts";

/** One resource: a fixed URI whose JSON document is read from the engine. */
export interface Resource {
  /** Its name in resources/list. */
  name: string;
  /** Its URI (chronus://…). */
  uri: string;
  /** A title for people. */
  title: string;
  /** What it holds. */
  description: string;
  /** Reads it; throws with the engine's words when the engine refuses or does not answer. */
  read(link: EngineLink): Promise<unknown>;
}

/** The resources, in the order resources/list gives them. */
export const RESOURCES: readonly Resource[] = [
  {
    name: "schema",
    uri: "chronus://schema",
    title: "Module types and addresses",
    description: "Every module type (ports, parameters with ranges and units) and every OSC address",
    read: async (link) => {
      const s = await engineSchema(link);
      if (!s.ok) throw new Error(s.error);
      return s.schema;
    },
  },
  {
    name: "patch",
    uri: "chronus://patch",
    title: "The current patch",
    description: "The engine's patch as a patch file: modules, parameter values, connections",
    read: async (link) => {
      const p = await currentPatch(link);
      if (!p.ok) throw new Error(p.error);
      return p.patch;
    },
  },
  {
    name: "sequence",
    uri: "chronus://sequence",
    title: "The sequence",
    description: "The sequencer: running, tempo, swing, tracks (modules, pattern, notes), position",
    read: async (link) => {
      const p = await currentPatch(link);
      if (!p.ok) throw new Error(p.error);
      return p.sequence;
    },
  },
];
