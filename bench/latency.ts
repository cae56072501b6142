// deno task bench:latency [--seconds S] [--quick] [--leads 1,2,3,4,6] [--sinks portaudio,null] [--rt on,off]
// [--load idle,hog] [--out latency.json]: late blocks at each ring lead, with and without real-time threads (--realtime auto / off,
// docs/realtime.md), with the machine idle and beside a two-core CPU hog, through PortAudio on JACK's dummy
// clock (jackd -d dummy -r 48000 -p 128, started here unless one runs) and through the null sink (the engine's
// own clock). Each run is the engine as a musician starts it (main.ts, the default patch, --exercise 7), for S
// seconds (600; --quick: 30). For each run: late blocks, device underflows, what the machine did in each
// second (hypervisor steal, other processes' CPU: bench/machine.ts) and whether each late block fell in a
// second with a machine stall, PortAudio's output latency and the lead's. Writes bench/latency.json (or --out NAME beside it) and prints
// the table (lead × real-time × load) in markdown.
import { parseArgs } from "node:util";
import { MachineClock, type MachineSecond, machineStalled, processCpuMs } from "./machine.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string" },
    quick: { type: "boolean", default: false },
    leads: { type: "string", default: "1,2,3,4,6" },
    sinks: { type: "string", default: "portaudio,null" },
    rt: { type: "string", default: "on,off" },
    load: { type: "string", default: "idle,hog" },
    out: { type: "string", default: "latency.json" },
  },
}).values;
const seconds = Number(args.seconds ?? (args.quick ? 30 : 600));
const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
const leads = list(args.leads).map(Number);
const sinks = list(args.sinks) as ("portaudio" | "null")[];
const rts = list(args.rt) as ("on" | "off")[];
const loads = list(args.load) as ("idle" | "hog")[];
if (!(seconds > 0) || leads.some((l) => !(l >= 1 && l <= 14))) {
  throw new Error("bench:latency: --seconds must be positive and --leads within 1…14");
}

const SAMPLE_RATE = 48000, BLOCK = 128;
const blockMs = (BLOCK / SAMPLE_RATE) * 1000;
const mainTs = new URL("../main.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run's record. */
interface Run {
  sink: "portaudio" | "null";
  load: "idle" | "hog";
  rt: "on" | "off";
  /** What the engine said its threads got (its "[chronus] realtime:" line, or the one-line refusal). */
  rtGot: string;
  lead: number;
  seconds: number;
  lateBlocks: number;
  underflows: number;
  /** Late blocks in a second (or the one before) with a machine stall: steal ≥ 10 ms or others ≥ 500 ms. */
  lateInStall: number;
  /** Late blocks in seconds the machine did not stall: the engine's own. */
  lateUnexplained: number;
  /** Seconds the machine stalled, of those sampled. */
  stalledSeconds: number;
  /** Medians over the run's seconds, ms per second: steal, other processes' CPU (the hog's excluded), the hog. */
  medians: { stealMsPerS: number; othersMsPerS: number; hogMsPerS: number };
  /** The largest steal in any one second, ms. */
  maxStealMs: number;
  /** PortAudio's output latency (ms; 0 for the null sink), the lead's, and the two together. */
  deviceLatencyMs: number;
  leadMs: number;
  totalLatencyMs: number;
  /** The first late blocks, each with its second's machine evidence. */
  lateEvidence: { block: number; stealMs?: number; othersMs?: number; stalled: boolean }[];
  /** Why the run did not complete, when it did not. */
  error?: string;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function jackRunning(): Promise<boolean> {
  const out = await new Deno.Command("pgrep", { args: ["-x", "jackd"], stdout: "null" }).output();
  return out.code === 0;
}

// JACK's dummy clock, started here when none runs (and stopped at the end, by its own pid: another jackd,
// a colleague's, is left alone). At its default priority (-P 10) its clients' threads run at 5, above the
// engine's output (4) and DSP workers (3): the hierarchy docs/realtime.md recommends.
async function startJack(): Promise<Deno.ChildProcess | undefined> {
  if (await jackRunning()) return undefined;
  const jack = new Deno.Command("jackd", {
    args: ["-d", "dummy", "-r", String(SAMPLE_RATE), "-p", String(BLOCK)],
    env: { JACK_NO_AUDIO_RESERVATION: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  await sleep(1500);
  return jack;
}

// Two busy loops, each bounded by its own clock (bash's SECONDS) so that nothing outlives a killed benchmark.
function startHog(limitS: number): Deno.ChildProcess[] {
  return [0, 1].map(() =>
    new Deno.Command("bash", {
      args: ["-c", `while [ $SECONDS -lt ${Math.ceil(limitS)} ]; do :; done`],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
}

async function run(sink: "portaudio" | "null", load: "idle" | "hog", rt: "on" | "off", lead: number) {
  const dir = await Deno.makeTempDir({ prefix: "chronus-latency-" });
  const hog = load === "hog" ? startHog(seconds + 30) : [];
  const clock = new MachineClock([Deno.pid, ...hog.map((h) => h.pid)]);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      mainTs,
      "--sink",
      sink,
      "--no-osc",
      "--no-autosave",
      "--data-dir",
      dir,
      "--lead",
      String(lead),
      "--duration",
      String(seconds),
      "--exercise",
      "7",
      "--realtime",
      rt === "on" ? "auto" : "off",
      "--summary",
      `${dir}/summary.json`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  clock.watch(child.pid);
  // The status lines ("… s · block N ·") place block 0 on this clock; the realtime line says what it got.
  let stderr = "", block0At: number | undefined;
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      const m = block0At === undefined ? / · block (\d+) · /.exec(stderr) : null;
      if (block0At === undefined && m) block0At = performance.now() - Number(m[1]) * blockMs;
    }
  })();
  const ticker = setInterval(() => clock.tick(), 250);
  const status = await child.status;
  await reading;
  clearInterval(ticker);
  clock.tick();
  const hogMs = hog.map((h) => processCpuMs(h.pid) ?? 0);
  for (const h of hog) {
    try {
      h.kill("SIGKILL");
    } catch { /* it ended by its own clock */ }
    await h.status;
  }
  const machine: MachineSecond[] = clock.seconds;
  const rtGot = rt === "off"
    ? "off"
    : /realtime: ([^\n]*)/.exec(stderr)?.[1] ?? /real-time threads ([^\n;]*)/.exec(stderr)?.[1] ?? "?";
  const base = { sink, load, rt, rtGot, lead, seconds };
  let summary;
  try {
    summary = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  } catch {
    await Deno.remove(dir, { recursive: true });
    return { ...base, error: `exit ${status.code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}` };
  }
  await Deno.remove(dir, { recursive: true });
  const lateAt: number[] = summary.output.lateAt ?? [];
  const secondOf = (b: number) =>
    block0At === undefined ? -1 : Math.floor((block0At + b * blockMs - clock.t0) / 1000);
  const stalled = (sec: number) => machine.some((m) => (m.s === sec || m.s === sec - 1) && machineStalled(m));
  const evidence = lateAt.map((b) => {
    const m = machine.find((x) => x.s === secondOf(b));
    return { block: b, stealMs: m?.stealMs, othersMs: m?.othersMs, stalled: stalled(secondOf(b)) };
  });
  // lateAt holds the first 64 late blocks; past them the split is extrapolated from those.
  const inStall = evidence.filter((e) => e.stalled).length;
  const lateInStall = lateAt.length ? Math.round((inStall / lateAt.length) * summary.lateBlocks) : 0;
  const device = summary.output.deviceLatencyMs ?? 0;
  const r: Run = {
    ...base,
    lateBlocks: summary.lateBlocks,
    underflows: summary.output.underflows,
    lateInStall,
    lateUnexplained: summary.lateBlocks - lateInStall,
    stalledSeconds: machine.filter(machineStalled).length,
    medians: {
      stealMsPerS: median(machine.map((m) => m.stealMs)),
      othersMsPerS: median(machine.map((m) => m.othersMs)),
      hogMsPerS: machine.length ? hogMs.reduce((a, b) => a + b, 0) / machine.length : 0,
    },
    maxStealMs: Math.max(0, ...machine.map((m) => m.stealMs)),
    deviceLatencyMs: device,
    leadMs: lead * blockMs,
    totalLatencyMs: lead * blockMs + device,
    lateEvidence: evidence.slice(0, 32),
  };
  if (status.code !== 0) r.error = `exit ${status.code}`;
  return r;
}

const runs: (Run | (Record<string, unknown> & { error: string }))[] = [];
const began = new Date();
const loadAvg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const loadBefore = loadAvg();
for (const sink of sinks) {
  const jack = sink === "portaudio" ? await startJack() : undefined;
  try {
    for (const load of loads) {
      for (const rt of rts) {
        for (const lead of leads) {
          console.error(`bench:latency: ${sink}, ${load}, real-time ${rt}, lead ${lead}, ${seconds} s …`);
          const r = await run(sink, load, rt, lead);
          runs.push(r);
          console.error(
            "error" in r && r.error
              ? `  ${r.error}`
              : `  late ${(r as Run).lateBlocks} (in a stall ${(r as Run).lateInStall}), underflows ${
                (r as Run).underflows
              }, ${(r as Run).rtGot}`,
          );
        }
      }
    }
  } finally {
    if (jack) {
      jack.kill("SIGTERM");
      await jack.status;
    }
  }
}

// Per cell of the table: each sink's run, and the median over the sinks.
const done = runs.filter((r): r is Run => !r.error || "lateBlocks" in r);
const cells = leads.flatMap((lead) =>
  rts.flatMap((rt) =>
    loads.map((load) => {
      const of = (sink: string) =>
        done.find((r) => r.lead === lead && r.rt === rt && r.load === load && r.sink === sink);
      const here = done.filter((r) => r.lead === lead && r.rt === rt && r.load === load);
      return {
        lead,
        rt,
        load,
        portaudio: of("portaudio"),
        null: of("null"),
        medianLate: median(here.map((r) => r.lateBlocks)),
        medianUnexplained: median(here.map((r) => r.lateUnexplained)),
      };
    })
  )
);
const report = {
  date: began,
  seconds,
  quick: args.quick,
  machine: {
    cpus: navigator.hardwareConcurrency,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAvg(),
    note: "other processes' CPU (othersMsPerS) is everything but the engine and the hog: colleagues' tests",
  },
  medians: {
    lateBlocks: median(done.map((r) => r.lateBlocks)),
    stealMsPerS: median(done.map((r) => r.medians.stealMsPerS)),
    othersMsPerS: median(done.map((r) => r.medians.othersMsPerS)),
  },
  table: cells.map((c) => ({
    lead: c.lead,
    rt: c.rt,
    load: c.load,
    portaudioLate: c.portaudio?.lateBlocks,
    portaudioUnderflows: c.portaudio?.underflows,
    nullLate: c.null?.lateBlocks,
    medianLate: c.medianLate,
    medianUnexplained: c.medianUnexplained,
  })),
  runs,
};
await Deno.writeTextFile(new URL(`./${args.out}`, import.meta.url), JSON.stringify(report, null, 2) + "\n");

const n = (x: number | undefined) => (x === undefined ? "–" : String(x));
const f = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));
console.log(
  `\nbench:latency, ${seconds} s a run, ${began.toISOString()} (load average before ${loadBefore})\n\n` +
    "| lead | ms | real-time | load | PortAudio late | underflows | null late | late in a stall | steal ms/s | others ms/s | PortAudio total ms |\n" +
    "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
);
for (const c of cells) {
  const p = c.portaudio, z = c.null;
  const stall = [p, z].filter((r) => r).map((r) => `${r!.lateInStall}/${r!.lateBlocks}`).join(", ");
  const steal = median([p, z].filter((r) => r).map((r) => r!.medians.stealMsPerS));
  const others = median([p, z].filter((r) => r).map((r) => r!.medians.othersMsPerS));
  console.log(
    `| ${c.lead} | ${(c.lead * blockMs).toFixed(1)} | ${c.rt} | ${c.load} | ${n(p?.lateBlocks)} | ${
      n(p?.underflows)
    } | ${n(z?.lateBlocks)} | ${stall || "–"} | ${f(steal)} | ${f(others)} | ${f(p?.totalLatencyMs)} |`,
  );
}
const failed = runs.filter((r) => r.error);
if (failed.length) console.log(`\n${failed.length} run(s) did not complete: see bench/latency.json`);
