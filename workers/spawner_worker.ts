// Creates and terminates DSP workers off the main thread: `new Worker()` blocks its caller for ~20 ms
// (measured here, whatever the module), which would delay the supervisor's failure detection.
// It keeps warm spares, parked on a shared-memory mailbox, so a replacement starts without that delay.
/// <reference lib="deno.worker" />
import type { DspPark } from "../core/messages.ts";
import type { SpawnerReport, SpawnerRequest } from "../core/messages.ts";

const dspUrl = new URL("./dsp_worker.ts", import.meta.url);
const live = new Map<number, Worker>();
let parkMsg: DspPark | null = null;
// Spares by number: one is parked in the shared mailbox, the other waits for it. Two, because a new spare
// takes ~0.5 s to park (its first message arrives late) and faults may come in pairs.
const SPARES = 2;
const REFILL_DELAY_MS = 300;
const spares = new Map<number, Worker>();
let nextSpareId = 1;

function makeSpare(): void {
  if (!parkMsg) return;
  const w = new Worker(dspUrl, { type: "module" });
  const spareId = nextSpareId++;
  spares.set(spareId, w);
  w.onerror = (ev) => {
    ev.preventDefault();
    spares.delete(spareId);
    self.postMessage(
      { type: "error", id: -1, message: `spare failed: ${ev.message}` } satisfies SpawnerReport,
    );
  };
  // While audio plays, the next spare loads only once this one is ready: two loading at once starve the
  // audio threads on two cores.
  w.onmessage = () => refill();
  w.postMessage({ ...parkMsg, spareId });
}

let loading = 0;

function refill(): void {
  loading = Math.max(0, loading - 1);
  if (parkMsg && spares.size < SPARES && loading === 0) {
    loading++;
    makeSpare();
  }
}

function adopt(id: number, w: Worker): void {
  w.onerror = (ev) => {
    ev.preventDefault(); // uncaught errors of a DSP worker must not end the process
    self.postMessage({ type: "error", id, message: ev.message } satisfies SpawnerReport);
  };
  live.set(id, w);
}

self.onmessage = (e: MessageEvent<SpawnerRequest>) => {
  const req = e.data;
  if (req.type === "init") {
    // Both spares load now, before the output starts (the engine waits for them): loading costs a burst of
    // CPU, which on this VM brings hypervisor pauses, and it is better spent before the first block plays.
    parkMsg = req.park;
    makeSpare();
    makeSpare();
    loading = 2;
  } else if (req.type === "adopted") {
    // The supervisor claimed the parked spare through the mailbox: it is worker `id` now.
    const w = spares.get(req.spareId);
    spares.delete(req.spareId);
    if (w) adopt(req.id, w);
    if (loading === 0) {
      // Load the next spare once the failover has settled: creating a worker costs tens of milliseconds of
      // CPU, which on two cores competes with the audio threads right when they catch up.
      loading = 1;
      setTimeout(makeSpare, REFILL_DELAY_MS);
    }
  } else if (req.type === "start") {
    const w = new Worker(dspUrl, { type: "module" });
    adopt(req.id, w);
    w.postMessage(req.start);
  } else if (req.type === "terminate") {
    live.get(req.id)?.terminate();
    live.delete(req.id);
  } else if (req.type === "shutdown") {
    for (const w of live.values()) w.terminate();
    live.clear();
    for (const w of spares.values()) w.terminate();
    spares.clear();
    self.postMessage({ type: "shutdown-done" } satisfies SpawnerReport);
    self.close();
  }
};
