// voice: one playable voice in one loop: oscillator (osc.ts) → state-variable filter (svf.ts) whose cutoff
// follows the envelope by `envamt` octaves → amplifier driven by the same envelope (env.ts) and velocity.
// Fusing the chain keeps every intermediate in registers (the reference voice of the benchmark).
import { G } from "../globals";
import { at, connected, exp2f, Inst, inp, outp, prm, smoothingCoef } from "../module_abi";
import {
  VOICE_ATTACK,
  VOICE_CUTOFF,
  VOICE_DETUNE,
  VOICE_ENVAMT,
  VOICE_FM,
  VOICE_FMODE,
  VOICE_FREQ,
  VOICE_GAIN,
  VOICE_GLIDE,
  VOICE_IN_FM,
  VOICE_IN_GATE,
  VOICE_PW,
  VOICE_RES,
  VOICE_SUSTAIN,
  VOICE_WAVE,
} from "../gen/defs";
import { Env, envOffFrom, envOnFrom, envSegmentDone, envSustain, IDLE } from "./env";
import { oscSample, polyBlep4 } from "./osc";
import { K_MIN, Svf, svfFlush, svfTune, tanPade } from "./svf";

@unmanaged
class Voice {
  phase: f64;
  velocity: f64;
  cmdGate: i32;
  inGate: i32;
}

const ENV_BYTES: i32 = <i32> offsetof<Env>();
const SVF_BYTES: i32 = <i32> offsetof<Svf>();

export function voiceStateBytes(): i32 {
  return ENV_BYTES + SVF_BYTES + <i32> offsetof<Voice>();
}

@inline
function env(m: Inst): Env {
  return changetype<Env>(m.state);
}

@inline
function svf(m: Inst): Svf {
  return changetype<Svf>(m.state + <usize> ENV_BYTES);
}

@inline
function voice(m: Inst): Voice {
  return changetype<Voice>(m.state + <usize> (ENV_BYTES + SVF_BYTES));
}

export function voiceInit(m: Inst): void {
  voice(m).velocity = 1.0;
  voiceParam(m, VOICE_GLIDE);
}

export function voiceParam(m: Inst, p: i32): void {
  if (p == VOICE_GLIDE) prm(m, VOICE_FREQ).coef = smoothingCoef(prm(m, VOICE_GLIDE).value);
}

// The gate is on while the gate command or the gate input (> 0.5) is on; a gate command while on retriggers.
export function voiceGate(m: Inst, on: bool, vel: f64): void {
  const v = voice(m);
  const was = v.cmdGate | v.inGate;
  v.cmdGate = on ? 1 : 0;
  if (on) trigger(m, vel);
  else if (was && !v.inGate) release(m);
}

function trigger(m: Inst, vel: f64): void {
  voice(m).velocity = vel;
  envOnFrom(env(m), m, VOICE_ATTACK);
}

function release(m: Inst): void {
  envOffFrom(env(m), m, VOICE_ATTACK);
}

// The first frame in [i, to) where the gate input crosses 0.5 the other way, or `to`. Voices usually share
// one gate source, so the last answer is kept for the span (a pure function of the buffer, i, to and the state).
function nextGateEdge(m: Inst, v: Voice, i: i32, to: i32): i32 {
  const x = inp(m, VOICE_IN_GATE);
  const high = v.inGate != 0;
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

function gateInputEdge(m: Inst, v: Voice): void {
  const was = v.cmdGate | v.inGate;
  v.inGate ^= 1;
  if (v.inGate && !was) trigger(m, 1.0);
  else if (!v.inGate && !v.cmdGate) release(m);
}

export function voiceProcess(m: Inst, from: i32, to: i32): void {
  const e = env(m), v = voice(m), out = outp(m, 0);
  const gated = connected(m, VOICE_IN_GATE);
  envSustain(e, prm(m, VOICE_SUSTAIN).value);
  if (e.stage == IDLE && e.level == 0.0 && !gated) {
    // Silent: keep the oscillator's phase moving, skip the filter and amplifier.
    for (let i = from; i < to; i++) store<f32>(out + (<usize> i << 2), 0);
    const dt = <f64> at(prm(m, VOICE_FREQ), to - 1) / G.sampleRate;
    v.phase = (v.phase + dt * <f64> (to - from)) % 1.0;
    return;
  }
  // Split the span at gate-input edges and envelope segment ends, so the kernel runs branch-free in between.
  let i = from;
  while (i < to) {
    let end = gated ? nextGateEdge(m, v, i, to) : to;
    if (end == i) {
      gateInputEdge(m, v);
      end = nextGateEdge(m, v, i + 1, to);
    }
    while (i < end) {
      const n = min(end - i, e.left);
      run(m, e, v, i, i + n);
      i += n;
      if (e.left == 0) envSegmentDone(e);
    }
  }
  svfFlush(svf(m));
}

// The common case: saw, fixed low-pass (no envelope amount, cutoff and resonance still), no FM, pitch, detune
// and gain still over the span. It runs in f32, lane by lane the same operations as runQuad, so a voice sounds
// the same whether it is rendered alone or in a group of four (tested). f32 is enough here: the phase error
// stays below 0.05 cents and the filter's poles move by less than 0.2 % down to 60 Hz.
function runSawLowFixed(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  const f = svf(m), out = outp(m, 0);
  const L = lane(m, a);
  let phase = <f32> v.phase, ic1 = <f32> f.ic1, ic2 = <f32> f.ic2, w = <f32> e.w, lv = <f32> e.level;
  let y: f32 = 0;
  for (let i = a; i < b; i++) {
    let x: f32 = (phase + phase) - <f32> 1.0;
    if (phase < L.lo || phase > L.hi) x -= <f32> polyBlep4(<f64> phase, <f64> L.dt);
    phase += L.dt;
    if (phase >= <f32> 1.0) phase -= <f32> 1.0;
    w = w * L.mul + L.add;
    lv = L.ea + L.eb * w;
    y = (L.a2 * ic1 + L.b3 * ic2) + L.a3 * x;
    const j1 = (L.n1 * x + L.m12 * ic2) + L.m11 * ic1;
    ic2 = (L.n2 * x + L.m21 * ic1) + L.m22 * ic2;
    ic1 = j1;
    store<f32>(out + (<usize> i << 2), (y * lv) * L.vg);
  }
  if (e.left == b - a && b > a) {
    lv = <f32> e.end; // a segment that ends here ends exactly on its end level
    store<f32>(out + (<usize> (b - 1) << 2), (y * lv) * L.vg);
  }
  v.phase = phase;
  f.ic1 = ic1;
  f.ic2 = ic2;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}

// One voice's constants for the f32 fast path (a lane), in a static scratch record.
@unmanaged
class Lane {
  dt: f32;
  lo: f32;
  hi: f32;
  vg: f32; // velocity · gain
  mul: f32;
  add: f32;
  ea: f32;
  eb: f32;
  a2: f32;
  b3: f32;
  a3: f32;
  n1: f32;
  n2: f32;
  m11: f32;
  m12: f32;
  m21: f32;
  m22: f32;
}

const LANES = memory.data(4 * 80, 16);

// Fills lane record k (0 … 3) for voice m at frame a and returns it.
function laneAt(m: Inst, a: i32, k: i32): Lane {
  const L = changetype<Lane>(LANES + <usize> (k * 80));
  const f = svf(m), e = env(m), v = voice(m);
  svfTune(f, <f64> at(prm(m, VOICE_CUTOFF), a), <f64> at(prm(m, VOICE_RES), a));
  const ratio = <f64> exp2f(at(prm(m, VOICE_DETUNE), a) * <f32> (1.0 / 1200.0));
  let dt = <f32> (<f64> at(prm(m, VOICE_FREQ), a) * ratio / G.sampleRate);
  dt = dt > <f32> 0.45 ? <f32> 0.45 : dt;
  L.dt = dt;
  L.lo = <f32> 2.0 * dt;
  L.hi = <f32> 1.0 - <f32> 2.0 * dt;
  L.vg = <f32> v.velocity * at(prm(m, VOICE_GAIN), a);
  L.mul = <f32> e.mul;
  L.add = <f32> e.add;
  L.ea = <f32> e.a;
  L.eb = <f32> e.b;
  L.a2 = <f32> f.a2;
  L.b3 = <f32> (1.0 - f.a3);
  L.a3 = <f32> f.a3;
  L.n1 = <f32> f.n1;
  L.n2 = <f32> f.n2;
  L.m11 = <f32> f.m11;
  L.m12 = <f32> f.m12;
  L.m21 = <f32> f.m21;
  L.m22 = <f32> f.m22;
  return L;
}

@inline
function lane(m: Inst, a: i32): Lane {
  return laneAt(m, a, 0);
}

// Renders [a, b): oscillator → filter → amplifier with the envelope recurrence in locals; b − a ≤ e.left.
function run(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  if (
    <i32> prm(m, VOICE_WAVE).value == 1 && <i32> prm(m, VOICE_FMODE).value == 0 && prm(m, VOICE_ENVAMT).value == 0 &&
    prm(m, VOICE_CUTOFF).step == 0 && prm(m, VOICE_RES).step == 0 && prm(m, VOICE_DETUNE).step == 0 &&
    prm(m, VOICE_FREQ).step == 0 && prm(m, VOICE_GAIN).step == 0 && !connected(m, VOICE_IN_FM)
  ) {
    runSawLowFixed(m, e, v, a, b);
    return;
  }
  const f = svf(m), out = outp(m, 0);
  const wave = <i32> prm(m, VOICE_WAVE).value, mode = <i32> prm(m, VOICE_FMODE).value;
  const freq = prm(m, VOICE_FREQ), detune = prm(m, VOICE_DETUNE), pw = prm(m, VOICE_PW);
  const cutoff = prm(m, VOICE_CUTOFF), res = prm(m, VOICE_RES), gain = prm(m, VOICE_GAIN), fm = prm(m, VOICE_FM);
  const envamt = prm(m, VOICE_ENVAMT).value;
  const fp = freq.ptr, fs = freq.step, gp = gain.ptr, gs = gain.step, wp = pw.ptr, ws = pw.step;
  const fmOn = connected(m, VOICE_IN_FM);
  const fmIn = inp(m, VOICE_IN_FM);
  const isr = 1.0 / G.sampleRate, vel = v.velocity;
  const ratio0: f64 = exp2f(at(detune, a) * <f32> (1.0 / 1200.0));
  const detuneMoves = detune.step != 0;
  const fixedFilter = envamt == 0.0 && cutoff.step == 0 && res.step == 0;
  if (fixedFilter) svfTune(f, <f64> at(cutoff, a), <f64> at(res, a));
  let phase = v.phase;
  let w = e.w;
  const mul = e.mul, add = e.add, ea = e.a, eb = e.b;
  let lv = e.level;
  let yLast: f64 = 0;
  // The filter in locals (Simper's form); retuned every sample while it moves, with the Padé tangent.
  const cp = cutoff.ptr, cs = cutoff.step, rp = res.ptr, rs = res.step;
  const radPerHz = Math.PI / G.sampleRate, fcMax = 0.45 * G.sampleRate;
  let ic1 = f.ic1, ic2 = f.ic2, a1 = f.a1, a2 = f.a2, a3 = f.a3, k = f.k;
  for (let i = a; i < b; i++) {
    const ratio = detuneMoves ? <f64> exp2f(at(detune, i) * <f32> (1.0 / 1200.0)) : ratio0;
    let hz = <f64> load<f32>(fp + <usize> (i * fs)) * ratio;
    if (fmOn) hz += <f64> at(fm, i) * <f64> load<f32>(fmIn + (<usize> i << 2));
    let dt = hz * isr;
    dt = dt < 0.0 ? 0.0 : dt > 0.45 ? 0.45 : dt;
    const x = wave == 1
      ? 2.0 * phase - 1.0 - polyBlep4(phase, dt)
      : oscSample(wave, phase, dt, <f64> load<f32>(wp + <usize> (i * ws)));
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
    w = w * mul + add;
    lv = ea + eb * w;
    if (!fixedFilter) {
      let fc = <f64> (load<f32>(cp + <usize> (i * cs)) * exp2f(<f32> (envamt * lv)));
      fc = fc < 20.0 ? 20.0 : fc > fcMax ? fcMax : fc;
      const g = tanPade(fc * radPerHz);
      k = Math.max(2.0 - 2.0 * <f64> load<f32>(rp + <usize> (i * rs)), K_MIN);
      a1 = 1.0 / (1.0 + g * (g + k));
      a2 = g * a1;
      a3 = g * a2;
    }
    const v3 = x - ic2;
    const v1 = a1 * ic1 + a2 * v3;
    const v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2.0 * v1 - ic1;
    ic2 = 2.0 * v2 - ic2;
    const y = mode == 0 ? v2 : mode == 1 ? v1 : mode == 2 ? x - k * v1 - v2 : x - k * v1;
    store<f32>(out + (<usize> i << 2), <f32> (y * lv * vel) * load<f32>(gp + <usize> (i * gs)));
    yLast = y;
  }
  if (e.left == b - a && b > a) {
    // The segment ends here: its last sample is exactly its end level (the recurrence lands within rounding).
    lv = e.end;
    store<f32>(out + (<usize> (b - 1) << 2), <f32> (yLast * lv * vel) * load<f32>(gp + <usize> ((b - 1) * gs)));
  }
  v.phase = phase;
  f.ic1 = ic1;
  f.ic2 = ic2;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}

// ── Four voices at once ──
// The graph hands groups of four adjacent voices that do not feed each other to voiceQuadProcess. When all
// four are on the fast path one f32x4 loop renders them: lane by lane the operations of runSawLowFixed.

// True when the voice would render through runSawLowFixed.
function fast(m: Inst): bool {
  const e = env(m);
  if (e.stage == IDLE && e.level == 0.0 && !connected(m, VOICE_IN_GATE)) return false; // the silent shortcut
  return <i32> prm(m, VOICE_WAVE).value == 1 && <i32> prm(m, VOICE_FMODE).value == 0 &&
    prm(m, VOICE_ENVAMT).value == 0 && prm(m, VOICE_CUTOFF).step == 0 && prm(m, VOICE_RES).step == 0 &&
    prm(m, VOICE_DETUNE).step == 0 && prm(m, VOICE_FREQ).step == 0 && prm(m, VOICE_GAIN).step == 0 &&
    !connected(m, VOICE_IN_FM);
}

const GROUP = memory.data(16, 16); // the four voices of the current group (Inst addresses)

@inline
function member(k: i32): Inst {
  return changetype<Inst>(load<usize>(GROUP + (<usize> k << 2)));
}

/** Renders four independent voices over [from, to): together when all are on the fast path, else one by one. */
export function voiceQuadProcess(m0: Inst, m1: Inst, m2: Inst, m3: Inst, from: i32, to: i32): void {
  if (!fast(m0) || !fast(m1) || !fast(m2) || !fast(m3)) {
    voiceProcess(m0, from, to);
    voiceProcess(m1, from, to);
    voiceProcess(m2, from, to);
    voiceProcess(m3, from, to);
    return;
  }
  store<usize>(GROUP, changetype<usize>(m0));
  store<usize>(GROUP, changetype<usize>(m1), 4);
  store<usize>(GROUP, changetype<usize>(m2), 8);
  store<usize>(GROUP, changetype<usize>(m3), 12);
  const edges = memory.data(16, 16); // next gate-input edge of each voice
  for (let k = 0; k < 4; k++) {
    const m = member(k);
    envSustain(env(m), prm(m, VOICE_SUSTAIN).value);
    store<i32>(edges + (<usize> k << 2), connected(m, VOICE_IN_GATE) ? nextGateEdge(m, voice(m), from, to) : to);
  }
  let i = from;
  while (i < to) {
    let end = to;
    for (let k = 0; k < 4; k++) {
      const m = member(k);
      let edge = load<i32>(edges + (<usize> k << 2));
      if (edge == i) {
        gateInputEdge(m, voice(m));
        edge = nextGateEdge(m, voice(m), i + 1, to);
        store<i32>(edges + (<usize> k << 2), edge);
      }
      end = min(end, edge);
    }
    while (i < end) {
      let n = end - i;
      for (let k = 0; k < 4; k++) n = min(n, env(member(k)).left);
      runQuad(i, i + n);
      i += n;
      for (let k = 0; k < 4; k++) {
        const e = env(member(k));
        if (e.left == 0) envSegmentDone(e);
      }
    }
  }
  for (let k = 0; k < 4; k++) svfFlush(svf(member(k)));
}

@inline
function q4(field: usize): v128 {
  // The same f32 field of the four lane records.
  return f32x4(
    load<f32>(LANES + field),
    load<f32>(LANES + 80 + field),
    load<f32>(LANES + 160 + field),
    load<f32>(LANES + 240 + field),
  );
}

// runSawLowFixed for the four voices of GROUP; b − a ≤ every envelope's `left`.
function runQuad(a: i32, b: i32): void {
  const m0 = member(0), m1 = member(1), m2 = member(2), m3 = member(3);
  laneAt(m0, a, 0);
  laneAt(m1, a, 1);
  laneAt(m2, a, 2);
  laneAt(m3, a, 3);
  const dt = q4(offsetof<Lane>("dt")), lo = q4(offsetof<Lane>("lo")), hi = q4(offsetof<Lane>("hi"));
  const vg = q4(offsetof<Lane>("vg"));
  const mul = q4(offsetof<Lane>("mul")), add = q4(offsetof<Lane>("add"));
  const ea = q4(offsetof<Lane>("ea")), eb = q4(offsetof<Lane>("eb"));
  const a2 = q4(offsetof<Lane>("a2")), b3 = q4(offsetof<Lane>("b3")), a3 = q4(offsetof<Lane>("a3"));
  const n1 = q4(offsetof<Lane>("n1")), n2 = q4(offsetof<Lane>("n2"));
  const m11 = q4(offsetof<Lane>("m11")), m12 = q4(offsetof<Lane>("m12"));
  const m21 = q4(offsetof<Lane>("m21")), m22 = q4(offsetof<Lane>("m22"));
  const v0 = voice(m0), v1 = voice(m1), v2 = voice(m2), v3 = voice(m3);
  const f0 = svf(m0), f1 = svf(m1), f2 = svf(m2), f3 = svf(m3);
  const e0 = env(m0), e1 = env(m1), e2 = env(m2), e3 = env(m3);
  let phase = f32x4(<f32> v0.phase, <f32> v1.phase, <f32> v2.phase, <f32> v3.phase);
  let ic1 = f32x4(<f32> f0.ic1, <f32> f1.ic1, <f32> f2.ic1, <f32> f3.ic1);
  let ic2 = f32x4(<f32> f0.ic2, <f32> f1.ic2, <f32> f2.ic2, <f32> f3.ic2);
  let w = f32x4(<f32> e0.w, <f32> e1.w, <f32> e2.w, <f32> e3.w);
  let lv = f32x4(<f32> e0.level, <f32> e1.level, <f32> e2.level, <f32> e3.level);
  let y = f32x4.splat(0);
  const one = f32x4.splat(1);
  const o0 = outp(m0, 0), o1 = outp(m1, 0), o2 = outp(m2, 0), o3 = outp(m3, 0);
  let i = a;
  while (i < b) {
    // Samples for which every phase stays clear of the step's residual window (no residual, no wrap): a
    // lower bound, one sample of margin for the rounding of the phase sum.
    let clear = b - i;
    for (let k = 0; k < 4; k++) {
      const L = changetype<Lane>(LANES + <usize> (k * 80));
      const p = k == 0 ? f32x4.extract_lane(phase, 0) : k == 1 ? f32x4.extract_lane(phase, 1)
        : k == 2 ? f32x4.extract_lane(phase, 2) : f32x4.extract_lane(phase, 3);
      const c = p < L.lo || p > L.hi ? 0 : <i32> Mathf.floor((L.hi - p) / L.dt) - 1;
      // At most 64 samples a run: the f32 phase sum then drifts by < 2e-6 from p + j·dt, under the margin
      // down to the slowest pitch (0.1 Hz: dt = 2.1e-6).
      clear = min(clear, min(64, max(0, c)));
    }
    for (const stop = i + clear; i < stop; i++) {
      const x = f32x4.sub(f32x4.add(phase, phase), one);
      phase = f32x4.add(phase, dt);
      w = f32x4.add(f32x4.mul(w, mul), add);
      lv = f32x4.add(ea, f32x4.mul(eb, w));
      y = f32x4.add(f32x4.add(f32x4.mul(a2, ic1), f32x4.mul(b3, ic2)), f32x4.mul(a3, x));
      const j1 = f32x4.add(f32x4.add(f32x4.mul(n1, x), f32x4.mul(m12, ic2)), f32x4.mul(m11, ic1));
      ic2 = f32x4.add(f32x4.add(f32x4.mul(n2, x), f32x4.mul(m21, ic1)), f32x4.mul(m22, ic2));
      ic1 = j1;
      const s = f32x4.mul(f32x4.mul(y, lv), vg);
      const o = <usize> i << 2;
      store<f32>(o0 + o, f32x4.extract_lane(s, 0));
      store<f32>(o1 + o, f32x4.extract_lane(s, 1));
      store<f32>(o2 + o, f32x4.extract_lane(s, 2));
      store<f32>(o3 + o, f32x4.extract_lane(s, 3));
    }
    if (i == b) break;
    // One sample near a step (or a wrap) in some lane: the residual lane by lane, as runSawLowFixed does.
    // (The step below repeats the loop's on purpose: one loop with a per-sample test for this sample measured
    // 15 % slower at 256 voices.)
    let x = f32x4.sub(f32x4.add(phase, phase), one);
    if (v128.any_true(v128.or(f32x4.lt(phase, lo), f32x4.gt(phase, hi)))) {
      const p0 = f32x4.extract_lane(phase, 0), p1 = f32x4.extract_lane(phase, 1);
      const p2 = f32x4.extract_lane(phase, 2), p3 = f32x4.extract_lane(phase, 3);
      const L0 = changetype<Lane>(LANES), L1 = changetype<Lane>(LANES + 80);
      const L2 = changetype<Lane>(LANES + 160), L3 = changetype<Lane>(LANES + 240);
      x = f32x4.sub(x, f32x4(
        p0 < L0.lo || p0 > L0.hi ? <f32> polyBlep4(<f64> p0, <f64> L0.dt) : 0,
        p1 < L1.lo || p1 > L1.hi ? <f32> polyBlep4(<f64> p1, <f64> L1.dt) : 0,
        p2 < L2.lo || p2 > L2.hi ? <f32> polyBlep4(<f64> p2, <f64> L2.dt) : 0,
        p3 < L3.lo || p3 > L3.hi ? <f32> polyBlep4(<f64> p3, <f64> L3.dt) : 0,
      ));
    }
    phase = f32x4.add(phase, dt);
    phase = v128.bitselect(f32x4.sub(phase, one), phase, f32x4.ge(phase, one));
    w = f32x4.add(f32x4.mul(w, mul), add);
    lv = f32x4.add(ea, f32x4.mul(eb, w));
    y = f32x4.add(f32x4.add(f32x4.mul(a2, ic1), f32x4.mul(b3, ic2)), f32x4.mul(a3, x));
    const j1 = f32x4.add(f32x4.add(f32x4.mul(n1, x), f32x4.mul(m12, ic2)), f32x4.mul(m11, ic1));
    ic2 = f32x4.add(f32x4.add(f32x4.mul(n2, x), f32x4.mul(m21, ic1)), f32x4.mul(m22, ic2));
    ic1 = j1;
    const s = f32x4.mul(f32x4.mul(y, lv), vg);
    const o = <usize> i << 2;
    store<f32>(o0 + o, f32x4.extract_lane(s, 0));
    store<f32>(o1 + o, f32x4.extract_lane(s, 1));
    store<f32>(o2 + o, f32x4.extract_lane(s, 2));
    store<f32>(o3 + o, f32x4.extract_lane(s, 3));
    i++;
  }
  // A segment that ends here ends exactly on its end level (as in runSawLowFixed).
  const n = b - a;
  if (n > 0) {
    const last = <usize> (b - 1) << 2;
    if (e0.left == n) {
      lv = f32x4.replace_lane(lv, 0, <f32> e0.end);
      store<f32>(o0 + last, (f32x4.extract_lane(y, 0) * <f32> e0.end) * f32x4.extract_lane(vg, 0));
    }
    if (e1.left == n) {
      lv = f32x4.replace_lane(lv, 1, <f32> e1.end);
      store<f32>(o1 + last, (f32x4.extract_lane(y, 1) * <f32> e1.end) * f32x4.extract_lane(vg, 1));
    }
    if (e2.left == n) {
      lv = f32x4.replace_lane(lv, 2, <f32> e2.end);
      store<f32>(o2 + last, (f32x4.extract_lane(y, 2) * <f32> e2.end) * f32x4.extract_lane(vg, 2));
    }
    if (e3.left == n) {
      lv = f32x4.replace_lane(lv, 3, <f32> e3.end);
      store<f32>(o3 + last, (f32x4.extract_lane(y, 3) * <f32> e3.end) * f32x4.extract_lane(vg, 3));
    }
  }
  v0.phase = f32x4.extract_lane(phase, 0);
  v1.phase = f32x4.extract_lane(phase, 1);
  v2.phase = f32x4.extract_lane(phase, 2);
  v3.phase = f32x4.extract_lane(phase, 3);
  f0.ic1 = f32x4.extract_lane(ic1, 0);
  f1.ic1 = f32x4.extract_lane(ic1, 1);
  f2.ic1 = f32x4.extract_lane(ic1, 2);
  f3.ic1 = f32x4.extract_lane(ic1, 3);
  f0.ic2 = f32x4.extract_lane(ic2, 0);
  f1.ic2 = f32x4.extract_lane(ic2, 1);
  f2.ic2 = f32x4.extract_lane(ic2, 2);
  f3.ic2 = f32x4.extract_lane(ic2, 3);
  e0.w = f32x4.extract_lane(w, 0);
  e1.w = f32x4.extract_lane(w, 1);
  e2.w = f32x4.extract_lane(w, 2);
  e3.w = f32x4.extract_lane(w, 3);
  e0.level = f32x4.extract_lane(lv, 0);
  e1.level = f32x4.extract_lane(lv, 1);
  e2.level = f32x4.extract_lane(lv, 2);
  e3.level = f32x4.extract_lane(lv, 3);
  e0.left -= n;
  e1.left -= n;
  e2.left -= n;
  e3.left -= n;
}
