// A DSP worker: renders blocks of the lockstep WASM into its slot's audio ring, fed by its command ring.
// Between blocks it waits with Atomics.waitAsync, never in a synchronous loop, so terminate() can stop it.
// The per-block path reads and writes preallocated shared memory only.
/// <reference lib="deno.worker" />
import * as L from "../asm/layout.ts";
import { CommandRingReader, ringDoorbell } from "../core/command_ring.ts";
import { DspHost, warmUp } from "../core/dsp_host.ts";
import { MODULES } from "../patch/schema.ts";
import { audioOffset, controlView, foldPeaks, handoffView, slotViews, snapshotView } from "../core/shared.ts";
import { threadId } from "../ffi/thread.ts";
import { raiseFromControl } from "../core/realtime.ts";
import { threadNice } from "../ffi/thread_nice.ts";
import type { DspPark, DspStart } from "../core/messages.ts";

const now = () => performance.timeOrigin + performance.now();
const YIELD_EVERY = 64; // consecutive blocks (catch-up) between macrotask yields, so terminate() can land

// A macrotask yield without timer clamping (setTimeout(0) made catch-up 10× slower here).
const yieldChannel = new MessageChannel();
let yieldResolve: (() => void) | null = null;
yieldChannel.port1.onmessage = () => yieldResolve?.();
function yieldTask(): Promise<void> {
  return new Promise((r) => {
    yieldResolve = r;
    yieldChannel.port2.postMessage(0);
  });
}

/** This thread's Linux id, for the supervisor's hang check (did a long render run, or wait for a CPU?). */
const tid = threadId();

self.onmessage = (e: MessageEvent<DspStart | DspPark>) => {
  self.onmessage = null;
  const msg = e.data;
  warmUp(msg.module, msg.settings, MODULES.length);
  if ("type" in msg && msg.type === "park") park(msg);
  else run(msg as DspStart, new DspHost((msg as DspStart).module, (msg as DspStart).settings));
};

// Parked spares are claimed through shared memory, not a message: the first message to a worker created
// inside another worker arrives ~500 ms late here (measured), far beyond a rebuild's budget.
async function park(msg: DspPark): Promise<void> {
  const ctrl = controlView(msg.sab);
  const host = new DspHost(msg.module, msg.settings);
  // It loaded at the spawner's lowered priority; opened now, so that the claim costs one system call.
  const nice = msg.runNice === undefined ? null : threadNice();
  Atomics.add(ctrl, L.CTRL_SPARES_LOADED, 1);
  Atomics.notify(ctrl, L.CTRL_SPARES_LOADED);
  const keepAlive = setInterval(() => {}, 1 << 30);
  for (;;) {
    const seen = Atomics.compareExchange(ctrl, L.CTRL_SPARE_STATE, L.SPARE_NONE, L.SPARE_STARTING_PARK);
    if (seen === L.SPARE_NONE) {
      Atomics.store(ctrl, L.CTRL_SPARE_ID, msg.spareId);
      Atomics.store(ctrl, L.CTRL_SPARE_STATE, L.SPARE_PARKED);
      self.postMessage({ type: "parked", spareId: msg.spareId });
      break;
    }
    const w = Atomics.waitAsync(ctrl, L.CTRL_SPARE_STATE, seen); // another spare holds the mailbox
    if (w.async) await w.value;
  }
  for (;;) {
    const w = Atomics.waitAsync(ctrl, L.CTRL_SPARE_STATE, L.SPARE_PARKED);
    if (w.async) await w.value;
    if (Atomics.load(ctrl, L.CTRL_SPARE_STATE) === L.SPARE_CLAIMED) break;
  }
  if (nice) {
    // A standby renders at the engine's priority, like the worker it replaces; the spawner lowered it only
    // after checking that this is allowed, so a refusal is a surprise worth a line.
    if (!nice.set(msg.runNice!)) console.error(`[chronus] a claimed spare stays at nice ${nice.get()}`);
    nice.close();
  }
  const slot = Atomics.load(ctrl, L.CTRL_SPARE_SLOT);
  const epoch = Atomics.load(ctrl, L.CTRL_SPARE_EPOCH);
  const startBlock = Atomics.load(ctrl, L.CTRL_SPARE_START);
  const bytes = Atomics.load(ctrl, L.CTRL_SPARE_SNAP_BYTES);
  if (bytes > 0) host.restore(handoffView(msg.sab).subarray(0, bytes));
  Atomics.store(ctrl, L.CTRL_SPARE_STATE, L.SPARE_NONE); // mailbox and handoff area free again
  Atomics.notify(ctrl, L.CTRL_SPARE_STATE);
  clearInterval(keepAlive);
  run({ sab: msg.sab, module: msg.module, slot, epoch, startBlock, settings: msg.settings }, host);
}

async function run(msg: DspStart, host: DspHost): Promise<void> {
  const { sab, slot, epoch, settings } = msg;
  const ctrl = controlView(sab);
  const v = slotViews(sab, slot);
  const {
    hdr,
    hdrF64,
    tags,
    hashes,
    audio,
    peaks,
    probeTags,
    probeIds,
    probe,
    gainTags,
    gains,
    readHdr,
    readValues,
  } = v;
  const commands = new CommandRingReader(v);
  const headers = Array.from({ length: L.MAX_SLOTS }, (_, s) => slotViews(sab, s).hdr);
  if (msg.snapshot) host.restore(msg.snapshot);
  const B = settings.block;
  const snapArea = snapshotView(sab);
  const keepAlive = setInterval(() => {}, 1 << 30); // waitAsync alone does not keep the event loop alive
  const replay = msg.replay;
  let replayNext = 0;
  let peakWindow = -1; // the meter window the slot's peaks belong to (none yet: the first block starts one)
  let n = msg.startBlock;
  // Raised here, not while parked: a spare waiting in the mailbox is no audio thread (docs/realtime.md).
  Atomics.store(hdr, L.H_RT, raiseFromControl(ctrl, "dsp"));
  Atomics.store(hdr, L.H_TID, tid);
  Atomics.store(hdr, L.H_DONE, n);
  Atomics.store(hdr, L.H_STATE, L.W_IDLE);

  const fenced = () => Atomics.load(hdr, L.H_EPOCH) !== epoch;

  function signal(): void {
    Atomics.add(ctrl, L.CTRL_PROGRESS, 1);
    Atomics.notify(ctrl, L.CTRL_PROGRESS);
  }

  function fail(code: number, block: number): void {
    if (hdrF64[L.HF_FAULT_AT] === 0) hdrF64[L.HF_FAULT_AT] = now();
    Atomics.store(hdr, L.H_ERROR, code);
    Atomics.store(hdr, L.H_ERROR_BLOCK, block);
    Atomics.store(hdr, L.H_STATE, L.W_FAULT);
    signal();
    const other = Atomics.load(ctrl, L.CTRL_OTHER);
    if (other >= 0 && other !== slot) ringDoorbell(headers[other]); // the standby may take over (see gateOf)
  }

  // A standby renders up to its gate. When the primary has declared a fault (trap, throw, NaN), or the output
  // covered a block it was late with, and the gate has reached that block, the standby holds every accepted
  // command and none of that block's: it is the primary's successor, so it renders on without waiting for
  // the supervisor.
  function gateOf(): number {
    const gate = Atomics.load(hdr, L.H_GATE);
    const sel = Atomics.load(ctrl, L.CTRL_SELECTOR);
    if (sel < 0 || sel === slot) return gate;
    const ph = headers[sel];
    if (Atomics.load(ph, L.H_STATE) === L.W_FAULT && gate >= Atomics.load(ph, L.H_DONE)) return 0x7fffffff;
    // The output took block ~commit away from a late primary (core/merge.ts coverLate): the same succession.
    const commit = Atomics.load(ph, L.H_COMMIT);
    if (commit < 0 && gate >= ~commit) return 0x7fffffff;
    return gate;
  }

  // Queues this block's commands: the command ring (a command stamped before this block applies at its start,
  // and the ring writes that frame back for the supervisor), then, in a rebuild from scratch, the replayed history.
  function drain(block: number): void {
    if (!commands.drain(host, block * B)) throw new QueueFull();
    if (replay) {
      const end = (block + 1) * B;
      for (; replayNext < replay.length && replay[replayNext].frame < end; replayNext++) {
        host.push(replay[replayNext]);
      }
    }
  }

  // Returns the injected fault for this block and role, claiming it so that it fires once. A fenced worker (the
  // supervisor failed it: fenced()) claims none: it is no longer the primary or the standby, even
  // while the selector, moved a moment later, still names its slot, and a fault meant for its successor would
  // otherwise be spent where no one counts it.
  function injected(block: number): number {
    if (fenced()) return L.FAULT_NONE;
    const role = Atomics.load(ctrl, L.CTRL_SELECTOR) === slot ? L.ROLE_PRIMARY : L.ROLE_STANDBY;
    for (let i = 0; i < L.INJECT_MAX; i++) {
      const w = L.INJECT_BASE + i * L.INJECT_WORDS;
      const kind = Atomics.load(ctrl, w + 2);
      if (kind === L.FAULT_NONE) break;
      if (ctrl[w] !== block || ctrl[w + 1] !== role) continue;
      if (Atomics.compareExchange(ctrl, w + 3, 0, 1) === 0) return kind;
    }
    return L.FAULT_NONE;
  }

  // The state grows as modules are created (the arena), so it is measured at each snapshot; the view over it is
  // made again only when that size changed (a patch change), not at every snapshot.
  let state = host.bytes.subarray(0, host.usedBytes());
  function takeSnapshot(block: number): void {
    const used = host.usedBytes();
    if (used !== state.length) state = host.bytes.subarray(0, used);
    snapArea.set(state);
    Atomics.store(hdr, L.H_SNAP_BLOCK, block);
    Atomics.store(hdr, L.H_SNAP_READ, commands.read);
    Atomics.store(hdr, L.H_SNAP_BYTES, used);
    Atomics.store(hdr, L.H_SNAP_REQ, L.SNAP_READY);
    signal();
  }

  function renderBlock(block: number): boolean {
    // The start time is written before the state word, so a reader that sees RENDERING sees this start.
    const t0 = now();
    hdrF64[L.HF_RENDER_START] = t0;
    Atomics.store(hdr, L.H_CLAIMED, block);
    Atomics.store(hdr, L.H_STATE, L.W_RENDERING);
    drain(block);
    const fault = injected(block);
    if (fault !== L.FAULT_NONE) hdrF64[L.HF_FAULT_AT] = now();
    if (fault === L.FAULT_THROW) throw new Error(`injected throw at block ${block}`);
    if (fault === L.FAULT_EXIT) {
      // Dies without a word to the supervisor: only the heartbeat tells. The state word says it is not
      // inside a render any more, so its slot can be reused.
      Atomics.store(hdr, L.H_STATE, L.W_STOPPED);
      self.close();
      return false;
    }
    if (host.render(block, fault) !== 0) {
      fail(L.ERR_NONFINITE, block);
      return false;
    }
    if (fenced()) return false; // taken out of the output path while rendering: publish nothing
    // Commit before publishing anything of the block; the output may have covered it meanwhile (late).
    if (Atomics.compareExchange(hdr, L.H_COMMIT, block, block + 1) !== block) return false;
    const k = block & (L.RING_BLOCKS - 1);
    Atomics.store(tags, k, -1); // readers that re-check the tag never pair old samples with a new hash
    audio.set(host.out, audioOffset(k));
    hashes[k] = host.hash();
    peakWindow = foldPeaks(ctrl, peakWindow, host.peaks, peaks); // meters: ~1 µs, no allocation
    hdrF64[L.HF_SEQ_BEAT] = host.seqBeat(); // for status displays (two WASM reads, no allocation)
    hdrF64[L.HF_SEQ_BPM] = host.seqTempo();
    hdrF64[L.HF_CREATE_FAILED] = host.createFailures(); // the engine reports a change: never silent
    publishProbe(block);
    publishReads(block);
    Atomics.store(tags, k, block);
    const t1 = now();
    hdrF64[L.HF_RENDER_MS] = t1 - t0; // includes the drain: the control work this block cost
    hdrF64[L.HF_RENDER_MS_SUM] += t1 - t0;
    Atomics.add(hdr, L.H_RENDER_COUNT, 1);
    Atomics.store(hdr, L.H_DONE, block + 1);
    Atomics.store(hdr, L.H_STATE, L.W_IDLE);
    signal();
    return true;
  }

  // The listener's probe and limiter gain (asm/layout.ts): one block copied, two words, no allocation.
  function publishProbe(block: number): void {
    const g = block & (L.GAIN_BLOCKS - 1);
    Atomics.store(gainTags, g, -1);
    gains[g] = host.limiterGain();
    Atomics.store(gainTags, g, block);
    const id = host.probedModule();
    const p = block & (L.PROBE_BLOCKS - 1);
    if (id === 0 && probeIds[p] === 0) { // nothing probed: the ring stays as it is (a tag says which block)
      Atomics.store(probeTags, p, block);
      return;
    }
    Atomics.store(probeTags, p, -1);
    probeIds[p] = id;
    if (id !== 0) probe.set(host.probe, p * L.MAX_BLOCK * L.CHANNELS);
    Atomics.store(probeTags, p, block);
  }

  // The block's reads (OP_READ) into the slot's read-back area (asm/layout.ts): a few hundred f64 copied in
  // a loop, no allocation. The tag is stored last, so a reader that sees its request id sees the whole entry.
  function publishReads(block: number): void {
    const count = host.readCount();
    for (let k = 0; k < count; k++) {
      const request = host.reads[k * 4], entry = host.reads[k * 4 + 1], params = host.reads[k * 4 + 3];
      const h = entry * L.READ_HDR_WORDS;
      Atomics.store(readHdr, h + L.RH_TAG, -1);
      readHdr[h + L.RH_MODULE] = host.reads[k * 4 + 2];
      readHdr[h + L.RH_COUNT] = params;
      readHdr[h + L.RH_BLOCK] = block;
      const from = k * L.READ_PARAMS * L.READ_VALUES, to = entry * L.READ_PARAMS * L.READ_VALUES;
      for (let i = 0; i < params * L.READ_VALUES; i++) readValues[to + i] = host.readout[from + i];
      Atomics.store(readHdr, h + L.RH_TAG, request);
    }
  }

  let burst = 0;
  try {
    while (!fenced()) {
      if (Atomics.load(hdr, L.H_SNAP_REQ) === L.SNAP_REQUESTED) takeSnapshot(n);
      const bell = commands.doorbell();
      const limit = Math.min(
        Atomics.load(ctrl, L.CTRL_OUT_BLOCK) + Atomics.load(ctrl, L.CTRL_LEAD),
        gateOf(),
      );
      if (n < limit) {
        if (!renderBlock(n)) break;
        n++;
        if (++burst >= YIELD_EVERY) {
          burst = 0;
          await yieldTask();
        }
        continue;
      }
      burst = 0;
      const w = commands.waitDoorbell(bell);
      if (w.async) await w.value;
    }
  } catch (e) {
    fail(
      e instanceof QueueFull
        ? L.ERR_QUEUE_FULL
        : e instanceof WebAssembly.RuntimeError
        ? L.ERR_TRAP
        : L.ERR_THROW,
      n,
    );
    clearInterval(keepAlive);
    throw e; // reaches the supervisor's error event as well
  }
  clearInterval(keepAlive);
  yieldChannel.port1.close();
  if (Atomics.load(hdr, L.H_STATE) !== L.W_FAULT) Atomics.store(hdr, L.H_STATE, L.W_STOPPED);
}

class QueueFull extends Error {
  constructor() {
    super("Cannot queue the command: the DSP event queue is full");
  }
}
