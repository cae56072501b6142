// clap: a hand clap in the manner of the TR-808.
//   inputs: gate (a rising crossing of 0.5 is a hit, velocity 1); the gate command hits with its velocity.
//   params: tone 300 … 8000 Hz (1100), spread 1 … 50 ms (11), decay 10 … 5000 ms (300), level 0 … 1 (0.8).
// White noise (module PRNG) through a state-variable band-pass at `tone` (svf.ts, Q = 1.43), under an
// envelope struck four times `spread` apart (n = 0, S, 2S, 3S samples after the hit, S = spread in samples):
// the first three strikes fall 40 dB in `spread`, the fourth is the tail and falls 40 dB in `decay`.
//   out = level · velocity · GAIN · bp(noise) · e[n]
// The filter keeps its state between hits. Hits, chokes and the end of a hit: drum.ts.
import { G } from "../globals";
import { at, connected, Inst, inp, outp, prm } from "../graph";
import { CLAP_DECAY, CLAP_IN_GATE, CLAP_LEVEL, CLAP_SPREAD, CLAP_TONE } from "../gen/defs";
import { decayFactor, drumSpans, END, settle, silence } from "./drum";
import { rand } from "./rng";
import { Svf, svfFlush, svfTick, svfTune } from "./svf";

const STRIKES = 4;
const BAND = 1; // svfTick mode
const BAND_RES: f64 = 0.65;
const GAIN: f64 = 1.6; // the default hit peaks near 0.8

@unmanaged
class Clap {
  env: f64; // e[n]
  velocity: f64;
  struck: i32; // strikes so far in this hit (STRIKES: in the tail)
  left: i32; // samples to the next strike
  spreadN: i32; // S of this hit
  high: i32; // the gate input's state (drum.ts)
  rng: u32;
  pad: u32;
}

const SVF_BYTES: i32 = <i32> offsetof<Svf>();

@inline
function band(m: Inst): Svf {
  return changetype<Svf>(m.state);
}

@inline
function clap(m: Inst): Clap {
  return changetype<Clap>(m.state + <usize> SVF_BYTES);
}

/** Bytes of private state. */
export function clapStateBytes(): i32 {
  return SVF_BYTES + <i32> offsetof<Clap>();
}

/** Seeds the noise generator; nothing sounds until the first hit. */
export function clapInit(m: Inst): void {
  const s = clap(m);
  s.rng = m.seed;
  s.struck = STRIKES;
}

function hit(m: Inst, velocity: f64): void {
  const s = clap(m);
  const n = <i32> Math.round(prm(m, CLAP_SPREAD).value * 0.001 * G.sampleRate);
  s.env = 1;
  s.struck = 1;
  s.spreadN = n < 1 ? 1 : n;
  s.left = s.spreadN;
  s.velocity = velocity;
}

/** Gate on: a hit at its exact frame; gate off: nothing. */
export function clapGate(m: Inst, on: bool, velocity: f64): void {
  if (on) hit(m, velocity);
}

function play(m: Inst, from: i32, to: i32): void {
  const s = clap(m), out = outp(m, 0);
  if (s.struck >= STRIKES && s.env < END) {
    silence(out, from, to);
    return;
  }
  const bp = band(m), level = prm(m, CLAP_LEVEL);
  svfTune(bp, prm(m, CLAP_TONE).value, BAND_RES);
  const tailMul = decayFactor(prm(m, CLAP_DECAY).value);
  const gain = GAIN * s.velocity;
  const rng = changetype<usize>(s) + offsetof<Clap>("rng");
  let env = s.env, struck = s.struck, left = s.left;
  let mul = struck >= STRIKES ? tailMul : decayFactor(<f64> s.spreadN * 1000.0 / G.sampleRate);
  for (let i = from; i < to; i++) {
    if (struck >= STRIKES && env < END) {
      silence(out, i, to);
      break;
    }
    const y = svfTick(bp, rand(rng), BAND) * env;
    store<f32>(out + (<usize> i << 2), <f32> (y * gain) * at(level, i));
    env *= mul;
    if (struck < STRIKES && --left == 0) {
      struck++;
      env = 1;
      left = s.spreadN;
      if (struck == STRIKES) mul = tailMul;
    }
  }
  s.env = settle(env);
  s.struck = struck;
  s.left = left;
  svfFlush(bp);
}

/** Renders frames [from, to). */
export function clapProcess(m: Inst, from: i32, to: i32): void {
  const high = changetype<usize>(clap(m)) + offsetof<Clap>("high");
  drumSpans(m, connected(m, CLAP_IN_GATE), inp(m, CLAP_IN_GATE), high, from, to, play, hit);
}
