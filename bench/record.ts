// deno task bench:record [--seconds S]: what recording costs and how far behind it runs.
// 1. The output worker's share: copying one block into the record tap and publishing it (ns per block).
// 2. A live engine playing the default patch in real time (default lead), recorded for S seconds in each format:
//    the recorder's lag behind the output, the flush interval, the most audio a crash could have lost at any
//    moment (output frames since the start that no header counted yet), late blocks, against the same run
//    without a recording. Writes bench/record.json.
import { parseArgs } from "node:util";
import * as L from "../asm/layout.ts";
import { Engine } from "../engine/engine.ts";
import { tapCapacity, tapViews } from "../core/shared.ts";
import type { WavFormat } from "../core/wav.ts";
import type { PatchFile } from "../core/files.ts";

const a = parseArgs({ args: Deno.args, options: { seconds: { type: "string", default: "10" } } }).values;
const seconds = Number(a.seconds);
const B = 128, SR = 48000;

/** ns per block for the tap copy and store the output worker does, median of 7 runs of 100,000 blocks. */
function tapCopyNs(): number {
  const sab = new SharedArrayBuffer(L.SHARED_BYTES);
  const tap = tapViews(sab);
  const cap = tapCapacity(B);
  const frames = B * L.CHANNELS;
  const src = new Float32Array(sab, L.CTRL_BYTES + L.SLOT_AUDIO, frames).fill(0.25);
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const n0 = r * 100_000, t0 = performance.now();
    for (let n = n0; n < n0 + 100_000; n++) {
      tap.audio.set(src, (n % cap) * frames);
      Atomics.store(tap.hdr, L.TAP_WRITTEN, n + 1);
    }
    runs.push(((performance.now() - t0) * 1e6) / 100_000);
  }
  return runs.sort((x, y) => x - y)[3];
}

// `format` undefined: the same run without a recording (the baseline for late blocks on this machine).
async function live(format?: WavFormat) {
  const dir = await Deno.makeTempDir();
  const patch: PatchFile = JSON.parse(
    await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
  );
  const engine = await Engine.start({ patch, sink: { kind: "null" } });
  for (const v of ["voice1", "voice2", "voice3", "voice4", "acid1"]) engine.gate(v, true);
  if (!format) {
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const summary = await engine.stop();
    await Deno.remove(dir, { recursive: true });
    return { format: "none", lateBlocks: summary.lateBlocks };
  }
  const started = await engine.startRecording(`${dir}/take.wav`, { format });
  const lags: number[] = [];
  let unflushed = 0, lastFlushed = 0;
  const flushSteps: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    const s = engine.recordingStatus();
    lags.push(s.lagMs);
    unflushed = Math.max(unflushed, engine.outBlock * B - started.startFrame - s.flushedFrames);
    if (s.flushedFrames !== lastFlushed) {
      flushSteps.push(s.flushedFrames - lastFlushed);
      lastFlushed = s.flushedFrames;
    }
  }
  const stopped = await engine.stopRecording();
  const summary = await engine.stop();
  const bytes = (await Deno.stat(started.path)).size;
  await Deno.remove(dir, { recursive: true });
  lags.sort((x, y) => x - y);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))];
  return {
    format,
    seconds: stopped.seconds,
    lagMs: { p50: q(0.5), p99: q(0.99), max: stopped.maxLagMs },
    flushIntervalS: flushSteps.length ? Math.min(...flushSteps) / SR : null,
    worstUnflushedS: unflushed / SR,
    lostFrames: stopped.lostFrames,
    lateBlocks: summary.lateBlocks,
    bytesPerSecond: Math.round(bytes / stopped.seconds),
  };
}

const result = {
  tapFrames: L.TAP_FRAMES,
  tapSeconds: L.TAP_FRAMES / SR,
  tapCopyNsPerBlock: tapCopyNs(),
  blockUs: (B / SR) * 1e6,
  live: [await live(), await live("float32"), await live("pcm24")],
};
console.log(JSON.stringify(result, null, 2));
await Deno.writeTextFile(new URL("./record.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
