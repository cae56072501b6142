// deno task bench:analysis [--runs N]: how long analyze() takes on the music it will hear. Renders
// examples/dnb-175.json offline (8 bars), then times analyze() on windows of 2 s (what the live /analyze
// answers within 200 ms) and 5.5 s, each from several starting points, and the stages on the 2 s window.
// Writes the medians (ms) to bench/analysis.json.
import { parseArgs } from "node:util";
import { analyze } from "../analysis/analyze.ts";
import { integratedLoudness, KEnergy } from "../analysis/loudness.ts";
import { truePeak } from "../analysis/true_peak.ts";
import { averageSpectrum } from "../analysis/spectrum.ts";
import { spectralFlux } from "../analysis/onsets.ts";
import { estimateTempo } from "../analysis/tempo.ts";
import { compileDsp } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { scoreCommands } from "../cli/score.ts";
import type { PatchFile } from "../core/files.ts";

const a = parseArgs({ args: Deno.args, options: { runs: { type: "string", default: "21" } } }).values;
const runs = Math.max(1, Number(a.runs));
const SR = 48000;
const file: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../examples/dnb-175.json", import.meta.url)),
);
const x = renderOffline(
  await compileDsp(),
  { sampleRate: SR, block: 128, seed: 1 },
  scoreCommands(file, "", SR, 128),
  Math.round(((8 * 4 * 60) / 175) * SR),
);

/** Median and maximum ms of `f` over `runs` calls (after two warm-up calls). */
function time(f: (i: number) => unknown): { medianMs: number; maxMs: number } {
  f(0);
  f(1);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((p, q) => p - q);
  return { medianMs: +ms[ms.length >> 1].toFixed(2), maxMs: +ms[ms.length - 1].toFixed(2) };
}

/** A window of `seconds` starting at one of five points in the render. */
const window = (seconds: number, i: number) => {
  const frames = Math.round(seconds * SR), room = (x.length >> 1) - frames;
  const from = Math.floor(((i % 5) / 4) * room);
  return x.subarray(2 * from, 2 * (from + frames));
};

const w2 = window(2, 2);
const flux = spectralFlux(w2, SR);
const result = {
  date: new Date().toISOString(),
  runs,
  "analyze 2 s": time((i) => analyze(window(2, i), { sampleRate: SR })),
  "analyze 5.5 s": time((i) => analyze(window(5.5, i), { sampleRate: SR })),
  stages2s: {
    loudness: time(() => integratedLoudness(new KEnergy(w2, SR))),
    truePeak: time(() => truePeak(w2)),
    spectrum: time(() => averageSpectrum(w2, SR)),
    flux: time(() => spectralFlux(w2, SR)),
    tempo: time(() => estimateTempo(flux.flux, flux.hop / SR)),
  },
};
console.log(JSON.stringify(result, null, 2));
await Deno.writeTextFile(new URL("./analysis.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
