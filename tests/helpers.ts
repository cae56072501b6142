// Shared test helpers: offline rendering, WAV comparison and running the engine CLI in a subprocess.
import { compileDsp } from "../core/dsp_host.ts";
import { Engine, type EngineOptions } from "../engine/engine.ts";
import { renderOffline } from "../core/render.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { readWav } from "../core/wav.ts";

let cached: Promise<WebAssembly.Module> | undefined;

/** The compiled DSP module, compiled once per test process. */
export function dspModule(): Promise<WebAssembly.Module> {
  return cached ??= compileDsp();
}

/**
 * The lead the real-time tests run with: 12 blocks (32 ms at 128 frames). They check failover correctness,
 * not latency; the extra lead absorbs this VM's scheduling pauses (the product default is 6).
 */
export const TEST_LEAD = 12;

/** Index of the first sample where a and b differ bit for bit (-1 if none), comparing their common length. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  const ai = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bi = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (ai[i] !== bi[i]) return i;
  return -1;
}

/**
 * First sample (index into interleaved stereo) that differs from the replay outside the blocks the output
 * reported late (played as silence), or -1. A late block is an underrun the engine counted and located, not
 * altered audio; everything else must be bit-identical.
 */
export function firstDifferenceOutside(
  live: Float32Array,
  replay: Float32Array,
  lateBlocks: readonly number[],
  block = 128,
): number {
  const late = new Set(lateBlocks);
  let from = 0;
  for (;;) {
    const d = firstDifference(live.subarray(from), replay.subarray(from));
    if (d < 0) return -1;
    const at = from + d;
    const b = Math.floor(at / 2 / block);
    if (!late.has(b)) return at;
    from = (b + 1) * block * 2;
  }
}

/**
 * True when the late blocks form at most `events` runs of at most `maxRun` consecutive blocks: VM stalls.
 * This machine's hypervisor takes its vCPUs away for 10–25 ms at times (steal time, see bench/results.json),
 * most often right when a worker is being loaded; each such pause can cost a block or a few. Once a clean-clone
 * CI run saw 6 in a row (16 ms) with no fault anywhere near and no failure detected: the whole machine paused.
 */
export function stallsAtMost(late: readonly number[], maxRun = 8, events = 2): boolean {
  const sorted = [...late].sort((a, b) => a - b);
  let runs = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i + 1 > maxRun) return false;
    runs++;
    i = j + 1;
  }
  return runs <= events;
}

/** Renders a session log offline, as many frames as it says the live output played. */
export async function replayLog(
  path: string,
): Promise<{ samples: Float32Array; frames: number; commands: number }> {
  const log = parseSessionLog(await Deno.readTextFile(path));
  if (log.frames === undefined) throw new Error(`${path} has no end record`);
  const samples = renderOffline(await dspModule(), log.settings, log.commands, log.frames);
  return { samples, frames: log.frames, commands: log.commands.length };
}

/** What a CLI run left behind. */
export interface CliRun {
  code: number;
  stderr: string;
  summary: {
    frames: number;
    lateBlocks: number;
    mergedBlocks: number;
    output: { lateAt: number[]; maxLatenessMs: number };
    metrics: {
      failures: Record<string, number>;
      failuresByRole: { primary: number; standby: number };
      failovers: number;
      detectionMs: { count: number; max: number };
      detectionOwnMs: { count: number; max: number };
      switchUs: { count: number; max: number };
      rebuildMs: { count: number; max: number };
      rebuildWarmMs: { count: number; max: number };
      coldReplacements: number;
      sparesReadyMin: number;
      quarantined: number;
      divergences: number;
      blocksCompared: number;
      zombies: number;
      scratchRebuilds: number;
    };
  };
  wav: Float32Array;
  wavFrames: number;
  logPath: string;
  dir: string;
}

const mainTs = new URL("../main.ts", import.meta.url).pathname;

/** Runs `main.ts` with a wav sink, a session log and a summary file in a fresh temporary directory. */
export async function runCli(args: string[]): Promise<CliRun> {
  const dir = await Deno.makeTempDir({ prefix: "chronus-test-" });
  const wavPath = `${dir}/out.wav`, logPath = `${dir}/session.jsonl`, summaryPath = `${dir}/summary.json`;
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      mainTs,
      "--sink",
      "wav",
      "--out",
      wavPath,
      "--log",
      logPath,
      "--summary",
      summaryPath,
      "--quiet",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
  const out = await cmd.output();
  const stderr = new TextDecoder().decode(out.stderr);
  let summary;
  try {
    summary = JSON.parse(await Deno.readTextFile(summaryPath));
  } catch {
    throw new Error(`the engine wrote no summary (exit ${out.code}):\n${stderr}`);
  }
  const w = readWav(await Deno.readFile(wavPath));
  return { code: out.code, stderr, summary, wav: w.samples, wavFrames: w.frames, logPath, dir };
}

/** Waits for a running engine's first status line, lets it play `playMs`, sends `signal`, collects stderr. */
export async function signalWhilePlaying(child: Deno.ChildProcess, signal: Deno.Signal, playMs: number) {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  while (!stderr.includes("· block")) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  await new Promise((r) => setTimeout(r, playMs));
  const signalledAt = performance.now();
  child.kill(signal);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  const status = await child.status;
  return { status, stderr, stopMs: performance.now() - signalledAt };
}

/** Starts an engine that logs its session to `dir`/s.jsonl and, unless another sink is given, writes `dir`/out.wav. */
export function startLogged(dir: string, options: EngineOptions): Promise<Engine> {
  return Engine.start({
    sink: { kind: "wav", path: `${dir}/out.wav` },
    logPath: `${dir}/s.jsonl`,
    ...options,
  });
}
