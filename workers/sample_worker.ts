// Reads, decodes and hashes sample files for the engine's pool off the main thread and at nice 19 (as the
// analysis worker), and writes them into the pool itself: a 100 MB file takes seconds of CPU and a copy of
// ~200 MB (its mip levels),
// which must neither hold up the control thread (OSC, the supervisor's gate) nor take a core from the DSP
// workers. The control thread keeps the pool's accounting: it reserves the range this worker writes
// (core/sample_pool.ts reserve), then writes the table entry and hands out the id once this worker says the
// data is written (publish), so no id ever names a sample whose bytes are not all there.
/// <reference lib="deno.worker" />
import { niceThisThread } from "../ffi/priority.ts";
import type { SampleWorkerReply, SampleWorkerRequest } from "../core/sample_decode.ts";
import type { DecodedSample } from "../core/sample_pool.ts";

niceThisThread(19);
const [
  { decodeSampleAsync, readSampleFile },
  { mipLevels, sampleBytes, writeSampleData },
  { ClientError },
  { onsetSlices },
] = await Promise.all([
  import("../core/sample_decode.ts"),
  import("../core/sample_pool.ts"),
  import("../core/errors.ts"),
  import("../analysis/sample_slices.ts"),
]);

let memory: WebAssembly.Memory | undefined;
// Decoded files waiting for their range (a "write") or to be dropped.
const decoded = new Map<
  number,
  { sample: DecodedSample; levels: Float32Array[]; onsets: number[]; hash: string }
>();

const reply = (r: SampleWorkerReply) => self.postMessage(r);
const failed = (id: number, err: unknown) =>
  reply({ type: "failed", id, message: (err as Error).message, client: err instanceof ClientError });

self.onmessage = async (e: MessageEvent<SampleWorkerRequest>) => {
  const m = e.data;
  switch (m.type) {
    case "pool":
      memory = m.memory;
      return;
    case "drop":
      decoded.delete(m.id);
      return;
    case "write": {
      const d = decoded.get(m.id);
      decoded.delete(m.id);
      try {
        if (!d || !memory) throw new Error(`nothing decoded for request ${m.id}, or no pool`);
        // memory.buffer is asked for now: the control thread grew the memory for this range.
        const sample = writeSampleData(memory, m.range, d.sample, d.levels, d.onsets);
        reply({ type: "written", id: m.id, sample, hash: d.hash });
      } catch (err) {
        failed(m.id, err);
      }
      return;
    }
    case "decode":
      try {
        // The file is read and hashed here too: 100 MB take ~0.3 s of both, which the control thread is spared.
        const { bytes, hash } = readSampleFile(m);
        reply({ type: "read", id: m.id, bytes: bytes.length }); // the decode's time limit follows the size
        const sample = await decodeSampleAsync(bytes, m.file, m.sampleRate, m.room);
        const levels = mipLevels(sample);
        const onsets = m.onsets ? onsetSlices(sample, m.sampleRate) : [];
        decoded.set(m.id, { sample, levels, onsets, hash });
        reply({ type: "size", id: m.id, bytes: sampleBytes(levels, onsets) });
      } catch (err) {
        failed(m.id, err);
      }
  }
};
