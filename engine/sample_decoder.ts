// The engine's side of the sample worker (workers/sample_worker.ts): started on the first /sample/load,
// one request at a time in its queue, ended with the engine.
import { ClientError } from "../core/errors.ts";
import type { SampleDecodeReply, SampleDecodeRequest } from "../core/sample_decode.ts";
import type { DecodedSample } from "../core/sample_pool.ts";

const workerUrl = new URL("../workers/sample_worker.ts", import.meta.url);

/** Decodes sample files in a worker at nice 19. */
export class SampleDecoder {
  #worker?: Worker;
  #next = 1;
  #waiting = new Map<number, { resolve: (s: DecodedSample) => void; reject: (e: Error) => void }>();

  /**
   * Decodes `bytes` (taken: the buffer is transferred) for the pool at `sampleRate`, with its onset slices
   * when `onsets`; ClientError when it cannot.
   */
  decode(bytes: Uint8Array, file: string, sampleRate: number, onsets = false): Promise<DecodedSample> {
    const id = this.#next++;
    const w = this.#ensure();
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      const req: SampleDecodeRequest = { id, bytes, file, sampleRate, onsets };
      w.postMessage(req, [bytes.buffer as ArrayBuffer]);
    });
  }

  /** Ends the worker; requests in flight fail. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const w of this.#waiting.values()) w.reject(new ClientError("the engine stopped"));
    this.#waiting.clear();
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(workerUrl, { type: "module" });
    w.onmessage = (e: MessageEvent<SampleDecodeReply>) => {
      const r = e.data, waiting = this.#waiting.get(r.id);
      if (!waiting) return;
      this.#waiting.delete(r.id);
      if (r.ok) waiting.resolve(r.sample);
      else waiting.reject(r.client ? new ClientError(r.message) : new Error(r.message));
    };
    w.onerror = (e) => {
      e.preventDefault();
      const err = new Error(`the sample worker failed: ${e.message}`);
      for (const x of this.#waiting.values()) x.reject(err);
      this.#waiting.clear();
      this.#worker = undefined;
      w.terminate();
    };
    this.#worker = w;
    return w;
  }
}
