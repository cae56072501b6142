// reverb: Freeverb (Jezar at Dreampoint, 2000): per channel 8 parallel low-pass-feedback combs and 4 series
// allpasses, the right channel's delays 23 samples longer (stereo spread); tunings scaled from 44.1 kHz to
// the engine rate. room → comb feedback 0.7 … 0.98, damp → the combs' low-pass, width → how much of each
// channel's reverb goes to the other side, mix → wet/dry (1 = wet only, for sends).
// Values below 1e-20 are written as 0 (WASM cannot flush denormals; Freeverb's tails are where they appear).
import { G } from "../globals";
import { at, Inst, inp, outp, prm } from "../graph";
import { REVERB_DAMP, REVERB_IN_L, REVERB_IN_R, REVERB_MIX, REVERB_ROOM, REVERB_WIDTH } from "../gen/defs";

const COMBS: i32 = 8;
const ALLPASSES: i32 = 4;
const SPREAD: i32 = 23;
const COMB_TUNING = memory.data<i32>([1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617]);
const ALLPASS_TUNING = memory.data<i32>([556, 441, 341, 225]);
const FIXED_GAIN: f64 = 0.015;
const SCALE_ROOM: f64 = 0.28;
const OFFSET_ROOM: f64 = 0.7;
const SCALE_DAMP: f64 = 0.4;

// A line (comb or allpass): its length, position, low-pass state (combs) and samples after the header.
@unmanaged
class Line {
  size: i32;
  pos: i32;
  store: f64;
}

const LINE_HEADER: i32 = 16;
const LINES: i32 = 2 * (COMBS + ALLPASSES);

function lineLength(k: i32): i32 {
  // k: 0…7 combs L, 8…15 combs R, 16…19 allpasses L, 20…23 allpasses R
  const right = (k >= COMBS && k < 2 * COMBS) || k >= 2 * COMBS + ALLPASSES;
  const base = k < 2 * COMBS
    ? load<i32>(COMB_TUNING + (<usize> (k % COMBS) << 2))
    : load<i32>(ALLPASS_TUNING + (<usize> ((k - 2 * COMBS) % ALLPASSES) << 2));
  return max(1, <i32> Math.round(<f64> (base + (right ? SPREAD : 0)) * G.sampleRate / 44100.0));
}

function lineBytes(k: i32): i32 {
  return (LINE_HEADER + lineLength(k) * 4 + 15) & ~15;
}

export function reverbStateBytes(): i32 {
  let n = 0;
  for (let k = 0; k < LINES; k++) n += lineBytes(k);
  return n;
}

@inline
function line(m: Inst, k: i32): Line {
  // Lines are laid out in order at offsets that depend only on the sample rate (set when a reverb is created).
  return changetype<Line>(load<usize>(OFFSETS + (<usize> k << 2)) + m.state);
}

const OFFSETS = memory.data(LINES * 4, 16); // byte offset of each line from the state start (rate-dependent)

function layout(): void {
  let off = 0;
  for (let k = 0; k < LINES; k++) {
    store<usize>(OFFSETS + (<usize> k << 2), <usize> off);
    off += lineBytes(k);
  }
}

export function reverbInit(m: Inst): void {
  layout();
  for (let k = 0; k < LINES; k++) line(m, k).size = lineLength(k);
}

export function reverbParam(m: Inst, p: i32): void {}

@inline
function clean(x: f64): f32 {
  return Math.abs(x) < 1e-20 ? 0 : <f32> x;
}

@inline
function comb(l: Line, input: f64, feedback: f64, damp1: f64, damp2: f64): f64 {
  const buf = changetype<usize>(l) + <usize> LINE_HEADER;
  const at = buf + (<usize> l.pos << 2);
  const y = <f64> load<f32>(at);
  l.store = y * damp2 + l.store * damp1;
  store<f32>(at, clean(input + l.store * feedback));
  if (++l.pos >= l.size) l.pos = 0;
  return y;
}

@inline
function allpass(l: Line, input: f64): f64 {
  const buf = changetype<usize>(l) + <usize> LINE_HEADER;
  const at = buf + (<usize> l.pos << 2);
  const b = <f64> load<f32>(at);
  store<f32>(at, clean(input + b * 0.5));
  if (++l.pos >= l.size) l.pos = 0;
  return b - input;
}

export function reverbProcess(m: Inst, from: i32, to: i32): void {
  const room = prm(m, REVERB_ROOM), damp = prm(m, REVERB_DAMP), mix = prm(m, REVERB_MIX), width = prm(m, REVERB_WIDTH);
  const inL = inp(m, REVERB_IN_L), inR = inp(m, REVERB_IN_R), outL = outp(m, 0), outR = outp(m, 1);
  for (let i = from; i < to; i++) {
    const feedback = <f64> at(room, i) * SCALE_ROOM + OFFSET_ROOM;
    const damp1 = <f64> at(damp, i) * SCALE_DAMP, damp2 = 1.0 - damp1;
    const xL = <f64> load<f32>(inL + (<usize> i << 2)), xR = <f64> load<f32>(inR + (<usize> i << 2));
    const input = (xL + xR) * FIXED_GAIN;
    let l = 0.0, r = 0.0;
    for (let k = 0; k < COMBS; k++) {
      l += comb(line(m, k), input, feedback, damp1, damp2);
      r += comb(line(m, COMBS + k), input, feedback, damp1, damp2);
    }
    for (let k = 0; k < ALLPASSES; k++) {
      l = allpass(line(m, 2 * COMBS + k), l);
      r = allpass(line(m, 2 * COMBS + ALLPASSES + k), r);
    }
    const wet = <f64> at(mix, i), wd = <f64> at(width, i);
    const wet1 = wet * (wd * 0.5 + 0.5), wet2 = wet * ((1.0 - wd) * 0.5), dry = 1.0 - wet;
    store<f32>(outL + (<usize> i << 2), <f32> (l * wet1 + r * wet2 + xL * dry));
    store<f32>(outR + (<usize> i << 2), <f32> (r * wet1 + l * wet2 + xR * dry));
  }
  for (let k = 0; k < 2 * COMBS; k++) {
    const c = line(m, k);
    if (Math.abs(c.store) < 1e-25) c.store = 0;
  }
}
