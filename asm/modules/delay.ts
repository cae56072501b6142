// delay: stereo feedback delay. Each channel owns a circular buffer of 2 s at the engine rate (+4 samples for
// the interpolator), inside the module's state. The read position is fractional (4-point cubic Hermite), so a
// smoothed or modulated `time` moves the read head continuously: a glide bends the pitch like tape instead of
// stepping (zipper noise) or jumping (clicks). At an integer delay the interpolator returns the stored sample
// exactly, so echoes land exactly time·sr samples apart with exactly `feedback` gain per pass (damp 0).
//
// Per channel:  y = buffer read at `time`;  out = dry·(1 − mix) + y·mix;
//               buffer ← in + feedback · lowpass(y)        (pingpong: each channel takes the other's lowpass(y))
// The damping low-pass sits in the loop only, so the first echo is the input itself and echo n has passed
// through it n − 1 times. Its one-pole coefficient is 0.9·damp at 48 kHz, converted to the engine rate
// (a = (0.9·damp)^(48000/sr)) so the cutoff in Hz does not depend on the rate: damp 0.3 ≈ 10 kHz, 1 ≈ 800 Hz.
import { G } from "../globals";
import { at, Inst, inp, outp, prm } from "../module_abi";
import {
  DELAY_DAMP,
  DELAY_FEEDBACK,
  DELAY_IN_L,
  DELAY_IN_R,
  DELAY_MIX,
  DELAY_OUT_L,
  DELAY_OUT_R,
  DELAY_PINGPONG,
  DELAY_TIME,
} from "../gen/defs";

@unmanaged
class Delay {
  w: i32; // next slot to write; the slot holds the sample from n frames ago until then
  n: i32; // samples per channel buffer
  started: i32; // 1 once the first span has been rendered
  pad: i32;
  lpL: f64;
  lpR: f64;
}

const HEADER: i32 = 32; // offsetof<Delay>() rounded up to 16
const MAX_MS: f64 = 2000.0;
// Below this a value in the loop is dropped: −400 dB, and it keeps f32 subnormals (slow on x86) out of the
// buffers, which a decaying loop would otherwise fill with (WASM cannot set flush-to-zero).
const TINY: f64 = 1e-20;

// Samples per channel: the longest delay plus the interpolator's span (one newer, two older samples).
function bufLen(): i32 {
  return <i32> Math.ceil(MAX_MS * 0.001 * G.sampleRate) + 4;
}

/** Bytes of state: the header and two buffers of 2 s (+ interpolation margin) at G.sampleRate. */
export function delayStateBytes(): i32 {
  return HEADER + 2 * bufLen() * 4;
}

/** Sets the buffer length (the memory is zeroed: silent buffers, write head at 0). */
export function delayInit(m: Inst): void {
  changetype<Delay>(m.state).n = bufLen();
}

/**
 * Parameter values that arrive before the first span (a patch being loaded) apply at once: the framework
 * would otherwise glide `time` from its default over 150 ms and smear the first echoes.
 */
export function delayParam(m: Inst, p: i32): void {
  if (changetype<Delay>(m.state).started == 0) {
    const q = prm(m, p);
    q.value = q.target;
  }
}

// The damping one-pole's pole for `damp` at the engine rate (0 = no filtering, exactly). exp(log) rather than
// Math.pow: pow keeps a scratch value in a mutable WASM global, and DSP state must live in linear memory.
@inline
function dampPole(damp: f64): f64 {
  return damp <= 0.0 ? 0.0 : Math.exp(Math.log(0.9 * damp) * (48000.0 / G.sampleRate));
}

@inline
function wrap(j: i32, n: i32): i32 {
  return j < 0 ? j + n : j;
}

// The buffer at delay d ≥ 2 samples from write slot w: 4-point, 3rd-order Hermite (Catmull-Rom) between the
// samples at delays k and k + 1 (k = ⌊d⌋), using the ones at k − 1 and k + 2 for the slopes.
@inline
function readAt(buf: usize, w: i32, n: i32, k: i32, t: f64): f64 {
  const r = w - k;
  const xm1 = <f64> load<f32>(buf + (<usize> wrap(r + 1, n) << 2));
  const x0 = <f64> load<f32>(buf + (<usize> wrap(r, n) << 2));
  const x1 = <f64> load<f32>(buf + (<usize> wrap(r - 1, n) << 2));
  const x2 = <f64> load<f32>(buf + (<usize> wrap(r - 2, n) << 2));
  const c = (x1 - xm1) * 0.5;
  const v = x0 - x1;
  const u = c + v;
  const a = u + v + (x2 - x0) * 0.5;
  const b = u + a;
  return ((a * t - b) * t + c) * t + x0;
}

/** Renders frames [from, to): reads, damps, feeds back and mixes both channels sample by sample. */
export function delayProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Delay>(m.state);
  s.started = 1;
  const n = s.n;
  const bufL = m.state + <usize> HEADER, bufR = bufL + (<usize> n << 2);
  const time = prm(m, DELAY_TIME), feedback = prm(m, DELAY_FEEDBACK), damp = prm(m, DELAY_DAMP);
  const mix = prm(m, DELAY_MIX);
  const cross = prm(m, DELAY_PINGPONG).value >= 0.5;
  const xl = inp(m, DELAY_IN_L), xr = inp(m, DELAY_IN_R);
  const ol = outp(m, DELAY_OUT_L), or = outp(m, DELAY_OUT_R);
  const toSamples = 0.001 * G.sampleRate;
  const maxD = <f64> (n - 3);
  const dampMoves = damp.step != 0;
  let a = dampPole(<f64> at(damp, from));
  let w = s.w, lpL = s.lpL, lpR = s.lpR;
  for (let i = from; i < to; i++) {
    const o = <usize> i << 2;
    let d = <f64> at(time, i) * toSamples;
    d = d < 2.0 ? 2.0 : d > maxD ? maxD : d;
    const k = <i32> d;
    const t = d - <f64> k;
    const yl = readAt(bufL, w, n, k, t);
    const yr = readAt(bufR, w, n, k, t);
    if (dampMoves) a = dampPole(<f64> at(damp, i));
    lpL = yl + (lpL - yl) * a;
    lpR = yr + (lpR - yr) * a;
    const fb = <f64> at(feedback, i);
    const inL = <f64> load<f32>(xl + o), inR = <f64> load<f32>(xr + o);
    let wl = inL + fb * (cross ? lpR : lpL);
    let wr = inR + fb * (cross ? lpL : lpR);
    wl = Math.abs(wl) < TINY ? 0.0 : wl;
    wr = Math.abs(wr) < TINY ? 0.0 : wr;
    store<f32>(bufL + (<usize> w << 2), <f32> wl);
    store<f32>(bufR + (<usize> w << 2), <f32> wr);
    w++;
    if (w == n) w = 0;
    // dry·(1 − mix) + wet·mix: exactly the dry signal at 0 and exactly the wet one at 1.
    const g = <f64> at(mix, i);
    store<f32>(ol + o, <f32> (inL * (1.0 - g) + yl * g));
    store<f32>(or + o, <f32> (inR * (1.0 - g) + yr * g));
  }
  s.w = w;
  s.lpL = Math.abs(lpL) < TINY ? 0.0 : lpL;
  s.lpR = Math.abs(lpR) < TINY ? 0.0 : lpR;
}
