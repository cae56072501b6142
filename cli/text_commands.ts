// The text control path (stdin lines and --set): `set voice1.freq 220`, `gate voice1 on`, `schema`, and the
// engine tone's legacy forms `freq 440`, `set voice.gain 0.3`, `wave sine`.
// (The OSC surface and the full command language build on the same calls.)
import type { Command } from "../engine/command.ts";
import { ClientError, voiceParamCommand } from "../engine/params.ts";

/** A parsed line. */
export type TextAction =
  | { kind: "command"; command: Command }
  | { kind: "set"; module: string; param: string; value: string }
  | { kind: "gate"; module: string; on: boolean; velocity: number }
  | { kind: "status" }
  | { kind: "schema" }
  | { kind: "list" }
  | { kind: "quit" }
  | { kind: "none" };

const ON = new Set(["on", "1", "true", "open"]);
const OFF = new Set(["off", "0", "false", "close"]);

/** Parses one line of the text command language; throws ClientError with a plain-words message. */
export function parseTextCommand(line: string): TextAction {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0 || words[0].startsWith("#")) return { kind: "none" };
  const [verb, ...rest] = words;
  if (verb === "status") return { kind: "status" };
  if (verb === "schema") return { kind: "schema" };
  if (verb === "list") return { kind: "list" };
  if (verb === "quit" || verb === "exit") return { kind: "quit" };
  if (verb === "gate") {
    // gate voice1 on [velocity]
    const [module, state, vel] = rest;
    const velocity = vel === undefined ? 1 : Number(vel);
    if (
      !module || !state || rest.length > 3 || (!ON.has(state) && !OFF.has(state)) ||
      !Number.isFinite(velocity)
    ) {
      throw new ClientError(`Cannot parse "${line}": expected gate MODULE on|off [VELOCITY]`);
    }
    return { kind: "gate", module, on: ON.has(state), velocity };
  }
  if (verb === "set") {
    // set voice1.freq 220 | set voice1.freq=220 | set voice.freq 440 (engine tone) | set freq 440
    const joined = rest.join(" ").replace("=", " ").split(/\s+/);
    if (joined.length !== 2) {
      throw new ClientError(`Cannot parse "${line}": expected set MODULE.PARAM VALUE`);
    }
    const [target, value] = joined;
    const dot = target.indexOf(".");
    if (dot < 0 || target.startsWith("voice.")) {
      return { kind: "command", command: voiceParamCommand(target.replace(/^voice\./, ""), value) };
    }
    return { kind: "set", module: target.slice(0, dot), param: target.slice(dot + 1), value };
  }
  if (rest.length === 1) return { kind: "command", command: voiceParamCommand(verb, rest[0]) };
  throw new ClientError(
    `Cannot parse "${line}": expected set MODULE.PARAM VALUE, gate MODULE on|off, status, schema, list or quit`,
  );
}
