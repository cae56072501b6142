// The core every drum voice (kick, snare, hat, clap) shares: a hit's lifetime and velocity, its envelopes,
// its noise, the gate input, the retrigger ramp and the bounded output. A drum's state starts with a Drum.
//
// Onset: a hit starts at the gate's frame (the command's, or the gate input's first sample above 0.5) and its
// first sample is already loud: tones start in cosine phase, and each hit's noise starts with a full-scale
// sample (drumNoise), so no hit can begin near-silent by chance. Before a hit from idle the output is 0.
// Envelopes are env.ts segments with no attack and curvature ln 1000 (decayOn): from 1 to exactly 0 in the
// given time, shaped like an exponential that would reach −60 dB there (−20 dB at 0.332 of the time). The hit
// lasts as long as its longest envelope; then the drum is idle and a span costs one fill with zeros.
// Retrigger: the new hit starts from scratch (phases, filters, envelopes), and the old hit's last output
// sample is added as a ramp to 0 over FADE_MS. So the waveform steps at the new hit's frame exactly as it
// would from silence, and the old tail (an open hat choked by a closed one) leaves in 2 ms, not at once.
// Output: kernels write level · velocity · (their hit through a shaper bounded by ±1); drumFinish adds the
// ramp and clamps to ±1 (only a ramp under a new hit's peak can reach the clamp). Velocity scales linearly.
import { G } from "../globals";
import { connected, Inst, inp } from "../module_abi";
import { Env, envOn, msToSamples } from "./env";
import { rand } from "./rng";

/** Curvature of the drum envelopes: e^−c is −60 dB, so `ms` reads as the time to silence. */
export const CURVE: f64 = 6.907755278982137; // ln 1000
const FADE_MS: f64 = 2.0;

@unmanaged
export class Drum {
  left: i32; // samples until the hit is silent (0: idle)
  fadeLeft: i32; // samples left of the old tail's ramp
  inGate: i32; // 1 while the gate input is above 0.5
  edge: i32; // 1 until the hit's first noise sample is drawn
  rng: u32;
  pad: u32;
  velocity: f64;
  last: f64; // the last output sample
  fade: f64; // the ramp's current value
  fadeStep: f64;
}

/** Bytes of the Drum record at the start of a drum's state (a multiple of 8: f64 fields may follow). */
export const DRUM_BYTES: i32 = <i32> offsetof<Drum>();
/** Bytes of one envelope. */
export const ENV_BYTES: i32 = <i32> offsetof<Env>();

/** The Drum record of a drum module. */
@inline
export function drum(m: Inst): Drum {
  return changetype<Drum>(m.state);
}

/** Envelope j of a drum (they follow the Drum record). */
@inline
export function drumEnv(m: Inst, j: i32): Env {
  return changetype<Env>(m.state + <usize> (DRUM_BYTES + j * ENV_BYTES));
}

/** Seeds the drum's noise from the module's seed. */
export function drumInit(m: Inst): void {
  drum(m).rng = m.seed;
}

/** Starts a hit of `samples` samples at velocity vel (the kernel resets its own state and envelopes). */
export function drumHit(d: Drum, vel: f64, samples: i32): void {
  d.velocity = vel;
  d.left = samples;
  d.edge = 1;
  // The ramp starts from the last sample, replacing a ramp still running (that one is part of the sample).
  const n = max<i32>(msToSamples(FADE_MS, G.sampleRate), 1);
  d.fadeLeft = d.last != 0.0 ? n : 0;
  d.fade = d.last;
  d.fadeStep = d.last / <f64> n;
}

/** Starts envelope e at 1, falling to exactly 0 in `ms` (samples: the envelope's length). */
export function decayOn(e: Env, ms: f64): i32 {
  const n = msToSamples(ms, G.sampleRate);
  envOn(e, 0, n, 0.0, 0, CURVE);
  return n;
}

/** The hit's next noise sample: +1 first (a full-scale edge at the onset), then uniform in [−1, 1). */
@inline
export function drumNoise(d: Drum): f64 {
  if (d.edge) {
    d.edge = 0;
    return 1.0;
  }
  return rand(changetype<usize>(d) + offsetof<Drum>("rng"));
}

/**
 * cos(2π·t) for a phase t in [0, 1) in turns: Taylor to the 12th power on a quarter wave, within 7e-9 (libm's
 * Math.cos costs several times more, and a drum's tones are cosines of a phase that moves every sample).
 */
@inline
export function cosTurns(t: f64): f64 {
  let a = t < 0.5 ? t : 1.0 - t; // cos(2π·t) is even about 0 and 1: a in [0, ½]
  let sign = 1.0;
  if (a > 0.25) {
    a = 0.5 - a; // cos(2π·(½ − a)) = −cos(2π·a)
    sign = -1.0;
  }
  const x = 2.0 * Math.PI * a, u = x * x;
  return sign * (1.0 + u * (-1.0 / 2.0 + u * (1.0 / 24.0 + u * (-1.0 / 720.0 + u * (1.0 / 40320.0 +
    u * (-1.0 / 3628800.0 + u * (1.0 / 479001600.0)))))));
}

/** When idle (no hit, no ramp): writes zeros over [from, to) and returns true. */
export function drumIdle(d: Drum, out: usize, from: i32, to: i32): bool {
  if (d.left > 0 || d.fadeLeft > 0) return false;
  memory.fill(out + (<usize> from << 2), 0, <usize> (to - from) << 2);
  d.last = 0.0;
  return true;
}

/** After the kernel wrote [from, to): adds the old tail's ramp, clamps to ±1, counts the hit down. */
export function drumFinish(d: Drum, out: usize, from: i32, to: i32): void {
  let fade = d.fade, n = d.fadeLeft;
  for (let i = from; i < to; i++) {
    const a = out + (<usize> i << 2);
    let y = <f64> load<f32>(a);
    if (n > 0) {
      y += fade;
      fade -= d.fadeStep;
      n--;
    }
    store<f32>(a, <f32> Math.min(Math.max(y, -1.0), 1.0));
  }
  d.fade = fade;
  d.fadeLeft = n;
  if (to > from) d.last = <f64> load<f32>(out + (<usize> (to - 1) << 2));
  d.left = max<i32>(d.left - (to - from), 0);
}

/**
 * Renders [from, to) with `run`, triggering `hit` (velocity 1) at every sample where the gate input `gateIn`
 * rises above 0.5, so a hit from a cable starts at its sample like one from a command.
 */
export function drumProcess(
  m: Inst,
  gateIn: i32,
  from: i32,
  to: i32,
  run: (m: Inst, from: i32, to: i32) => void,
  hit: (m: Inst, on: bool, vel: f64) => void,
): void {
  if (!connected(m, gateIn)) {
    run(m, from, to);
    return;
  }
  const d = drum(m), x = inp(m, gateIn);
  let i = from;
  while (i < to) {
    let e = i, high = d.inGate;
    for (; e < to; e++) {
      const h = load<f32>(x + (<usize> e << 2)) > 0.5 ? 1 : 0;
      if (h && !high) break;
      high = h;
    }
    d.inGate = high;
    if (e > i) run(m, i, e);
    if (e >= to) break;
    d.inGate = 1;
    hit(m, true, 1.0);
    i = e;
  }
}
