// Creates and terminates DSP workers off the main thread: `new Worker()` blocks its caller for ~20 ms
// (measured here, whatever the module), which would delay the supervisor's failure detection.
// It keeps warm spares, parked on a shared-memory mailbox, so a replacement starts without that delay.
/// <reference lib="deno.worker" />
import * as L from "../asm/layout.ts";
import type { DspPark } from "../core/messages.ts";
import type { SpawnerReport, SpawnerRequest } from "../core/messages.ts";
import { controlView } from "../core/shared.ts";
import { threadNice } from "../ffi/thread_nice.ts";
import { SpareSupply } from "./spare_supply.ts";

const dspUrl = new URL("./dsp_worker.ts", import.meta.url);
const live = new Map<number, Worker>();
let parkMsg: DspPark | null = null;
let ctrl: Int32Array | null = null;
/** Spares not yet claimed, loading or loaded, by the spawner's number for them. */
const spares = new Map<number, Worker>();
let nextSpareId = 1;
let supply = new SpareSupply();
let refillTimer: ReturnType<typeof setTimeout> | undefined;

// How much lower a loading spare runs than the engine (nice steps). A spare inherits this thread's nice value,
// so the spawner lowers itself once; a claimed spare sets its creator's value back (workers/dsp_worker.ts).
const LOAD_NICE_STEP = 10;
const REFILL_DELAY_MS = 100;
// A spare created inside this worker evaluates its module ~0.5 s after `new Worker()` and gets its first message
// ~0.5 s after that (measured: 1.01–1.04 s in all, whatever the module or the threads' activity): loading is
// mostly waiting, so two load at once.
const LOADING_MAX = 2;

const nice = threadNice();

// The nice value spares load at, LOAD_NICE_STEP above the engine's, when the process may come back from it
// (a claimed spare must); undefined when spares load at the engine's priority.
function loadingNice(): number | undefined {
  if (!nice) return undefined;
  const was = nice.get();
  const low = Math.min(19, was + LOAD_NICE_STEP);
  return low > was && nice.mayLowerTo(was) ? low : undefined;
}

// Runs `f` at the engine's priority: a new thread inherits its creator's nice value.
function atEngineNice<T>(f: () => T): T {
  const runNice = parkMsg?.runNice;
  if (runNice === undefined || !nice) return f();
  const low = nice.get();
  nice.set(runNice);
  try {
    return f();
  } finally {
    nice.set(low);
  }
}

function makeSpare(): void {
  if (!parkMsg) return;
  const spareId = nextSpareId++;
  const w = new Worker(dspUrl, { type: "module" });
  spares.set(spareId, w);
  supply.created();
  w.onerror = (ev) => {
    ev.preventDefault();
    if (spares.delete(spareId)) supply.lost();
    self.postMessage(
      { type: "error", id: -1, message: `spare failed: ${ev.message}` } satisfies SpawnerReport,
    );
    refill();
  };
  w.postMessage({ ...parkMsg, spareId });
}

// Starts loading spares while the supply wants more (SpareSupply decides how many, how many at once, and when).
function refill(): void {
  if (!parkMsg || !ctrl) return;
  clearTimeout(refillTimer);
  refillTimer = undefined;
  const loaded = Atomics.load(ctrl, L.CTRL_SPARES_LOADED);
  for (;;) {
    const next = supply.next(performance.now(), loaded);
    if (next === "now") makeSpare();
    else {
      if (next !== "none") refillTimer = setTimeout(refill, next);
      return;
    }
  }
}

// Each spare counts itself into CTRL_SPARES_LOADED once loaded (before it parks): the next may then start.
async function watchLoaded(c: Int32Array): Promise<void> {
  for (;;) {
    const seen = Atomics.load(c, L.CTRL_SPARES_LOADED);
    refill();
    const w = Atomics.waitAsync(c, L.CTRL_SPARES_LOADED, seen);
    if (w.async) await w.value;
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
    // The first spares load now, at the engine's priority, before the output starts (the engine waits for
    // them): loading costs a burst of CPU, which on this VM brings hypervisor pauses, and it is better spent
    // before the first block plays. Later ones load at a lower priority, beside the audio.
    ctrl = controlView(req.park.sab);
    parkMsg = req.park;
    const engineNice = nice?.get() ?? 0;
    const low = loadingNice();
    // A spare loading at the engine's priority waits REFILL_DELAY_MS after a claim, so that the rebuild has
    // the CPU to itself; one that gives way to the audio threads may start at once.
    supply = new SpareSupply({
      loadingMax: LOADING_MAX,
      refillDelayMs: low === undefined ? REFILL_DELAY_MS : 0,
    });
    supply.start(performance.now());
    refill();
    if (low !== undefined && nice?.set(low)) parkMsg = { ...parkMsg, runNice: engineNice };
    watchLoaded(ctrl);
  } else if (req.type === "adopted") {
    // The supervisor claimed the parked spare through the mailbox: it is worker `id` now.
    const w = spares.get(req.spareId);
    spares.delete(req.spareId);
    if (w) adopt(req.id, w);
    supply.claimed(performance.now());
    refill();
  } else if (req.type === "start") {
    const w = atEngineNice(() => new Worker(dspUrl, { type: "module" })); // not a spare
    adopt(req.id, w);
    w.postMessage(req.start);
  } else if (req.type === "terminate") {
    live.get(req.id)?.terminate();
    live.delete(req.id);
  } else if (req.type === "shutdown") {
    clearTimeout(refillTimer);
    parkMsg = null;
    for (const w of live.values()) w.terminate();
    live.clear();
    for (const w of spares.values()) w.terminate();
    spares.clear();
    self.postMessage({ type: "shutdown-done" } satisfies SpawnerReport);
    self.close();
  }
};
