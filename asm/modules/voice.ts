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
import { Svf, svfFlush, svfTick, svfTune } from "./svf";

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

// The first frame in [i, to) where the gate input crosses 0.5 the other way, or `to`.
function nextGateEdge(m: Inst, v: Voice, i: i32, to: i32): i32 {
  const x = inp(m, VOICE_IN_GATE);
  const high = v.inGate != 0;
  for (; i < to; i++) if ((load<f32>(x + (<usize> i << 2)) > 0.5) != high) return i;
  return to;
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
    if (!fixedFilter) svfTune(f, <f64> (at(cutoff, i) * exp2f(<f32> (envamt * lv))), <f64> at(res, i));
    const y = svfTick(f, x, mode);
    store<f32>(out + (<usize> i << 2), <f32> (y * lv * vel) * load<f32>(gp + <usize> (i * gs)));
    yLast = y;
  }
  if (e.left == b - a && b > a) {
    // The segment ends here: its last sample is exactly its end level (the recurrence lands within rounding).
    lv = e.end;
    store<f32>(out + (<usize> (b - 1) << 2), <f32> (yLast * lv * vel) * load<f32>(gp + <usize> ((b - 1) * gs)));
  }
  v.phase = phase;
  e.w = w;
  e.level = lv;
  e.left -= b - a;
}
