// Pending commands, sorted by (frame, seq), in a fixed array in linear memory. Commands usually arrive in
// frame order, so insertion scans from the tail; the array is compacted when the tail reaches the end.
import { G } from "./globals";
import { QUEUE_CAP } from "./layout";

export { QUEUE_CAP };

@unmanaged
export class Event {
  frame: i64;
  seq: i32;
  op: i32;
  target: i32;
  param: i32;
  i0: i32;
  i1: i32;
  f0: f64;
  f1: f64;
  f2: f64;
  f3: f64;
}

const EVENT_BYTES: i32 = 64;
const EVENTS = memory.data(QUEUE_CAP * EVENT_BYTES, 16);

@inline
function at(i: i32): Event {
  return changetype<Event>(EVENTS + <usize> (i * EVENT_BYTES));
}

@inline
function before(a: Event, frame: i64, seq: i32): bool {
  return a.frame < frame || (a.frame == frame && a.seq < seq);
}

/**
 * Inserts an event in order: exported to JavaScript as `push` (asm/engine.ts), the one declaration of a
 * command's arguments on this side (core/dsp_host.ts types the other). The frame is a float holding an
 * integer, so JavaScript needs no BigInt. Returns 0, or 1 when the queue is full (nothing changes then).
 */
export function enqueue(
  frameF: f64,
  seq: i32,
  op: i32,
  target: i32,
  param: i32,
  i0: i32,
  i1: i32,
  f0: f64,
  f1: f64,
): i32 {
  const frame = <i64> frameF;
  let head = G.queueHead;
  const count = G.queueCount;
  if (count >= QUEUE_CAP) return 1;
  if (head + count >= QUEUE_CAP) {
    memory.copy(EVENTS, EVENTS + <usize> (head * EVENT_BYTES), <usize> (count * EVENT_BYTES));
    head = 0;
    G.queueHead = 0;
  }
  let i = head + count;
  while (i > head && !before(at(i - 1), frame, seq)) i--;
  const tail = head + count;
  if (i < tail) {
    memory.copy(
      EVENTS + <usize> ((i + 1) * EVENT_BYTES),
      EVENTS + <usize> (i * EVENT_BYTES),
      <usize> ((tail - i) * EVENT_BYTES),
    );
  }
  const e = at(i);
  e.frame = frame;
  e.seq = seq;
  e.op = op;
  e.target = target;
  e.param = param;
  e.i0 = i0;
  e.i1 = i1;
  e.f0 = f0;
  e.f1 = f1;
  e.f2 = 0;
  e.f3 = 0;
  G.queueCount = count + 1;
  return 0;
}

/** The earliest pending event, or null. */

@inline
export function peek(): Event | null {
  return G.queueCount == 0 ? null : at(G.queueHead);
}

/** Drops the earliest pending event. */

@inline
export function pop(): void {
  G.queueHead++;
  G.queueCount--;
  if (G.queueCount == 0) G.queueHead = 0;
}
