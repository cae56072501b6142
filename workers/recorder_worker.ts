// The recorder worker: owns the recordings' files. It follows the record tap (asm/layout.ts) that the output
// worker fills with every block it emits, once for all recordings, and writes each recording's output frames
// [start, end) into its own WAV file (a block is cut where a range starts or ends inside it), flushed every
// `flushFrames` frames so that a crash of the process loses at most that much plus its lag behind the output.
// The output never waits for it: when it falls more than the tap's capacity behind (a disk that stops
// answering), the frames it missed are recorded as silence, so each file keeps the output's timeline, and the
// loss is counted and reported. It polls the tap every POLL_MS: the output worker only stores a counter, it
// does not notify anyone for the recorder.
//
// A recording of N bars ends on the sequencer's bar line: the worker reads the beat position and tempo the
// DSP publishes in the selected slot's header (HF_SEQ_BEAT, HF_SEQ_BPM at the end of block H_DONE − 1) and
// puts bar b at doneFrame + floor((b − beat)·60·sr/bpm + 0.5), the DSP's own formula (asm/sequencer.ts
// stepFrame) moved from its anchor to the published position. It recomputes that frame at every poll until
// the DSP has rendered past it, so a tempo change before the end bar moves the end with the bar.
/// <reference lib="deno.worker" />
import * as L from "../asm/layout.ts";
import { controlView, slotViews, tapViews } from "../core/shared.ts";
import { type WavFormat, WavWriter } from "../core/wav.ts";
import type { RecorderReply, RecorderRequest, RecordingProgress, RecordingResult } from "../core/messages.ts";

/** How often the recorder looks at the tap. The output emits a block every 2.7 ms (128 frames at 48 kHz), so
 * each look takes about 7 blocks; the tap holds seconds. */
export const POLL_MS = 20;

interface Recording {
  /** The id of the start request. */
  id: number;
  writer: WavWriter;
  start: number;
  /** The next output frame to take. */
  next: number;
  /** The frame it ends at (exclusive); Infinity while open. */
  end: number;
  /** Bars asked for, while their end bar is not final. */
  bars?: number;
  /** The end bar's first beat, once found. */
  endBeat?: number;
  /** Stop requests waiting for the end. */
  stops: number[];
  maxFrames: number;
  overruns: number;
  lostFrames: number;
  lost: [number, number][];
  maxLag: number;
  reported: string;
}

let sampleRate = 48000;
let B = 128;
let tap: ReturnType<typeof tapViews>;
let ctrl: Int32Array;
let sab: SharedArrayBuffer;
let cap = 1;
let slots: Float32Array[] = [];
let staging = new Float32Array(0);
let silence = new Float32Array(0);
const recs = new Map<number, Recording>();
let timer: ReturnType<typeof setInterval> | undefined;

const reply = (r: RecorderReply) => self.postMessage(r);

self.onmessage = (e: MessageEvent<RecorderRequest>) => {
  const m = e.data;
  if (m.type === "init") {
    init(m.sab, m.sampleRate, m.block);
    reply({ type: "ready" });
  } else if (m.type === "start") start(m);
  else if (m.type === "stop") stop(m.id, m.recording, m.endFrame);
  else if (m.type === "stall") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, m.ms);
  else if (m.type === "close") reply({ type: "closed", id: m.id });
};

function init(shared: SharedArrayBuffer, rate: number, block: number): void {
  sab = shared;
  sampleRate = rate;
  B = block;
  tap = tapViews(sab);
  ctrl = controlView(sab);
  cap = Atomics.load(tap.hdr, L.TAP_CAP);
  const frames = B * L.CHANNELS;
  slots = Array.from({ length: cap }, (_, k) => tap.audio.subarray(k * frames, (k + 1) * frames));
  staging = new Float32Array(frames);
  silence = new Float32Array(frames);
}

function start(m: Extract<RecorderRequest, { type: "start" }>): void {
  let writer: WavWriter;
  try {
    // The buffer is one flush interval: the writer writes data and header together when it fills.
    writer = new WavWriter(m.path, sampleRate, L.CHANNELS, { format: m.format, bufferFrames: m.flushFrames });
  } catch (e) {
    reply({ type: "start-failed", id: m.id, path: m.path, message: (e as Error).message });
    return;
  }
  const r: Recording = {
    id: m.id,
    writer,
    start: m.startFrame,
    next: m.startFrame,
    end: m.endFrame ?? Infinity,
    ...(m.bars !== undefined ? { bars: m.bars } : {}),
    stops: [],
    maxFrames: maxFrames(m.format),
    overruns: 0,
    lostFrames: 0,
    lost: [],
    maxLag: 0,
    reported: "",
  };
  recs.set(m.id, r);
  if (grid()) placeBarEnd(r); // the end bar, when the sequencer plays already (a stopped one is found later)
  reply({
    type: "started",
    id: m.id,
    path: m.path,
    startFrame: r.start,
    endFrame: Number.isFinite(r.end) ? r.end : null,
  });
  timer ??= setInterval(poll, POLL_MS);
}

/** A RIFF file counts its bytes in 32 bits: 4 GiB (3.1 h of float32 stereo at 48 kHz) is the most it holds. */
export function maxFrames(format: WavFormat): number {
  return Math.floor((0xffffffff - 64) / (L.CHANNELS * (format === "pcm24" ? 3 : 4)));
}

function stop(id: number, recording: number, endFrame: number): void {
  const r = recs.get(recording);
  if (!r) {
    reply({ type: "stop-failed", id, message: "not recording" });
    return;
  }
  r.stops.push(id);
  // A stop earlier than the end asked for wins; one the recorder has already passed ends it where it is.
  r.end = Math.max(r.next, Math.min(r.end, endFrame));
  r.bars = undefined;
  poll();
}

function poll(): void {
  const progress: RecordingProgress[] = [];
  for (const r of [...recs.values()]) {
    placeBarEnd(r);
    if (!follow(r)) continue;
    if (r.next >= r.end) finish(r);
    else {
      const p = progressOf(r);
      const key = JSON.stringify(p);
      if (key !== r.reported) {
        r.reported = key;
        progress.push(p);
      }
    }
  }
  if (progress.length) reply({ type: "progress", recordings: progress });
  if (recs.size === 0) {
    clearInterval(timer);
    timer = undefined;
  }
}

function finish(r: Recording): void {
  recs.delete(r.id);
  try {
    r.writer.close();
  } catch (e) {
    const message = `cannot finish ${r.writer.path}: ${(e as Error).message}`;
    reply({ type: "failed", id: r.stops[0], recording: r.id, message, result: result(r) });
    for (const id of r.stops.slice(1)) reply({ type: "stop-failed", id, message });
    return;
  }
  if (r.stops.length === 0) reply({ type: "finished", recording: r.id, result: result(r) });
  for (const id of r.stops) reply({ type: "stopped", id, result: result(r) });
}

// The sequencer's grid as the DSP feeding the output published it, read consistently (H_DONE unchanged
// around the two f64 reads); null while it is stopped or no slot is selected.
function grid(): { doneFrame: number; beat: number; framesPerBeat: number } | null {
  const sel = Atomics.load(ctrl, L.CTRL_SELECTOR);
  if (sel < 0) return null;
  const v = slotViews(sab, sel);
  for (let tries = 0; tries < 4; tries++) {
    const d = Atomics.load(v.hdr, L.H_DONE);
    const beat = v.hdrF64[L.HF_SEQ_BEAT], bpm = v.hdrF64[L.HF_SEQ_BPM];
    if (Atomics.load(v.hdr, L.H_DONE) !== d) continue;
    if (!(beat >= 0) || !(bpm > 0)) return null;
    return { doneFrame: d * B, beat, framesPerBeat: (60 * sampleRate) / bpm };
  }
  return null;
}

// Finds (and until the DSP has rendered past it, follows) the end bar of a recording of N bars: the Nth bar
// line after its first frame. A recording whose start the DSP has not rendered yet waits (a bundle may start
// the sequencer at that very frame); one that starts while the sequencer is stopped fails.
function placeBarEnd(r: Recording): void {
  if (r.bars === undefined) return;
  const g = grid();
  if (r.endBeat === undefined) {
    const d = Atomics.load(slotViews(sab, Math.max(0, Atomics.load(ctrl, L.CTRL_SELECTOR))).hdr, L.H_DONE);
    if (d * B <= r.start) return;
    if (!g) {
      r.end = r.start;
      r.bars = undefined;
      failLater(r, "the sequencer is not playing where the recording starts: --bars counts its bars");
      return;
    }
  }
  if (!g) return; // stopped since: the end stays on the bar line last found
  const per = L.SEQ_BEATS_PER_BAR;
  const barFrame = (b: number) => Math.floor(g.doneFrame + (b - g.beat) * g.framesPerBeat + 0.5);
  if (r.endBeat === undefined) {
    let b = Math.floor((g.beat + (r.start - g.doneFrame) / g.framesPerBeat) / per) * per;
    while (barFrame(b) <= r.start) b += per;
    while (b - per >= 0 && barFrame(b - per) > r.start) b -= per;
    r.endBeat = b + per * (r.bars - 1);
  }
  r.end = Math.max(r.next, barFrame(r.endBeat));
  if (g.doneFrame >= r.end) r.bars = undefined; // rendered past it: final
}

// A recording ended before it began (nothing to record): finalized empty, and said so.
function failLater(r: Recording, message: string): void {
  recs.delete(r.id);
  try {
    r.writer.close();
  } catch {
    // The message below says why the recording ended; a close that also fails adds nothing to it.
  }
  reply({ type: "failed", recording: r.id, message: `${r.writer.path}: ${message}`, result: result(r) });
}

// Takes frames [r.next, min(end, what the output has emitted)) from the tap into the file. False when the
// recording ended with an error.
function follow(r: Recording): boolean {
  if (!recs.has(r.id)) return false;
  const written = Atomics.load(tap.hdr, L.TAP_WRITTEN);
  let limit = Math.min(written * B, r.end);
  if (r.bars !== undefined && r.endBeat === undefined) limit = Math.min(limit, r.start);
  if (r.next < written * B) r.maxLag = Math.max(r.maxLag, written * B - r.next);
  const lostNow: [number, number][] = []; // runs of frames lost in this pass, reported after it
  const C = L.CHANNELS;
  try {
    while (r.next < limit) {
      const m = Math.floor(r.next / B);
      const from = r.next - m * B, to = Math.min(B, limit - m * B);
      if (r.writer.frames + (to - from) > r.maxFrames) {
        throw new Error(`the WAV format holds at most ${r.maxFrames} frames: the recording stopped there`);
      }
      // The slot holds block m unless the output has reached block m + cap; checked again after the copy.
      let lost = Atomics.load(tap.hdr, L.TAP_WRITTEN) - m >= cap;
      if (!lost) {
        staging.set(slots[m % cap]);
        lost = Atomics.load(tap.hdr, L.TAP_WRITTEN) - m >= cap;
      }
      if (lost) {
        noteLost(r, r.next, m * B + to);
        const run = lostNow[lostNow.length - 1];
        if (run && run[1] === r.next) run[1] = m * B + to;
        else lostNow.push([r.next, m * B + to]);
      }
      // Flushes data and header each time flushFrames have gathered.
      r.writer.write((lost ? silence : staging).subarray(from * C, to * C));
      r.next = m * B + to;
    }
  } catch (e) {
    const message = `cannot write ${r.writer.path}: ${(e as Error).message}`;
    recs.delete(r.id);
    try {
      r.writer.close();
    } catch {
      // The file is already failing; what it holds is what the last flush wrote, and `failed` says so.
    }
    reply({ type: "failed", id: r.stops[0], recording: r.id, message, result: result(r) });
    for (const id of r.stops.slice(1)) reply({ type: "stop-failed", id, message });
    return false;
  }
  for (const [fromFrame, toFrame] of lostNow) {
    reply({ type: "overrun", recording: r.id, path: r.writer.path, fromFrame, toFrame });
  }
  return true;
}

function noteLost(r: Recording, from: number, to: number): void {
  const last = r.lost[r.lost.length - 1];
  if (last && last[1] === from) last[1] = to;
  else {
    r.overruns++;
    if (r.lost.length < 64) r.lost.push([from, to]);
  }
  r.lostFrames += to - from;
}

function progressOf(r: Recording): RecordingProgress {
  return {
    recording: r.id,
    next: r.next,
    endFrame: Number.isFinite(r.end) ? r.end : null,
    flushedFrames: r.writer.flushedFrames,
    overruns: r.overruns,
    lostFrames: r.lostFrames,
    maxLagFrames: r.maxLag,
  };
}

function result(r: Recording): RecordingResult {
  return {
    path: r.writer.path,
    format: r.writer.format,
    startFrame: r.start,
    frames: r.writer.frames,
    seconds: r.writer.frames / sampleRate,
    flushedFrames: r.writer.flushedFrames,
    overruns: r.overruns,
    lostFrames: r.lostFrames,
    lost: r.lost.map(([a, b]) => [a, b]),
    maxLagMs: (r.maxLag * 1000) / sampleRate,
  };
}
