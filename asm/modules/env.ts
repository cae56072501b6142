// Envelope core shared by adsr and voice. Segments have an exact length of round(time·sr) samples and an
// exponential shape of curvature c (0 = linear): level = start + (end − start)·(1 − e^(−c·n/N))/(1 − e^(−c)).
// Every stage runs the same branch-free recurrence, w ← w·mul + add, level = A + B·w:
//   exponential: w starts at 1, mul = e^(−c/N), add = 0, A = start + scale, B = −scale
//   linear:      w starts at 0, mul = 1, add = 1, A = start, B = (end − start)/N
//   hold:        mul = 1, add = 0, B = 0, A = the held level (sustain, or 0 when idle)
// so a kernel can keep (w, mul, add, A, B) in locals for a whole run. The last sample of a segment is
// exactly `end`. Attack and release start from the current level (retrigger and release never jump).
import { G } from "../globals";
import { Inst, prm } from "../module_abi";

export const IDLE = 0;
export const ATTACK = 1;
export const DECAY = 2;
export const SUSTAIN = 3;
export const RELEASE = 4;

@unmanaged
export class Env {
  level: f64;
  end: f64;
  w: f64;
  mul: f64;
  add: f64;
  a: f64;
  b: f64;
  sustain: f64;
  curve: f64;
  stage: i32;
  left: i32; // samples left in the segment (a large number while holding)
  decayN: i32;
  releaseN: i32;
}

const HOLD: i32 = 0x3fffffff;

function hold(e: Env, stage: i32, level: f64): void {
  e.stage = stage;
  e.level = level;
  e.w = 0;
  e.mul = 1;
  e.add = 0;
  e.a = level;
  e.b = 0;
  e.left = HOLD;
}

/** Starts a segment from the current level to `end` over n samples; false when n is 0 (done at once). */
function segment(e: Env, end: f64, n: i32): bool {
  const start = e.level;
  e.end = end;
  if (n <= 0) {
    e.level = end;
    return false;
  }
  e.left = n;
  const c = e.curve;
  if (c <= 0.0) {
    e.w = 0;
    e.mul = 1;
    e.add = 1;
    e.a = start;
    e.b = (end - start) / <f64> n;
  } else {
    const scale = (end - start) / (1.0 - Math.exp(-c));
    e.w = 1;
    e.mul = Math.exp(-c / <f64> n);
    e.add = 0;
    e.a = start + scale;
    e.b = -scale;
  }
  return true;
}

/** Gate on: attack over attackN samples from the current level. */
export function envOn(e: Env, attackN: i32, decayN: i32, sustain: f64, releaseN: i32, curve: f64): void {
  e.decayN = decayN;
  e.sustain = sustain;
  e.releaseN = releaseN;
  e.curve = curve;
  if (segment(e, 1.0, attackN)) e.stage = ATTACK;
  else afterAttack(e);
}

function afterAttack(e: Env): void {
  if (segment(e, e.sustain, e.decayN)) e.stage = DECAY;
  else hold(e, SUSTAIN, e.sustain);
}

/** Gate off: release over releaseN samples from the current level. */
export function envOff(e: Env, releaseN: i32, curve: f64): void {
  if (e.stage == IDLE) return;
  e.releaseN = releaseN;
  e.curve = curve;
  if (segment(e, 0.0, releaseN)) e.stage = RELEASE;
  else hold(e, IDLE, 0.0);
}

/** A segment's last sample was just produced: its level is exactly `end`; the next stage begins. */
export function envSegmentDone(e: Env): void {
  e.level = e.end;
  if (e.stage == ATTACK) afterAttack(e);
  else if (e.stage == DECAY) hold(e, SUSTAIN, e.sustain);
  else hold(e, IDLE, 0.0);
}

/** Follows a live sustain parameter while holding it. */
@inline
export function envSustain(e: Env, sustain: f64): void {
  if (e.stage == SUSTAIN) {
    e.sustain = sustain;
    e.a = sustain;
    e.level = sustain;
  }
}

/** Advances one sample and returns the level (the simple per-sample form; kernels may inline the recurrence). */
@inline
export function envStep(e: Env): f64 {
  const w = e.w * e.mul + e.add;
  e.w = w;
  let lv = e.a + e.b * w;
  if (--e.left <= 0) {
    envSegmentDone(e);
    lv = e.level;
  } else {
    e.level = lv;
  }
  return lv;
}

/** Samples in `ms` milliseconds at the engine rate, rounded. */
@inline
export function msToSamples(ms: f64, sampleRate: f64): i32 {
  return <i32> Math.round(ms * 0.001 * sampleRate);
}

/**
 * Gate on for a module whose parameters attack, decay, sustain, release, curve are consecutive from `first`
 * (adsr and voice; patch_test checks the schema keeps them so).
 */
export function envOnFrom(e: Env, m: Inst, first: i32): void {
  const sr = G.sampleRate;
  envOn(
    e,
    msToSamples(prm(m, first).value, sr),
    msToSamples(prm(m, first + 1).value, sr),
    prm(m, first + 2).value,
    msToSamples(prm(m, first + 3).value, sr),
    prm(m, first + 4).value,
  );
}

/** Gate off for the same parameter layout. */
export function envOffFrom(e: Env, m: Inst, first: i32): void {
  envOff(e, msToSamples(prm(m, first + 3).value, G.sampleRate), prm(m, first + 4).value);
}
