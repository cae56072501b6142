// deno task bench:osc: the OSC surface measured against a running engine (null sink, real time), written to
// bench/osc.json: /engine/status round trip, message → applied frame latency, and the highest message rate
// (of 5k … 40k msg/s, 1 s each, sent from another process) with zero drops and zero late blocks. Engine and
// the machine's two cores with the sender's process.
import { Buffer } from "node:buffer";
import { decode, encode } from "node-osc";
import { Engine } from "../engine/engine.ts";
import { OscServer } from "../osc/server.ts";
import type { PatchFile } from "../core/files.ts";

const patch: PatchFile = JSON.parse(
  Deno.readTextFileSync(new URL("../patches/default.json", import.meta.url)),
);
const engine = await Engine.start({ patch, sink: { kind: "null" } });
const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
const sock = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: osc.port };
const waiters: ((r: unknown[]) => void)[] = [];
(async () => {
  for (;;) {
    try {
      const [b] = await sock.receive();
      const d = decode(Buffer.from(b)) as { address: string; args: { value: unknown }[] };
      waiters.shift()?.([d.address, ...d.args.map((a) => a.value)]);
    } catch {
      return;
    }
  }
})();
const msg = (address: string, ...args: (string | number)[]) => encode({ oscType: "message", address, args });
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

// 1. Status round trip.
const rtt: number[] = [];
for (let i = 0; i < 300; i++) {
  const t0 = performance.now();
  const got = new Promise((r) => waiters.push(r));
  await sock.send(msg("/engine/status"), to);
  await got;
  rtt.push(performance.now() - t0);
}

// 2. Message → the frame it applies at, against the output's position when it was sent.
const latency: number[] = [];
for (let i = 0; i < 200; i++) {
  const outFrame = engine.outBlock * engine.block;
  const applied = new Promise<number>((r) => waiters.push(() => r(0)));
  const before = engine.supervisor.history.length;
  await sock.send(msg("/mod/voice1/cutoff", 1000 + i), to);
  await sock.send(msg("/sync", i), to);
  await applied;
  const c = engine.supervisor.history.slice(before).find((h) => h.op === 1);
  if (c) latency.push(c.frame - outFrame);
  await new Promise((r) => setTimeout(r, 5));
}

// 3. Throughput: another process sends at a fixed rate for one second; zero drops (every message handled)
// and zero late blocks.
const sender = `
import { encode } from "node-osc";
const [port, rate] = Deno.args.map(Number);
const sock = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const to = { transport: "udp", hostname: "127.0.0.1", port };
const t0 = performance.now();
let sent = 0;
while (performance.now() - t0 < 1000) {
  const due = Math.floor(((performance.now() - t0) / 1000) * rate);
  for (; sent < due; sent++) await sock.send(encode({ oscType: "message", address: "/mod/voice2/cutoff", args: [500 + (sent % 1000)] }), to);
  await new Promise((r) => setTimeout(r, 1));
}
console.log(sent);
`;
const senderPath = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeTextFile(senderPath, sender);
const rates: { rate: number; sent: number; handled: number; late: number; maxLoopGapMs: number }[] = [];
// The main thread's longest pause while a rate runs: datagrams queue in the kernel (about 256 fit) meanwhile.
let lastTick = performance.now(), maxGap = 0;
const gapTimer = setInterval(() => {
  const now = performance.now();
  maxGap = Math.max(maxGap, now - lastTick);
  lastTick = now;
}, 1);
for (const rate of [5000, 10000, 20000, 40000]) {
  const before = osc.counts.messages, late0 = engine.status().lateBlocks;
  maxGap = 0;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      senderPath,
      String(osc.port),
      String(rate),
    ],
    stdout: "piped",
  }).output();
  const sent = Number(new TextDecoder().decode(out.stdout).trim());
  // Let a backlog drain (a message that is late is not a message that was dropped).
  for (let last = -1, i = 0; i < 30 && osc.counts.messages !== last; i++) {
    last = osc.counts.messages;
    await new Promise((r) => setTimeout(r, 100));
  }
  rates.push({
    rate,
    sent,
    handled: osc.counts.messages - before,
    late: engine.status().lateBlocks - late0,
    maxLoopGapMs: maxGap,
  });
}
clearInterval(gapTimer);
await Deno.remove(senderPath);
const ok = rates.filter((r) => r.handled === r.sent && r.late === 0).map((r) => r.rate);
const report = {
  date: new Date().toISOString(),
  statusRoundTripMs: { p50: pct(rtt, 0.5), p99: pct(rtt, 0.99) },
  messageToAppliedFrames: { p50: pct(latency, 0.5), p99: pct(latency, 0.99), block: engine.block },
  throughput: rates,
  maxZeroDropRate: ok.length ? Math.max(...ok) : 0,
  targetRate: 20000,
  receiveBufferBytes: osc.receiveBuffer.bytes,
};
console.log(JSON.stringify(report, null, 2));
Deno.writeTextFileSync(new URL("./osc.json", import.meta.url), JSON.stringify(report, null, 2) + "\n");
sock.close();
await osc.close();
await engine.stop();
await engine.finished;
Deno.exit(0);
