// The minimal text control path (stdin lines and --set): `freq 440`, `set voice.gain 0.3`, `wave sine`.
// The OSC server and the full command language route through the same voiceParamCommand().
import type { Command } from "../engine/command.ts";
import { ClientError, voiceParamCommand } from "../engine/params.ts";

/** A parsed line: a command to send, a request, or nothing. */
export type TextAction = { kind: "command"; command: Command } | { kind: "status" } | { kind: "quit" } | {
  kind: "none";
};

/** Parses one line of the text command language; throws ClientError with a plain-words message. */
export function parseTextCommand(line: string): TextAction {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0 || words[0].startsWith("#")) return { kind: "none" };
  const [verb, ...rest] = words;
  if (verb === "status") return { kind: "status" };
  if (verb === "quit" || verb === "exit") return { kind: "quit" };
  if (verb === "set") {
    // set voice.freq 440 | set freq 440 | set voice.freq=440
    const joined = rest.join(" ").replace("=", " ").split(/\s+/);
    if (joined.length !== 2) {
      throw new ClientError(`Cannot parse "${line}": expected set [voice.]PARAM VALUE`);
    }
    const name = joined[0].replace(/^voice\./, "");
    return { kind: "command", command: voiceParamCommand(name, joined[1]) };
  }
  if (rest.length === 1) return { kind: "command", command: voiceParamCommand(verb, rest[0]) };
  throw new ClientError(`Cannot parse "${line}": expected PARAM VALUE, set PARAM VALUE, status or quit`);
}
