// deno bench (deno task bench:dsp runs it): the DSP kernels of bench/dsp_kernels.ts, one 128-frame block per
// iteration, each group against the fused WASM voice. bench/dsp.ts turns the same kernels into bench/dsp.json.
import { tsKernel, VOICES, wasmKernel } from "./dsp_kernels.ts";

for (const n of VOICES) {
  const group = `reference voice ×${n}`;
  Deno.bench(`fused voice ×${n}`, { group, baseline: true }, wasmKernel({ patch: "fused", voices: n }));
  // The modular chain needs 4 modules a voice: 256 voices would exceed one patch (MAX_MODULES).
  if (n <= 128) Deno.bench(`modules ×${n}`, { group }, wasmKernel({ patch: "modular", voices: n }));
  Deno.bench(`TypeScript ×${n}`, { group }, tsKernel(n));
}
Deno.bench(
  "default patch, idle",
  { group: "default patch", baseline: true },
  wasmKernel({ patch: "default", playing: false }),
);
Deno.bench(
  "default patch, playing",
  { group: "default patch" },
  wasmKernel({ patch: "default", playing: true }),
);
