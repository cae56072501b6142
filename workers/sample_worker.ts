// Decodes sample files for the engine's pool off the main thread and at nice 19 (as the analysis worker): a
// 100 MB file takes seconds of CPU, which must neither hold up the control thread (OSC, the supervisor's
// gate) nor take a core from the DSP workers. It returns the decoded sample with its mip levels; the main
// thread only copies them into the pool (patch/samples.ts, core/sample_pool.ts).
import { niceThisThread } from "../ffi/priority.ts";
import type { SampleDecodeReply, SampleDecodeRequest } from "../core/sample_decode.ts";

niceThisThread(19);
const [{ decodeSample }, { mipLevels }, { ClientError }, { onsetSlices }] = await Promise.all([
  import("../core/sample_decode.ts"),
  import("../core/sample_pool.ts"),
  import("../core/errors.ts"),
  import("../analysis/sample_slices.ts"),
]);

self.onmessage = (e: MessageEvent<SampleDecodeRequest>) => {
  const { id, bytes, file, sampleRate, onsets } = e.data;
  let reply: SampleDecodeReply;
  try {
    const sample = decodeSample(bytes, file, sampleRate);
    const levels = mipLevels(sample);
    const slices = onsets ? onsetSlices(sample, sampleRate) : undefined;
    reply = { id, ok: true, sample: { ...sample, levels, ...(slices ? { onsets: slices } : {}) } };
    self.postMessage(reply, levels.map((l) => l.buffer as ArrayBuffer));
    return;
  } catch (err) {
    reply = { id, ok: false, message: (err as Error).message, client: err instanceof ClientError };
  }
  self.postMessage(reply);
};
