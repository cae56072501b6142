// Scores: the text command language with a time in seconds in front of each line
// ("0.000 set voice1.freq 220", "0.5 gate voice1 off", "# comment"). Rendered offline by
// `deno task render --score` through the same WASM as the live engine.
import { ClientError } from "../engine/params.ts";
import type { PatchEvent } from "../patch/render.ts";
import { parseTextCommand } from "./text_commands.ts";

/** Parses a score into patch events at exact frames; throws ClientError naming the line. */
export function parseScore(text: string, sampleRate: number): PatchEvent[] {
  const events: PatchEvent[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const m = /^(\d+(?:\.\d*)?|\.\d+)\s+(.+)$/.exec(line);
    if (!m) throw new ClientError(`score line ${i + 1}: expected "SECONDS COMMAND", got "${raw.trim()}"`);
    const frame = Math.round(Number(m[1]) * sampleRate);
    let act;
    try {
      act = parseTextCommand(m[2]);
    } catch (e) {
      throw new ClientError(`score line ${i + 1}: ${(e as Error).message}`);
    }
    if (act.kind === "set") events.push({ frame, set: [act.module, act.param, act.value] });
    else if (act.kind === "gate") events.push({ frame, gate: [act.module, act.on, act.velocity] });
    else if (act.kind === "command") {
      const c = act.command;
      events.push({ frame, command: () => c });
    } else if (act.kind !== "none") {
      throw new ClientError(`score line ${i + 1}: "${m[2]}" cannot be scheduled in a score`);
    }
  });
  return events;
}
