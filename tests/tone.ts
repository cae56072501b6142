// A test tone for tests that need a sound and a parameter to change, not a particular module: one module
// straight into the output, as stamped commands. (The engine's own test tone, module 0, is retired.)
import type { StampedCommand } from "../core/command.ts";
import type { PatchFile } from "../core/files.ts";
import { Patch } from "../patch/graph.ts";

/** patches/tone.json: voice1 (a `voice`) into the output; what `--exercise` plays. */
export const TONE_PATCH: PatchFile = JSON.parse(
  Deno.readTextFileSync(new URL("../patches/tone.json", import.meta.url)),
);

/** Path of patches/tone.json, for the CLI's --patch. */
export const TONE_PATCH_PATH = new URL("../patches/tone.json", import.meta.url).pathname;

/** A patch of one module named `tone` (silent until its level is raised) into the output. */
export function testTonePatch(type = "vco", params: Record<string, number | string> = {}): PatchFile {
  return {
    modules: { tone: { type, params: { level: 0, ...params } }, out1: { type: "out" } },
    connections: [["tone", "out1.L"], ["tone", "out1.R"]],
  };
}

/** testTonePatch as stamped commands: `setup` creates it at frame 0 (sequence 1 …), `set` stamps a change. */
export function testTone(type = "vco", params: Record<string, number | string> = {}): {
  setup: StampedCommand[];
  set(param: string, value: number | string, frame: number): StampedCommand;
} {
  const patch = new Patch();
  patch.load(testTonePatch(type, params));
  let seq = 0;
  const setup = patch.commit().commands.map((c) => ({ ...c, frame: 0, seq: ++seq }));
  return {
    setup,
    set: (param, value, frame) => ({ ...patch.setNow("tone", param, value), frame, seq: ++seq }),
  };
}
