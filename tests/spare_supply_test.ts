// The spare supply's policy (workers/spare_supply.ts) with an injected clock: how many spares the spawner
// keeps, how many load at once, and when the next starts. The live behaviour (faults 0.67 s apart all rebuilt
// from parked spares) is in tests/failover_test.ts.
import assert from "node:assert/strict";
import { SpareSupply } from "../workers/spare_supply.ts";

/** Starts every spare the supply asks for at `now`; returns how many. */
function fill(s: SpareSupply, now: number, loaded: number): number {
  let n = 0;
  while (s.next(now, loaded) === "now") {
    s.created();
    n++;
  }
  return n;
}

Deno.test("spare supply: nothing before start; the first two load together, then it waits", () => {
  const s = new SpareSupply();
  assert.equal(s.next(0, 0), "none");
  s.start(0);
  assert.equal(fill(s, 0, 0), 2);
  assert.equal(s.next(10, 0), "none");
  assert.equal(s.unclaimed, 2);
});

Deno.test("spare supply: a claim is replaced at once, one load at a time", () => {
  const s = new SpareSupply();
  s.start(0);
  fill(s, 0, 0);
  s.claimed(5000);
  assert.equal(fill(s, 5000, 2), 1);
  assert.equal(s.target, 2);
  s.claimed(20_000); // long after: still two
  assert.equal(s.target, 2);
  assert.equal(s.next(20_000, 2), "none", "the one loading finishes first");
  assert.equal(fill(s, 20_100, 3), 1);
});

Deno.test("spare supply: claims 0.67 s apart raise the number kept by one each, up to four", () => {
  const s = new SpareSupply();
  s.start(0);
  fill(s, 0, 0);
  let loaded = 2;
  const targets: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = 2000 + i * 670;
    s.claimed(t);
    targets.push(s.target);
    // Every spare loads before the next claim: the supply tops itself up to its target, one at a time.
    while (fill(s, t, loaded) > 0) loaded++;
  }
  assert.deepEqual(targets, [2, 3, 4, 4, 4]);
  assert.equal(s.unclaimed, 4);
});

Deno.test("spare supply: a calm spell brings the number kept back to two", () => {
  const s = new SpareSupply({ calmMs: 30_000 });
  s.start(0);
  fill(s, 0, 0);
  s.claimed(1000);
  s.claimed(1500);
  s.claimed(2000);
  assert.equal(s.target, 4);
  s.claimed(40_000);
  assert.equal(s.target, 2);
});

Deno.test("spare supply: a refill delay is a wait after the claim; a lost spare is replaced", () => {
  const s = new SpareSupply({ refillDelayMs: 300 });
  s.start(0);
  fill(s, 0, 0);
  s.claimed(1000);
  assert.equal(s.next(1100, 2), 200);
  assert.equal(s.next(1300, 2), "now");
  s.created();
  s.lost(); // the new one failed while loading
  assert.equal(s.unclaimed, 1);
  assert.equal(s.next(1400, 2), "now");
});
