// The supervisor's protocol, tested by playing the DSP workers' part in shared memory ourselves: we capture
// the records it writes, answer as a worker would, and drive its deadlines with an injected clock.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { command } from "../core/command.ts";
import { recordFrame, writeRecordFrame } from "../core/command_record.ts";
import { createShared, slotViews } from "../core/shared.ts";
import { type EngineEvent, Supervisor, type SupervisorOptions } from "../engine/supervisor.ts";
import type { WorkerHost } from "../engine/worker_host.ts";
import type { DspStart } from "../core/messages.ts";
import { dspModule } from "./helpers.ts";

const B = 128;
const INT_MAX = 0x7fffffff;

class FakeHost implements WorkerHost {
  onError: ((id: number, message: string) => void) | null = null;
  starts: { id: number; msg: DspStart }[] = [];
  terminated: number[] = [];
  start(id: number, msg: DspStart): boolean {
    this.starts.push({ id, msg });
    return true;
  }
  terminate(id: number): void {
    this.terminated.push(id);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function setup(extra: Partial<Pick<SupervisorOptions, "restartLimit" | "threadRunNs">> = {}) {
  const sab = createShared(4);
  const host = new FakeHost();
  let t = 1_000_000;
  const accepted: number[] = [];
  const events: EngineEvent[] = [];
  const sup = new Supervisor({
    sab,
    module: await dspModule(),
    sampleRate: 48000,
    block: B,
    seed: 1,
    lead: 4,
    workers: host,
    now: () => t,
    onAccept: (c) => accepted.push(c.frame),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  sup.start();
  const clock = {
    advance: (ms: number) => (t += ms),
    get now() {
      return t;
    },
  };
  return { sab, host, sup, clock, accepted, events, ctrl: sup.ctrl };
}

/** Plays a worker: boot, drain (with the primary's write-back), render and publish blocks. */
function worker(sab: SharedArrayBuffer, slot: number) {
  const v = slotViews(sab, slot);
  return {
    v,
    boot() {
      Atomics.store(v.hdr, L.H_STATE, L.W_IDLE);
    },
    drain(block: number) {
      const r = v.hdr[L.H_CMD_READ], w = v.hdr[L.H_CMD_WRITE];
      for (let i = r; i < w; i++) {
        const idx = i & (L.CMD_CAP - 1);
        writeRecordFrame(v.cmdI32, idx, Math.max(recordFrame(v.cmdI32, idx), block * B));
      }
      Atomics.store(v.hdr, L.H_CMD_READ, w);
    },
    publish(block: number, hash = 1) {
      const k = block & (L.RING_BLOCKS - 1);
      v.hashes[k] = hash;
      Atomics.store(v.tags, k, block);
      Atomics.store(v.hdr, L.H_DONE, block + 1);
      Atomics.add(v.hdr, L.H_RENDER_COUNT, 1);
    },
    /** Records in this slot's ring as [seq, frame, op]. */
    records() {
      const out: number[][] = [];
      for (let i = 0; i < v.hdr[L.H_CMD_WRITE]; i++) {
        const w = (i & (L.CMD_CAP - 1)) * L.CMD_WORDS;
        out.push([v.cmdI32[w + L.C_SEQ], recordFrame(v.cmdI32, i & (L.CMD_CAP - 1)), v.cmdI32[w + L.C_OP]]);
      }
      return out;
    },
  };
}

/** Boots primary (slot 0) and standby (slot 1), both having published blocks 0 … n-1. */
function bootPair(sab: SharedArrayBuffer, n: number) {
  const pair = [worker(sab, 0), worker(sab, 1)];
  for (const w of pair) {
    w.boot();
    for (let b = 0; b < n; b++) w.publish(b);
  }
  return pair;
}

// A parameter change of module 1: the supervisor routes commands without looking inside them.
const setFreq = (hz: number) => command({ op: L.OP_SET_PARAM, target: 1, param: 0, f0: hz });

Deno.test("a command reaches the standby only after the primary published its block, at the effective frame", async () => {
  const { sab, sup, ctrl, accepted } = await setup();
  const p = worker(sab, 0), s = worker(sab, 1);
  p.boot();
  s.boot();
  for (let n = 0; n < 5; n++) p.publish(n);
  Atomics.store(ctrl, L.CTRL_OUT_BLOCK, 1);
  sup.send(setFreq(330)); // as soon as possible: stamped no earlier than the block the output plays next
  assert.deepEqual(p.records(), [[1, 1 * B, L.OP_SET_PARAM]]);
  sup.tick();
  assert.deepEqual(s.records(), [], "nothing reaches the standby before the primary has rendered it");
  assert.equal(s.v.hdr[L.H_GATE], 5, "the standby may render what the primary published");
  p.drain(5); // the primary takes it into block 5: effective frame 640
  sup.tick();
  assert.deepEqual(s.records(), [], "drained is not enough: the block must pass the checks");
  assert.equal(s.v.hdr[L.H_GATE], 5);
  p.publish(5);
  sup.tick();
  assert.deepEqual(s.records(), [[1, 5 * B, L.OP_SET_PARAM]]);
  assert.equal(s.v.hdr[L.H_GATE], 6);
  assert.deepEqual(accepted, [5 * B]);
  assert.equal(p.v.hdr[L.H_GATE], INT_MAX);
});

Deno.test("a fault in block n quarantines that block's commands, promotes the standby and asks it for a snapshot", async () => {
  const { sab, sup, ctrl, host, events } = await setup();
  const [p, s] = bootPair(sab, 5);
  Atomics.store(ctrl, L.CTRL_OUT_BLOCK, 2);
  sup.tick();
  let rejected = "";
  sup.send(setFreq(330), 0, { rejected: (m) => (rejected = m) });
  sup.send(setFreq(440), 100 * B);
  p.drain(5);
  // The primary traps inside block 5.
  Atomics.store(p.v.hdr, L.H_ERROR, L.ERR_TRAP);
  Atomics.store(p.v.hdr, L.H_ERROR_BLOCK, 5);
  Atomics.store(p.v.hdr, L.H_STATE, L.W_FAULT);
  sup.tick();
  assert.equal(Atomics.load(ctrl, L.CTRL_SELECTOR), 1, "the output reads the standby's ring");
  assert.equal(Atomics.load(ctrl, L.CTRL_OTHER), -1);
  assert.equal(s.v.hdr[L.H_GATE], INT_MAX, "the new primary is ungated");
  assert.match(rejected, /quarantined.*trap.*block 5/);
  assert.deepEqual(s.records(), [[2, 100 * B, L.OP_SET_PARAM]], "only the later command is carried over");
  assert.equal(sup.metrics.failures.trap, 1);
  assert.equal(sup.metrics.quarantined, 1);
  assert.deepEqual(host.terminated, [host.starts[0].id]);
  assert.ok(p.v.hdr[L.H_EPOCH] !== host.starts[0].msg.epoch, "the failed worker is fenced out of its slot");
  assert.ok(events.some((e) => e.type === "failover"));
  assert.equal(s.v.hdr[L.H_SNAP_REQ], L.SNAP_REQUESTED);
  // The new primary answers with a snapshot at block 6: a replacement starts from it, gated at block 6.
  s.publish(5);
  const snapLen = 64;
  Atomics.store(s.v.hdr, L.H_SNAP_BLOCK, 6);
  Atomics.store(s.v.hdr, L.H_SNAP_BYTES, snapLen);
  Atomics.store(s.v.hdr, L.H_SNAP_REQ, L.SNAP_READY);
  sup.tick();
  const last = host.starts[host.starts.length - 1];
  assert.equal(last.msg.startBlock, 6);
  assert.equal(last.msg.snapshot?.length, snapLen);
  assert.equal(last.msg.slot, 2);
  assert.equal(Atomics.load(ctrl, L.CTRL_OTHER), 2);
});

Deno.test("hang deadline: time inside one render, driven by an injected clock", async () => {
  const { sab, sup, ctrl, clock } = await setup();
  const [p] = bootPair(sab, 4);
  sup.tick();
  // Before the output runs, a long first render is no hang (the initial patch, fresh memory): 250 ms is.
  p.v.hdrF64[L.HF_RENDER_START] = clock.now;
  Atomics.store(p.v.hdr, L.H_STATE, L.W_RENDERING);
  clock.advance(200);
  sup.tick();
  assert.equal(sup.metrics.failovers, 0, "nothing plays yet: 200 ms of first render is tolerated");
  Atomics.store(p.v.hdr, L.H_STATE, L.W_IDLE);
  Atomics.store(ctrl, L.CTRL_OUT_STATE, L.OUT_RUNNING);
  Atomics.store(ctrl, L.CTRL_OUT_BLOCK, 1);
  sup.tick();
  p.v.hdrF64[L.HF_RENDER_START] = clock.now;
  Atomics.store(p.v.hdr, L.H_STATE, L.W_RENDERING);
  const hangMs = 2 * (B / 48000) * 1000; // two blocks
  clock.advance(hangMs - 0.1);
  sup.tick();
  assert.equal(sup.metrics.failovers, 0, "not yet");
  clock.advance(0.2);
  sup.tick();
  assert.equal(sup.metrics.failures.hang, 1);
  assert.equal(Atomics.load(ctrl, L.CTRL_SELECTOR), 1);
  assert.ok(sup.metrics.detectionMs[0] >= hangMs && sup.metrics.detectionMs[0] < hangMs + 1);
});

/** A primary (thread id 4242, CPU clock `runNs`) that starts a render while the output runs. */
async function renderingPrimary(runNs: () => number) {
  const { sab, sup, ctrl, clock } = await setup({ threadRunNs: runNs });
  const [p] = bootPair(sab, 4);
  Atomics.store(ctrl, L.CTRL_OUT_STATE, L.OUT_RUNNING);
  Atomics.store(ctrl, L.CTRL_OUT_BLOCK, 1);
  sup.tick();
  Atomics.store(p.v.hdr, L.H_TID, 4242);
  p.v.hdrF64[L.HF_RENDER_START] = clock.now;
  Atomics.store(p.v.hdr, L.H_STATE, L.W_RENDERING);
  return { sup, clock, p };
}

Deno.test("hang deadline: a render past it whose thread waited for a CPU is preempted, not hung", async () => {
  let runNs = 0;
  const { sup, clock, p } = await renderingPrimary(() => runNs);
  const hangMs = 2 * (B / 48000) * 1000;
  // Ticks every half millisecond for 15 ms: the thread never runs (it waits for a CPU).
  for (let t = 0; t < 15; t += 0.5) {
    clock.advance(0.5);
    sup.tick();
  }
  assert.equal(sup.metrics.failovers, 0, "a preempted render is not a hang");
  // It runs again but does not finish: it spins, so it is hung.
  for (let t = 0; t < 2 && sup.metrics.failovers === 0; t += 0.5) {
    clock.advance(0.5);
    runNs += 0.5e6;
    sup.tick();
  }
  assert.equal(sup.metrics.failures.hang, 1);
  assert.ok(clock.now - p.v.hdrF64[L.HF_RENDER_START] > hangMs);
});

Deno.test("hang deadline: without a measured window (the first look comes after the deadline), wall time decides", async () => {
  const { sup, clock } = await renderingPrimary(() => 0);
  clock.advance(6);
  sup.tick();
  assert.equal(sup.metrics.failures.hang, 1, "no evidence of preemption: a hang, as before");
});

Deno.test("a worker that stopped by itself is an exit; one that never starts fails after 5 s", async () => {
  const { sab, sup, clock } = await setup();
  const p = worker(sab, 0);
  p.boot();
  for (let n = 0; n < 4; n++) p.publish(n); // a full lead: it may not render more, so it is not stalled
  clock.advance(4999);
  sup.tick();
  assert.equal(sup.metrics.failuresByRole.standby, 0, "the standby may take its time to start");
  clock.advance(2);
  sup.tick();
  assert.equal(sup.metrics.failures.stall, 1, "the standby never started");
  Atomics.store(p.v.hdr, L.H_STATE, L.W_STOPPED);
  sup.tick();
  assert.equal(sup.metrics.failures.exit, 1);
});

Deno.test("divergence: different hashes for the same block are counted and reported", async () => {
  const { sab, sup, events } = await setup();
  const p = worker(sab, 0), s = worker(sab, 1);
  p.boot();
  s.boot();
  p.publish(0, 111);
  s.publish(0, 111);
  p.publish(1, 222);
  s.publish(1, 333);
  sup.tick();
  assert.equal(sup.metrics.blocksCompared, 2);
  assert.equal(sup.metrics.divergences, 1);
  assert.ok(events.some((e) => e.type === "divergence" && e.message.includes("block 1")));
});

Deno.test("restart intensity: the fifth failure in 10 s backs off instead of rebuilding at once", async () => {
  const { sab, sup, clock, events } = await setup({ restartLimit: 5 });
  const p = worker(sab, 0);
  p.boot();
  for (let n = 0; n < 4; n++) p.publish(n);
  while ((sup.metrics.failures.throw ?? 0) < 5) {
    // The standby of the moment fails; answer the primary's snapshot request; a new standby starts.
    const other = Atomics.load(sup.ctrl, L.CTRL_OTHER);
    if (other >= 0) {
      const s = worker(sab, other);
      Atomics.store(s.v.hdr, L.H_ERROR, L.ERR_THROW);
      Atomics.store(s.v.hdr, L.H_STATE, L.W_FAULT);
    }
    sup.tick();
    if (p.v.hdr[L.H_SNAP_REQ] === L.SNAP_REQUESTED) {
      Atomics.store(p.v.hdr, L.H_SNAP_BLOCK, 4);
      Atomics.store(p.v.hdr, L.H_SNAP_BYTES, 8);
      Atomics.store(p.v.hdr, L.H_SNAP_REQ, L.SNAP_READY);
    }
    clock.advance(150); // lets the failed slot be reused
    sup.tick();
  }
  assert.equal(sup.metrics.failures.throw, 5);
  assert.equal(sup.metrics.backoffs, 1);
  assert.ok(events.some((e) => e.type === "backoff"));
  assert.equal(Atomics.load(sup.ctrl, L.CTRL_OTHER), -1, "no standby during the back-off");
  assert.equal(p.v.hdr[L.H_SNAP_REQ], L.SNAP_NONE);
  clock.advance(1000);
  sup.tick();
  assert.equal(p.v.hdr[L.H_SNAP_REQ], L.SNAP_REQUESTED, "rebuilding resumes after the back-off");
});

/** Answers a pending snapshot request of worker `w` as taken before `block`, `bytes` long. */
function answerSnapshot(w: ReturnType<typeof worker>, block: number, bytes = 8): void {
  assert.equal(w.v.hdr[L.H_SNAP_REQ], L.SNAP_REQUESTED);
  Atomics.store(w.v.hdr, L.H_SNAP_BLOCK, block);
  Atomics.store(w.v.hdr, L.H_SNAP_BYTES, bytes);
  Atomics.store(w.v.hdr, L.H_SNAP_REQ, L.SNAP_READY);
}

Deno.test("checkpoints: the primary is snapshotted every second, off any standby rebuild", async () => {
  const { sab, sup, clock } = await setup();
  const [p] = bootPair(sab, 4);
  sup.tick();
  answerSnapshot(p, 4);
  sup.tick();
  assert.equal(sup.metrics.checkpoints, 1);
  assert.equal(sup.metrics.rebuildsStarted, 0, "a standby is in lockstep: the snapshot is only a checkpoint");
  assert.equal(p.v.hdr[L.H_SNAP_REQ], L.SNAP_NONE);
  clock.advance(999);
  sup.tick();
  assert.equal(p.v.hdr[L.H_SNAP_REQ], L.SNAP_NONE, "not before a second has passed");
  clock.advance(1);
  sup.tick();
  assert.equal(p.v.hdr[L.H_SNAP_REQ], L.SNAP_REQUESTED);
});

Deno.test("both lost during a back-off: the primary is rebuilt at once from the checkpoint, replaying only what came after it", async () => {
  const { sab, sup, host, events, accepted, ctrl } = await setup({ restartLimit: 1 });
  const [p, s] = bootPair(sab, 4);
  sup.send(setFreq(220)); // applies at frame 0, before the checkpoint: inside the snapshot
  p.drain(0);
  sup.tick();
  answerSnapshot(p, 4, 16);
  sup.tick();
  sup.send(setFreq(330), 5 * B); // after the checkpoint: replayed
  p.drain(4);
  p.publish(4);
  p.publish(5);
  sup.tick();
  assert.deepEqual(accepted, [0, 5 * B]);
  // The standby fails: the restart limit (1) starts a back-off, which delays the next standby only.
  Atomics.store(s.v.hdr, L.H_ERROR, L.ERR_THROW);
  Atomics.store(s.v.hdr, L.H_STATE, L.W_FAULT);
  sup.tick();
  const backoff = events.find((e) => e.type === "backoff");
  assert.match(backoff?.message ?? "", /next standby in 1000 ms \(the back-off delays only the standby/);
  // Then the primary: nothing is left, and the rebuild does not wait for the back-off.
  Atomics.store(p.v.hdr, L.H_ERROR, L.ERR_TRAP);
  Atomics.store(p.v.hdr, L.H_STATE, L.W_FAULT);
  sup.tick();
  assert.ok(events.some((e) => e.type === "both-dead"));
  assert.equal(sup.metrics.scratchRebuilds, 1);
  const last = host.starts[host.starts.length - 1];
  assert.equal(last.msg.startBlock, 4, "from the checkpoint's block, not block 0");
  assert.equal(last.msg.snapshot?.length, 16);
  assert.equal(
    last.msg.replay,
    undefined,
    "a short replay goes through the ring: a parked spare can take it",
  );
  const r = worker(sab, last.msg.slot);
  assert.deepEqual(r.records(), [[2, 5 * B, L.OP_SET_PARAM]], "only the command after the checkpoint");
  assert.equal(Atomics.load(ctrl, L.CTRL_SELECTOR), last.msg.slot);
  assert.equal(sup.metrics.replayedCommands, 1);
  // The rebuilt primary renders the replayed command again: it is not accepted (logged) twice.
  r.boot();
  r.drain(4);
  for (let b = 4; b < 8; b++) r.publish(b);
  sup.tick();
  assert.deepEqual(accepted, [0, 5 * B]);
  assert.ok(
    events.some((e) =>
      e.type === "rebuilt" && /the checkpoint at block 4 \(1 commands replayed\)/.test(e.message)
    ),
  );
});

Deno.test("a primary the output covered: failover, nothing quarantined, its command for that block re-stamped and logged where it applied", async () => {
  const { sab, sup, ctrl, accepted, events, clock } = await setup();
  const [p, s] = bootPair(sab, 5);
  Atomics.store(ctrl, L.CTRL_OUT_BLOCK, 3);
  sup.tick();
  assert.equal(s.v.hdr[L.H_GATE], 5);
  let rejected = "", acceptedAt = -1;
  sup.send(setFreq(330), 5 * B + 7, { rejected: (m) => (rejected = m), accepted: (f) => (acceptedAt = f) });
  p.drain(5); // the primary took it into block 5, and is late with that block
  Atomics.store(p.v.hdr, L.H_COMMIT, ~5); // the output covered block 5 (core/merge.ts coverLate)
  // ... while it was stuck in that block's render for 30 ms: the failover says so (a covered hang).
  Atomics.store(p.v.hdr, L.H_STATE, L.W_RENDERING);
  p.v.hdrF64[L.HF_RENDER_START] = clock.now - 30;
  sup.tick();
  assert.equal(Atomics.load(ctrl, L.CTRL_SELECTOR), 1, "the output reads the standby's ring");
  assert.equal(sup.metrics.failures.covered, 1);
  assert.equal(sup.metrics.quarantined, 0, "a late primary is no evidence against a command");
  assert.equal(rejected, "");
  assert.ok(
    events.some((e) =>
      e.type === "failover" &&
      /covered \(late with block 5, .*; inside its render for (2|3)\d\.\d ms\)/.test(e.message)
    ),
    JSON.stringify(events),
  );
  assert.deepEqual(s.records(), [[1, 5 * B + 7, L.OP_SET_PARAM]], "handed over at the frame it was stamped");
  // The standby covered blocks 5 and 6 without it, then drains it: it applies at block 7's first frame, and
  // that is the frame its sender hears and the log holds.
  s.publish(5);
  s.publish(6);
  s.drain(7);
  s.publish(7);
  sup.tick();
  assert.equal(acceptedAt, 7 * B);
  assert.deepEqual(accepted, [7 * B]);
});
