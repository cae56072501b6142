// deno run -A bench/listen.ts [--seconds S]: does listening cost the audio path anything? A live engine plays
// the default patch (five voices gated on) in real time for S seconds, twice: without analyses, then with
// `/analyze 2` requests back to back (Engine.analyze, as the OSC route calls it) the whole time. Per run: the
// output's late blocks and its worst lateness past a block's deadline (the output worker's own report), the
// primary DSP worker's render time per block, the output worker's own CPU time per block (its thread's CPU
// clock over the blocks it emitted: what the issue asks to stay unchanged), and the analyses' answer times.
// Writes bench/listen.json.
import { parseArgs } from "node:util";
import * as L from "../asm/layout.ts";
import { Engine } from "../engine/engine.ts";
import { threadRunNs } from "../ffi/thread.ts";
import type { PatchFile } from "../core/files.ts";

const a = parseArgs({ args: Deno.args, options: { seconds: { type: "string", default: "10" } } }).values;
const seconds = Number(a.seconds);

async function run(listening: boolean) {
  const patch: PatchFile = JSON.parse(
    await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
  );
  const engine = await Engine.start({ patch, sink: { kind: "null" } });
  for (const v of ["voice1", "voice2", "voice3", "voice4", "acid1"]) engine.gate(v, true);
  await new Promise((r) => setTimeout(r, 2500)); // the tap holds 2 s before the first request
  engine.status(); // starts the CPU window
  const outTid = Atomics.load(engine.supervisor.ctrl, L.CTRL_OUT_TID);
  const out0 = {
    ns: threadRunNs(outTid) ?? NaN,
    block: Atomics.load(engine.supervisor.ctrl, L.CTRL_OUT_BLOCK),
  };
  const answers: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    if (!listening) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const t0 = performance.now();
    await engine.analyze(2);
    answers.push(performance.now() - t0);
  }
  const outNs = (threadRunNs(outTid) ?? NaN) - out0.ns;
  const outBlocks = Atomics.load(engine.supervisor.ctrl, L.CTRL_OUT_BLOCK) - out0.block;
  const status = engine.status();
  const cpu = status.cpu[`slot${status.activeSlot}`] ?? 0;
  const summary = await engine.stop();
  answers.sort((x, y) => x - y);
  const pct = (p: number) =>
    answers.length ? answers[Math.min(answers.length - 1, Math.floor(p * answers.length))] : 0;
  return {
    listening,
    lateBlocks: summary.lateBlocks,
    maxLatenessMs: summary.output.maxLatenessMs,
    // The primary's share of real time, over the run: its render time per 2.67 ms block.
    primaryRenderUsPerBlock: cpu * (128 / 48000) * 1e6,
    outputWorkerUsPerBlock: outNs / outBlocks / 1000,
    analyses: answers.length,
    answerMs: { p50: pct(0.5), p99: pct(0.99), max: answers[answers.length - 1] ?? 0 },
  };
}

const results = [await run(false), await run(true)];
for (const r of results) console.log(JSON.stringify(r));
await Deno.writeTextFile(
  new URL("./listen.json", import.meta.url),
  JSON.stringify({ seconds, results }, null, 2) + "\n",
);
