// The state as the DSP plays it, for /get, list and the saves: modules read back from the DSP
// (Engine.readModules) and turned into parameter states with units and provenance (engine/state.ts).
import { ClientError } from "../core/errors.ts";
import { moduleLine, type ParamState, paramStates } from "../engine/state.ts";
import type { PatchFile } from "../core/files.ts";
import type { OscEngine } from "./types.ts";

/** One module's state as the DSP has it. */
export interface ModuleStateRead {
  /** The module's name. */
  module: string;
  /** Its type. */
  type: string;
  /** The block after which its values were read. */
  block: number;
  /** Every parameter, in the schema's order. */
  params: ParamState[];
}

/** The named modules' states, read back from the DSP; rejects with ClientError as Engine.readModules throws. */
export async function moduleStates(engine: OscEngine, names: readonly string[]): Promise<ModuleStateRead[]> {
  if (!engine.readModules) throw new ClientError("reading values back needs a live engine");
  const values = await engine.readModules(names);
  const known = {
    connections: engine.patch.connections,
    tracks: engine.sequencer.toFile().tracks,
    group: (g: string) => engine.instrument.group(g)?.voices,
  };
  return names.map((name) => {
    const m = engine.patch.module(name);
    const v = values.get(name)!;
    return { module: name, type: m.type, block: v.block, params: paramStates(m, v, known) };
  });
}

/** One module in the list: its type and every parameter's value as the DSP has it. */
export interface ListedModule {
  /** Its type (docs/modules.md). */
  type: string;
  /** Every parameter's value after smoothing, by name, in the schema's order. */
  params: Record<string, number>;
  /** The targets that differ from the value (a glide or smoothing on its way), by name. */
  targets: Record<string, number>;
  /** The parameters whose target differs from the default (list marks them with *). */
  changed: string[];
  /** The line `list` prints: "voice1 (voice): freq 220 Hz, cutoff 777 Hz*, …". */
  text: string;
}

/** What /engine/state answers: every module as the DSP plays it, and the cables. */
export interface ListedState {
  /** The last block after which modules were read (a read of more than 64 modules spans a few). */
  block: number;
  /** Every module of the committed patch, by name. */
  modules: Record<string, ListedModule>;
  /** The cables, as a patch file has them: [from, to, depth?]. */
  connections: NonNullable<PatchFile["connections"]>;
}

/** The most bytes /engine/state answers in: its reply is one UDP datagram (at most 65,507 bytes). */
export const STATE_REPLY_BYTES = 60_000;

/** Every module of the committed patch as the DSP plays it, with the cables (one read of every module). */
export async function listedState(engine: OscEngine): Promise<ListedState> {
  const file = engine.patch.toFile();
  const read = await moduleStates(engine, Object.keys(file.modules));
  const modules: Record<string, ListedModule> = {};
  for (const m of read) {
    const targets: Record<string, number> = {};
    for (const p of m.params) if (p.target !== p.value) targets[p.param] = p.target;
    modules[m.module] = {
      type: m.type,
      params: Object.fromEntries(m.params.map((p) => [p.param, p.value])),
      targets,
      changed: m.params.filter((p) => p.changed).map((p) => p.param),
      text: moduleLine(m.module, m.type, m.params),
    };
  }
  return { block: Math.max(-1, ...read.map((m) => m.block)), modules, connections: file.connections ?? [] };
}
