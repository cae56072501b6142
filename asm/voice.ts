// voice: the minimal oscillator that proves the engine (the module library replaces it with vco/vcf/…).
//
// Inputs: none. Output: mono, written to both channels of the bus, scaled by gain.
// Parameters (layout.ts P_*):
//   freq  Hz      1 … 20000   default 220   smoothed per sample (one-pole, 5 ms), clamped below 0.45·sr
//   gain  linear  0 … 1       default 0     smoothed per sample (one-pole, 5 ms)
//   wave  enum    0 sine, 1 saw, 2 white noise   default 1   switches at the command's frame
// Saw: PolyBLEP (Välimäki & Huovilainen 2007): the naive ramp minus a polynomial residual of the band-limited
// step around each discontinuity. Noise: the engine's seeded PRNG.
import { G } from "./globals";
import { nextBipolar } from "./prng";
import { polyBlep } from "./modules/osc";
import { P_FREQ, P_GAIN, P_WAVE, WAVE_NOISE, WAVE_SAW, WAVE_SINE } from "./layout";

@unmanaged
export class Voice {
  phase: f64; // 0 … 1
  freq: f64; // smoothed
  freqTarget: f64;
  gain: f64; // smoothed
  gainTarget: f64;
  wave: i32;
}

/** Puts a voice in its default state. */
export function voiceInit(v: Voice): void {
  v.phase = 0;
  v.freq = 220;
  v.freqTarget = 220;
  v.gain = 0;
  v.gainTarget = 0;
  v.wave = WAVE_SAW;
}

/** Sets a parameter's target; values are clamped to the documented ranges (the control side validates). */
export function voiceSet(v: Voice, param: i32, value: f64): void {
  if (param == P_FREQ) {
    const nyquistSafe = 0.45 * G.sampleRate;
    v.freqTarget = Math.min(Math.max(value, 1.0), Math.min(20000.0, nyquistSafe));
  } else if (param == P_GAIN) {
    v.gainTarget = Math.min(Math.max(value, 0.0), 1.0);
  } else if (param == P_WAVE) {
    const w = <i32> value;
    v.wave = w < WAVE_SINE ? WAVE_SINE : w > WAVE_NOISE ? WAVE_NOISE : w;
  }
}

/** Renders frames [from, to) into the interleaved stereo bus at `out`. */
export function voiceRender(v: Voice, out: usize, from: i32, to: i32): void {
  if (v.gain == 0 && v.gainTarget == 0) {
    // Silent (the default): zeros, and the phase waits.
    memory.fill(out + (<usize> from << 3), 0, <usize> (to - from) << 3);
    return;
  }
  // Choose the kernel once per span, not per sample (SuperCollider's SETCALC idea).
  if (v.wave == WAVE_SINE) renderSine(v, out, from, to);
  else if (v.wave == WAVE_SAW) renderSaw(v, out, from, to);
  else renderNoise(v, out, from, to);
}

function renderSine(v: Voice, out: usize, from: i32, to: i32): void {
  let phase = v.phase, freq = v.freq, gain = v.gain;
  const ft = v.freqTarget, gt = v.gainTarget, k = G.smoothCoef, isr = 1.0 / G.sampleRate;
  for (let i = from; i < to; i++) {
    freq += (ft - freq) * k;
    gain += (gt - gain) * k;
    const s = <f32> (Math.sin(phase * (2.0 * Math.PI)) * gain);
    phase += freq * isr;
    if (phase >= 1.0) phase -= 1.0;
    store<f32>(out + (<usize> i << 3), s);
    store<f32>(out + (<usize> i << 3), s, 4);
  }
  v.phase = phase;
  v.freq = freq;
  v.gain = gain;
}

function renderSaw(v: Voice, out: usize, from: i32, to: i32): void {
  let phase = v.phase, freq = v.freq, gain = v.gain;
  const ft = v.freqTarget, gt = v.gainTarget, k = G.smoothCoef, isr = 1.0 / G.sampleRate;
  for (let i = from; i < to; i++) {
    freq += (ft - freq) * k;
    gain += (gt - gain) * k;
    const dt = freq * isr;
    const s = <f32> ((2.0 * phase - 1.0 - polyBlep(phase, dt)) * gain);
    phase += dt;
    if (phase >= 1.0) phase -= 1.0;
    store<f32>(out + (<usize> i << 3), s);
    store<f32>(out + (<usize> i << 3), s, 4);
  }
  v.phase = phase;
  v.freq = freq;
  v.gain = gain;
}

function renderNoise(v: Voice, out: usize, from: i32, to: i32): void {
  let gain = v.gain, freq = v.freq;
  const gt = v.gainTarget, ft = v.freqTarget, k = G.smoothCoef;
  for (let i = from; i < to; i++) {
    freq += (ft - freq) * k; // kept moving so that a switch back to a pitched wave does not glide
    gain += (gt - gain) * k;
    const s = nextBipolar() * <f32> gain;
    store<f32>(out + (<usize> i << 3), s);
    store<f32>(out + (<usize> i << 3), s, 4);
  }
  v.gain = gain;
  v.freq = freq;
}
