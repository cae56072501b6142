// Envelope core shared by adsr and voice. Segments have an exact length of round(time·sr) samples and an
// exponential shape of curvature c (0 = linear): level = start + (end − start)·(1 − e^(−c·n/N))/(1 − e^(−c)),
// computed with one multiply per sample (w ← w·e^(−c/N)); the last sample of a segment is exactly `end`.
// Attack and release start from the current level (retrigger and release never jump).

export const IDLE = 0;
export const ATTACK = 1;
export const DECAY = 2;
export const SUSTAIN = 3;
export const RELEASE = 4;

@unmanaged
export class Env {
  level: f64;
  start: f64;
  end: f64;
  w: f64;
  mul: f64;
  scale: f64;
  inc: f64; // linear segments
  stage: i32;
  left: i32; // samples left in the segment
  // times in samples and the curve, latched from the parameters when a segment starts
  decayN: i32;
  releaseN: i32;
  sustain: f64;
  curve: f64;
}

/** Starts a segment from the current level to `end` over n samples; false when n is 0 (done at once). */
function segment(e: Env, end: f64, n: i32): bool {
  e.start = e.level;
  e.end = end;
  if (n <= 0) {
    e.level = end;
    return false;
  }
  e.left = n;
  const c = e.curve;
  if (c <= 0.0) {
    e.mul = 0;
    e.inc = (end - e.level) / <f64> n;
  } else {
    e.w = 1.0;
    e.mul = Math.exp(-c / <f64> n);
    e.scale = (end - e.level) / (1.0 - Math.exp(-c));
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
  else envAfterAttack(e);
}

function envAfterAttack(e: Env): void {
  if (segment(e, e.sustain, e.decayN)) e.stage = DECAY;
  else e.stage = SUSTAIN;
}

/** Gate off: release over releaseN samples from the current level. */
export function envOff(e: Env, releaseN: i32, curve: f64): void {
  if (e.stage == IDLE) return;
  e.releaseN = releaseN;
  e.curve = curve;
  if (segment(e, 0.0, releaseN)) e.stage = RELEASE;
  else e.stage = IDLE;
}

/** Advances one sample and returns the level. `sustain` is the live sustain parameter. */
@inline
export function envStep(e: Env, sustain: f64): f64 {
  const stage = e.stage;
  if (stage == SUSTAIN) {
    e.level = sustain;
    return sustain;
  }
  if (stage == IDLE) return e.level;
  let lv: f64;
  if (e.mul == 0) lv = e.level + e.inc;
  else {
    e.w *= e.mul;
    lv = e.start + e.scale * (1.0 - e.w);
  }
  e.left--;
  if (e.left <= 0) {
    lv = e.end;
    e.level = lv;
    if (stage == ATTACK) {
      e.sustain = sustain;
      envAfterAttack(e);
    } else if (stage == DECAY) e.stage = SUSTAIN;
    else e.stage = IDLE;
    return lv;
  }
  e.level = lv;
  return lv;
}

/** Samples in `ms` milliseconds at the engine rate, rounded. */
@inline
export function msToSamples(ms: f64, sampleRate: f64): i32 {
  return <i32> Math.round(ms * 0.001 * sampleRate);
}
