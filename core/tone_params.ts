// Parameters of the minimal voice, validated on the control side before a command is stamped.
// (The module library generates these tables from its module definitions.)
import * as L from "../asm/layout.ts";
import { type Command, command } from "./command.ts";
import { ClientError } from "./errors.ts";

/** One parameter's contract. */
export interface ParamSpec {
  index: number;
  min: number;
  max: number;
  default: number;
  unit: string;
  /** Names for enumerated values, in value order. */
  names?: string[];
}

/** The voice's parameters (module 0). */
export const VOICE_PARAMS: Record<string, ParamSpec> = {
  freq: { index: 0, min: 1, max: 20000, default: 220, unit: "Hz" },
  gain: { index: 1, min: 0, max: 1, default: 0, unit: "linear" },
  wave: { index: 2, min: 0, max: 2, default: 1, unit: "enum", names: ["sine", "saw", "noise"] },
};

/** Builds the command that sets a voice parameter; throws ClientError on an unknown name or a bad value. */
export function voiceParamCommand(name: string, value: number | string): Command {
  const spec = VOICE_PARAMS[name];
  if (!spec) {
    throw new ClientError(
      `Cannot set "${name}": unknown parameter (known: ${Object.keys(VOICE_PARAMS).join(", ")})`,
    );
  }
  let v = typeof value === "string" && spec.names ? spec.names.indexOf(value) : Number(value);
  if (
    typeof value === "string" && spec.names && v < 0 && value.trim() !== "" && !Number.isNaN(Number(value))
  ) {
    v = Number(value);
  }
  if (!Number.isFinite(v)) {
    throw new ClientError(`Cannot set "${name}": ${JSON.stringify(value)} is not a number`);
  }
  if (v < spec.min || v > spec.max || (spec.names && !Number.isInteger(v))) {
    const range = spec.names ? spec.names.join(" | ") : `${spec.min} … ${spec.max} ${spec.unit}`;
    throw new ClientError(`Cannot set "${name}": ${value} is out of range (${range})`);
  }
  return command({ op: L.OP_SET_PARAM, target: 0, param: spec.index, f0: v });
}
