// `deno task render … --plot OUT.png`: the picture of a whole render (analysis/plot.ts) written beside its WAV.
// The path follows --out's rules: render's permission set (deno.json "render") lets it write in the project,
// minus what git tracks, and in /tmp (docs/security.md); anything else is refused by Deno in one line.
import { basename } from "node:path";
import { plotPng } from "../analysis/plot.ts";
import { plainPermissionMessage } from "./permission_error.ts";

/** Writes the plot of `samples` (interleaved stereo) to `path`, titled by the WAV's name; `fail` on an error. */
export function writePlot(
  path: string,
  samples: Float32Array,
  sampleRate: number,
  wavPath: string,
  fail: (message: string) => never,
): void {
  const t0 = performance.now();
  try {
    Deno.writeFileSync(path, plotPng(samples, { sampleRate, title: basename(wavPath) }));
  } catch (e) {
    fail(`cannot write the plot ${path}: ${plainPermissionMessage((e as Error).message)}`);
  }
  console.error(`render: plot in ${(performance.now() - t0).toFixed(0)} ms → ${path}`);
}
