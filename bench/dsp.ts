// deno task bench:dsp [--quick]: DSP throughput, written to bench/dsp.json.
// 1. The reference voice (bench/reference_voice.ts) for N = 1, 16, 64, 256: ns per voice-sample and voices in
//    real time on one core, for the fused `voice` module, the same chain of separate modules, and the same
//    algorithm in plain TypeScript, all measured in this run (medians of interleaved repetitions).
// 2. The full default patch (every voice and the acid line playing) per 128-frame block.
// Also writes the reference patches to bench/patches/, so other engines can render exactly this work with
// `deno task render --patch bench/patches/reference-voice-256.json --seconds 10 --out x.wav`.
import { parseArgs } from "node:util";
import { compileDsp, DspHost } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { patchCommands } from "../patch/render.ts";
import { referencePatch, TsVoices } from "./reference_voice.ts";

const args = parseArgs({ args: Deno.args, options: { quick: { type: "boolean", default: false } } }).values;
const SR = 48000, B = 128;
const settings = { sampleRate: SR, block: B, seed: 1 };
const module = await compileDsp();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ms to render `blocks` blocks of a patch (after one second of warm-up). */
function timeWasm(file: PatchFile, blocks: number, events: Parameters<typeof patchCommands>[1] = []): number {
  const host = new DspHost(module, settings);
  for (const c of patchCommands(file, events)) host.push(c);
  const warm = Math.ceil(SR / B);
  for (let n = 0; n < warm; n++) host.render(n);
  const t0 = performance.now();
  for (let n = warm; n < warm + blocks; n++) {
    if (host.render(n) !== 0) throw new Error(`block ${n} is not finite`);
  }
  return performance.now() - t0;
}

function timeTs(voices: number, blocks: number): number {
  const v = new TsVoices(voices, SR, B);
  for (let n = 0; n < Math.ceil(SR / B); n++) v.render();
  const t0 = performance.now();
  for (let n = 0; n < blocks; n++) v.render();
  return performance.now() - t0;
}

const reps = args.quick ? 3 : 7;
const seconds = args.quick ? 1 : 4;
const blocks = Math.ceil((seconds * SR) / B);
const frames = blocks * B;
const rows = [];
Deno.mkdirSync(new URL("./patches/", import.meta.url), { recursive: true });
for (const n of [1, 16, 64, 256]) {
  // The modular chain needs 4 modules a voice: 256 voices would exceed one patch (MAX_MODULES) and one transaction.
  const fused = referencePatch(n, "fused"), modular = n <= 128 ? referencePatch(n, "modular") : null;
  Deno.writeTextFileSync(
    new URL(`./patches/reference-voice-${n}.json`, import.meta.url),
    JSON.stringify(fused),
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
  };
  rows.push(row);
  console.log(
    `N=${String(n).padStart(3)}  ns/voice-sample: fused ${row.nsPerVoiceSample.fused.toFixed(2)}, modular ${
      row.nsPerVoiceSample.modular?.toFixed(2) ?? "—"
    }, TypeScript ${
      row.nsPerVoiceSample.typescript.toFixed(2)
    }  (voices in real time: ${row.voicesRealtimeOneCore.fused})`,
  );
}

// The full default patch with everything playing.
const defaultPatch: PatchFile = JSON.parse(
  Deno.readTextFileSync(new URL("../patches/default.json", import.meta.url)),
);
const notes = ["voice1", "voice2", "voice3", "voice4", "acid1"].map((m) => ({
  frame: 0,
  gate: [m, true] as [string, boolean],
}));
const idle = [], playing = [];
for (let r = 0; r < reps; r++) {
  idle.push((timeWasm(defaultPatch, blocks) * 1000) / blocks);
  playing.push((timeWasm(defaultPatch, blocks, notes) * 1000) / blocks);
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
  defaultPatch: defaultRow,
};
Deno.writeTextFileSync(new URL("./dsp.json", import.meta.url), JSON.stringify(report, null, 2) + "\n");
console.log("→ bench/dsp.json");
