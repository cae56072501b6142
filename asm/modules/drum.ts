// What the drum voices (kick, snare, hat, clap) share: how a hit arrives and how its sound falls away.
// A hit comes from the gate command (gate on, at its exact frame, with its velocity; gate off does nothing:
// every hit rings out) or from a rising crossing of 0.5 on the `gate` input (at that sample, velocity 1).
// A hit restarts the voice's envelopes from the top, so it also cuts the hit before it short (a choke).
// Decays are exponential and given as the time to fall 40 dB (to 1 %, like acid's decay). A hit has ended
// once its envelopes are below −100 dB (2.5 decay times): the voice then writes exact zeros and computes
// nothing until the next hit.
import { G } from "../globals";
import { Inst } from "../graph";

/** −100 dB: an envelope below it has ended. */
export const END: f64 = 1e-5;
const LN100: f64 = 4.605170185988092;

/** Per-sample factor of an exponential that falls 40 dB in `ms` milliseconds. */
@inline
export function decayFactor(ms: f64): f64 {
  return Math.exp(-LN100 / (ms * 0.001 * G.sampleRate));
}

/** An envelope far below END becomes 0: decaying on, it would reach denormals (slow; WASM cannot flush). */
@inline
export function settle(x: f64): f64 {
  return x < 1e-30 ? 0.0 : x;
}

/**
 * sin(2π·p) for a phase p in [0, 1): folded to |2π·x| ≤ π/2 and a Taylor polynomial to x^15 there (within
 * 3e-11). Several times faster than Math.sin, whose general argument reduction the drums do not need.
 */
@inline
export function sinTurn(p: f64): f64 {
  let x = p < 0.5 ? p : p - 1.0; // −0.5 … 0.5 turns
  if (x > 0.25) x = 0.5 - x;
  else if (x < -0.25) x = -0.5 - x;
  const y = x * (2.0 * Math.PI), y2 = y * y;
  return y * (1.0 + y2 * (-1.0 / 6.0 + y2 * (1.0 / 120.0 + y2 * (-1.0 / 5040.0 + y2 * (1.0 / 362880.0 +
    y2 * (-1.0 / 39916800.0 + y2 * (1.0 / 6227020800.0 - y2 * (1.0 / 1307674368000.0))))))));
}

/** Writes zeros to frames [from, to) of an output buffer. */
@inline
export function silence(out: usize, from: i32, to: i32): void {
  if (to > from) memory.fill(out + (<usize> from << 2), 0, <usize> (to - from) << 2);
}

/** Sound frames [from, to) of a drum (no hit inside the span). */
export type Play = (m: Inst, from: i32, to: i32) => void;
/** Starts a hit at the current frame with a velocity 0 … 1. */
export type Hit = (m: Inst, velocity: f64) => void;

// The first rising crossing of 0.5 in x[from, to), or `to`. `high` holds the input's state (0 or 1) before
// `from` and is left at its state after the returned frame.
function nextHit(high: usize, x: usize, from: i32, to: i32): i32 {
  let h = load<i32>(high);
  for (let i = from; i < to; i++) {
    const now = load<f32>(x + (<usize> i << 2)) > 0.5 ? 1 : 0;
    if (now > h) {
      store<i32>(high, 1);
      return i;
    }
    h = now;
  }
  store<i32>(high, h);
  return to;
}

/**
 * Renders frames [from, to) of a drum, split at the hits its gate input `x` brings (when `fed`: something is
 * connected to it). `high` points at the i32 where the drum keeps the input's last state.
 */
export function drumSpans(
  m: Inst, fed: bool, x: usize, high: usize, from: i32, to: i32, play: Play, hit: Hit,
): void {
  if (!fed) {
    store<i32>(high, 0); // an unconnected input reads zeros: a cable connected later starts from low
    play(m, from, to);
    return;
  }
  let i = from, scan = from;
  for (;;) {
    const at = nextHit(high, x, scan, to);
    play(m, i, at);
    if (at >= to) return;
    hit(m, 1.0);
    i = at;
    scan = at + 1;
  }
}
