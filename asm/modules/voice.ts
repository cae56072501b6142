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
import { Env, envOff, envOn, envStep, IDLE, msToSamples } from "./env";
import { oscSample } from "./osc";
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

// Follows the gate input at sample i.
function followGateInput(m: Inst, v: Voice, i: i32): void {
  const high = load<f32>(inp(m, VOICE_IN_GATE) + (<usize> i << 2)) > 0.5 ? 1 : 0;
  if (high == v.inGate) return;
  const was = v.cmdGate | v.inGate;
  v.inGate = high;
  if (high && !was) trigger(m, 1.0);
  else if (!high && !v.cmdGate) release(m);
}

export function voiceProcess(m: Inst, from: i32, to: i32): void {
  const e = env(m), f = svf(m), v = voice(m), out = outp(m, 0);
  const gated = connected(m, VOICE_IN_GATE);
  if (e.stage == IDLE && e.level == 0.0 && !gated) {
    // Silent: keep the oscillator's phase moving (so a note's start does not depend on the idle time's
    // rendering) but skip the filter and amplifier.
    for (let i = from; i < to; i++) store<f32>(out + (<usize> i << 2), 0);
    const dt = <f64> at(prm(m, VOICE_FREQ), to - 1) / G.sampleRate;
    v.phase = (v.phase + dt * <f64> (to - from)) % 1.0;
    return;
  }
  const wave = <i32> prm(m, VOICE_WAVE).value, mode = <i32> prm(m, VOICE_FMODE).value;
  const freq = prm(m, VOICE_FREQ), detune = prm(m, VOICE_DETUNE), pw = prm(m, VOICE_PW);
  const cutoff = prm(m, VOICE_CUTOFF), res = prm(m, VOICE_RES), gain = prm(m, VOICE_GAIN), fm = prm(m, VOICE_FM);
  const envamt = prm(m, VOICE_ENVAMT).value, sustain = prm(m, VOICE_SUSTAIN).value;
  const fmIn = inp(m, VOICE_IN_FM);
  const isr = 1.0 / G.sampleRate, vel = v.velocity;
  const ratio0: f64 = exp2f(at(detune, from) * <f32> (1.0 / 1200.0));
  const detuneMoves = detune.step != 0;
  const fixedFilter = envamt == 0.0 && cutoff.step == 0 && res.step == 0;
  if (fixedFilter) svfTune(f, <f64> at(cutoff, from), <f64> at(res, from));
  let phase = v.phase;
  for (let i = from; i < to; i++) {
    if (gated) followGateInput(m, v, i);
    const ratio = detuneMoves ? <f64> exp2f(at(detune, i) * <f32> (1.0 / 1200.0)) : ratio0;
    let dt = (<f64> at(freq, i) * ratio + <f64> at(fm, i) * <f64> load<f32>(fmIn + (<usize> i << 2))) * isr;
    dt = dt < 0.0 ? 0.0 : dt > 0.45 ? 0.45 : dt;
    const x = oscSample(wave, phase, dt, <f64> at(pw, i));
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
    const level = envStep(e, sustain);
    if (!fixedFilter) {
      svfTune(f, <f64> (at(cutoff, i) * exp2f(<f32> (envamt * level))), <f64> at(res, i));
    }
    const y = svfTick(f, x, mode);
    store<f32>(out + (<usize> i << 2), <f32> (y * level * vel) * at(gain, i));
  }
  v.phase = phase;
  svfFlush(f);
}
