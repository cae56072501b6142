// The recorder worker: owns the recording's file. It follows the record tap (asm/layout.ts) that the output
// worker fills with every block it emits, and writes blocks [start, end) of it into a WAV file, flushed every
// `flushFrames` frames so that a crash of the process loses at most that much plus its lag behind the output.
// The output never waits for it: when it falls more than the tap's capacity behind (a disk that stops
// answering), the blocks it missed are recorded as silence, so the file keeps the output's timeline, and the
// loss is counted in the tap header and reported. It polls the tap every POLL_MS: the output worker only
// stores a counter, it does not notify anyone for the recorder.
/// <reference lib="deno.worker" />
import * as L from "../asm/layout.ts";
import { tapViews } from "../core/shared.ts";
import { type WavFormat, WavWriter } from "../core/wav.ts";
import type { RecorderReply, RecorderRequest, RecordingResult } from "../core/messages.ts";

/** How often the recorder looks at the tap. The output emits a block every 2.7 ms (128 frames at 48 kHz), so
 * each look takes about 7 blocks; the tap holds seconds. */
export const POLL_MS = 20;

interface Recording {
  /** The id of the start request. */
  id: number;
  writer: WavWriter;
  startBlock: number;
  next: number;
  maxFrames: number;
  overruns: number;
  lostBlocks: number;
  lost: [number, number][];
  maxLag: number;
}

let sampleRate = 48000;
let B = 128;
let tap: ReturnType<typeof tapViews>;
let cap = 1;
let slots: Float32Array[] = [];
let staging = new Float32Array(0);
let silence = new Float32Array(0);
let rec: Recording | undefined;
let timer: ReturnType<typeof setInterval> | undefined;

const reply = (r: RecorderReply) => self.postMessage(r);

self.onmessage = (e: MessageEvent<RecorderRequest>) => {
  const m = e.data;
  if (m.type === "init") {
    init(m.sab, m.sampleRate, m.block);
    reply({ type: "ready" });
  } else if (m.type === "start") start(m.id, m.path, m.format, m.startBlock, m.flushFrames);
  else if (m.type === "stop") stop(m.id, m.endBlock);
  else if (m.type === "stall") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, m.ms);
  else if (m.type === "close") reply({ type: "closed", id: m.id });
};

function init(sab: SharedArrayBuffer, rate: number, block: number): void {
  sampleRate = rate;
  B = block;
  tap = tapViews(sab);
  cap = Atomics.load(tap.hdr, L.TAP_CAP);
  const frames = B * L.CHANNELS;
  slots = Array.from({ length: cap }, (_, k) => tap.audio.subarray(k * frames, (k + 1) * frames));
  staging = new Float32Array(frames);
  silence = new Float32Array(frames);
}

function start(id: number, path: string, format: WavFormat, startBlock: number, flushFrames: number): void {
  if (rec) {
    reply({ type: "start-failed", id, path, message: `already recording to ${rec.writer.path}` });
    return;
  }
  let writer: WavWriter;
  try {
    // The buffer is one flush interval: the writer writes data and header together when it fills.
    writer = new WavWriter(path, sampleRate, L.CHANNELS, { format, bufferFrames: flushFrames });
  } catch (e) {
    reply({ type: "start-failed", id, path, message: (e as Error).message });
    return;
  }
  // A RIFF file counts its bytes in 32 bits: 4 GiB (3.1 h of float32 stereo at 48 kHz) is the most it holds.
  const maxFrames = Math.floor((0xffffffff - 64) / (L.CHANNELS * (format === "pcm24" ? 3 : 4)));
  rec = {
    id,
    writer,
    startBlock,
    next: startBlock,
    maxFrames,
    overruns: 0,
    lostBlocks: 0,
    lost: [],
    maxLag: 0,
  };
  Atomics.store(tap.hdr, L.REC_NEXT, startBlock);
  for (const w of [L.REC_FLUSHED, L.REC_OVERRUNS, L.REC_LOST, L.REC_MAX_LAG]) Atomics.store(tap.hdr, w, 0);
  reply({ type: "started", id, path, startBlock });
  timer = setInterval(() => {
    if (rec) follow(rec, Atomics.load(tap.hdr, L.TAP_WRITTEN));
  }, POLL_MS);
}

function stop(id: number, endBlock: number): void {
  const r = rec;
  if (!r) {
    reply({ type: "stop-failed", id, message: "not recording" });
    return;
  }
  // The engine asks for blocks the output has already copied into the tap: nothing to wait for.
  if (!follow(r, Math.max(r.next, endBlock), id)) return;
  try {
    end(r).writer.close();
  } catch (e) {
    const message = `cannot finish ${r.writer.path}: ${(e as Error).message}`;
    reply({ type: "failed", id, recording: r.id, message, result: result(r) });
    return;
  }
  reply({ type: "stopped", id, result: result(r) });
}

function end(r: Recording): Recording {
  clearInterval(timer);
  timer = undefined;
  rec = undefined;
  return r;
}

// Takes blocks [r.next, until) from the tap into the file. False when the recording ended with an error.
function follow(r: Recording, until: number, id?: number): boolean {
  const written = Atomics.load(tap.hdr, L.TAP_WRITTEN);
  r.maxLag = Math.max(r.maxLag, written - r.next);
  const lostNow: [number, number][] = []; // runs of blocks lost in this pass, reported after it
  try {
    for (; r.next < until; r.next++) {
      const m = r.next;
      if (r.writer.frames + B > r.maxFrames) {
        throw new Error(`the WAV format holds at most ${r.maxFrames} frames: the recording stopped there`);
      }
      // The slot holds block m unless the output has reached block m + cap; checked again after the copy.
      let lost = Atomics.load(tap.hdr, L.TAP_WRITTEN) - m >= cap;
      if (!lost) {
        staging.set(slots[m % cap]);
        lost = Atomics.load(tap.hdr, L.TAP_WRITTEN) - m >= cap;
      }
      if (lost) {
        noteLost(r, m);
        const run = lostNow[lostNow.length - 1];
        if (run && run[1] === m) run[1] = m + 1;
        else lostNow.push([m, m + 1]);
      }
      r.writer.write(lost ? silence : staging); // flushes data and header each time flushFrames have gathered
    }
  } catch (e) {
    const message = `cannot write ${r.writer.path}: ${(e as Error).message}`;
    end(r);
    try {
      r.writer.close();
    } catch {
      // The file is already failing; what it holds is what the last flush wrote, and `failed` says so.
    }
    publish(r);
    reply({ type: "failed", id, recording: r.id, message, result: result(r) });
    return false;
  }
  publish(r);
  for (const [fromBlock, toBlock] of lostNow) {
    reply({ type: "overrun", recording: r.id, path: r.writer.path, fromBlock, toBlock });
  }
  return true;
}

function noteLost(r: Recording, m: number): void {
  const last = r.lost[r.lost.length - 1];
  if (last && last[1] === m) last[1] = m + 1;
  else {
    r.overruns++;
    if (r.lost.length < 64) r.lost.push([m, m + 1]);
  }
  r.lostBlocks++;
}

function publish(r: Recording): void {
  Atomics.store(tap.hdr, L.REC_NEXT, r.next);
  Atomics.store(tap.hdr, L.REC_FLUSHED, r.writer.flushedFrames);
  Atomics.store(tap.hdr, L.REC_OVERRUNS, r.overruns);
  Atomics.store(tap.hdr, L.REC_LOST, r.lostBlocks);
  Atomics.store(tap.hdr, L.REC_MAX_LAG, r.maxLag);
}

function result(r: Recording): RecordingResult {
  return {
    path: r.writer.path,
    format: r.writer.format,
    startFrame: r.startBlock * B,
    frames: r.writer.frames,
    seconds: r.writer.frames / sampleRate,
    flushedFrames: r.writer.flushedFrames,
    overruns: r.overruns,
    lostFrames: r.lostBlocks * B,
    lost: r.lost.map(([a, b]) => [a * B, b * B]),
    maxLagMs: (r.maxLag * B * 1000) / sampleRate,
  };
}
