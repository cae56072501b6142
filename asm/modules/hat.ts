// hat: a hi-hat in the manner of the TR-808.
//   inputs: gate (a rising crossing of 0.5 is a hit, velocity 1); the gate command hits with its velocity.
//   params: freq 50 … 2000 Hz (205.3), decay 5 … 5000 ms (60), tone 2000 … 18000 Hz (8000), noise 0 … 1
//           (0.15), level 0 … 1 (0.7).
// Six square oscillators (osc.ts, PolyBLEP) at the 808's 205.3, 304.4, 369.6, 522.7, 540 and 800 Hz, scaled
// by freq/205.3 (metal: their mean), mixed with white noise (module PRNG) scaled to about the metal's
// loudness at the default tone, through a state-variable band-pass at `tone` and a high-pass an octave below
// it (svf.ts), under an amplitude that falls 40 dB in `decay`:
//   out = level · velocity · GAIN · hp(bp((1 − noise)·metal + noise·WHITE·white)) · a[n]
// The oscillators run free (as in the 808: a hit does not restart them). A long decay is an open hat, and a
// hit chokes the one before it, so one hat plays both (set decay, then gate). Hits and ends: drum.ts.
import { G } from "../globals";
import { at, connected, Inst, inp, outp, prm } from "../graph";
import { HAT_DECAY, HAT_FREQ, HAT_IN_GATE, HAT_LEVEL, HAT_NOISE, HAT_TONE } from "../gen/defs";
import { decayFactor, drumSpans, END, settle, silence } from "./drum";
import { oscSample } from "./osc";
import { rand } from "./rng";
import { Svf, svfFlush, svfTick, svfTune } from "./svf";

// The 808's oscillator frequencies over the lowest one.
const R1: f64 = 304.4 / 205.3;
const R2: f64 = 369.6 / 205.3;
const R3: f64 = 522.7 / 205.3;
const R4: f64 = 540.0 / 205.3;
const R5: f64 = 800.0 / 205.3;
const MAX_DT: f64 = 0.45 / R5;
const SQUARE = 2; // oscSample wave
const BAND = 1; // svfTick modes
const HIGH = 2;
const BAND_RES: f64 = 0.6;
const GAIN: f64 = 6.0; // the default hit peaks near 0.7
const WHITE: f64 = 0.15;

@unmanaged
class Hat {
  p0: f64;
  p1: f64;
  p2: f64;
  p3: f64;
  p4: f64;
  p5: f64;
  amp: f64;
  velocity: f64;
  high: i32; // the gate input's state (drum.ts)
  rng: u32;
}

const SVF_BYTES: i32 = <i32> offsetof<Svf>();

@inline
function band(m: Inst): Svf {
  return changetype<Svf>(m.state);
}

@inline
function highPass(m: Inst): Svf {
  return changetype<Svf>(m.state + <usize> SVF_BYTES);
}

@inline
function hat(m: Inst): Hat {
  return changetype<Hat>(m.state + <usize> (2 * SVF_BYTES));
}

/** Bytes of private state. */
export function hatStateBytes(): i32 {
  return 2 * SVF_BYTES + <i32> offsetof<Hat>();
}

/** Seeds the noise generator; spreads the oscillators' phases as free-running ones would be. */
export function hatInit(m: Inst): void {
  const s = hat(m);
  s.rng = m.seed;
  const rng = changetype<usize>(s) + offsetof<Hat>("rng");
  s.p0 = 0.5 + 0.5 * rand(rng);
  s.p1 = 0.5 + 0.5 * rand(rng);
  s.p2 = 0.5 + 0.5 * rand(rng);
  s.p3 = 0.5 + 0.5 * rand(rng);
  s.p4 = 0.5 + 0.5 * rand(rng);
  s.p5 = 0.5 + 0.5 * rand(rng);
}

function hit(m: Inst, velocity: f64): void {
  const s = hat(m);
  s.amp = 1;
  s.velocity = velocity;
}

/** Gate on: a hit at its exact frame; gate off: nothing. */
export function hatGate(m: Inst, on: bool, velocity: f64): void {
  if (on) hit(m, velocity);
}

@inline
function advance(p: f64, dt: f64): f64 {
  const q = p + dt;
  return q >= 1.0 ? q - 1.0 : q;
}

function play(m: Inst, from: i32, to: i32): void {
  const s = hat(m), out = outp(m, 0);
  const freq = prm(m, HAT_FREQ);
  if (s.amp < END) {
    // Silent: the oscillators run on (free-running, as in the 808), nothing else is computed.
    silence(out, from, to);
    const dt = Math.min(<f64> at(freq, to - 1) / G.sampleRate, MAX_DT) * <f64> (to - from);
    s.p0 = (s.p0 + dt) % 1.0;
    s.p1 = (s.p1 + R1 * dt) % 1.0;
    s.p2 = (s.p2 + R2 * dt) % 1.0;
    s.p3 = (s.p3 + R3 * dt) % 1.0;
    s.p4 = (s.p4 + R4 * dt) % 1.0;
    s.p5 = (s.p5 + R5 * dt) % 1.0;
    return;
  }
  const bp = band(m), hp = highPass(m), level = prm(m, HAT_LEVEL);
  const tone = prm(m, HAT_TONE).value, noise = prm(m, HAT_NOISE).value;
  const metal = (1.0 - noise) * (1.0 / 6.0), white = noise * WHITE;
  svfTune(bp, tone, BAND_RES);
  svfTune(hp, 0.5 * tone, 0.0);
  const mul = decayFactor(prm(m, HAT_DECAY).value);
  const isr = 1.0 / G.sampleRate, gain = GAIN * s.velocity;
  const rng = changetype<usize>(s) + offsetof<Hat>("rng");
  let p0 = s.p0, p1 = s.p1, p2 = s.p2, p3 = s.p3, p4 = s.p4, p5 = s.p5, amp = s.amp;
  for (let i = from; i < to; i++) {
    if (amp < END) {
      silence(out, i, to);
      break;
    }
    const dt = Math.min(<f64> at(freq, i) * isr, MAX_DT);
    const d1 = R1 * dt, d2 = R2 * dt, d3 = R3 * dt, d4 = R4 * dt, d5 = R5 * dt;
    const sum = oscSample(SQUARE, p0, dt, 0.5) + oscSample(SQUARE, p1, d1, 0.5) +
      oscSample(SQUARE, p2, d2, 0.5) + oscSample(SQUARE, p3, d3, 0.5) +
      oscSample(SQUARE, p4, d4, 0.5) + oscSample(SQUARE, p5, d5, 0.5);
    p0 = advance(p0, dt);
    p1 = advance(p1, d1);
    p2 = advance(p2, d2);
    p3 = advance(p3, d3);
    p4 = advance(p4, d4);
    p5 = advance(p5, d5);
    const src = metal * sum + white * rand(rng);
    const y = svfTick(hp, svfTick(bp, src, BAND), HIGH) * amp;
    store<f32>(out + (<usize> i << 2), <f32> (y * gain) * at(level, i));
    amp *= mul;
  }
  s.p0 = p0;
  s.p1 = p1;
  s.p2 = p2;
  s.p3 = p3;
  s.p4 = p4;
  s.p5 = p5;
  s.amp = settle(amp);
  svfFlush(bp);
  svfFlush(hp);
}

/** Renders frames [from, to). */
export function hatProcess(m: Inst, from: i32, to: i32): void {
  const high = changetype<usize>(hat(m)) + offsetof<Hat>("high");
  drumSpans(m, connected(m, HAT_IN_GATE), inp(m, HAT_IN_GATE), high, from, to, play, hit);
}
