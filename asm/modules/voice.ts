// voice: one playable voice in one loop: oscillator (osc.ts) → state-variable filter (svf.ts) whose cutoff
// follows the envelope by `envamt` octaves → amplifier driven by the same envelope (env.ts) and velocity.
// Fusing the chain keeps every intermediate in registers (the reference voice of the benchmark).
// Inputs: fm (times the fm parameter: Hz of deviation), gate (on above 0.5), am (when connected, multiplies
// the output sample by sample: a tremolo from an LFO whose offset and depth keep it in 0 … 1). Output: out.
// Parameters (patch/schema.ts; "per sample" = audio rate, smoothed and modulated per sample):
//   wave    enum: 0 sine, 1 saw, 2 square, 3 triangle, 4 white, 5 pink, 6 brown noise (default saw); the
//           noises come from the voice's own PRNG (noise_source.ts), ignore the pitch, and go through the
//           filter and amplifier like a waveform
//   freq    Hz, 0.1 … 20000 (220), per sample; glides with the time constant `glide` (ms, 0 … 5000, 0)
//   detune  cents, −1200 … 1200 (0), per sample
//   pw      0.01 … 0.99 (0.5), per sample: the square's pulse width
//   cutoff  Hz, 20 … 20000 (2400), per sample;  res 0 … 1 (0.35), per sample: Q = 1/(2·(1 − res))
//   fmode   enum: 0 low, 1 band, 2 high, 3 notch (low)
//   envamt  octaves, −8 … 8 (1.5): the cutoff is cutoff · 2^(envamt · level), level the envelope's
//   attack, decay, release (ms, 0 … 20000: 5, 250, 300), sustain (0 … 1, 0.5), curve (0 … 10, 4): env.ts
//   gain    0 … 1 (0.5), per sample;  fm  Hz per unit of the fm input, 0 … 10000 (0), per sample
//   unison  1 … 7 oscillators (1);  spread  cents, 0 … 100 (0), per sample: the detune span (voice_unison.ts
//           has the law: symmetric around the pitch, each oscillator at 1/√N, deterministic start phases)
// Per sample: hz = freq · 2^(detune/1200) + fm · in.fm;  x = the wave at the phase;  y = the filter's fmode
// response to x;  out = y · level · velocity · gain (· am when the am input is connected).
// Gate: on while the gate command or the gate input is on. Turning on triggers the attack from the current
// level (velocity: the command's, 1 for the input); a gate command while on retriggers; off releases once
// neither is on. Input edges take effect at their exact frame.
// State (voice_state.ts): the envelope (Env), the filter (Svf), the phase, the velocity, the two gate sources,
// the noise generator.
// Kernels: this file splits a span into runs at gate-input edges and envelope segment ends (so a kernel is
// branch-free within a run) and picks one per run:
//   voice_general.ts    any setting, f64
//   voice_saw_f32.ts    the common case (saw into a fixed low-pass, nothing moving, no fm cable), f32
//   voice_saw_f32x4.ts  four voices on that path at once (voiceQuadProcess), lane by lane the same operations
//   voice_unison.ts     unison > 1 on that path (f32x4 across the oscillators); elsewhere voice_general.ts
//                       calls its bank per sample. unison = 1 never touches it: renders stay as they were
//   voice_unison_f32x4.ts  four unison voices on that path at once (voiceQuadProcess), one voice per lane,
//                       lane by lane voice_unison.ts's operations in its order
// Invariants: a voice sounds the same alone or in a group of four (bit for bit); a silent voice (envelope
// idle at 0, gate input unpatched) writes zeros and only advances its phase; the last sample of an envelope
// segment is exactly its end level.
import { G } from "../globals";
import { at, connected, Inst, inp, outp, prm, smoothingCoef } from "../module_abi";
import {
  VOICE_ATTACK,
  VOICE_CUTOFF,
  VOICE_DETUNE,
  VOICE_ENVAMT,
  VOICE_FMODE,
  VOICE_FREQ,
  VOICE_GAIN,
  VOICE_GLIDE,
  VOICE_IN_AM,
  VOICE_IN_FM,
  VOICE_IN_GATE,
  VOICE_RES,
  VOICE_SPREAD,
  VOICE_SUSTAIN,
  VOICE_WAVE,
} from "../gen/defs";
import { Env, envOffFrom, envOnFrom, envSegmentDone, envSustain, IDLE } from "./env";
import { svfFlush } from "./svf";
import { env, noise, svf, Voice, voice, VOICE_BYTES } from "./voice_state";
import { runGeneral } from "./voice_general";
import { runSawLowFixed } from "./voice_saw_f32";
import { GROUP, member, runQuad } from "./voice_saw_f32x4";
import { runUnisonFixed, unisonCount, unisonInit } from "./voice_unison";
import { runUnisonQuad } from "./voice_unison_f32x4";

/** Bytes of private state. */
export function voiceStateBytes(): i32 {
  return VOICE_BYTES;
}

/** Velocity 1 until the first trigger; freq glides by the default `glide`; the noise has the module's seed. */
export function voiceInit(m: Inst): void {
  voice(m).velocity = 1.0;
  noise(m).rng = m.seed;
  unisonInit(m);
  voiceParam(m, VOICE_GLIDE);
}

/** `glide` is freq's smoothing time. */
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

/** The envelope's level times the last trigger's velocity, as of the last rendered sample (0: silent). */
export function voiceLevel(m: Inst): f64 {
  return env(m).level * voice(m).velocity;
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

/** Renders frames [from, to). */
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

// True when voice m's parameters put a run on the f32 kernel (voice_saw_f32.ts).
@inline
function sawLowFixed(m: Inst): bool {
  return <i32> prm(m, VOICE_WAVE).value == 1 && <i32> prm(m, VOICE_FMODE).value == 0 &&
    prm(m, VOICE_ENVAMT).value == 0 && prm(m, VOICE_CUTOFF).step == 0 && prm(m, VOICE_RES).step == 0 &&
    prm(m, VOICE_DETUNE).step == 0 && prm(m, VOICE_FREQ).step == 0 && prm(m, VOICE_GAIN).step == 0 &&
    !connected(m, VOICE_IN_FM) && !connected(m, VOICE_IN_AM);
}

// Renders [a, b) with the kernel the parameters allow; b − a ≤ e.left. Unison (N > 1) takes its own f32
// kernel on the saw-into-fixed-low-pass path while spread holds still (voice_unison.ts), else the general one.
function run(m: Inst, e: Env, v: Voice, a: i32, b: i32): void {
  const fixed = sawLowFixed(m);
  if (unisonCount(m) == 1) {
    if (fixed) runSawLowFixed(m, e, v, a, b);
    else runGeneral(m, e, v, a, b);
  } else if (fixed && prm(m, VOICE_SPREAD).step == 0) runUnisonFixed(m, e, v, a, b);
  else runGeneral(m, e, v, a, b);
}

// ── Four voices at once ──
// The graph hands groups of four adjacent voices that do not feed each other to voiceQuadProcess (the
// QuadProcess hook: module_abi.ts). When all four are on the same f32 path one f32x4 loop renders them: one
// oscillator each (voice_saw_f32x4.ts), or unison > 1 each, any mix of N (voice_unison_f32x4.ts). A group
// that mixes unison 1 with unison > 1, or has a voice off those paths, renders one by one: runSawLowFixed
// reads the voice's own phase and the unison kernels its bank's, so one kernel for both would need a per-lane
// choice of phase for no saving in the usual groups (a poly group's voices share their settings).
const QUAD_NONE: i32 = 0, QUAD_SAW: i32 = 1, QUAD_UNISON: i32 = 2;

// Which four-voice kernel voice m can join over this span: QUAD_SAW where it would render through
// runSawLowFixed, QUAD_UNISON where through runUnisonFixed, else QUAD_NONE (it renders alone).
function quadKind(m: Inst): i32 {
  const e = env(m);
  if (e.stage == IDLE && e.level == 0.0 && !connected(m, VOICE_IN_GATE)) return QUAD_NONE; // the silent shortcut
  if (!sawLowFixed(m)) return QUAD_NONE;
  if (unisonCount(m) == 1) return QUAD_SAW;
  return prm(m, VOICE_SPREAD).step == 0 ? QUAD_UNISON : QUAD_NONE;
}

/** Renders four independent voices over [from, to): together when all take the same f32 path, else one by one. */
export function voiceQuadProcess(m0: Inst, m1: Inst, m2: Inst, m3: Inst, from: i32, to: i32): void {
  const kind = quadKind(m0);
  if (kind == QUAD_NONE || quadKind(m1) != kind || quadKind(m2) != kind || quadKind(m3) != kind) {
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
      if (kind == QUAD_SAW) runQuad(i, i + n);
      else runUnisonQuad(i, i + n);
      i += n;
      for (let k = 0; k < 4; k++) {
        const e = env(member(k));
        if (e.left == 0) envSegmentDone(e);
      }
    }
  }
  for (let k = 0; k < 4; k++) svfFlush(svf(member(k)));
}
