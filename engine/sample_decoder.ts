// The engine's side of the sample worker (workers/sample_worker.ts): started on the first load, given the
// pool's memory, ended with the engine. A load is three messages: decode (the worker answers the bytes it
// needs), write (at the range the control thread reserved) and the worker's "written", after which the
// control thread publishes the sample (patch/samples.ts). A load that takes too long ends the worker (a
// decoder that never returns must not hold a load, or the name, for ever); the next load starts another.
import { ClientError } from "../core/errors.ts";
import type { SampleJob, SampleWorkerReply, SampleWorkerRequest } from "../core/sample_decode.ts";
import type { Range, WrittenSample } from "../core/sample_pool.ts";

const workerUrl = new URL("../workers/sample_worker.ts", import.meta.url);

/**
 * How long a load may take from when its file of `bytes` was read: a minute, and 2 s more per MB (100 MB of
 * WAV loaded in 3–7 s on this VM). Before the read, a minute.
 */
export function loadTimeoutMs(bytes: number): number {
  return 60_000 + (bytes / 1_000_000) * 2000;
}

interface Waiting {
  file: string;
  reserve: (bytes: number) => Range;
  resolve: (s: { sample: WrittenSample; hash: string }) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  arm: (limit: number) => void;
}

/** Decodes sample files in a worker at nice 19, which writes them into the pool. */
export class SampleDecoder {
  #memory: WebAssembly.Memory;
  #worker?: Worker;
  #next = 1;
  #waiting = new Map<number, Waiting>();
  #timeout: (bytes: number) => number;

  /** A decoder for the pool whose memory is `memory`; `timeout` gives a load's time limit from its file's size. */
  constructor(memory: WebAssembly.Memory, timeout: (bytes: number) => number = loadTimeoutMs) {
    this.#memory = memory;
    this.#timeout = timeout;
  }

  /**
   * Has the worker read, decode and hash `job`'s file and write it at the range `reserve` gives (reserve's
   * error refuses the load); ClientError when the file cannot be read, or when the load takes longer than its
   * limit.
   */
  load(job: SampleJob, reserve: (bytes: number) => Range): Promise<{ sample: WrittenSample; hash: string }> {
    const id = this.#next++;
    const w = this.#ensure();
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { file: job.file, reserve, resolve, reject, timer: undefined, arm: () => {} };
      waiting.arm = (limit) => {
        clearTimeout(waiting.timer);
        waiting.timer = setTimeout(() => {
          this.#restart(
            new ClientError(
              `"${job.file}" took longer than ${
                (limit / 1000).toFixed(0)
              } s to load (the sample decoder was ` +
                `stopped; another load in flight with it failed too)`,
            ),
          );
        }, limit);
      };
      waiting.arm(this.#timeout(0));
      this.#waiting.set(id, waiting);
      const req: SampleWorkerRequest = { type: "decode", id, ...job };
      w.postMessage(req);
    });
  }

  /** Ends the worker; loads in flight fail. */
  close(): void {
    this.#restart(new ClientError("the engine stopped"));
  }

  // Ends the worker (a new one starts at the next load) and fails every load in flight with `err`.
  #restart(err: Error): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.#waiting.clear();
  }

  #answer(r: SampleWorkerReply): void {
    const waiting = this.#waiting.get(r.id);
    if (!waiting || !this.#worker) return;
    const post = (m: SampleWorkerRequest) => this.#worker!.postMessage(m);
    const done = () => {
      this.#waiting.delete(r.id);
      clearTimeout(waiting.timer);
    };
    switch (r.type) {
      case "read":
        waiting.arm(this.#timeout(r.bytes));
        return;
      case "size": {
        let range: Range;
        try {
          range = waiting.reserve(r.bytes);
        } catch (e) {
          post({ type: "drop", id: r.id });
          done();
          waiting.reject(e as Error);
          return;
        }
        post({ type: "write", id: r.id, range });
        return;
      }
      case "written":
        done();
        waiting.resolve({ sample: r.sample, hash: r.hash });
        return;
      case "failed":
        done();
        waiting.reject(r.client ? new ClientError(r.message) : new Error(r.message));
    }
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(workerUrl, { type: "module" });
    w.onmessage = (e: MessageEvent<SampleWorkerReply>) => this.#answer(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.#restart(new Error(`the sample worker failed: ${e.message}`));
    };
    const pool: SampleWorkerRequest = { type: "pool", memory: this.#memory };
    w.postMessage(pool);
    this.#worker = w;
    return w;
  }
}
