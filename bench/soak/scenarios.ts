// The soak and abuse scenarios of `deno task bench:soak` (bench/soak.ts), shared with tests/soak_test.ts (the
// short CI version): each returns plain numbers and a list of the bounds it broke, so the benchmark reports and
// the test asserts on the same counts.
import { CLIENT_QUEUE_CAP } from "../../engine/admission.ts";
import type { PatchFile } from "../../core/files.ts";
import { Engine } from "../../engine/engine.ts";
import { encodeBundle, encodeMessage } from "../../osc/codec.ts";
import type { BundleInput, MessageInput } from "../../osc/codec.ts";
import { ROUTES } from "../../osc/routes/table.ts";
import { MAX_SUBSCRIBERS, OscServer } from "../../osc/server.ts";
import { OscTestClient } from "../../tests/osc_helpers.ts";
import { MachineClock, machineStalled } from "../machine.ts";

const root = new URL("../../", import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of `ys` against `xs` (0 with fewer than two points). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n,
    my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** RSS (MB), threads and open files of a process, from /proc. */
export function procSample(pid: number): { rssMb: number; threads: number; fds: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return {
    rssMb: Math.round(field("VmRSS") / 102.4) / 10,
    threads: field("Threads"),
    fds: openFiles(pid).length,
  };
}

/** What process `pid`'s open file descriptors point at (readlink of /proc/PID/fd/N; "?" for one just closed). */
export function openFiles(pid: number): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`));
    } catch {
      out.push("?");
    }
  }
  return out.sort();
}

/**
 * procSample, with the open files counted as the fewest of three looks 100 ms apart (and listed): a worker
 * that is loading reads its modules' files for a moment, a leak stays.
 */
export async function steadySample(
  pid: number,
): Promise<{ rssMb: number; threads: number; fds: number; files: string[] }> {
  const s = procSample(pid);
  let files = openFiles(pid);
  for (let k = 0; k < 2; k++) {
    await sleep(100);
    const again = openFiles(pid);
    if (again.length < files.length) files = again;
  }
  return { ...s, fds: files.length, files };
}

/** A free UDP port on 127.0.0.1 (bound, then released for the engine to take). */
function freePort(): number {
  const s = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

/** Bounds of the failures scenario: a slope over one of these per 100 failovers fails it (RSS in MB). */
export const FAILURE_SLOPE_BOUNDS = { rssMb: 4, threads: 0.5, fds: 0.5 };

/** Options of the failures scenario. */
export interface FailuresOptions {
  /** Faults to inject (the issue: 1,000). */
  count: number;
  /** Blocks between faults (default 189, 0.5 s: a standby is rebuilt and in lockstep before the next). */
  spacing?: number;
  /** Failovers between samples (default 100). */
  every?: number;
}

// Mixed kinds, in turn: each a way a worker dies that leaves no zombie (hang-forever does, so it is left out).
const KINDS = ["trap@primary", "throw@primary", "exit@primary", "nan@primary", "trap@standby", "poison"];

/**
 * `count` injected faults of mixed kinds in one real-time engine process (main.ts, null sink, OSC on a free
 * port): its RSS, threads and open files sampled every `every` failovers (read from /engine/status), each
 * series with its least-squares slope per 100 failovers.
 */
export async function failures(o: FailuresOptions) {
  const spacing = o.spacing ?? 189, every = o.every ?? 100;
  const first = 601;
  const inj: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const kind = KINDS[i % KINDS.length], block = first + i * spacing;
    inj.push("--inject", kind === "poison" ? `poison:${block}` : `${kind}:${block}`);
  }
  const lastBlock = first + (o.count - 1) * spacing;
  const seconds = Math.ceil((lastBlock * 128) / 48000 + 3);
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "chronus-soak-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("main.ts", root).pathname,
      "--quiet",
      "--sink",
      "null",
      "--duration",
      String(seconds),
      "--exercise",
      "7",
      "--osc-port",
      String(port),
      "--summary",
      `${dir}/sum.json`,
      "--allow-fault-injection",
      "--restart-limit",
      "1000000",
      ...inj,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const client = new OscTestClient(port);
  const samples: {
    failovers: number;
    failures: number;
    rssMb: number;
    threads: number;
    fds: number;
    files: string[];
  }[] = [];
  let done = false;
  child.status.then(() => (done = true));
  let nextAt = 0, injectedSoFar = 0;
  try {
    while (!done) {
      await sleep(250);
      if (done) break;
      client.received.length = 0;
      await client.send("/engine/status");
      let st;
      try {
        st = JSON.parse(String((await client.waitFor((r) => r[0] === "/engine/status.reply", 1000))[1]));
      } catch {
        continue; // starting, or stopping
      }
      // Faults injected so far (from the output's block): poison and standby faults move no output.
      injectedSoFar = Math.max(0, Math.min(o.count, Math.floor((st.outBlock - first) / spacing) + 1));
      if (injectedSoFar >= nextAt) {
        samples.push({
          failovers: st.failovers,
          failures: injectedSoFar,
          ...(await steadySample(child.pid)),
        });
        nextAt += every;
      }
    }
  } finally {
    await client.close();
  }
  const status = await child.status;
  const err = await stderr;
  let summary;
  try {
    summary = JSON.parse(await Deno.readTextFile(`${dir}/sum.json`));
  } catch {
    summary = undefined;
  }
  await Deno.remove(dir, { recursive: true });
  // Per 100 failovers (standby faults move no output, so they come on top). The sample before the first fault
  // is reported but not fitted: the first failovers warm up code and heap that stay.
  const fit = samples.filter((s) => s.failures >= every);
  const xs = fit.map((s) => s.failovers / 100);
  const slopes = {
    rssMb: slope(xs, fit.map((s) => s.rssMb)),
    threads: slope(xs, fit.map((s) => s.threads)),
    fds: slope(xs, fit.map((s) => s.fds)),
  };
  const m = summary?.metrics;
  const detected = m ? Object.values(m.failures as Record<string, number>).reduce((a, b) => a + b, 0) : 0;
  const broken: string[] = [];
  if (status.code !== 0) broken.push(`engine exited ${status.code}: ${err.slice(-400)}`);
  for (const k of ["rssMb", "threads", "fds"] as const) {
    if (slopes[k] > FAILURE_SLOPE_BOUNDS[k]) {
      broken.push(`${k} grows ${slopes[k].toFixed(2)} per 100 failovers (bound ${FAILURE_SLOPE_BOUNDS[k]})`);
    }
  }
  if (m && m.zombies > 0) broken.push(`${m.zombies} zombies`);
  return {
    injected: o.count,
    kinds: KINDS,
    spacingBlocks: spacing,
    detected,
    failures: m?.failures,
    failovers: m?.failovers,
    quarantined: m?.quarantined,
    zombies: m?.zombies,
    lateBlocks: summary?.lateBlocks,
    samples,
    slopePer100Failovers: slopes,
    bounds: FAILURE_SLOPE_BOUNDS,
    broken,
  };
}

/** An engine (null sink, real time) with its OSC server on a free loopback port, in this process. */
export async function inProcess(patch?: PatchFile) {
  patch ??= JSON.parse(await Deno.readTextFile(new URL("patches/default.json", root)));
  const engine = await Engine.start({ patch, lead: 12, sink: { kind: "null" } });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0 });
  const clients: OscTestClient[] = [];
  const client = () => {
    const c = new OscTestClient(osc.port);
    clients.push(c);
    return c;
  };
  const stop = async () => {
    for (const c of clients) await c.close();
    await osc.close();
    await engine.stop();
    return await engine.finished;
  };
  return { engine, osc, client, stop };
}

// Routes the fuzzer leaves out: file writes and reads (patches, patterns, sessions, recordings, plots: their names are fuzzed too, and a fuzzer must not write
// files where it runs: the abuse scenario covers them), /notify (replies to fuzzed ports of this machine) and the
// seed dialect's /engine/stop (which stops the sound it is there to keep going).
const SKIP =
  /^\/(patch\/(load|save)|record|engine\/record|pattern\/(save|load)|session\/|analyze\/plot|notify|engine\/(stop|schema))/;
const NAMES = ["voice1", "voice2", "acid1", "kick", "delay1", "reverb1", "lfo1", "out", "x", "", "voice99"];
const PARAMS = ["freq", "gain", "cutoff", "res", "gate", "mix", "nope", "filter.freq", ""];

/** A structure-aware packet generator, deterministic for a seed and a clock (`now`, Unix seconds): valid addresses, mutated arguments, bundles, random bytes. */
export function fuzzer(seed = 12345, now: () => number = () => Date.now() / 1000) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const routes = ROUTES.filter((r) => !SKIP.test(r.address));
  const address = () =>
    pick(routes).address.replace(/<module>/g, () => pick(NAMES)).replace(/<param>/g, () => pick(PARAMS))
      .replace(/<N>/g, () => String(Math.floor(rand() * 10)));
  const value = (): { t: string; v: unknown } => {
    switch (Math.floor(rand() * 12)) {
      case 0:
        return { t: "i", v: Math.floor(rand() * 2 ** 32) - 2 ** 31 };
      case 1:
        return { t: "f", v: pick([0, -1, 1e30, -1e-30, 220, 0.5, Infinity, NaN]) };
      case 2:
        return { t: "d", v: pick([440.5, -0, 3600, 1e300, NaN]) };
      case 3:
        return { t: "s", v: pick(["now", "bar", "", "voice1", "C#3", "x".repeat(300), "../../etc", "on"]) };
      case 4:
        return { t: "h", v: pick([0, 2 ** 40, -(2 ** 40), 7]) };
      case 5:
        return { t: "b", v: new Uint8Array(Math.floor(rand() * 20)).map(() => rand() * 256) };
      case 6:
        return { t: "T", v: true };
      case 7:
        return { t: "F", v: false };
      case 8:
        return { t: "N", v: null };
      case 9:
        return { t: "S", v: "voice2" };
      case 10:
        return { t: "c", v: "x" };
      default:
        return { t: "i", v: Math.floor(rand() * 128) };
    }
  };
  const message = (): MessageInput => {
    const vals = Array.from({ length: Math.floor(rand() * 5) }, value);
    return {
      address: address(),
      args: vals.map((x) => x.v) as MessageInput["args"],
      types: vals.map((x) => x.t).join(""),
    };
  };
  // A bundle of one message (nested, sometimes): a bundle of several bad ones still draws one summarized /error.
  const bundle = (depth: number): BundleInput => ({
    timetag: rand() < 0.8 ? 0 : now() + rand() * 2,
    elements: Array.from(
      { length: 1 + Math.floor(rand() * 3) },
      () => depth > 0 && rand() < 0.3 ? bundle(depth - 1) : message(),
    ),
  });
  const kinds = { message: 0, bundle: 0, mutated: 0, random: 0 };
  return {
    kinds,
    next(): Uint8Array {
      const k = rand();
      if (k < 0.4) {
        kinds.message++;
        return encodeMessage(message());
      }
      if (k < 0.6) {
        kinds.bundle++;
        return encodeBundle(bundle(3));
      }
      if (k < 0.8) {
        kinds.mutated++;
        const p = Uint8Array.from(rand() < 0.5 ? encodeMessage(message()) : encodeBundle(bundle(2)));
        for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) p[Math.floor(rand() * p.length)] = rand() * 256;
        return rand() < 0.2 ? p.subarray(0, Math.floor(rand() * p.length)) : p;
      }
      kinds.random++;
      const p = new Uint8Array(1 + Math.floor(rand() * 96)).map(() => rand() * 256);
      if (rand() < 0.3) p[0] = 0x2f;
      return p;
    },
  };
}

/** Late blocks played between `from` and `to` (the output's blocks). */
function lateBetween(lateAt: readonly number[], from: number, to: number): number[] {
  return lateAt.filter((b) => b >= from && b < to);
}

/**
 * `count` fuzzed packets to an engine over loopback at about `rate` a second: no internal error, every packet
 * applied or answered by exactly one /error (the server's counts), nearly every reply received, the audio on.
 */
export async function fuzz(o: { count: number; rate?: number; seed?: number }) {
  const rate = o.rate ?? 20000;
  const { engine, osc, client, stop } = await inProcess();
  const c = client();
  const gen = fuzzer(o.seed);
  const before = engine.outBlock, failovers0 = engine.status().failovers;
  const t0 = performance.now();
  // Sent in slices of 50, each slice due at its time: bounded by the rate and by the kernel's socket buffer.
  for (let i = 0; i < o.count; i++) {
    await c.raw(gen.next());
    if (i % 50 === 49) {
      const due = t0 + ((i + 1) / rate) * 1000;
      await sleep(Math.max(1, due - performance.now()));
    }
  }
  const sendS = (performance.now() - t0) / 1000;
  await c.send("/sync", 1);
  await c.waitFor((r) => r[0] === "/synced", 30000).catch(() => {});
  await sleep(300);
  const after = engine.outBlock, failovers = engine.status().failovers - failovers0;
  const counts = { ...osc.counts };
  const errorsReceived = c.received.filter((r) => r[0] === "/error").length;
  const summary = await stop();
  const late = lateBetween(summary.output.lateAt, before, after);
  const broken: string[] = [];
  if (counts.internal !== 0) broken.push(`${counts.internal} internal errors`);
  if (counts.rejectedPackets + counts.acceptedPackets !== counts.packets) {
    broken.push(`${counts.packets} packets, ${counts.rejectedPackets} + ${counts.acceptedPackets} outcomes`);
  }
  if (counts.errors !== counts.rejectedPackets) {
    broken.push(`${counts.errors} /error for ${counts.rejectedPackets} rejected packets`);
  }
  if (counts.packets < 0.98 * (o.count + 1)) {
    broken.push(`only ${counts.packets} of ${o.count} packets arrived`);
  }
  if (errorsReceived < 0.9 * counts.errors) {
    broken.push(`${errorsReceived} of ${counts.errors} replies received`);
  }
  if (failovers !== 0) broken.push(`${failovers} failovers`);
  if (!(after > before + 10)) broken.push("the output stopped");
  return {
    sent: o.count,
    rate,
    sendS: Math.round(sendS * 10) / 10,
    kinds: gen.kinds,
    counts,
    errorsReceived,
    failovers,
    failures: summary.metrics.failures,
    lateBlocks: late.length,
    lateAt: late.slice(0, 64),
    broken,
  };
}

/** One abuse of the issue against a running engine, with what it caused. */
export interface AbuseResult {
  /** Which. */
  name: string;
  /** Packets sent. */
  sent: number;
  /** Bytes sent and replied. */
  bytesSent: number;
  /** Bytes of the replies. */
  bytesReplied: number;
  /** /error replies received. */
  errors: number;
  /** The first /error's text. */
  firstError?: string;
  /** Failovers and late blocks during it. */
  failovers: number;
  /** Late blocks during it (the output's). */
  lateBlocks: number;
  /** Free-form outcome (for the file scenarios, what the engine did with the path). */
  outcome?: string;
  /** The bounds it broke. */
  broken: string[];
}

/** Every abuse of the issue as a scenario against one running engine: 0 failovers, 0 late blocks, replies bounded. */
export async function abuse(): Promise<AbuseResult[]> {
  const { engine, osc, client, stop } = await inProcess();
  const results: AbuseResult[] = [];
  const lateSpans: [string, number, number][] = [];
  const run = async (
    name: string,
    send: (c: OscTestClient) => Promise<{ sent: number; bytes: number; outcome?: string }>,
    bound: (r: AbuseResult) => string[],
  ) => {
    const c = client();
    const f0 = engine.status().failovers, b0 = engine.outBlock;
    const { sent, bytes, outcome } = await send(c);
    await c.send("/engine/status");
    await c.waitFor((r) => r[0] === "/engine/status.reply", 15000).catch(() => {});
    await sleep(200);
    const replies = c.received.filter((r) => r[0] !== "/engine/status.reply");
    const bytesReplied = replies.reduce(
      (a, r) => a + encodeMessage({ address: r[0], args: r.slice(1) as never }).length,
      0,
    );
    const errors = replies.filter((r) => r[0] === "/error");
    const r: AbuseResult = {
      name,
      sent,
      bytesSent: bytes,
      bytesReplied,
      errors: errors.length,
      firstError: errors[0]?.slice(1).join(": "),
      failovers: engine.status().failovers - f0,
      lateBlocks: 0,
      outcome,
      broken: [],
    };
    lateSpans.push([name, b0, engine.outBlock]);
    r.broken.push(...bound(r));
    if (r.failovers) r.broken.push(`${r.failovers} failovers`);
    if (r.bytesReplied > 4 * r.bytesSent + 4096) {
      r.broken.push(`${r.bytesReplied} B replied to ${r.bytesSent} B`);
    }
    results.push(r);
  };
  const paced = async (c: OscTestClient, n: number, packet: (i: number) => Uint8Array) => {
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const p = packet(i);
      bytes += p.length;
      await c.raw(p);
      if (i % 50 === 49) await sleep(4);
    }
    return { sent: n, bytes };
  };
  const msg = (address: string, ...args: (string | number)[]) => encodeMessage({ address, args });

  await run(
    "9,000 far-future /note voice1 60 0.5 3600",
    (c) => paced(c, 9000, () => msg("/note", "voice1", 60, 0.5, 3600)),
    // Each admitted note keeps its gate-off pending for an hour: at most CLIENT_QUEUE_CAP notes get in.
    (r) =>
      r.errors < 9000 - CLIENT_QUEUE_CAP
        ? [`${r.errors} refusals (expected the flood past the sender's ${CLIENT_QUEUE_CAP} refused)`]
        : [],
  );
  await run(
    "/notify 1 <port> for 20,000 ports",
    async (c) => ({ ...await paced(c, 20000, (i) => msg("/notify", 1, 20000 + i)), outcome: "" }),
    (r) => {
      r.outcome = `${osc.subscribers} subscriber(s) after`;
      return osc.subscribers > MAX_SUBSCRIBERS ? [`${osc.subscribers} subscribers`] : [];
    },
  );
  await run(
    "a 60 KB bundle of 5,000 bad messages",
    async (c) => {
      const b = encodeBundle({
        timetag: 0,
        elements: Array.from({ length: 5000 }, () => ({ address: "/x", args: [] })),
      });
      await c.raw(b);
      return { sent: 1, bytes: b.length };
    },
    (r) => r.errors !== 1 ? [`${r.errors} /error replies (expected one)`] : [],
  );
  await run(
    "30 delays in one commit",
    async (c) => {
      let bytes = 0;
      for (let i = 1; i <= 30; i++) {
        const p = msg("/patch/create", `soakd${i}`, "delay");
        bytes += p.length;
        await c.raw(p);
      }
      await c.raw(msg("/patch/commit"));
      await c.waitFor((r) => r[0] === "/error" || r[0] === "/patch/commit.reply", 5000).catch(() => {});
      const refused = c.received.some((r) => r[0] === "/error" && r[1] === "/patch/commit");
      await c.raw(msg("/patch/abort"));
      return { sent: 32, bytes, outcome: refused ? "refused at /patch/commit" : "committed" };
    },
    (r) => r.outcome !== "refused at /patch/commit" ? [`the commit was ${r.outcome}`] : [],
  );
  // The file reproductions: a probe first. While /patch/load still reads absolute paths (the sandbox lands in
  // parallel), /dev/zero would grow this process until the machine kills it and a FIFO would freeze this
  // thread: they are then recorded as not run rather than run.
  const secret = await Deno.makeTempFile({ prefix: "chronus-soak-secret-" });
  await Deno.writeTextFile(secret, "TOKEN=hunter2\n");
  let sandboxed = false;
  await run(
    "/patch/load of an absolute path",
    async (c) => {
      const p = msg("/patch/load", secret);
      await c.raw(p);
      const e = await c.waitFor((r) => r[0] === "/error" || r[0] === "/patch/load.reply", 5000).catch(() =>
        undefined
      );
      const text = e ? e.join(" ") : "no reply";
      sandboxed = e?.[0] === "/error" && !/hunter2|valid JSON/.test(text);
      return { sent: 1, bytes: p.length, outcome: sandboxed ? `refused: ${text}` : `read the file: ${text}` };
    },
    // Recorded, not failed, while the sandbox (issue 16, part 1) is not in this tree.
    () => [],
  );
  await Deno.remove(secret);
  const fifoDir = await Deno.makeTempDir({ prefix: "chronus-soak-" });
  const fifo = `${fifoDir}/fifo`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  for (const path of ["/dev/zero", fifo]) {
    if (!sandboxed) {
      results.push({
        name: `/patch/load ${path === fifo ? "a FIFO" : path}`,
        sent: 0,
        bytesSent: 0,
        bytesReplied: 0,
        errors: 0,
        failovers: 0,
        lateBlocks: 0,
        outcome:
          "not run: absolute paths are still read in this tree (the issue: /dev/zero grows memory until " +
          "the process dies; a FIFO freezes the main thread)",
        broken: [],
      });
      continue;
    }
    await run(
      `/patch/load ${path === fifo ? "a FIFO" : path}`,
      async (c) => {
        const t0 = performance.now();
        const p = msg("/patch/load", path);
        await c.raw(p);
        const e = await c.waitFor((r) => r[0] === "/error" || r[0] === "/patch/load.reply", 5000).catch(() =>
          undefined
        );
        return {
          sent: 1,
          bytes: p.length,
          outcome: `${e ? e.join(" ") : "no reply"} (${Math.round(performance.now() - t0)} ms)`,
        };
      },
      (r) => r.errors !== 1 ? [`${r.errors} /error replies (expected one)`] : [],
    );
  }
  await Deno.remove(fifoDir, { recursive: true });
  const summary = await stop();
  for (const [name, from, to] of lateSpans) {
    const r = results.find((x) => x.name === name)!;
    r.lateBlocks = lateBetween(summary.output.lateAt, from, to).length;
  }
  return results;
}

/**
 * examples/dnb-175.json playing for `seconds` with a command every 50 ms (a filter sweep, a pitch, a gate,
 * a status), RSS sampled every 10 s: late blocks located (the output's lateAt), RSS's slope per hour.
 */
export async function play(o: { seconds: number; sampleS?: number }) {
  const sampleS = o.sampleS ?? 10;
  const patch: PatchFile = JSON.parse(await Deno.readTextFile(new URL("examples/dnb-175.json", root)));
  const { engine, osc, client, stop } = await inProcess(patch);
  const c = client();
  const names = [...engine.patch.modules.keys()];
  const target = names.find((n) => /acid|bass/.test(n)) ?? names[0];
  const b0 = engine.outBlock, t0 = performance.now(), epoch0 = Date.now();
  const rss: { s: number; rssMb: number }[] = [];
  // The evidence beside each late block: what the machine did in its second.
  const clock = new MachineClock([Deno.pid]);
  const machine = clock.seconds;
  let sent = 0, nextSample = 0;
  while (performance.now() - t0 < o.seconds * 1000) {
    const s = (performance.now() - t0) / 1000;
    clock.tick();
    if (s >= nextSample) {
      rss.push({ s: Math.round(s), rssMb: procSample(Deno.pid).rssMb });
      nextSample += sampleS;
    }
    switch (sent % 4) {
      case 0:
        await c.send(`/mod/${target}/cutoff`, 300 + (sent % 97) * 30);
        break;
      case 1:
        await c.send("/engine/status");
        break;
      case 2:
        await c.send("/seq/status");
        break;
      default:
        await c.send("/sync", sent);
    }
    sent++;
    if (c.received.length > 1000) c.received.length = 0;
    await sleep(Math.max(0, t0 + sent * 50 - performance.now()));
  }
  const b1 = engine.outBlock;
  const counts = { ...osc.counts };
  // Failovers and standby losses, located like late blocks: the second each was reported in.
  const failEvents = engine.supervisor.metrics.events
    .filter((e) => e.type === "failover" || e.type === "standby-lost")
    .map((e) => ({
      s: Math.floor((e.timeMs - epoch0) / 1000),
      type: e.type,
      message: e.message.slice(0, 160),
    }));
  const summary = await stop();
  const late = lateBetween(summary.output.lateAt, b0, b1);
  const slopePerHour = slope(rss.map((x) => x.s / 3600), rss.map((x) => x.rssMb));
  // A late block is the machine's when its second, or the one before (a block is played up to a lead late),
  // shows a stall; the others are the engine's.
  const secondOf = (b: number) => Math.floor(((b - b0) * engine.block) / engine.sampleRate);
  const stalled = (sec: number) => machine.some((m) => (m.s === sec || m.s === sec - 1) && machineStalled(m));
  const unexplained = late.filter((b) => !stalled(secondOf(b)));
  const second = (b: number) => machine.find((m) => m.s === secondOf(b));
  const failoverEvidence = failEvents.map((e) => ({
    ...e,
    ...machine.find((m) => m.s === e.s),
    stalled: stalled(e.s),
  }));
  const failoversUnexplained = failoverEvidence.filter((e) => e.type === "failover" && !e.stalled).length;
  return {
    seconds: o.seconds,
    commands: sent,
    target,
    blocks: b1 - b0,
    lateBlocks: late.length,
    lateAt: late.slice(0, 200),
    lateUnexplained: unexplained.length,
    lateEvidence: late.slice(0, 200).map((b) => ({ block: b, ...second(b) })),
    stalledSeconds: machine.filter(machineStalled).length,
    errors: counts.errors,
    internal: counts.internal,
    failovers: summary.metrics.failovers,
    failures: summary.metrics.failures,
    failoversUnexplained,
    failoverEvidence: failoverEvidence.slice(0, 200),
    rss,
    rssSlopeMbPerHour: Math.round(slopePerHour * 10) / 10,
    broken: [
      ...(counts.internal ? [`${counts.internal} internal errors`] : []),
      ...(unexplained.length
        ? [`${unexplained.length} late blocks in seconds the machine did not stall`]
        : []),
      ...(failoversUnexplained
        ? [`${failoversUnexplained} failovers in seconds the machine did not stall`]
        : []),
    ],
  };
}
