// The supervisor's pause meter (engine/pause_meter.ts): time between ticks that was neither work nor the
// loop's short sleep is counted as held off a CPU, and only inside the window asked about.
import assert from "node:assert/strict";
import { PauseMeter } from "../engine/pause_meter.ts";

function meter() {
  let run = 0;
  const m = new PauseMeter(() => run, 2);
  return { m, ran: (ms: number) => (run += ms) };
}

Deno.test("pause meter: ticks a millisecond apart, working or sleeping, count no pause", () => {
  const { m, ran } = meter();
  for (let t = 0; t <= 100; t++) {
    if (t % 2) ran(0.9); // busy ticks
    m.tick(t);
  }
  assert.equal(m.pausedSince(0, 100), 0);
});

Deno.test("pause meter: a 30 ms gap with 1 ms of CPU is 27 ms held off (2 ms of sleep allowed)", () => {
  const { m, ran } = meter();
  for (let t = 0; t <= 10; t++) m.tick(t);
  ran(1);
  m.tick(40);
  assert.equal(m.pausedSince(0, 40), 27);
  assert.equal(m.pausedSince(25, 40), 27 * 15 / 30, "a gap that began before the window counts for its part");
  assert.equal(m.pausedSince(40, 40), 0);
});

Deno.test("pause meter: a gap spent working is the engine's own, not a pause", () => {
  const { m, ran } = meter();
  m.tick(0);
  ran(30);
  m.tick(30);
  assert.equal(m.pausedSince(0, 30), 0);
});

Deno.test("pause meter: the stretch since the last tick counts, without the sleep allowance", () => {
  const { m, ran } = meter();
  m.tick(0);
  m.tick(1);
  ran(2);
  assert.equal(m.pausedSince(0, 11), 8);
});

Deno.test("pause meter: no thread clock, no claim", () => {
  const m = new PauseMeter(() => undefined);
  m.tick(0);
  m.tick(50);
  assert.equal(m.pausedSince(0, 50), 0);
});
