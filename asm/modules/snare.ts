// snare: a snare drum in the manner of the TR-909.
//   inputs: gate (a rising crossing of 0.5 is a hit, velocity 1); the gate command hits with its velocity.
//   params: freq 50 … 1000 Hz (185), decay 5 … 2000 ms (180), snappy 0 … 1 (0.7), ndecay 5 … 2000 ms (250),
//           tone 200 … 16000 Hz (1800), level 0 … 1 (0.8).
// Body: two sines, at freq and 1.78·freq (the 909's two tuned oscillators), the second at half level and
// decaying twice as fast, both starting 0.4 octave sharp and falling to pitch (40 dB in 20 ms); the first
// falls 40 dB in `decay`. Snappy: white noise (module PRNG) through the state-variable high-pass (svf.ts) at
// `tone`, falling 40 dB in `ndecay`:
//   out = level · velocity · (BODY·(sin₁·a₁ + ½·sin₂·a₂) + NOISE·snappy·hp(noise)·a_n)
// Both sines restart at phase 0 on every hit; the noise filter keeps its state (it rings out within a
// millisecond).
// Hits, chokes and the end of a hit: drum.ts.
import { G } from "../globals";
import { at, connected, exp2f, Inst, inp, outp, prm } from "../graph";
import {
  SNARE_DECAY,
  SNARE_FREQ,
  SNARE_IN_GATE,
  SNARE_LEVEL,
  SNARE_NDECAY,
  SNARE_SNAPPY,
  SNARE_TONE,
} from "../gen/defs";
import { decayFactor, drumSpans, END, settle, silence, sinTurn } from "./drum";
import { rand } from "./rng";
import { Svf, svfFlush, svfTick, svfTune } from "./svf";

const RATIO: f64 = 1.78;
const SWEEP_OCT: f64 = 0.4;
const SWEEP_MS: f64 = 20.0;
const BEND_END: f64 = 1e-7; // octaves (1e-4 cents): below it the drop is over and costs nothing
const BODY: f64 = 0.6; // the default hit peaks near 0.95
const NOISE: f64 = 0.6;
const HIGH_PASS = 2; // svfTick mode
const NOISE_RES: f64 = 0.2;

@unmanaged
class Snare {
  phase1: f64;
  phase2: f64;
  amp1: f64;
  amp2: f64;
  ampN: f64;
  sweep: f64;
  velocity: f64;
  high: i32; // the gate input's state (drum.ts)
  rng: u32;
}

const SVF_BYTES: i32 = <i32> offsetof<Svf>();

@inline
function svf(m: Inst): Svf {
  return changetype<Svf>(m.state);
}

@inline
function snare(m: Inst): Snare {
  return changetype<Snare>(m.state + <usize> SVF_BYTES);
}

/** Bytes of private state. */
export function snareStateBytes(): i32 {
  return SVF_BYTES + <i32> offsetof<Snare>();
}

/** Seeds the noise generator. */
export function snareInit(m: Inst): void {
  snare(m).rng = m.seed;
}

function hit(m: Inst, velocity: f64): void {
  const s = snare(m);
  s.phase1 = 0;
  s.phase2 = 0;
  s.amp1 = 1;
  s.amp2 = 1;
  s.ampN = 1;
  s.sweep = 1;
  s.velocity = velocity;
}

/** Gate on: a hit at its exact frame; gate off: nothing. */
export function snareGate(m: Inst, on: bool, velocity: f64): void {
  if (on) hit(m, velocity);
}

function play(m: Inst, from: i32, to: i32): void {
  const s = snare(m), hp = svf(m), out = outp(m, 0);
  if (s.amp1 < END && s.ampN < END) {
    silence(out, from, to);
    return;
  }
  const freq = prm(m, SNARE_FREQ), level = prm(m, SNARE_LEVEL);
  const snappy = NOISE * prm(m, SNARE_SNAPPY).value;
  const mul1 = decayFactor(prm(m, SNARE_DECAY).value);
  const mul2 = mul1 * mul1;
  const mulN = decayFactor(prm(m, SNARE_NDECAY).value), sweepMul = decayFactor(SWEEP_MS);
  svfTune(hp, prm(m, SNARE_TONE).value, NOISE_RES);
  const isr = 1.0 / G.sampleRate, vel = s.velocity;
  const rng = changetype<usize>(s) + offsetof<Snare>("rng");
  let phase1 = s.phase1, phase2 = s.phase2, amp1 = s.amp1, amp2 = s.amp2, ampN = s.ampN, sweep = s.sweep;
  for (let i = from; i < to; i++) {
    if (amp1 < END && ampN < END) {
      silence(out, i, to);
      break;
    }
    const bend = SWEEP_OCT * sweep;
    let f = <f64> at(freq, i);
    if (bend > BEND_END) f *= <f64> exp2f(<f32> bend);
    const dt = Math.min(f * isr, 0.45 / RATIO);
    phase1 += dt;
    if (phase1 >= 1.0) phase1 -= 1.0;
    phase2 += RATIO * dt;
    if (phase2 >= 1.0) phase2 -= 1.0;
    const body = sinTurn(phase1) * amp1 + 0.5 * sinTurn(phase2) * amp2;
    const noise = svfTick(hp, rand(rng), HIGH_PASS) * ampN;
    store<f32>(out + (<usize> i << 2), <f32> ((BODY * body + snappy * noise) * vel) * at(level, i));
    amp1 *= mul1;
    amp2 *= mul2;
    ampN *= mulN;
    sweep *= sweepMul;
  }
  s.phase1 = phase1;
  s.phase2 = phase2;
  s.amp1 = settle(amp1);
  s.amp2 = settle(amp2);
  s.ampN = settle(ampN);
  s.sweep = settle(sweep);
  svfFlush(hp);
}

/** Renders frames [from, to). */
export function snareProcess(m: Inst, from: i32, to: i32): void {
  const high = changetype<usize>(snare(m)) + offsetof<Snare>("high");
  drumSpans(m, connected(m, SNARE_IN_GATE), inp(m, SNARE_IN_GATE), high, from, to, play, hit);
}
