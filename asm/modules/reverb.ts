// reverb: Freeverb (Jezar at Dreampoint, 2000, public domain). Per channel 8 parallel low-pass-feedback combs
// into 4 series Schroeder allpasses (feedback 0.5); the right channel's delays are 23 samples longer (stereo
// spread), which decorrelates the two tails. Delay lengths are Jezar's 44.1 kHz tunings scaled to the engine
// rate, so the decay time in seconds does not depend on the rate; so is the damping pole ((0.4·damp)^(44100/sr)
// instead of 0.4·damp), which keeps its cutoff in Hz. Constants as in Freeverb: input gain 0.015, comb
// feedback 0.7 + 0.28·room, damping 0.4·damp, wet1/wet2 = wet·(1 ± width)/2 with wet = mix (Freeverb's default
// wet level, scalewet·initialwet = 1). The input is the mono sum L + R, as in Freeverb.
//
// Denormals: a constant 1e-18 (−360 dB) is added to the comb input. Every comb and allpass passes DC, so
// their states settle at ~1e-17 instead of decaying into f32 subnormals (slow on x86; WASM cannot set
// flush-to-zero). Deterministic, and inaudible; the dry path never sees it.
import { G } from "../globals";
import { at, Inst, inp, outp, prm } from "../module_abi";
import {
  REVERB_DAMP,
  REVERB_IN_L,
  REVERB_IN_R,
  REVERB_MIX,
  REVERB_OUT_L,
  REVERB_OUT_R,
  REVERB_ROOM,
  REVERB_WIDTH,
} from "../gen/defs";

const COMBS = 8;
const ALLPASSES = 4;
const FILTERS = 2 * (COMBS + ALLPASSES); // combs L, combs R, allpasses L, allpasses R
const COMB_TUNING: StaticArray<i32> = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASS_TUNING: StaticArray<i32> = [556, 441, 341, 225];
const SPREAD: i32 = 23;
const FIXED_GAIN: f32 = 0.015;
const SCALE_ROOM: f32 = 0.28;
const OFFSET_ROOM: f32 = 0.7;
const SCALE_DAMP: f64 = 0.4;
const ALLPASS_FEEDBACK: f32 = 0.5;
const ANTI_DENORMAL: f32 = 1e-18;

// State layout (byte offsets from m.state); the buffers follow the tables.
const STARTED: usize = 0; // i32: 1 once the first span has been rendered
const LEN: usize = 16; // i32 × FILTERS: buffer lengths in samples
const POS: usize = LEN + FILTERS * 4; // i32 × FILTERS: read/write index
const OFF: usize = POS + FILTERS * 4; // i32 × FILTERS: buffer byte offset from m.state
const STORE: usize = OFF + FILTERS * 4; // f32 × 2·COMBS: the combs' damping low-pass states
const BUFFERS: usize = STORE + 2 * COMBS * 4;

// Samples of filter f's delay at the engine rate (f in the table order above).
function length(f: i32): i32 {
  let tuning: i32;
  if (f < 2 * COMBS) tuning = COMB_TUNING[f % COMBS] + (f >= COMBS ? SPREAD : 0);
  else {
    const a = f - 2 * COMBS;
    tuning = ALLPASS_TUNING[a % ALLPASSES] + (a >= ALLPASSES ? SPREAD : 0);
  }
  const n = <i32> Math.round(<f64> tuning * G.sampleRate / 44100.0);
  return n < 1 ? 1 : n;
}

/** Bytes of state: the tables and the 24 delay lines at G.sampleRate. */
export function reverbStateBytes(): i32 {
  let total = <i32> BUFFERS;
  for (let f = 0; f < FILTERS; f++) total += length(f) * 4;
  return total;
}

/** Lays out the delay lines (the memory is zeroed: silent, every index at 0). */
export function reverbInit(m: Inst): void {
  let off = <i32> BUFFERS;
  for (let f = 0; f < FILTERS; f++) {
    const n = length(f);
    store<i32>(m.state + LEN + (<usize> f << 2), n);
    store<i32>(m.state + OFF + (<usize> f << 2), off);
    off += n * 4;
  }
}

/** Values that arrive before the first span (a patch being loaded) apply at once instead of gliding. */
export function reverbParam(m: Inst, p: i32): void {
  if (load<i32>(m.state + STARTED) == 0) {
    const q = prm(m, p);
    q.value = q.target;
  }
}

// The combs' damping pole for `damp` at the engine rate (exp(log) rather than Math.pow: see delay.ts).
@inline
function dampPole(damp: f64): f32 {
  return damp <= 0.0 ? 0 : <f32> Math.exp(Math.log(SCALE_DAMP * damp) * (44100.0 / G.sampleRate));
}

// One sample through the 8 combs of a channel (filters c0 … c0 + 7), summed.
@inline
function combs(st: usize, c0: i32, x: f32, feedback: f32, d1: f32, d2: f32): f32 {
  let sum: f32 = 0;
  for (let f = c0; f < c0 + COMBS; f++) {
    const fo = <usize> f << 2;
    const buf = st + <usize> load<i32>(st + OFF + fo);
    let pos = load<i32>(st + POS + fo);
    const a = buf + (<usize> pos << 2);
    const y = load<f32>(a);
    const fs = y * d2 + load<f32>(st + STORE + fo) * d1;
    store<f32>(st + STORE + fo, fs);
    store<f32>(a, x + fs * feedback);
    pos++;
    store<i32>(st + POS + fo, pos == load<i32>(st + LEN + fo) ? 0 : pos);
    sum += y;
  }
  return sum;
}

// One sample through the 4 series allpasses of a channel (filters a0 … a0 + 3).
@inline
function allpasses(st: usize, a0: i32, x: f32): f32 {
  for (let f = a0; f < a0 + ALLPASSES; f++) {
    const fo = <usize> f << 2;
    const buf = st + <usize> load<i32>(st + OFF + fo);
    let pos = load<i32>(st + POS + fo);
    const a = buf + (<usize> pos << 2);
    const b = load<f32>(a);
    store<f32>(a, x + b * ALLPASS_FEEDBACK);
    x = b - x;
    pos++;
    store<i32>(st + POS + fo, pos == load<i32>(st + LEN + fo) ? 0 : pos);
  }
  return x;
}

/** Renders frames [from, to). */
export function reverbProcess(m: Inst, from: i32, to: i32): void {
  const st = m.state;
  store<i32>(st + STARTED, 1);
  const room = prm(m, REVERB_ROOM), damp = prm(m, REVERB_DAMP), mix = prm(m, REVERB_MIX);
  const width = prm(m, REVERB_WIDTH);
  const xl = inp(m, REVERB_IN_L), xr = inp(m, REVERB_IN_R);
  const ol = outp(m, REVERB_OUT_L), or = outp(m, REVERB_OUT_R);
  const dampMoves = damp.step != 0;
  let d1 = dampPole(<f64> at(damp, from));
  let d2 = <f32> 1.0 - d1;
  for (let i = from; i < to; i++) {
    const o = <usize> i << 2;
    const inL = load<f32>(xl + o), inR = load<f32>(xr + o);
    if (dampMoves) {
      d1 = dampPole(<f64> at(damp, i));
      d2 = <f32> 1.0 - d1;
    }
    const feedback = at(room, i) * SCALE_ROOM + OFFSET_ROOM;
    const x = (inL + inR) * FIXED_GAIN + ANTI_DENORMAL;
    const wl = allpasses(st, 2 * COMBS, combs(st, 0, x, feedback, d1, d2));
    const wr = allpasses(st, 2 * COMBS + ALLPASSES, combs(st, COMBS, x, feedback, d1, d2));
    const g = at(mix, i), wd = at(width, i);
    const wet1 = g * (wd * <f32> 0.5 + <f32> 0.5), wet2 = g * ((<f32> 1.0 - wd) * <f32> 0.5);
    const dry = <f32> 1.0 - g;
    store<f32>(ol + o, wl * wet1 + wr * wet2 + inL * dry);
    store<f32>(or + o, wr * wet1 + wl * wet2 + inR * dry);
  }
}
