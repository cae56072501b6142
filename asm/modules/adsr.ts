// adsr: the envelope core (env.ts) driven by the gate command (at its exact frame) or the gate input (a
// crossing of 0.5, at its sample). The gate is on while either is on. out = level · velocity.
// Kernels: a span is split into runs at gate-input edges and envelope segment ends, so a run is the bare
// recurrence (w ← w·mul + add, level = A + B·w: env.ts) with everything in locals; the last sample of a
// segment is its end level (envSegmentDone), as env.ts envStep gives it. adsrQuadProcess runs four adsrs at
// once in two f64x2 pairs (runs split where any of the four has an edge or a segment end), lane by lane the
// same f64 operations, so an adsr sounds the same alone or in a group of four (bit for bit:
// tests/modules_test.ts); the recurrence is one multiply and one add deep per sample, which one envelope
// alone waits on and four interleaved hide.
// State: the Env record, the two gate sources and the velocity.
import { G } from "../globals";
import { connected, Inst, inp, outp, prm } from "../module_abi";
import { ADSR_ATTACK, ADSR_IN_GATE, ADSR_SUSTAIN } from "../gen/defs";
import { Env, envOffFrom, envOnFrom, envSegmentDone, envSustain } from "./env";

@unmanaged
class Adsr {
  cmdGate: i32;
  inGate: i32;
  velocity: f64;
}

const ENV_BYTES: i32 = <i32> offsetof<Env>();

export function adsrStateBytes(): i32 {
  return ENV_BYTES + <i32> offsetof<Adsr>();
}

@inline
function env(m: Inst): Env {
  return changetype<Env>(m.state);
}

@inline
function adsr(m: Inst): Adsr {
  return changetype<Adsr>(m.state + <usize> ENV_BYTES);
}

export function adsrInit(m: Inst): void {
  adsr(m).velocity = 1.0;
}

function on(m: Inst): void {
  envOnFrom(env(m), m, ADSR_ATTACK);
}

function off(m: Inst): void {
  envOffFrom(env(m), m, ADSR_ATTACK);
}

export function adsrGate(m: Inst, g: bool, vel: f64): void {
  const a = adsr(m);
  const was = a.cmdGate | a.inGate;
  a.cmdGate = g ? 1 : 0;
  if (g) {
    a.velocity = vel;
    on(m); // a gate command while on retriggers
  } else if (was && !a.inGate) off(m);
}

// The first frame in [i, to) where the gate input is on the other side of 0.5 than `inGate`, or `to`.
// Unpatched, the input reads zeros: no edge while the input gate is off (one at i when a cable was just
// removed with the input gate on). Adsrs and voices usually share one gate source, so the answer is cached
// for the span in G's edge fields, which voice.ts nextGateEdge fills with the same function of the same key.
function nextEdge(m: Inst, i: i32, to: i32): i32 {
  const a = adsr(m);
  if (!connected(m, ADSR_IN_GATE)) return a.inGate ? i : to;
  const x = inp(m, ADSR_IN_GATE);
  const high = a.inGate != 0;
  if (x == G.edgeBuf && i == G.edgeFrom && to == G.edgeTo && high == (G.edgeHigh != 0) && G.edgeSpan == G.span) {
    return G.edgeAt;
  }
  let k = i;
  while (k < to && (load<f32>(x + (<usize> k << 2)) > 0.5) == high) k++;
  G.edgeBuf = x;
  G.edgeFrom = i;
  G.edgeTo = to;
  G.edgeHigh = high ? 1 : 0;
  G.edgeSpan = G.span;
  G.edgeAt = k;
  return k;
}

// The gate input crossed 0.5 at this sample.
function inputEdge(m: Inst): void {
  const a = adsr(m);
  const was = a.cmdGate | a.inGate;
  a.inGate ^= 1;
  if (a.inGate && !was) {
    a.velocity = 1.0;
    on(m);
  } else if (!a.inGate && !a.cmdGate) off(m);
}

// A span starts: the sustain follows its parameter; a fresh envelope (zeroed memory: idle, 0 samples left)
// ends its idle "segment" at its first sample, as envStep's `--left <= 0` has it: the same as 1 left.
@inline
function start(m: Inst): void {
  const e = env(m);
  envSustain(e, prm(m, ADSR_SUSTAIN).value);
  if (e.left < 1) e.left = 1;
}

export function adsrProcess(m: Inst, from: i32, to: i32): void {
  const e = env(m), a = adsr(m), out = outp(m, 0);
  start(m);
  let i = from;
  while (i < to) {
    let end = nextEdge(m, i, to);
    if (end == i) {
      inputEdge(m);
      end = nextEdge(m, i + 1, to);
    }
    while (i < end) {
      const n = min(end - i, e.left);
      run(e, out, a.velocity, i, i + n);
      i += n;
    }
  }
}

// Frames [a, b) of one envelope; b − a ≤ e.left. A segment that ends at b ends on its end level.
function run(e: Env, out: usize, vel: f64, a: i32, b: i32): void {
  const ends = e.left == b - a;
  const last = ends ? b - 1 : b;
  if (holding(e)) {
    fill(out, <f32> (e.a * vel), a, last);
    e.left -= last - a;
    if (ends) finish(e, out, vel, b);
    return;
  }
  const mul = e.mul, add = e.add, ea = e.a, eb = e.b;
  let w = e.w, lv = e.level;
  for (let i = a; i < last; i++) {
    w = w * mul + add;
    lv = ea + eb * w;
    store<f32>(out + (<usize> i << 2), <f32> (lv * vel));
  }
  e.w = w;
  e.level = lv;
  e.left -= last - a;
  if (ends) finish(e, out, vel, b);
}

// True while the envelope holds a level (sustain, idle: env.ts hold): w stays 0, every sample is exactly
// A + 0·0 = A (A ≥ 0), so a run is a constant and the recurrence need not run.
@inline
function holding(e: Env): bool {
  return e.w == 0.0 && e.mul == 1.0 && e.add == 0.0 && e.b == 0.0;
}

// out[a, b) = v, four samples at a time.
@inline
function fill(out: usize, v: f32, a: i32, b: i32): void {
  const vv = f32x4.splat(v);
  let i = a;
  for (; i + 4 <= b; i += 4) v128.store(out + (<usize> i << 2), vv);
  for (; i < b; i++) store<f32>(out + (<usize> i << 2), v);
}

// The last sample of a segment, at frame b − 1: the next stage begins, the sample is its starting level.
@inline
function finish(e: Env, out: usize, vel: f64, b: i32): void {
  e.left = 0;
  envSegmentDone(e);
  store<f32>(out + (<usize> (b - 1) << 2), <f32> (e.level * vel));
}

// ── Four at once ──

const QUAD = memory.data(16, 16); // the group's four Inst addresses (scratch: rewritten every call)
const EDGES = memory.data(16, 16); // the next gate-input edge of each

@inline
function member(k: i32): Inst {
  return changetype<Inst>(load<usize>(QUAD + (<usize> k << 2)));
}

/** Four adsrs that do not feed each other, over [from, to): the same samples as one by one. */
export function adsrQuadProcess(m0: Inst, m1: Inst, m2: Inst, m3: Inst, from: i32, to: i32): void {
  store<usize>(QUAD, changetype<usize>(m0));
  store<usize>(QUAD, changetype<usize>(m1), 4);
  store<usize>(QUAD, changetype<usize>(m2), 8);
  store<usize>(QUAD, changetype<usize>(m3), 12);
  for (let k = 0; k < 4; k++) {
    const m = member(k);
    start(m);
    store<i32>(EDGES + (<usize> k << 2), nextEdge(m, from, to));
  }
  let i = from;
  while (i < to) {
    let end = to;
    for (let k = 0; k < 4; k++) {
      const m = member(k);
      let edge = load<i32>(EDGES + (<usize> k << 2));
      if (edge == i) {
        inputEdge(m);
        edge = nextEdge(m, i + 1, to);
        store<i32>(EDGES + (<usize> k << 2), edge);
      }
      end = min(end, edge);
    }
    while (i < end) {
      let n = end - i;
      for (let k = 0; k < 4; k++) n = min(n, env(member(k)).left);
      runQuad(i, i + n);
      i += n;
    }
  }
}

// Frames [a, b) of the group's four envelopes, b − a ≤ each one's `left`: lanes (0, 1) and (2, 3).
function runQuad(a: i32, b: i32): void {
  const e0 = env(member(0)), e1 = env(member(1)), e2 = env(member(2)), e3 = env(member(3));
  if (holding(e0) && holding(e1) && holding(e2) && holding(e3)) {
    // All four hold: each a constant, as run() writes it.
    run(e0, outp(member(0), 0), adsr(member(0)).velocity, a, b);
    run(e1, outp(member(1), 0), adsr(member(1)).velocity, a, b);
    run(e2, outp(member(2), 0), adsr(member(2)).velocity, a, b);
    run(e3, outp(member(3), 0), adsr(member(3)).velocity, a, b);
    return;
  }
  const g0 = adsr(member(0)).velocity, g1 = adsr(member(1)).velocity;
  const g2 = adsr(member(2)).velocity, g3 = adsr(member(3)).velocity;
  const mulp = f64x2(e0.mul, e1.mul), mulq = f64x2(e2.mul, e3.mul);
  const addp = f64x2(e0.add, e1.add), addq = f64x2(e2.add, e3.add);
  const eap = f64x2(e0.a, e1.a), eaq = f64x2(e2.a, e3.a);
  const ebp = f64x2(e0.b, e1.b), ebq = f64x2(e2.b, e3.b);
  const velp = f64x2(g0, g1), velq = f64x2(g2, g3);
  let wp = f64x2(e0.w, e1.w), wq = f64x2(e2.w, e3.w);
  let lvp = f64x2(e0.level, e1.level), lvq = f64x2(e2.level, e3.level);
  const o0 = outp(member(0), 0), o1 = outp(member(1), 0), o2 = outp(member(2), 0), o3 = outp(member(3), 0);
  for (let i = a; i < b; i++) {
    wp = f64x2.add(f64x2.mul(wp, mulp), addp);
    wq = f64x2.add(f64x2.mul(wq, mulq), addq);
    lvp = f64x2.add(eap, f64x2.mul(ebp, wp));
    lvq = f64x2.add(eaq, f64x2.mul(ebq, wq));
    const y = f32x4.shuffle(
      f32x4.demote_f64x2_zero(f64x2.mul(lvp, velp)),
      f32x4.demote_f64x2_zero(f64x2.mul(lvq, velq)),
      0,
      1,
      4,
      5,
    );
    const o = <usize> i << 2;
    store<f32>(o0 + o, f32x4.extract_lane(y, 0));
    store<f32>(o1 + o, f32x4.extract_lane(y, 1));
    store<f32>(o2 + o, f32x4.extract_lane(y, 2));
    store<f32>(o3 + o, f32x4.extract_lane(y, 3));
  }
  // Each lane as run() leaves it: a segment ending at b rewrites its last sample with its end level.
  const n = b - a;
  lane(e0, f64x2.extract_lane(wp, 0), f64x2.extract_lane(lvp, 0), n, o0, g0, b);
  lane(e1, f64x2.extract_lane(wp, 1), f64x2.extract_lane(lvp, 1), n, o1, g1, b);
  lane(e2, f64x2.extract_lane(wq, 0), f64x2.extract_lane(lvq, 0), n, o2, g2, b);
  lane(e3, f64x2.extract_lane(wq, 1), f64x2.extract_lane(lvq, 1), n, o3, g3, b);
}

@inline
function lane(e: Env, w: f64, lv: f64, n: i32, out: usize, vel: f64, b: i32): void {
  if (e.left == n) finish(e, out, vel, b);
  else {
    e.w = w;
    e.level = lv;
    e.left -= n;
  }
}
