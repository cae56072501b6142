// snare: a snare drum in the TR-808/909 manner. Inputs: gate. Parameters: freq (Hz, 50 … 1000, default 185),
// tone (0 … 1, 0.55), snappy (0 … 1, 0.8), decay (ms, 180), noisedecay (ms, 260), cutoff (Hz, 500 … 16000,
// 4000), level (0.8). A hit (drum.ts: onset, velocity, retrigger, idle) is, per sample:
//   shell  = a · (cos φ₁ + 0.6·cos φ₂)/1.6   partials at freq and 1.78·freq (the 909's two shell
//            oscillators), bent 0.4 octave up at the onset and back within 25 ms; cosine phase: a loud first
//            sample; a falls from 1 to exactly 0 in decay ms
//   snares = n · band(noise)   the hit's noise (starting at +1, drum.ts) through a band-pass at cutoff, Q 0.5
//            (−3 dB at 0.41 and 2.4 × cutoff), unity gain at its centre; n falls to exactly 0 in noisedecay
//   out    = level · velocity · softclip(tone · shell + snappy · NOISE_GAIN · snares)
// freq and cutoff are read per sample (exponential modulation); the times are taken at the hit.
import { G } from "../globals";
import { at, exp2f, Inst, outp, prm } from "../module_abi";
import {
  SNARE_CUTOFF,
  SNARE_DECAY,
  SNARE_FREQ,
  SNARE_IN_GATE,
  SNARE_LEVEL,
  SNARE_NOISEDECAY,
  SNARE_SNAPPY,
  SNARE_TONE,
} from "../gen/defs";
import { envStep } from "./env";
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
import { Svf, svfFlush, svfTick, svfTune, svfTuneFast } from "./svf";

const PARTIAL2: f64 = 1.78;
const PARTIAL2_LEVEL: f64 = 0.6;
const BEND_OCT: f32 = 0.4;
const BEND_MS: f64 = 25.0;
const NOISE_RES: f64 = 0.0; // Q 0.5
const NOISE_GAIN: f64 = 1.2;
const SHELL = 0;
const NOISE = 1;
const BEND = 2;
const ENVS = 3;
const SVF_AT: i32 = DRUM_BYTES + ENVS * ENV_BYTES;

@unmanaged
class Snare {
  phase1: f64; // cycles, [0, 1)
  phase2: f64;
}

@inline
function band(m: Inst): Svf {
  return changetype<Svf>(m.state + <usize> SVF_AT);
}

@inline
function snare(m: Inst): Snare {
  return changetype<Snare>(m.state + <usize> (SVF_AT + <i32> offsetof<Svf>()));
}

/** Bytes of private state. */
export function snareStateBytes(): i32 {
  return SVF_AT + <i32> offsetof<Svf>() + <i32> offsetof<Snare>();
}

/** Seeds the noise. */
export function snareInit(m: Inst): void {
  drumInit(m);
}

/** Gate on: a new hit at this frame (gate off does nothing: the snare is a one-shot). */
export function snareGate(m: Inst, on: bool, vel: f64): void {
  if (!on) return;
  const s = snare(m), f = band(m);
  s.phase1 = 0.0;
  s.phase2 = 0.0;
  f.ic1 = 0.0;
  f.ic2 = 0.0;
  const n = decayOn(drumEnv(m, SHELL), prm(m, SNARE_DECAY).value);
  const nn = decayOn(drumEnv(m, NOISE), prm(m, SNARE_NOISEDECAY).value);
  decayOn(drumEnv(m, BEND), BEND_MS);
  drumHit(drum(m), vel, max<i32>(n, nn));
}

/** Renders frames [from, to). */
export function snareProcess(m: Inst, from: i32, to: i32): void {
  drumProcess(m, SNARE_IN_GATE, from, to, run, snareGate);
}

function run(m: Inst, from: i32, to: i32): void {
  const d = drum(m), out = outp(m, 0);
  if (drumIdle(d, out, from, to)) return;
  const s = snare(m), f = band(m);
  const shell = drumEnv(m, SHELL), noise = drumEnv(m, NOISE), bend = drumEnv(m, BEND);
  const freq = prm(m, SNARE_FREQ), cutoff = prm(m, SNARE_CUTOFF), tone = prm(m, SNARE_TONE);
  const snappy = prm(m, SNARE_SNAPPY), level = prm(m, SNARE_LEVEL);
  const isr = 1.0 / G.sampleRate, vel = d.velocity;
  const moving = cutoff.step != 0;
  if (!moving) svfTune(f, <f64> at(cutoff, from), NOISE_RES);
  const k = f.k;
  let p1 = s.phase1, p2 = s.phase2;
  for (let i = from; i < to; i++) {
    const a = envStep(shell);
    const body = a * (cosTurns(p1) + PARTIAL2_LEVEL * cosTurns(p2)) * (1.0 / (1.0 + PARTIAL2_LEVEL));
    const dt = <f64> (at(freq, i) * exp2f(BEND_OCT * <f32> envStep(bend))) * isr;
    p1 += dt;
    p1 -= Math.floor(p1);
    p2 += dt * PARTIAL2;
    p2 -= Math.floor(p2);
    if (moving) svfTuneFast(f, <f64> at(cutoff, i), NOISE_RES);
    const sn = k * svfTick(f, drumNoise(d), 1) * envStep(noise);
    const x = <f64> at(tone, i) * body + <f64> at(snappy, i) * NOISE_GAIN * sn;
    store<f32>(out + (<usize> i << 2), <f32> (softClip(x) * vel) * at(level, i));
  }
  s.phase1 = p1;
  s.phase2 = p2;
  svfFlush(f);
  drumFinish(d, out, from, to);
}
