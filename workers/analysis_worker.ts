// The analysis worker: hears what the engine played, off the main thread (whose health ticks must not wait
// for an FFT) and off the audio path. The output it reads from the record tap (asm/layout.ts) at the moment a
// request comes, the way the recorder does: copy a block, then check the output had not overwritten it, then
// analyse the copy, so it never holds the shared memory longer than a copy. A module's output it collects
// from the probe ring of the slot that feeds the output, every POLL_MS while a probe is on, into its own
// buffer of TAP_FRAMES frames.
/// <reference lib="deno.worker" />
import * as L from "../asm/layout.ts";
import { controlView, type SlotViews, slotViews, tapViews } from "../core/shared.ts";
import { niceThisThread } from "../ffi/priority.ts";
import { threadId, threadRunNs } from "../ffi/thread.ts";
import type { AnalysisReply, AnalysisRequest } from "./analysis_messages.ts";

/** How often the probe ring is read while a probe is on: PROBE_BLOCKS hold 171 ms at 128 frames. */
const POLL_MS = 20;

/** After an analysis that took t ms the worker rests max(t, REST_MS) before the next: at most half a CPU, so
 * a client that asks back to back cannot take a core from the DSP workers (docs/performance.md). */
const REST_MS = 5;

// The lowest priority: the audio threads come first when CPUs are short. Before the analysis code loads: the
// engine starts this worker with its DSP workers, and loading it (~0.8 s of CPU here) must not delay theirs.
niceThisThread(19);
const loaded = Promise.all([import("../analysis/analyze.ts"), import("../analysis/plot.ts")]);
const [{ analyze }, { plotPng }] = await loaded;
// This thread's id, for its CPU clock: an analysis reports how much of its wall time it ran (AnalysisCost).
const tid = threadId();
let readyAt = 0; // no analysis starts before this (performance.now())
const outputQueue: Waiting[] = [];
let pumpTimer: ReturnType<typeof setTimeout> | undefined;

let sampleRate = 48000;
let B = 128;
let ctrl: Int32Array;
let tap: ReturnType<typeof tapViews>;
let slots: SlotViews[] = [];

// The probe's own buffer: the last TAP_FRAMES frames of the probed module, blocks [collected − held, collected).
let probeId = 0;
let probeBuf = new Float32Array(0);
let probeNext = 0; // the next block to take from the probe ring
let probeHeld = 0; // blocks in probeBuf that follow without a gap, ending at probeNext
let probeStaging = new Float32Array(0);

interface Waiting {
  id: number;
  frames: number;
  limiter: boolean;
  plotPath?: string;
  title?: string;
  deadline: number;
  /** When the request arrived (performance.now()). */
  arrivedAt: number;
}
let waiting: Waiting[] = [];

const reply = (r: AnalysisReply) => self.postMessage(r);

self.onmessage = (e: MessageEvent<AnalysisRequest>) => {
  const m = e.data;
  if (m.type === "init") {
    sampleRate = m.sampleRate;
    B = m.block;
    ctrl = controlView(m.sab);
    tap = tapViews(m.sab);
    slots = Array.from({ length: L.MAX_SLOTS }, (_, s) => slotViews(m.sab, s));
    probeBuf = new Float32Array(Math.floor(L.TAP_FRAMES / B) * B * L.CHANNELS);
    probeStaging = new Float32Array(B * L.CHANNELS);
    setInterval(poll, POLL_MS);
    reply({ type: "ready" });
    setTimeout(warmUp, 0);
  } else if (m.type === "probe") {
    for (const w of waiting) {
      reply({ type: "error", id: w.id, message: "another module is being probed now" });
    }
    waiting = [];
    probeId = m.module;
    probeNext = m.fromBlock;
    probeHeld = 0;
  } else if (m.type === "analyze") {
    const w: Waiting = {
      id: m.id,
      frames: m.frames,
      limiter: m.limiter,
      plotPath: m.plotPath,
      title: m.title,
      deadline: performance.now() + m.timeoutMs,
      arrivedAt: performance.now(),
    };
    if (m.module === 0) {
      outputQueue.push(w);
      pump();
    } else if (m.module !== probeId) reply({ type: "error", id: m.id, message: "that module is not probed" });
    else {
      waiting.push(w);
      poll();
    }
  } else if (m.type === "crash") {
    throw new Error("injected crash of the analysis worker");
  }
};

// Answers the output requests one at a time, each after the rest the last analysis earned.
function pump(): void {
  if (pumpTimer !== undefined || outputQueue.length === 0) return;
  const wait = readyAt - performance.now();
  if (wait > 0) {
    pumpTimer = setTimeout(() => {
      pumpTimer = undefined;
      pump();
    }, wait);
    return;
  }
  const w = outputQueue[0];
  if (!answerOutput(w)) {
    pumpTimer = setTimeout(() => {
      pumpTimer = undefined;
      pump();
    }, POLL_MS);
    return;
  }
  outputQueue.shift();
  pump();
}

// The output: the last `frames` frames the output copied into the tap. False while it has not played that
// many yet (a fresh engine); the request waits, up to its deadline.
function answerOutput(w: Waiting): boolean {
  const written = Atomics.load(tap.hdr, L.TAP_WRITTEN);
  const blocks = Math.ceil(w.frames / B);
  if (written < blocks) {
    if (performance.now() <= w.deadline) return false;
    reply({ type: "error", id: w.id, message: "the output has not played that much yet" });
    return true;
  }
  const cap = Atomics.load(tap.hdr, L.TAP_CAP);
  const from = written - blocks;
  const x = new Float32Array(blocks * B * L.CHANNELS);
  const size = B * L.CHANNELS;
  for (let m = from; m < written; m++) {
    const k = m % cap, at = (m - from) * size;
    if (Atomics.load(tap.hdr, L.TAP_WRITTEN) - m >= cap) continue; // overwritten already: left silent
    x.set(tap.audio.subarray(k * size, (k + 1) * size), at);
    if (Atomics.load(tap.hdr, L.TAP_WRITTEN) - m >= cap) x.fill(0, at, at + size);
  }
  finish(w, x, from, written);
  return true;
}

// Takes the probe ring's blocks that the output has played into probeBuf, then answers the requests that
// have enough.
function poll(): void {
  if (probeId !== 0) collect();
  const now = performance.now();
  const still: Waiting[] = [];
  for (const w of waiting) {
    const blocks = Math.ceil(w.frames / B);
    if (probeHeld >= blocks && performance.now() >= readyAt) {
      const x = new Float32Array(blocks * B * L.CHANNELS);
      const cap = probeBuf.length / (B * L.CHANNELS);
      for (let i = 0; i < blocks; i++) {
        const m = probeNext - blocks + i, k = m % cap;
        x.set(probeBuf.subarray(k * B * L.CHANNELS, (k + 1) * B * L.CHANNELS), i * B * L.CHANNELS);
      }
      finish(w, x, probeNext - blocks, probeNext);
    } else if (now > w.deadline) {
      reply({
        type: "error",
        id: w.id,
        message: `the module gave ${(probeHeld * B / sampleRate).toFixed(2)} s of audio in time, not ${
          (w.frames / sampleRate).toFixed(2)
        } s (was it deleted?)`,
      });
    } else still.push(w);
  }
  waiting = still;
}

function collect(): void {
  const played = Atomics.load(ctrl, L.CTRL_OUT_BLOCK);
  const sel = Atomics.load(ctrl, L.CTRL_SELECTOR);
  if (sel < 0) return;
  const v = slots[sel];
  const size = B * L.CHANNELS, cap = probeBuf.length / size;
  // Blocks older than the ring holds are gone: the run starts again after them.
  if (played - probeNext > L.PROBE_BLOCKS) {
    probeNext = played - L.PROBE_BLOCKS;
    probeHeld = 0;
  }
  for (; probeNext < played; probeNext++) {
    const m = probeNext, p = m & (L.PROBE_BLOCKS - 1);
    let ok = Atomics.load(v.probeTags, p) === m && v.probeIds[p] === probeId;
    if (ok) {
      probeStaging.set(v.probe.subarray(p * L.MAX_BLOCK * L.CHANNELS, p * L.MAX_BLOCK * L.CHANNELS + size));
      ok = Atomics.load(v.probeTags, p) === m;
    }
    if (!ok) {
      probeHeld = 0; // a gap (a block not rendered here, or another module's): the run starts after it
      continue;
    }
    probeBuf.set(probeStaging, (m % cap) * size);
    probeHeld = Math.min(cap, probeHeld + 1);
  }
}

// One analysis of a made-up second (a tone with a click every 0.35 s, so the pitch, onset and tempo paths all
// run) right after start, at this thread's nice 19: the first request then finds the code compiled. Cold, the
// first analysis of 2 s took about twice the CPU time of the next ones (150 against 75–80 ms).
function warmUp(): void {
  const frames = sampleRate;
  const x = new Float32Array(frames * L.CHANNELS);
  for (let i = 0; i < frames; i++) {
    const click = i % Math.round(sampleRate * 0.35) < 64 ? 0.5 : 0;
    x[2 * i] = x[2 * i + 1] = 0.3 * Math.sin((2 * Math.PI * 110 * i) / sampleRate) + click;
  }
  analyze(x, { sampleRate, startFrame: 0, sequencerBpm: 120 });
}

// Trims the copy to the frames asked for, adds what the engine knows, analyses, plots, answers.
function finish(w: Waiting, blocksCopy: Float32Array, fromBlock: number, toBlock: number): void {
  const t0 = performance.now();
  const cpu0 = threadRunNs(tid);
  try {
    const x = blocksCopy.subarray(blocksCopy.length - w.frames * L.CHANNELS);
    const sel = Atomics.load(ctrl, L.CTRL_SELECTOR);
    const v = sel >= 0 ? slots[sel] : undefined;
    const beat = v ? v.hdrF64[L.HF_SEQ_BEAT] : -1, bpm = v ? v.hdrF64[L.HF_SEQ_BPM] : 0;
    const analysis = analyze(x, {
      sampleRate,
      startFrame: toBlock * B - w.frames,
      ...(beat >= 0 && bpm > 0 ? { sequencerBpm: bpm } : {}),
      ...(w.limiter && v ? { limiterDb: limiterDb(v, fromBlock, toBlock) } : {}),
    });
    let plot: string | undefined;
    if (w.plotPath) {
      Deno.writeFileSync(w.plotPath, plotPng(x, { sampleRate, title: w.title }));
      plot = w.plotPath;
    }
    const t = performance.now(), cpu1 = threadRunNs(tid);
    const cost = {
      waitMs: t0 - w.arrivedAt,
      analyseMs: t - t0,
      ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMs: (cpu1 - cpu0) / 1e6 } : {}),
    };
    reply({ type: "analysis", id: w.id, analysis, cost, ...(plot ? { plot } : {}) });
  } catch (e) {
    reply({ type: "error", id: w.id, message: (e as Error).message });
  }
  const t1 = performance.now();
  readyAt = t1 + Math.max(REST_MS, t1 - t0);
}

// The largest gain reduction any limiter applied in blocks [from, to), in dB (≤ 0), from the blocks the slot
// still holds (a replacement holds those since it started).
function limiterDb(v: SlotViews, from: number, to: number): number {
  let min = 1;
  for (let m = Math.max(from, to - L.GAIN_BLOCKS); m < to; m++) {
    const g = m & (L.GAIN_BLOCKS - 1);
    if (Atomics.load(v.gainTags, g) !== m) continue;
    const gain = v.gains[g];
    if (Atomics.load(v.gainTags, g) === m && gain < min) min = gain;
  }
  return min >= 1 ? 0 : Math.round(20 * Math.log10(Math.max(min, 1e-6)) * 100) / 100;
}
