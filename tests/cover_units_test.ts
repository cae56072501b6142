// The cover decision (core/merge.ts coverLate) and the commit it races with, played in shared memory: the
// output takes block n away from a late primary only when the standby can render it at once, and exactly one
// of the primary's commit and the output's cover succeeds.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { coverLate, pickSource } from "../core/merge.ts";
import { controlView, createShared, slotViews } from "../core/shared.ts";

function pair() {
  const sab = createShared(4);
  const ctrl = controlView(sab);
  const slots = [slotViews(sab, 0), slotViews(sab, 1)];
  const headers = slots.map((s) => s.hdr);
  Atomics.store(ctrl, L.CTRL_SELECTOR, 0);
  Atomics.store(ctrl, L.CTRL_OTHER, 1);
  for (const h of headers) {
    Atomics.store(h, L.H_EPOCH, 1);
    Atomics.store(h, L.H_STATE, L.W_IDLE);
  }
  // The primary published blocks up to 9 and is late with 10; the standby rendered up to 9 and waits at its
  // gate, 10 (it holds every accepted command before block 10).
  Atomics.store(headers[0], L.H_DONE, 10);
  Atomics.store(headers[0], L.H_COMMIT, 10);
  Atomics.store(headers[1], L.H_DONE, 10);
  Atomics.store(headers[1], L.H_COMMIT, 10);
  Atomics.store(headers[1], L.H_GATE, 10);
  return { ctrl, slots, headers };
}

Deno.test("layout: H_COMMIT lies in header words no f64 field uses", () => {
  assert.ok(L.HDR_F64 + 2 * (L.HF_CREATE_FAILED + 1) <= L.H_COMMIT && L.H_COMMIT < L.HDR_WORDS);
  assert.ok(L.CTRL_COVERS < L.INJECT_BASE && L.CTRL_COVERS > L.CTRL_OUT_TID);
});

Deno.test("cover: the output takes a late block from the primary, once, and rings the standby", () => {
  const { ctrl, headers } = pair();
  const bell = Atomics.load(headers[1], L.H_DOORBELL);
  assert.equal(coverLate(ctrl, headers, 10), true);
  assert.equal(Atomics.load(headers[0], L.H_COMMIT), ~10, "the primary may publish nothing from block 10 on");
  assert.equal(Atomics.load(ctrl, L.CTRL_COVERS), 1);
  assert.equal(Atomics.load(headers[1], L.H_DOORBELL), bell + 1, "the standby is woken");
  assert.equal(coverLate(ctrl, headers, 10), false, "covered already: not counted twice");
  // The primary, waking up, fails its commit: its block 10 never reaches a ring.
  assert.notEqual(Atomics.compareExchange(headers[0], L.H_COMMIT, 10, 11), 10);
  assert.equal(Atomics.load(ctrl, L.CTRL_COVERS), 1);
});

Deno.test("cover: a primary that committed the block first keeps it (the output waits for its tag)", () => {
  const { ctrl, headers, slots } = pair();
  assert.equal(Atomics.compareExchange(headers[0], L.H_COMMIT, 10, 11), 10, "the primary commits block 10");
  assert.equal(coverLate(ctrl, headers, 10), false);
  assert.equal(Atomics.load(headers[0], L.H_COMMIT), 11);
  assert.equal(Atomics.load(ctrl, L.CTRL_COVERS), 0);
  slots[0].tags[10] = 10; // … and publishes it
  assert.equal(pickSource(ctrl, slots.map((s) => s.tags), 10), 0);
});

Deno.test("cover: nothing to cover with — a standby behind its gate, still rendering, fenced, failed or missing", () => {
  const cases: [string, (h: Int32Array[], ctrl: Int32Array) => void][] = [
    [
      "gate behind (the main thread has not forwarded block 9's commands)",
      (h) => Atomics.store(h[1], L.H_GATE, 9),
    ],
    ["still catching up", (h) => Atomics.store(h[1], L.H_DONE, 8)],
    ["fenced", (h) => Atomics.store(h[1], L.H_EPOCH, -1)],
    ["faulted", (h) => Atomics.store(h[1], L.H_STATE, L.W_FAULT)],
    ["starting", (h) => Atomics.store(h[1], L.H_STATE, L.W_STARTING)],
    ["no standby (both were lost, a primary rebuilds alone)", (_, c) => Atomics.store(c, L.CTRL_OTHER, -1)],
  ];
  for (const [what, set] of cases) {
    const { ctrl, headers } = pair();
    set(headers, ctrl);
    assert.equal(coverLate(ctrl, headers, 10), false, what);
    assert.equal(Atomics.load(headers[0], L.H_COMMIT), 10, `${what}: the primary keeps its block`);
    assert.equal(Atomics.load(ctrl, L.CTRL_COVERS), 0, what);
  }
});
