// Offline rendering of a patch plus timed events through the same WASM as the live engine: the reference that
// module tests and the benchmark measure, and what `deno task render --patch` writes.
import type { Command, StampedCommand } from "../core/command.ts";
import type { DspSettings } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { Patch } from "./graph.ts";
import type { PatchFile } from "../core/files.ts";

/** A timed change: a parameter, a gate, or any command built from the patch. */
export type PatchEvent =
  | { frame: number; set: [module: string, param: string, value: number | string] }
  | { frame: number; gate: [module: string, on: boolean, velocity?: number] }
  | { frame: number; command: (patch: Patch) => Command };

/** The stamped commands of a patch loaded at frame 0 followed by the events (sequence numbers from 1). */
export function patchCommands(file: PatchFile, events: readonly PatchEvent[] = []): StampedCommand[] {
  const patch = new Patch();
  patch.load(file);
  let seq = 0;
  const out: StampedCommand[] = patch.commit().commands.map((c) => ({ ...c, seq: ++seq, frame: 0 }));
  for (const e of [...events].sort((a, b) => a.frame - b.frame)) {
    const c = "set" in e
      ? patch.setNow(...e.set)
      : "gate" in e
      ? patch.gate(e.gate[0], e.gate[1], e.gate[2] ?? 1)
      : e.command(patch);
    out.push({ ...c, seq: ++seq, frame: e.frame });
  }
  return out;
}

/** Renders `frames` frames of a patch with events; returns interleaved stereo. */
export function renderPatch(
  module: WebAssembly.Module,
  settings: DspSettings,
  file: PatchFile,
  frames: number,
  events: readonly PatchEvent[] = [],
): Float32Array {
  return renderOffline(module, settings, patchCommands(file, events), frames);
}
