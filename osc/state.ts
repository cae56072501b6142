// The state as the DSP plays it, for /get, list and the saves: modules read back from the DSP
// (Engine.readModules) and turned into parameter states with units and provenance (engine/state.ts).
import { ClientError } from "../core/errors.ts";
import { type ParamState, paramStates } from "../engine/state.ts";
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
