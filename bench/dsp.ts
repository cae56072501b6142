// deno task bench:dsp [--quick]: DSP throughput, written to bench/dsp.json (the task first runs `deno bench`
// over the same kernels, bench/dsp_kernels.ts, in bench/dsp_bench.ts).
// 1. The reference voice (bench/reference_voice.ts) for N = 1, 16, 64, 256: ns per voice-sample and voices in
//    real time on one core, for the fused `voice` module, the same chain of separate modules (and its ratio to
//    the fused voice), and the same algorithm in plain TypeScript, all measured in this run (medians of
//    interleaved repetitions).
// 2. Unison: 64 reference voices with 1, 2, 4 and 7 oscillators each (spread 14 cents): ns per voice-sample
//    and per oscillator-sample (docs/performance.md has the budget).
// 3. The full default patch (every voice and the acid line playing) per 128-frame block.
// Also writes the reference patches to bench/patches/, so other engines can render exactly this work with
// `deno task render --patch bench/patches/reference-voice-256.json --seconds 10 --out x.wav`.
import { parseArgs } from "node:util";
import { SETTINGS, tsKernel, UNISONS, VOICES, wasmKernel, type Workload } from "./dsp_kernels.ts";
import { referencePatch } from "./reference_voice.ts";

const args = parseArgs({ args: Deno.args, options: { quick: { type: "boolean", default: false } } }).values;
const { sampleRate: SR, block: B } = SETTINGS;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ms to render `blocks` blocks of a kernel (bench/dsp_kernels.ts: a fresh one, warmed up by one second). */
function time(kernel: () => void, blocks: number): number {
  const t0 = performance.now();
  for (let n = 0; n < blocks; n++) kernel();
  return performance.now() - t0;
}
const timeWasm = (w: Workload, blocks: number) => time(wasmKernel(w), blocks);
const timeTs = (voices: number, blocks: number) => time(tsKernel(voices), blocks);

const reps = args.quick ? 3 : 7;
const seconds = args.quick ? 1 : 4;
const blocks = Math.ceil((seconds * SR) / B);
const frames = blocks * B;
const rows = [];
Deno.mkdirSync(new URL("./patches/", import.meta.url), { recursive: true });
for (const n of VOICES) {
  // The modular chain needs 4 modules a voice: 256 voices would exceed one patch (MAX_MODULES) and one transaction.
  const fused: Workload = { patch: "fused", voices: n };
  const modular: Workload | null = n <= 128 ? { patch: "modular", voices: n } : null;
  Deno.writeTextFileSync(
    new URL(`./patches/reference-voice-${n}.json`, import.meta.url),
    JSON.stringify(referencePatch(n, "fused")),
  );
  const t = { fused: [] as number[], modular: [] as number[], ts: [] as number[] };
  for (let r = 0; r < reps; r++) {
    t.fused.push(timeWasm(fused, blocks));
    if (modular) t.modular.push(timeWasm(modular, blocks));
    t.ts.push(timeTs(n, blocks));
  }
  const ns = (ms: number) => (ms * 1e6) / (n * frames);
  const modularNs = modular ? ns(median(t.modular)) : null;
  const row = {
    voices: n,
    nsPerVoiceSample: { fused: ns(median(t.fused)), modular: modularNs, typescript: ns(median(t.ts)) },
    voicesRealtimeOneCore: {
      fused: Math.floor(1e9 / (ns(median(t.fused)) * SR)),
      modular: modularNs ? Math.floor(1e9 / (modularNs * SR)) : null,
      typescript: Math.floor(1e9 / (ns(median(t.ts)) * SR)),
    },
    tsOverFused: median(t.ts) / median(t.fused),
    // The modular chain against the fused voice in the same run: the ratio holds on a loaded machine.
    modularOverFused: modular ? median(t.modular) / median(t.fused) : null,
  };
  rows.push(row);
  console.log(
    `N=${String(n).padStart(3)}  ns/voice-sample: fused ${row.nsPerVoiceSample.fused.toFixed(2)}, modular ${
      row.nsPerVoiceSample.modular?.toFixed(2) ?? "—"
    }${row.modularOverFused ? ` (${row.modularOverFused.toFixed(2)}× fused)` : ""}, TypeScript ${
      row.nsPerVoiceSample.typescript.toFixed(2)
    }  (voices in real time: ${row.voicesRealtimeOneCore.fused})`,
  );
}

// Unison: the cost per oscillator (64 voices; unison 1 is the reference voice, four to a SIMD group).
const UNISON_VOICES = 64;
const unisonTimes = UNISONS.map(() => [] as number[]);
for (let r = 0; r < reps; r++) {
  UNISONS.forEach((u, k) =>
    unisonTimes[k].push(timeWasm({ patch: "fused", voices: UNISON_VOICES, unison: u }, blocks))
  );
}
const unisonRows = UNISONS.map((u, k) => {
  const perVoice = (median(unisonTimes[k]) * 1e6) / (UNISON_VOICES * frames);
  return { unison: u, nsPerVoiceSample: perVoice, nsPerOscillatorSample: perVoice / u };
});
for (const row of unisonRows) {
  console.log(
    `unison ${row.unison} (${UNISON_VOICES} voices): ${row.nsPerVoiceSample.toFixed(2)} ns/voice-sample, ${
      row.nsPerOscillatorSample.toFixed(2)
    } ns/oscillator-sample`,
  );
}

// The full default patch with everything playing.
const idle = [], playing = [];
for (let r = 0; r < reps; r++) {
  idle.push((timeWasm({ patch: "default", playing: false }, blocks) * 1000) / blocks);
  playing.push((timeWasm({ patch: "default", playing: true }, blocks) * 1000) / blocks);
}
const blockUs = (B / SR) * 1e6;
const defaultRow = {
  usPerBlockIdle: median(idle),
  usPerBlockPlaying: median(playing),
  blockBudgetUs: blockUs,
  loadPlaying: median(playing) / blockUs,
};
console.log(
  `default patch: ${defaultRow.usPerBlockIdle.toFixed(1)} µs/block idle, ${
    defaultRow.usPerBlockPlaying.toFixed(1)
  } µs/block playing (${(defaultRow.loadPlaying * 100).toFixed(1)}% of a ${blockUs.toFixed(0)} µs block)`,
);
const report = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  cpu: (() => {
    try {
      return /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1];
    } catch {
      return undefined;
    }
  })(),
  sampleRate: SR,
  block: B,
  seconds,
  repetitions: reps,
  referenceVoice: rows,
  targetNsPerVoiceSampleAt256: 4.3,
  unison: unisonRows,
  defaultPatch: defaultRow,
};
Deno.writeTextFileSync(new URL("./dsp.json", import.meta.url), JSON.stringify(report, null, 2) + "\n");
console.log("→ bench/dsp.json");
