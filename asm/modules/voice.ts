// voice: one playable voice in one loop: oscillator (osc.ts) → state-variable filter (svf.ts) whose cutoff
// follows the envelope by `envamt` octaves → amplifier driven by the same envelope (env.ts) and velocity.
// Fusing the chain keeps every intermediate in registers (the reference voice of the benchmark).
import { G } from "../globals";
import { at, connected, exp2f, Inst, inp, outp, prm, smoothingCoef } from "../graph";
import {
  VOICE_ATTACK,
  VOICE_CURVE,
  VOICE_CUTOFF,
  VOICE_DECAY,
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
  VOICE_RELEASE,
  VOICE_RES,
  VOICE_SUSTAIN,
  VOICE_WAVE,
} from "../gen/defs";
import { Env, envOff, envOn, envSegmentDone, envSustain, IDLE, msToSamples } from "./env";
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
  const sr = G.sampleRate;
  voice(m).velocity = vel;
  envOn(
      env(m),
      msToSamples(prm(m, VOICE_ATTACK).value, sr),
      msToSamples(prm(m, VOICE_DECAY).value, sr),
      prm(m, VOICE_SUSTAIN).value,
      msToSamples(prm(m, VOICE_RELEASE).value, sr),
    prm(m, VOICE_CURVE).value,
  );
}

function release(m: Inst): void {
  envOff(env(m), msToSamples(prm(m, VOICE_RELEASE).value, G.sampleRate), prm(m, VOICE_CURVE).value);
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

// The common case in a tight loop: saw, fixed low-pass (no envelope amount, cutoff and resonance still),
// no FM, detune still. Same arithmetic as run(), so both give the same samples.
function runSawLowFixed(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  const f = svf(m), out = outp(m, 0);
  const freq = prm(m, VOICE_FREQ), gain = prm(m, VOICE_GAIN);
  const fp = freq.ptr, fs = freq.step, gp = gain.ptr, gs = gain.step;
  svfTune(f, <f64> at(prm(m, VOICE_CUTOFF), a), <f64> at(prm(m, VOICE_RES), a));
  const ratio: f64 = exp2f(at(prm(m, VOICE_DETUNE), a) * <f32> (1.0 / 1200.0));
  const scale = ratio / G.sampleRate, vel = v.velocity;
  const a2 = f.a2, b3 = 1.0 - f.a3, a3 = f.a3;
  const m11 = f.m11, m12 = f.m12, m21 = f.m21, m22 = f.m22, n1 = f.n1, n2 = f.n2;
  const mul = e.mul, add = e.add, ea = e.a, eb = e.b;
  let phase = v.phase, ic1 = f.ic1, ic2 = f.ic2, w = e.w, lv = e.level, y: f64 = 0;
  for (let i = a; i < b; i++) {
    let dt = <f64> load<f32>(fp + <usize> (i * fs)) * scale;
    dt = dt > 0.45 ? 0.45 : dt;
    const x = 2.0 * phase - 1.0 - polyBlep4(phase, dt);
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
    w = w * mul + add;
    lv = ea + eb * w;
    y = a2 * ic1 + b3 * ic2 + a3 * x; // svfTick's low-pass, in locals
    const j1 = (n1 * x + m12 * ic2) + m11 * ic1;
    ic2 = (n2 * x + m21 * ic1) + m22 * ic2;
    ic1 = j1;
    store<f32>(out + (<usize> i << 2), <f32> (y * lv * vel) * load<f32>(gp + <usize> (i * gs)));
  }
  if (e.left == b - a && b > a) {
    lv = e.end;
    store<f32>(out + (<usize> (b - 1) << 2), <f32> (y * lv * vel) * load<f32>(gp + <usize> ((b - 1) * gs)));
  }
  v.phase = phase;
  f.ic1 = ic1;
  f.ic2 = ic2;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}

// Renders [a, b): oscillator → filter → amplifier with the envelope recurrence in locals; b − a ≤ e.left.
function run(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  if (
    <i32> prm(m, VOICE_WAVE).value == 1 && <i32> prm(m, VOICE_FMODE).value == 0 && prm(m, VOICE_ENVAMT).value == 0 &&
    prm(m, VOICE_CUTOFF).step == 0 && prm(m, VOICE_RES).step == 0 && prm(m, VOICE_DETUNE).step == 0 &&
    !connected(m, VOICE_IN_FM)
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

// ── Two voices at once ──
// The graph hands adjacent, independent voices to voicePairProcess. When both are on the fast path (saw,
// fixed low-pass, no FM, pitch and gain still over the span) one f64x2 loop renders both: the same operations
// in the same order as runSawLowFixed, lane by lane, so a voice's samples do not depend on its pairing.

// True when the voice would render through runSawLowFixed with pitch and gain constant over the span.
function pairable(m: Inst): bool {
  const e = env(m);
  if (e.stage == IDLE && e.level == 0.0 && !connected(m, VOICE_IN_GATE)) return false; // the silent shortcut
  return <i32> prm(m, VOICE_WAVE).value == 1 && <i32> prm(m, VOICE_FMODE).value == 0 &&
    prm(m, VOICE_ENVAMT).value == 0 && prm(m, VOICE_CUTOFF).step == 0 && prm(m, VOICE_RES).step == 0 &&
    prm(m, VOICE_DETUNE).step == 0 && prm(m, VOICE_FREQ).step == 0 && prm(m, VOICE_GAIN).step == 0 &&
    !connected(m, VOICE_IN_FM);
}

/** Renders two independent voices over [from, to): together when both are on the fast path, else one by one. */
export function voicePairProcess(p: Inst, q: Inst, from: i32, to: i32): void {
  if (!pairable(p) || !pairable(q)) {
    voiceProcess(p, from, to);
    voiceProcess(q, from, to);
    return;
  }
  const ep = env(p), eq = env(q), vp = voice(p), vq = voice(q);
  envSustain(ep, prm(p, VOICE_SUSTAIN).value);
  envSustain(eq, prm(q, VOICE_SUSTAIN).value);
  const gp = connected(p, VOICE_IN_GATE), gq = connected(q, VOICE_IN_GATE);
  let i = from;
  let edgeP = gp ? nextGateEdge(p, vp, i, to) : to;
  let edgeQ = gq ? nextGateEdge(q, vq, i, to) : to;
  while (i < to) {
    if (edgeP == i) {
      gateInputEdge(p, vp);
      edgeP = nextGateEdge(p, vp, i + 1, to);
    }
    if (edgeQ == i) {
      gateInputEdge(q, vq);
      edgeQ = nextGateEdge(q, vq, i + 1, to);
    }
    const end = min(edgeP, edgeQ);
    while (i < end) {
      const n = min(end - i, min(ep.left, eq.left));
      runPair(p, q, i, i + n);
      i += n;
      if (ep.left == 0) envSegmentDone(ep);
      if (eq.left == 0) envSegmentDone(eq);
    }
  }
  svfFlush(svf(p));
  svfFlush(svf(q));
}

@inline
function pair(a: f64, b: f64): v128 {
  return f64x2(a, b);
}

// runSawLowFixed for two voices; b − a ≤ both envelopes' `left`.
function runPair(p: Inst, q: Inst, a: i32, b: i32): void {
  const fp = svf(p), fq = svf(q), ep = env(p), eq = env(q), vp = voice(p), vq = voice(q);
  svfTune(fp, <f64> at(prm(p, VOICE_CUTOFF), a), <f64> at(prm(p, VOICE_RES), a));
  svfTune(fq, <f64> at(prm(q, VOICE_CUTOFF), a), <f64> at(prm(q, VOICE_RES), a));
  const sr = G.sampleRate;
  const scaleP = <f64> exp2f(at(prm(p, VOICE_DETUNE), a) * <f32> (1.0 / 1200.0)) / sr;
  const scaleQ = <f64> exp2f(at(prm(q, VOICE_DETUNE), a) * <f32> (1.0 / 1200.0)) / sr;
  let dtP = <f64> at(prm(p, VOICE_FREQ), a) * scaleP, dtQ = <f64> at(prm(q, VOICE_FREQ), a) * scaleQ;
  dtP = dtP > 0.45 ? 0.45 : dtP;
  dtQ = dtQ > 0.45 ? 0.45 : dtQ;
  const gainP = at(prm(p, VOICE_GAIN), a), gainQ = at(prm(q, VOICE_GAIN), a);
  const outP = outp(p, 0), outQ = outp(q, 0);
  const dt = pair(dtP, dtQ), lo = pair(2.0 * dtP, 2.0 * dtQ), hi = pair(1.0 - 2.0 * dtP, 1.0 - 2.0 * dtQ);
  const vel = pair(vp.velocity, vq.velocity);
  const a2 = pair(fp.a2, fq.a2), b3 = pair(1.0 - fp.a3, 1.0 - fq.a3), a3 = pair(fp.a3, fq.a3);
  const m11 = pair(fp.m11, fq.m11), m12 = pair(fp.m12, fq.m12), m21 = pair(fp.m21, fq.m21);
  const m22 = pair(fp.m22, fq.m22), n1 = pair(fp.n1, fq.n1), n2 = pair(fp.n2, fq.n2);
  const mul = pair(ep.mul, eq.mul), add = pair(ep.add, eq.add), ea = pair(ep.a, eq.a), eb = pair(ep.b, eq.b);
  const one = f64x2.splat(1.0), two = f64x2.splat(2.0);
  const gains = f32x4(gainP, gainQ, 0, 0); // lane-wise the scalar path's f32 multiply
  let phase = pair(vp.phase, vq.phase), ic1 = pair(fp.ic1, fq.ic1), ic2 = pair(fp.ic2, fq.ic2);
  let w = pair(ep.w, eq.w), lv = pair(ep.level, eq.level), y = f64x2.splat(0);
  const loP = 2.0 * dtP, hiP = 1.0 - 2.0 * dtP, loQ = 2.0 * dtQ, hiQ = 1.0 - 2.0 * dtQ;
  let i = a;
  while (i < b) {
    // Samples for which both phases stay clear of the step's residual window (so no residual and no wrap):
    // a lower bound, one sample of margin for the rounding of the phase sum.
    const p0 = f64x2.extract_lane(phase, 0), p1 = f64x2.extract_lane(phase, 1);
    const clearP = p0 < loP || p0 > hiP ? 0 : <i32> Math.floor((hiP - p0) / dtP) - 1;
    const clearQ = p1 < loQ || p1 > hiQ ? 0 : <i32> Math.floor((hiQ - p1) / dtQ) - 1;
    const clear = min(b - i, max(0, min(clearP, clearQ)));
    for (const stop = i + clear; i < stop; i++) {
      const x = f64x2.sub(f64x2.mul(two, phase), one);
      phase = f64x2.add(phase, dt);
      w = f64x2.add(f64x2.mul(w, mul), add);
      lv = f64x2.add(ea, f64x2.mul(eb, w));
      y = f64x2.add(f64x2.add(f64x2.mul(a2, ic1), f64x2.mul(b3, ic2)), f64x2.mul(a3, x));
      const j1 = f64x2.add(f64x2.add(f64x2.mul(n1, x), f64x2.mul(m12, ic2)), f64x2.mul(m11, ic1));
      ic2 = f64x2.add(f64x2.add(f64x2.mul(n2, x), f64x2.mul(m21, ic1)), f64x2.mul(m22, ic2));
      ic1 = j1;
      const s = f32x4.mul(f32x4.demote_f64x2_zero(f64x2.mul(f64x2.mul(y, lv), vel)), gains);
      store<f32>(outP + (<usize> i << 2), f32x4.extract_lane(s, 0));
      store<f32>(outQ + (<usize> i << 2), f32x4.extract_lane(s, 1));
    }
    if (i == b) break;
    // One sample near a step (or a wrap) in either lane: the residual lane by lane, as the scalar path does.
    let x = f64x2.sub(f64x2.mul(two, phase), one);
    const near = v128.or(f64x2.lt(phase, lo), f64x2.gt(phase, hi));
    if (v128.any_true(near)) {
      const r = pair(
        polyBlep4(f64x2.extract_lane(phase, 0), dtP),
        polyBlep4(f64x2.extract_lane(phase, 1), dtQ),
      );
      x = f64x2.sub(x, r);
    }
    phase = f64x2.add(phase, dt);
    phase = v128.bitselect(f64x2.sub(phase, one), phase, f64x2.ge(phase, one));
    w = f64x2.add(f64x2.mul(w, mul), add);
    lv = f64x2.add(ea, f64x2.mul(eb, w));
    y = f64x2.add(f64x2.add(f64x2.mul(a2, ic1), f64x2.mul(b3, ic2)), f64x2.mul(a3, x));
    const j1 = f64x2.add(f64x2.add(f64x2.mul(n1, x), f64x2.mul(m12, ic2)), f64x2.mul(m11, ic1));
    ic2 = f64x2.add(f64x2.add(f64x2.mul(n2, x), f64x2.mul(m21, ic1)), f64x2.mul(m22, ic2));
    ic1 = j1;
    const s = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.mul(y, lv), vel));
    store<f32>(outP + (<usize> i << 2), f32x4.extract_lane(s, 0) * gainP);
    store<f32>(outQ + (<usize> i << 2), f32x4.extract_lane(s, 1) * gainQ);
    i++;
  }
  if (b > a) {
    // A segment that ends here ends exactly on its end level (as in runSawLowFixed).
    if (ep.left == b - a) {
      const yy = f64x2.extract_lane(y, 0);
      store<f32>(outP + (<usize> (b - 1) << 2), <f32> (yy * ep.end * vp.velocity) * gainP);
      lv = f64x2.replace_lane(lv, 0, ep.end);
    }
    if (eq.left == b - a) {
      const yy = f64x2.extract_lane(y, 1);
      store<f32>(outQ + (<usize> (b - 1) << 2), <f32> (yy * eq.end * vq.velocity) * gainQ);
      lv = f64x2.replace_lane(lv, 1, eq.end);
    }
  }
  vp.phase = f64x2.extract_lane(phase, 0);
  vq.phase = f64x2.extract_lane(phase, 1);
  fp.ic1 = f64x2.extract_lane(ic1, 0);
  fq.ic1 = f64x2.extract_lane(ic1, 1);
  fp.ic2 = f64x2.extract_lane(ic2, 0);
  fq.ic2 = f64x2.extract_lane(ic2, 1);
  ep.w = f64x2.extract_lane(w, 0);
  eq.w = f64x2.extract_lane(w, 1);
  ep.level = f64x2.extract_lane(lv, 0);
  eq.level = f64x2.extract_lane(lv, 1);
  ep.left -= b - a;
  eq.left -= b - a;
}
