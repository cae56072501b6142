// deno task bench:portaudio [--seconds S] [--long]: the PortAudio output on JACK's dummy clock at 64, 128
// and 256 frames, with the main thread idle and loaded (a 20 ms synchronous task every 100 ms, docs/design.md §4):
// write interval p50/p99/max against the ideal, underflows per minute, the output latency PortAudio reports,
// and the total output latency (ring lead + device). --long adds the 10-minute run at 128 frames under load.
// Writes bench/portaudio.json.
import { parseArgs } from "node:util";
import { Engine } from "../engine/engine.ts";

const args = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "20" }, long: { type: "boolean", default: false } },
}).values;
const seconds = Number(args.seconds);
const lead = 6;

async function withJack<T>(block: number, fn: () => Promise<T>): Promise<T> {
  await new Deno.Command("pkill", { args: ["-x", "jackd"] }).output();
  await new Promise((r) => setTimeout(r, 300));
  const jack = new Deno.Command("jackd", {
    args: ["-d", "dummy", "-r", "48000", "-p", String(block)],
    env: { JACK_NO_AUDIO_RESERVATION: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, 1000));
  try {
    return await fn();
  } finally {
    jack.kill("SIGTERM");
    await jack.status;
  }
}

async function run(block: number, loaded: boolean, secs: number) {
  const engine = await Engine.start({ block, lead, seconds: secs, sink: { kind: "portaudio" } });
  const busy = loaded
    ? setInterval(() => {
      const t0 = performance.now();
      while (performance.now() - t0 < 20) { /* the load */ }
    }, 100)
    : undefined;
  const s = await engine.finished;
  clearInterval(busy);
  const ideal = (block / 48000) * 1000;
  const o = s.output;
  return {
    block,
    mainThread: loaded ? "loaded" : "idle",
    seconds: secs,
    idealMs: ideal,
    writeIntervalMs: o.writeIntervalMs,
    underflows: o.underflows,
    underflowsPerMinute: (o.underflows * 60) / secs,
    lateBlocks: o.late,
    deviceLatencyMs: o.deviceLatencyMs,
    totalLatencyMs: lead * ideal + o.deviceLatencyMs,
    totalLatencyLead1Ms: ideal + o.deviceLatencyMs,
  };
}

const results = [];
for (const block of [64, 128, 256]) {
  for (const loaded of [false, true]) {
    console.error(
      `bench: PortAudio ${block} frames, main thread ${loaded ? "loaded" : "idle"}, ${seconds} s …`,
    );
    results.push(await withJack(block, () => run(block, loaded, seconds)));
  }
}
if (args.long) {
  console.error("bench: PortAudio 128 frames, loaded, 600 s …");
  results.push(await withJack(128, () => run(128, true, 600)));
}
await Deno.writeTextFile(
  new URL("./portaudio.json", import.meta.url),
  JSON.stringify({ date: new Date(), results }, null, 2) + "\n",
);
const f = (x: number) => x.toFixed(2);
console.log(
  "block  main    secs  ideal ms  write ms p50/p99/max     underflows/min  late  device ms  total ms (lead 6 / lead 1)",
);
for (const r of results) {
  const w = r.writeIntervalMs!;
  console.log(
    `${String(r.block).padStart(5)}  ${r.mainThread.padEnd(6)} ${String(r.seconds).padStart(5)}  ${
      f(r.idealMs).padStart(8)
    }  ` +
      `${`${f(w.p50)}/${f(w.p99)}/${f(w.max)}`.padEnd(22)} ${f(r.underflowsPerMinute).padStart(14)} ${
        String(r.lateBlocks).padStart(5)
      }` +
      `  ${f(r.deviceLatencyMs).padStart(9)}  ${f(r.totalLatencyMs)} / ${f(r.totalLatencyLead1Ms)}`,
  );
}
