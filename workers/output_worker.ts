// The output worker: the engine's clock. For each block n it takes block n through the per-block merge
// (selected ring, else the standby's: they are identical), hands it to the sink, and advances CTRL_OUT_BLOCK.
// It never waits on the main thread: only on the rings (Atomics.wait on CTRL_PROGRESS), on its own deadline
// clock, or on the device. Its loop is synchronous, so it stops itself: at CTRL_END_BLOCK.
// Each block it emits is also copied into the record tap (asm/layout.ts) for the recorder worker, which owns
// the files: here it is one copy of a block and one store, never a wait.
/// <reference lib="deno.worker" />
import * as L from "../asm/layout.ts";
import { coverLate, pickSource } from "../core/merge.ts";
import { failedOutput, type OutputDone, type OutputStart, type SinkSpec } from "../core/messages.ts";
import { audioOffset, controlView, slotViews, tapViews } from "../core/shared.ts";
import { ringDoorbell } from "../core/command_ring.ts";
import { threadId } from "../ffi/thread.ts";
import { raiseFromControl } from "../core/realtime.ts";
import { nullSink } from "../sinks/null_sink.ts";
import type { Sink } from "../sinks/sink.ts";
import { wavSink } from "../sinks/wav_sink.ts";
import { portaudioSink } from "../sinks/portaudio_sink.ts";

self.onmessage = async (e: MessageEvent<OutputStart>) => {
  self.onmessage = null;
  let done: OutputDone;
  try {
    done = await run(e.data);
  } catch (err) {
    done = failedOutput(0, err instanceof Error ? err.message : String(err));
  }
  self.postMessage(done);
  self.close();
};

function makeSink(spec: SinkSpec, sampleRate: number, block: number, ctrl: Int32Array): Sink {
  if (spec.kind === "wav") return wavSink(spec.path, sampleRate, L.CHANNELS);
  if (spec.kind === "portaudio") {
    const onUnderflow = (n: number) => Atomics.store(ctrl, L.CTRL_UNDERFLOWS, n);
    return portaudioSink({ ...spec, sampleRate, block, channels: L.CHANNELS, onUnderflow });
  }
  return nullSink();
}

async function run(msg: OutputStart): Promise<OutputDone> {
  const { sab, sampleRate, block: B, realtime } = msg;
  const ctrl = controlView(sab);
  Atomics.store(ctrl, L.CTRL_OUT_TID, threadId()); // once, before the first block
  // Before the sink opens, so the first block is written at the priority of every other (docs/realtime.md).
  Atomics.store(ctrl, L.CTRL_RT_OUT_GOT, raiseFromControl(ctrl, "output"));
  Atomics.notify(ctrl, L.CTRL_RT_OUT_GOT);
  const slots = Array.from({ length: L.MAX_SLOTS }, (_, s) => slotViews(sab, s));
  const tags = slots.map((s) => s.tags);
  const headers = slots.map((s) => s.hdr);
  const sink = makeSink(msg.sink, sampleRate, B, ctrl);
  const frames = B * L.CHANNELS;
  const tap = tapViews(sab);
  const tapCap = Atomics.load(tap.hdr, L.TAP_CAP);
  if (!(tapCap >= 1 && tapCap * frames <= tap.audio.length)) {
    throw new RangeError(`Cannot start the output: the record tap holds ${tapCap} blocks of ${B} frames`);
  }
  const silence = new Float32Array(frames);
  const blockMs = (B / sampleRate) * 1000;
  const paced = realtime && !sink.paced;
  const now = () => performance.now();
  // Start two blocks out so the workers can fill their lead before the first deadline.
  const t0 = now() + 2 * blockMs;
  let maxLate = 0;
  let n = 0;
  const deviceLatency = sink.latencyMs?.() ?? 0;
  // Time between consecutive sink writes returning, in a preallocated ring (the last 2^16 blocks).
  const intervals = new Float64Array(1 << 16);
  let lastWrite = 0;
  // When each of the last blocks was written: the primary may render block n from the write of n − lead on.
  const writtenAt = new Float64Array(L.RING_BLOCKS);
  // Preallocated (the late path must not allocate either), and long enough to locate every late block of a run
  // on a loaded machine: past 64 a test could not tell the silence it played from altered audio.
  const lateAt = new Int32Array(L.LATE_AT_MAX);
  let lateCount = 0;
  // One view per slot and ring position, made once: the per-block path takes a view, never makes one.
  const blockViews = slots.map((s) =>
    Array.from({ length: L.RING_BLOCKS }, (_, k) => s.audio.subarray(audioOffset(k), audioOffset(k) + frames))
  );
  Atomics.store(ctrl, L.CTRL_OUT_STATE, L.OUT_RUNNING);
  try {
    for (; n < Atomics.load(ctrl, L.CTRL_END_BLOCK); n++) {
      const deadline = t0 + n * blockMs;
      if (paced) {
        // Absolute deadlines: a late wake-up shortens the next wait instead of accumulating drift.
        for (let left = deadline - now(); left > 0; left = deadline - now()) {
          Atomics.wait(ctrl, L.CTRL_SLEEP, 0, left);
        }
      }
      const waitFrom = now();
      let src = pickSource(ctrl, tags, n);
      while (src < 0) {
        const seen = Atomics.load(ctrl, L.CTRL_PROGRESS);
        src = pickSource(ctrl, tags, n);
        if (src >= 0) break;
        if (n >= Atomics.load(ctrl, L.CTRL_END_BLOCK)) break;
        // In real time a block is useful until half a block past its deadline; then it is silence. A device
        // clock (PortAudio) sets the deadline: the write that just returned left about one block of room.
        const left = sink.paced
          ? waitFrom + blockMs / 2 - now()
          : paced
          ? deadline + blockMs / 2 - now()
          : 100;
        if (left <= 0) break;
        // The last half block is the standby's: a late primary is covered (design §2), no main thread asked.
        // Late means it has had half its lead for block n (not so just after this thread itself caught up).
        const lead = Atomics.load(ctrl, L.CTRL_LEAD);
        const allowedAt = n >= lead ? writtenAt[(n - lead) & (L.RING_BLOCKS - 1)] : 0;
        if (left <= blockMs / 2 && now() - allowedAt >= (lead * blockMs) / 2 && coverLate(ctrl, headers, n)) {
          continue;
        }
        Atomics.wait(ctrl, L.CTRL_PROGRESS, seen, left);
      }
      let out: Float32Array = silence;
      if (src >= 0) out = blockViews[src][n & (L.RING_BLOCKS - 1)];
      else {
        Atomics.add(ctrl, L.CTRL_LATE, 1);
        if (lateCount < lateAt.length) lateAt[lateCount++] = n;
      }
      // The tap gets exactly what the sink gets, before the sink may block on the device.
      tap.audio.set(out, (n % tapCap) * frames);
      Atomics.store(tap.hdr, L.TAP_WRITTEN, n + 1);
      sink.write(out);
      if (paced) maxLate = Math.max(maxLate, now() - deadline);
      const written = now();
      if (n > 0) intervals[(n - 1) & (intervals.length - 1)] = written - lastWrite;
      lastWrite = written;
      writtenAt[n & (L.RING_BLOCKS - 1)] = written;
      Atomics.store(ctrl, L.CTRL_OUT_BLOCK, n + 1);
      ringSlot(slots, Atomics.load(ctrl, L.CTRL_SELECTOR));
      ringSlot(slots, Atomics.load(ctrl, L.CTRL_OTHER));
      Atomics.notify(ctrl, L.CTRL_OUT_BLOCK);
    }
  } finally {
    await sink.close();
    Atomics.store(ctrl, L.CTRL_OUT_STATE, L.OUT_DONE);
    Atomics.notify(ctrl, L.CTRL_OUT_STATE);
    Atomics.add(ctrl, L.CTRL_PROGRESS, 1);
    Atomics.notify(ctrl, L.CTRL_PROGRESS);
  }
  return {
    type: "done",
    blocks: n,
    late: Atomics.load(ctrl, L.CTRL_LATE),
    merged: Atomics.load(ctrl, L.CTRL_MERGED),
    maxLatenessMs: maxLate,
    underflows: sink.underflows?.() ?? 0,
    writeIntervalMs: percentiles(intervals.subarray(0, Math.min(Math.max(n - 1, 0), intervals.length))),
    deviceLatencyMs: deviceLatency,
    lateAt: Array.from(lateAt.subarray(0, lateCount)),
  };
}

// Wakes the worker of `slot` (none when -1): it may render further now that the output moved on.
function ringSlot(slots: { hdr: Int32Array }[], slot: number): void {
  if (slot >= 0) ringDoorbell(slots[slot].hdr);
}

function percentiles(v: Float64Array): { p50: number; p99: number; max: number } {
  if (v.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(v).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}
