// Pending commands, popped in (frame, seq) order: a binary min-heap of slot indices over fixed event slots in
// linear memory. Insert and pop cost O(log n) whatever the order commands arrive in. A sorted array (the first
// design) moved every later event on each out-of-order insert: with thousands of far-future gate-offs pending,
// each command for now moved hundreds of KB inside the render, long enough to be taken for a hang
// (tests/soak_test.ts floods it so). (frame, seq) is a strict order (seq is unique), so the pop order, and
// with it the output, is exactly the sorted array's.
//
// Memory: EVENTS (QUEUE_CAP slots × 64 B), HEAP (slot indices, i32) and FREE (a stack of released slots).
// G.queueCount is the heap's size; G.queueUsed counts slots handed out since the last clear (slots past it
// were never used); G.queueFree is the free stack's size. Clearing resets the three counters, nothing else.
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
const HEAP = memory.data(QUEUE_CAP * 4, 16);
const FREE = memory.data(QUEUE_CAP * 4, 16);

@inline
function slot(i: i32): Event {
  return changetype<Event>(EVENTS + <usize> (i * EVENT_BYTES));
}

@inline
function heapAt(i: i32): i32 {
  return load<i32>(HEAP + <usize> (i << 2));
}

@inline
function heapSet(i: i32, s: i32): void {
  store<i32>(HEAP + <usize> (i << 2), s);
}

@inline
function before(a: Event, b: Event): bool {
  return a.frame < b.frame || (a.frame == b.frame && a.seq < b.seq);
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
  const count = G.queueCount;
  if (count >= QUEUE_CAP) return 1;
  let s: i32;
  if (G.queueFree > 0) {
    G.queueFree--;
    s = load<i32>(FREE + <usize> (G.queueFree << 2));
  } else {
    s = G.queueUsed++;
  }
  const e = slot(s);
  e.frame = <i64> frameF;
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
  // Sift up: the new event climbs while it comes before its parent.
  let i = count;
  while (i > 0) {
    const up = (i - 1) >> 1;
    const p = heapAt(up);
    if (!before(e, slot(p))) break;
    heapSet(i, p);
    i = up;
  }
  heapSet(i, s);
  G.queueCount = count + 1;
  return 0;
}

/** The earliest pending event, or null. */
export function peek(): Event | null {
  return G.queueCount == 0 ? null : slot(heapAt(0));
}

/** Drops the earliest pending event (its slot may be reused by the next enqueue). */
export function pop(): void {
  const count = G.queueCount - 1;
  store<i32>(FREE + <usize> (G.queueFree << 2), heapAt(0));
  G.queueFree++;
  G.queueCount = count;
  if (count == 0) return;
  // Sift down: the last event moves to the root and sinks below any child that comes before it.
  const s = heapAt(count);
  const e = slot(s);
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= count) break;
    let c = l;
    const r = l + 1;
    if (r < count && before(slot(heapAt(r)), slot(heapAt(l)))) c = r;
    const cs = heapAt(c);
    if (!before(slot(cs), e)) break;
    heapSet(i, cs);
    i = c;
  }
  heapSet(i, s);
}

/** Forgets every pending event (a restored snapshot's queue is refilled through the supervisor's gate). */
export function clearQueue(): void {
  G.queueUsed = 0;
  G.queueFree = 0;
  G.queueCount = 0;
}
