// deno task bench:soak [--quick] [--hours H] [--only failures|fuzz|abuse|play]: the soak and abuse benchmarks of
// issue 16 (bench/soak/scenarios.ts): 1,000 injected faults of mixed kinds with RSS, threads and open files
// sampled every 100 (slope per 100); 100,000 structure-aware fuzzed packets; every abuse of the issue against a
// running engine; examples/dnb-175.json playing for H hours with a command every 50 ms. --quick: 100 faults,
// 10,000 packets, 60 s of play. Writes bench/soak.json; exits 1 when a scenario broke one of its bounds.
import { parseArgs } from "node:util";
import { abuse, failures, fuzz, play } from "./soak/scenarios.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    hours: { type: "string", default: "1" },
    only: { type: "string" },
  },
}).values;
const quick = args.quick;
const hours = Number(args.hours);
const names = ["failures", "fuzz", "abuse", "play"];
if (args.only && !names.includes(args.only)) {
  console.error(`--only takes one of ${names.join(", ")}`);
  Deno.exit(2);
}
const want = (n: string) => !args.only || args.only === n;

const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  quick,
};
const broken: string[] = [];
const note = (name: string, r: { broken: string[] }) => {
  for (const b of r.broken) broken.push(`${name}: ${b}`);
};
const t = performance.now();
const took = () => `${((performance.now() - t) / 1000).toFixed(0)} s`;

if (want("failures")) {
  const count = quick ? 100 : 1000;
  console.error(`soak: ${count} injected faults …`);
  const r = await failures({ count, every: quick ? 10 : 100 });
  report.failures = r;
  note("failures", r);
  const s = r.slopePer100Failovers;
  console.log(
    `failures: ${r.injected} injected, ${r.detected} detected, ${r.failovers} failovers, ${r.lateBlocks} late blocks, ` +
      `${r.zombies} zombies; per 100 failovers: RSS ${s.rssMb.toFixed(2)} MB, threads ${
        s.threads.toFixed(2)
      }, ` +
      `open files ${s.fds.toFixed(2)} (${r.samples.length} samples; ${took()})`,
  );
}
if (want("fuzz")) {
  const count = quick ? 10_000 : 100_000;
  console.error(`soak: ${count} fuzzed packets …`);
  const r = await fuzz({ count });
  report.fuzz = r;
  note("fuzz", r);
  const c = r.counts;
  console.log(
    `fuzz: ${r.sent} sent in ${r.sendS} s, ${c.packets} handled: ${c.acceptedPackets} applied, ` +
      `${c.rejectedPackets} refused with ${c.errors} /error (${r.errorsReceived} received), ${c.internal} internal ` +
      `errors, ${r.failovers} failovers, ${r.lateBlocks} late blocks (${took()})`,
  );
}
if (want("abuse")) {
  console.error("soak: abuse …");
  const rs = await abuse();
  report.abuse = rs;
  for (const r of rs) {
    note(`abuse "${r.name}"`, r);
    console.log(
      `abuse: ${r.name}: ${r.sent} packets (${r.bytesSent} B), ${r.errors} /error, ${r.bytesReplied} B replied, ` +
        `${r.failovers} failovers, ${r.lateBlocks} late blocks${r.outcome ? `; ${r.outcome}` : ""}`,
    );
  }
}
if (want("play")) {
  const seconds = quick ? 60 : hours * 3600;
  console.error(`soak: examples/dnb-175.json for ${seconds} s, a command every 50 ms …`);
  const r = await play({ seconds });
  report.play = r;
  note("play", r);
  console.log(
    `play: ${r.seconds} s, ${r.commands} commands, ${r.blocks} blocks, ${r.lateBlocks} late ` +
      `(at ${r.lateAt.join(", ") || "none"}; ${r.lateUnexplained} in seconds the machine did not stall, ` +
      `${r.stalledSeconds} stalled seconds), ${r.failovers} failovers (${r.failoversUnexplained} in seconds the machine did not stall); RSS ${
        r.rss[0]?.rssMb
      } → ` +
      `${r.rss.at(-1)?.rssMb} MB, slope ${r.rssSlopeMbPerHour} MB/h (${took()})`,
  );
}
report.broken = broken;
const outPath = new URL("./soak.json", import.meta.url);
await Deno.writeTextFile(outPath, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${outPath.pathname}`);
if (broken.length) {
  console.error(`bounds broken:\n  ${broken.join("\n  ")}`);
  Deno.exit(1);
}
