// kick: a bass drum in the TR-909 manner. Inputs: gate. Parameters: freq (Hz, 20 … 500, default 50), sweep
// (octaves, 0 … 6, 2.5), pitchdecay (ms, 70), decay (ms, 450), click (0 … 1, 0.5), drive (0 … 1, 0.3),
// level (0.9). A hit (drum.ts: onset, velocity, retrigger, idle) is, per sample:
//   pitch = freq · 2^(sweep · p)   p falls from 1 to exactly 0 in pitchdecay ms (so the tail is at freq)
//   body  = a · cos(phase)         a falls from 1 to exactly 0 in decay ms; cosine phase: the first sample is
//                                  the loudest (the punch); phase integrated from the pitch in f64
//   click = w · lowpass(noise)     w falls from `click` to 0 in 8 ms (curvature 2); an 8 kHz one-pole
//                                  low-pass of the hit's noise, started at +1 (an edge, like a beater):
//                                  with the body, the first sample is the hit's peak whatever the click
//   x     = body · (1 − w) + click |x| ≤ 1: the click ducks the body while it lasts
//   y     = x + drive · (tanh(g·x)/tanh(g) − x),  g = 1 + 7·drive: parallel saturation, fatter, never > 1
//   out   = level · velocity · y
// The pitch may be modulated per sample (freq is exponential, audio rate); the times are taken at the hit,
// sweep, click and drive once per span.
import { G } from "../globals";
import { at, exp2f, Inst, outp, prm } from "../module_abi";
import {
  KICK_CLICK,
  KICK_DECAY,
  KICK_DRIVE,
  KICK_FREQ,
  KICK_IN_GATE,
  KICK_LEVEL,
  KICK_PITCHDECAY,
  KICK_SWEEP,
} from "../gen/defs";
import { envOn, envStep, msToSamples } from "./env";
import {
  cosTurns,
  decayOn,
  drum,
  DRUM_BYTES,
  drumEnv,
  drumFinish,
  drumHit,
  drumIdle,
  drumInit,
  drumNoise,
  drumProcess,
  ENV_BYTES,
} from "./drum";
import { softClip } from "./shape";

const CLICK_MS: f64 = 8.0;
const CLICK_CURVE: f64 = 2.0; // gentler than the −60 dB shape: the click holds for a few ms
const CLICK_HZ: f64 = 8000.0;
const DRIVE_GAIN: f64 = 7.0;
const AMP = 0;
const PITCH = 1;
const CLICK = 2;
const ENVS = 3;

@unmanaged
class Kick {
  phase: f64; // cycles, [0, 1)
  lp: f64; // the click's low-pass state
}

@inline
function kick(m: Inst): Kick {
  return changetype<Kick>(m.state + <usize> (DRUM_BYTES + ENVS * ENV_BYTES));
}

/** Bytes of private state. */
export function kickStateBytes(): i32 {
  return DRUM_BYTES + ENVS * ENV_BYTES + <i32> offsetof<Kick>();
}

/** Seeds the click's noise. */
export function kickInit(m: Inst): void {
  drumInit(m);
}

/** Gate on: a new hit at this frame (gate off does nothing: the kick is a one-shot). */
export function kickGate(m: Inst, on: bool, vel: f64): void {
  if (!on) return;
  const k = kick(m);
  k.phase = 0.0;
  k.lp = 1.0;
  const n = decayOn(drumEnv(m, AMP), prm(m, KICK_DECAY).value);
  const np = decayOn(drumEnv(m, PITCH), prm(m, KICK_PITCHDECAY).value);
  const nc = msToSamples(CLICK_MS, G.sampleRate);
  envOn(drumEnv(m, CLICK), 0, nc, 0.0, 0, CLICK_CURVE);
  drumHit(drum(m), vel, max<i32>(n, max<i32>(np, nc)));
}

/** Renders frames [from, to). */
export function kickProcess(m: Inst, from: i32, to: i32): void {
  drumProcess(m, KICK_IN_GATE, from, to, run, kickGate);
}

function run(m: Inst, from: i32, to: i32): void {
  const d = drum(m), out = outp(m, 0);
  if (drumIdle(d, out, from, to)) return;
  const k = kick(m), amp = drumEnv(m, AMP), pitch = drumEnv(m, PITCH), click = drumEnv(m, CLICK);
  const freq = prm(m, KICK_FREQ), level = prm(m, KICK_LEVEL);
  const sweep = <f32> prm(m, KICK_SWEEP).value, clickLevel = prm(m, KICK_CLICK).value;
  const drive = prm(m, KICK_DRIVE).value;
  const g = 1.0 + DRIVE_GAIN * drive, norm = 1.0 / softClip(g);
  const isr = 1.0 / G.sampleRate, kc = 1.0 - Math.exp(-2.0 * Math.PI * CLICK_HZ * isr);
  const vel = d.velocity;
  let phase = k.phase, lp = k.lp;
  for (let i = from; i < to; i++) {
    const p = <f32> envStep(pitch);
    const a = envStep(amp);
    const w = clickLevel * envStep(click);
    const body = a * cosTurns(phase);
    const dt = <f64> (at(freq, i) * exp2f(sweep * p)) * isr;
    phase += dt < 0.45 ? dt : 0.45;
    if (phase >= 1.0) phase -= 1.0;
    lp += (drumNoise(d) - lp) * kc;
    const x = body * (1.0 - w) + w * lp;
    const y = x + drive * (softClip(g * x) * norm - x);
    store<f32>(out + (<usize> i << 2), <f32> (y * vel) * at(level, i));
  }
  k.phase = phase;
  k.lp = lp;
  drumFinish(d, out, from, to);
}
