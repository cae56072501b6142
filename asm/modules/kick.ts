// kick: a bass drum in the manner of the TR-808/909.
//   inputs: gate (a rising crossing of 0.5 is a hit, velocity 1); the gate command hits with its velocity.
//   params: freq 20 … 500 Hz (50), sweep 0 … 6 octaves (2.5), pdecay 1 … 1000 ms (35), decay 10 … 5000 ms
//           (450), click 0 … 1 (0.3), drive 0 … 24 dB (0), level 0 … 1 (1).
// A sine whose pitch falls from freq·2^sweep to freq (the sweep, in octaves, falls 40 dB in `pdecay`) under
// an amplitude that falls 40 dB in `decay`, plus a click of white noise (module PRNG) falling 40 dB in 4 ms:
//   out[n] = level · velocity · tanh(g · (sin(2π·phase[n])·a[n] + click·c[n]·noise[n])),  g = 10^(drive/20)
// with n samples since the hit, a[n] = 0.01^(n/decay), phase[n] = Σ_{k≤n} f[k]/sr (the first sample is one
// step into the sine, not its zero). The phase restarts at every hit, so equal hits are equal waveforms.
// Hits, chokes and the end of a hit: drum.ts.
import { G } from "../globals";
import { at, connected, exp2f, Inst, inp, outp, prm } from "../graph";
import {
  KICK_CLICK,
  KICK_DECAY,
  KICK_DRIVE,
  KICK_FREQ,
  KICK_IN_GATE,
  KICK_LEVEL,
  KICK_PDECAY,
  KICK_SWEEP,
} from "../gen/defs";
import { decayFactor, drumSpans, END, settle, silence, sinTurn } from "./drum";
import { rand } from "./rng";

const CLICK_MS: f64 = 4.0;
const BEND_END: f64 = 1e-7; // octaves (1e-4 cents): below it the sweep is over and costs nothing
const LN10_20: f64 = 0.11512925464970229; // ln(10)/20: dB → natural log of the gain

@unmanaged
class Kick {
  phase: f64;
  amp: f64; // a[n]
  sweep: f64; // the pitch envelope, 1 at the hit
  click: f64; // c[n]
  velocity: f64;
  high: i32; // the gate input's state (drum.ts)
  rng: u32;
}

@inline
function kick(m: Inst): Kick {
  return changetype<Kick>(m.state);
}

/** Bytes of private state. */
export function kickStateBytes(): i32 {
  return <i32> offsetof<Kick>();
}

/** Seeds the click's generator. */
export function kickInit(m: Inst): void {
  kick(m).rng = m.seed;
}

function hit(m: Inst, velocity: f64): void {
  const s = kick(m);
  s.phase = 0;
  s.amp = 1;
  s.sweep = 1;
  s.click = 1;
  s.velocity = velocity;
}

/** Gate on: a hit at its exact frame; gate off: nothing. */
export function kickGate(m: Inst, on: bool, velocity: f64): void {
  if (on) hit(m, velocity);
}

function play(m: Inst, from: i32, to: i32): void {
  const s = kick(m), out = outp(m, 0);
  if (s.amp < END) {
    silence(out, from, to);
    return;
  }
  const freq = prm(m, KICK_FREQ), level = prm(m, KICK_LEVEL);
  const octaves = prm(m, KICK_SWEEP).value, clickLevel = prm(m, KICK_CLICK).value;
  const g = Math.exp(prm(m, KICK_DRIVE).value * LN10_20);
  const ampMul = decayFactor(prm(m, KICK_DECAY).value), sweepMul = decayFactor(prm(m, KICK_PDECAY).value);
  const clickMul = decayFactor(CLICK_MS);
  const isr = 1.0 / G.sampleRate, vel = s.velocity;
  const rng = changetype<usize>(s) + offsetof<Kick>("rng");
  let phase = s.phase, amp = s.amp, sweep = s.sweep, click = s.click;
  for (let i = from; i < to; i++) {
    if (amp < END) {
      silence(out, i, to);
      break;
    }
    const bend = octaves * sweep;
    let f = <f64> at(freq, i);
    if (bend > BEND_END) f *= <f64> exp2f(<f32> bend);
    phase += Math.min(f * isr, 0.45);
    if (phase >= 1.0) phase -= 1.0;
    let y = sinTurn(phase) * amp;
    if (click >= END) {
      y += clickLevel * click * rand(rng);
      click *= clickMul;
    }
    store<f32>(out + (<usize> i << 2), <f32> (Math.tanh(g * y) * vel) * at(level, i));
    amp *= ampMul;
    sweep *= sweepMul;
  }
  s.phase = phase;
  s.amp = amp;
  s.sweep = settle(sweep);
  s.click = click;
}

/** Renders frames [from, to). */
export function kickProcess(m: Inst, from: i32, to: i32): void {
  const s = kick(m);
  const high = changetype<usize>(s) + offsetof<Kick>("high");
  drumSpans(m, connected(m, KICK_IN_GATE), inp(m, KICK_IN_GATE), high, from, to, play, hit);
}
