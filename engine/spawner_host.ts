// DSP worker creation. `new Worker()` blocks its caller ~20 ms (measured here, whatever the module), so
// replacements never create one on the main thread: a spawner worker keeps one spare loaded, instantiated
// and parked on a shared-memory mailbox, and the supervisor claims it with one compare-exchange.
// The two initial workers (and a fallback when no spare is parked) are created here directly.
import * as L from "../asm/layout.ts";
import type { SpawnerReport, SpawnerRequest } from "../core/messages.ts";
import type { DspPark, DspStart } from "../core/messages.ts";
import type { WorkerHost } from "./worker_host.ts";
import { controlView, handoffView } from "../core/shared.ts";

const dspUrl = new URL("../workers/dsp_worker.ts", import.meta.url);

/** Starts DSP workers: a parked spare when one is ready, else a new Worker. */
export class SpawnerHost implements WorkerHost {
  /** Called with a worker's id and message when it reports an error (id −1: the spawner itself failed). */
  onError: ((id: number, message: string) => void) | null = null;
  #spawner: Worker;
  #direct = new Map<number, Worker>();
  #ctrl: Int32Array;
  #handoff: Uint8Array;
  #closed: Promise<void>;
  #resolveClosed!: () => void;

  /** Starts the spawner worker, which loads spares from `park` at once (two: one parked, one waiting). */
  constructor(park: DspPark) {
    this.#ctrl = controlView(park.sab);
    this.#handoff = handoffView(park.sab);
    this.#spawner = new Worker(new URL("../workers/spawner_worker.ts", import.meta.url), { type: "module" });
    this.#closed = new Promise((r) => (this.#resolveClosed = r));
    this.#spawner.onmessage = (e: MessageEvent<SpawnerReport>) => {
      if (e.data.type === "error") this.onError?.(e.data.id, e.data.message);
      else if (e.data.type === "shutdown-done") this.#resolveClosed();
    };
    this.#spawner.onerror = (e) => {
      e.preventDefault();
      this.onError?.(-1, `spawner failed: ${e.message}`);
    };
    this.#send({ type: "init", park });
  }

  /** True when a spare is parked and can be claimed at once. */
  get spareReady(): boolean {
    return Atomics.load(this.#ctrl, L.CTRL_SPARE_STATE) === L.SPARE_PARKED;
  }

  /**
   * Starts worker `id`: claims the parked spare if there is one (true), else creates a Worker (~20 ms). The
   * snapshot is copied (into the handoff area, or into the message), so it may be a view of shared memory.
   */
  start(id: number, msg: DspStart): boolean {
    if (!msg.replay && this.#claimSpare(id, msg)) return true;
    const w = new Worker(dspUrl, { type: "module" });
    w.onerror = (ev) => {
      ev.preventDefault(); // an uncaught error in a DSP worker must not end the process
      this.onError?.(id, ev.message);
    };
    this.#direct.set(id, w);
    w.postMessage({ ...msg, snapshot: msg.snapshot?.slice() }); // a view of a SharedArrayBuffer would be shared
    return false;
  }

  #claimSpare(id: number, msg: DspStart): boolean {
    const c = this.#ctrl;
    if (Atomics.load(c, L.CTRL_SPARE_STATE) !== L.SPARE_PARKED) return false;
    // Read the id while the mailbox says PARKED: once claimed, the next spare may park and overwrite it.
    const spareId = Atomics.load(c, L.CTRL_SPARE_ID);
    Atomics.store(c, L.CTRL_SPARE_SLOT, msg.slot);
    Atomics.store(c, L.CTRL_SPARE_EPOCH, msg.epoch);
    Atomics.store(c, L.CTRL_SPARE_START, msg.startBlock);
    const bytes = msg.snapshot?.length ?? 0;
    if (msg.snapshot) this.#handoff.set(msg.snapshot);
    Atomics.store(c, L.CTRL_SPARE_SNAP_BYTES, bytes);
    if (Atomics.compareExchange(c, L.CTRL_SPARE_STATE, L.SPARE_PARKED, L.SPARE_CLAIMED) !== L.SPARE_PARKED) {
      return false;
    }
    Atomics.notify(c, L.CTRL_SPARE_STATE);
    this.#send({ type: "adopted", id, spareId });
    return true;
  }

  /** Terminates worker `id` (a worker hung in synchronous code keeps running: docs/design.md §4b). */
  terminate(id: number): void {
    const w = this.#direct.get(id);
    if (w) {
      w.terminate();
      this.#direct.delete(id);
    } else this.#send({ type: "terminate", id });
  }

  /** Terminates every worker and the spawner. */
  async shutdown(): Promise<void> {
    for (const w of this.#direct.values()) w.terminate();
    this.#direct.clear();
    this.#send({ type: "shutdown" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, 2000)));
    await Promise.race([this.#closed, timeout]);
    clearTimeout(timer);
    this.#spawner.terminate();
  }

  #send(req: SpawnerRequest): void {
    this.#spawner.postMessage(req);
  }
}
