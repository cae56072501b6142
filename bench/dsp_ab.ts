// deno run -A bench/dsp_ab.ts <before.wasm> <after.wasm> [repetitions]: two builds of the DSP on the unison
// workload of bench/dsp.ts (64 reference voices with 1, 2, 4 and 7 oscillators each), in one process and
// interleaved (the order alternates each repetition), so that a load shared with other work falls on both
// alike: ns per voice-sample and per oscillator-sample of each (medians), and after over before.
// A build of another commit: `git archive <commit> asm | tar -x -C /tmp/x`, then compile /tmp/x/asm/engine.ts
// with scripts/build_wasm.ts's compiler arguments.
import { DspHost } from "../core/dsp_host.ts";
import { patchCommands } from "../patch/render.ts";
import { SETTINGS, UNISONS } from "./dsp_kernels.ts";
import { referencePatch } from "./reference_voice.ts";

const [beforePath, afterPath, repsArg] = Deno.args;
if (!beforePath || !afterPath) {
  console.error("usage: deno run -A bench/dsp_ab.ts <before.wasm> <after.wasm> [repetitions]");
  Deno.exit(2);
}
const builds: [string, WebAssembly.Module][] = [
  ["before", await WebAssembly.compile(Deno.readFileSync(beforePath))],
  ["after", await WebAssembly.compile(Deno.readFileSync(afterPath))],
];
const VOICES = 64, BLOCKS = 375; // one second, after one second of warm-up
const reps = Number(repsArg ?? 15);
const times = new Map<string, number[]>();
for (let r = 0; r < reps; r++) {
  for (const u of UNISONS) {
    for (const [name, module] of r % 2 ? [...builds].reverse() : builds) {
      const host = new DspHost(module, SETTINGS);
      for (const c of patchCommands(referencePatch(VOICES, "fused", u), [])) host.push(c);
      let n = 0;
      for (; n < BLOCKS; n++) host.render(n);
      const t0 = performance.now();
      for (let k = 0; k < BLOCKS; k++) host.render(n++);
      const ns = ((performance.now() - t0) * 1e6) / (VOICES * BLOCKS * SETTINGS.block);
      times.set(`${name} ${u}`, [...(times.get(`${name} ${u}`) ?? []), ns]);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const u of UNISONS) {
  const b = median(times.get(`before ${u}`)!), a = median(times.get(`after ${u}`)!);
  console.log(
    `unison ${u}: before ${b.toFixed(2)} ns/voice-sample (${(b / u).toFixed(2)} per oscillator), after ${
      a.toFixed(2)
    } (${(a / u).toFixed(2)}), after/before ${(a / b).toFixed(2)}`,
  );
}
