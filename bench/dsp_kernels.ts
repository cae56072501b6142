// The DSP kernels the benchmarks time, one 128-frame block per call: the reference voice (bench/reference_voice.ts)
// and the default patch through the WASM DSP, and the reference voice in plain TypeScript.
// bench/dsp_bench.ts times them with Deno.bench; bench/dsp.ts with interleaved repetitions for bench/dsp.json.
import { compileDsp, DspHost } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { patchCommands } from "../patch/render.ts";
import { referencePatch, TsVoices } from "./reference_voice.ts";

/** Sample rate, block and seed of every kernel. */
export const SETTINGS = { sampleRate: 48000, block: 128, seed: 1 };

/** The oscillators per voice of the unison benchmark (64 reference voices). */
export const UNISONS = [1, 2, 4, 7];

/** The voice counts of the reference voice. */
export const VOICES = [1, 16, 64, 256];

/** A patch to render: the reference voice (fused `voice` modules, or vco → vcf → adsr → vca modules), or the
 * default patch idle or with every voice and the acid line playing. */
export type Workload =
  | { patch: "fused" | "modular"; voices: number; unison?: number }
  | { patch: "default"; playing: boolean };

/** The DSP module, compiled from build/chronus.wasm (`deno task build`). */
export const dsp: WebAssembly.Module = await compileDsp();

function patchFile(w: Workload): { file: PatchFile; gates: string[] } {
  if (w.patch !== "default") return { file: referencePatch(w.voices, w.patch, w.unison), gates: [] };
  const file = JSON.parse(Deno.readTextFileSync(new URL("../patches/default.json", import.meta.url)));
  return { file, gates: w.playing ? ["voice1", "voice2", "voice3", "voice4", "acid1"] : [] };
}

/** A fresh DSP with the workload loaded and one second rendered; each call renders its next block. */
export function wasmKernel(w: Workload): () => void {
  const { file, gates } = patchFile(w);
  const host = new DspHost(dsp, SETTINGS);
  const events = gates.map((m) => ({ frame: 0, gate: [m, true] as [string, boolean] }));
  for (const c of patchCommands(file, events)) host.push(c);
  let n = 0;
  for (const warm = Math.ceil(SETTINGS.sampleRate / SETTINGS.block); n < warm; n++) host.render(n);
  return () => {
    if (host.render(n) !== 0) throw new Error(`block ${n} is not finite`);
    n++;
  };
}

/** The reference voice in TypeScript for `voices` voices, one second rendered; each call renders a block. */
export function tsKernel(voices: number): () => void {
  const v = new TsVoices(voices, SETTINGS.sampleRate, SETTINGS.block);
  for (let n = 0; n < Math.ceil(SETTINGS.sampleRate / SETTINGS.block); n++) v.render();
  return () => v.render();
}
