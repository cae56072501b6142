// delay: stereo feedback delay. Each channel owns a circular buffer of 2 s at the engine rate (+4 samples for
// the interpolator), inside the module's state. The read position is fractional (4-point cubic Hermite), so a
// smoothed or modulated `time` moves the read head continuously: a glide bends the pitch like tape instead of
// stepping (zipper noise) or jumping (clicks). At an integer delay the interpolator returns the stored sample
// exactly, so echoes land exactly time·sr samples apart with exactly `feedback` gain per pass (damp 0).
//
// Per channel:  y = buffer read at `time`;  out = dry·(1 − mix) + tone(y)·mix;
//               buffer ← in + feedback · lowpass(y)        (pingpong: each channel takes the other's lowpass(y))
// The damping low-pass sits in the loop only, so the first echo is the input itself and echo n has passed
// through it n − 1 times. Its one-pole coefficient is 0.9·damp at 48 kHz, converted to the engine rate
// (a = (0.9·damp)^(48000/sr)) so the cutoff in Hz does not depend on the rate: damp 0.3 ≈ 10 kHz, 1 ≈ 800 Hz.
// tone(y): a low-pass at `highcut`, then a high-pass at `lowcut`, on the wet return only, outside the loop
// (as the seed system's delay bus had them): they shape what is heard of every echo the same way, and the
// loop's decay stays damp's alone. Each is a 2-pole Butterworth (Q = 1/√2: −3 dB exactly at its cutoff, no
// peak), made as Simper's state-variable filter (svf.ts) rather than a direct-form biquad because a moving
// cutoff (smoothed over 20 ms, or patched) retunes it every sample, which the SVF takes without zipper
// noise or blowing up. At its end of range (highcut 20000, lowcut 20), holding still, a filter is bypassed:
// the echoes pass exactly, so a patch that leaves both at their defaults renders as it did before they
// existed; the filter's state is cleared then, and it starts from silence when it comes back.
import { G } from "../globals";
import { MAX_BLOCK } from "../layout";
import { at, Inst, inp, outp, Param, prm } from "../module_abi";
import {
  DELAY_DAMP,
  DELAY_FEEDBACK,
  DELAY_HIGHCUT,
  DELAY_IN_L,
  DELAY_IN_R,
  DELAY_LOWCUT,
  DELAY_MIX,
  DELAY_OUT_L,
  DELAY_OUT_R,
  DELAY_PINGPONG,
  DELAY_TIME,
} from "../gen/defs";
import { Svf, svfFlush, svfTick, svfTune, svfTuneFast } from "./svf";

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

const SVF_BYTES: i32 = <i32> offsetof<Svf>();
// The span's echoes (y) of both channels, kept for the tone filters: scratch, valid within one span.
const WET = memory.data(2 * MAX_BLOCK * 4, 16);
// Resonance that makes svf.ts's filter a Butterworth: k = 2·(1 − res) = √2.
const BUTTERWORTH: f64 = 1.0 - Math.SQRT2 / 2.0;
const LOWCUT_OFF: f32 = 20.0; // the schema's ends of range: there a filter is bypassed
const HIGHCUT_OFF: f32 = 20000.0;

// The tone filters' block after the two buffers: low-pass L, R, then high-pass L, R (16-byte aligned).
@inline
function toneAt(m: Inst, n: i32): usize {
  return m.state + <usize> ((HEADER + 2 * n * 4 + 15) & ~15);
}

/** Bytes of state: the header, two buffers of 2 s (+ interpolation margin) at G.sampleRate, four filters. */
export function delayStateBytes(): i32 {
  return ((HEADER + 2 * bufLen() * 4 + 15) & ~15) + 4 * SVF_BYTES;
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
  const toneOn = !atEnd(prm(m, DELAY_HIGHCUT), from, HIGHCUT_OFF) || !atEnd(prm(m, DELAY_LOWCUT), from, LOWCUT_OFF);
  for (let i = from; i < to; i++) {
    const o = <usize> i << 2;
    let d = <f64> at(time, i) * toSamples;
    d = d < 2.0 ? 2.0 : d > maxD ? maxD : d;
    const k = <i32> d;
    const t = d - <f64> k;
    const yl = readAt(bufL, w, n, k, t);
    const yr = readAt(bufR, w, n, k, t);
    if (toneOn) {
      store<f32>(WET + o, <f32> yl);
      store<f32>(WET + (<usize> MAX_BLOCK << 2) + o, <f32> yr);
    }
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
  tone(m, n, from, to);
}

// True when an audio-rate cutoff holds `off` over the span: its filter is bypassed.
@inline
function atEnd(q: Param, from: i32, off: f32): bool {
  return q.step == 0 && at(q, from) == off;
}

// The wet return's tone filters over [from, to), in place on the outputs. delayProcess wrote
// dry·(1 − mix) + y·mix there; the filters need y alone, so with mix < 1 it is taken back out: the outputs
// are rewritten as dry·(1 − mix) + tone(y)·mix from the stored y (the `wet` buffers). At the defaults (both
// bypassed) nothing here runs and the outputs stay as written.
function tone(m: Inst, n: i32, from: i32, to: i32): void {
  const lo = prm(m, DELAY_LOWCUT), hi = prm(m, DELAY_HIGHCUT);
  const t = toneAt(m, n);
  const lpL = changetype<Svf>(t), lpR = changetype<Svf>(t + <usize> SVF_BYTES);
  const hpL = changetype<Svf>(t + <usize> (2 * SVF_BYTES)), hpR = changetype<Svf>(t + <usize> (3 * SVF_BYTES));
  const lpOn = !atEnd(hi, from, HIGHCUT_OFF), hpOn = !atEnd(lo, from, LOWCUT_OFF);
  if (!lpOn) clear(lpL, lpR);
  if (!hpOn) clear(hpL, hpR);
  if (!lpOn && !hpOn) return;
  const mix = prm(m, DELAY_MIX);
  const xl = inp(m, DELAY_IN_L), xr = inp(m, DELAY_IN_R);
  const ol = outp(m, DELAY_OUT_L), or = outp(m, DELAY_OUT_R);
  const wl = WET, wr = WET + (<usize> MAX_BLOCK << 2);
  const hiMoves = hi.step != 0, loMoves = lo.step != 0;
  if (lpOn && !hiMoves) tunePair(lpL, lpR, <f64> at(hi, from));
  if (hpOn && !loMoves) tunePair(hpL, hpR, <f64> at(lo, from));
  for (let i = from; i < to; i++) {
    const o = <usize> i << 2;
    let yl = <f64> load<f32>(wl + o), yr = <f64> load<f32>(wr + o);
    if (lpOn) {
      if (hiMoves) tuneFastPair(lpL, lpR, <f64> at(hi, i));
      yl = svfTick(lpL, yl, 0);
      yr = svfTick(lpR, yr, 0);
    }
    if (hpOn) {
      if (loMoves) tuneFastPair(hpL, hpR, <f64> at(lo, i));
      yl = svfTick(hpL, yl, 2);
      yr = svfTick(hpR, yr, 2);
    }
    const g = <f64> at(mix, i);
    const inL = <f64> load<f32>(xl + o), inR = <f64> load<f32>(xr + o);
    store<f32>(ol + o, <f32> (inL * (1.0 - g) + yl * g));
    store<f32>(or + o, <f32> (inR * (1.0 - g) + yr * g));
  }
  svfFlush(lpL);
  svfFlush(lpR);
  svfFlush(hpL);
  svfFlush(hpR);
}

@inline
function tunePair(a: Svf, b: Svf, fc: f64): void {
  svfTune(a, fc, BUTTERWORTH);
  svfTune(b, fc, BUTTERWORTH);
}

@inline
function tuneFastPair(a: Svf, b: Svf, fc: f64): void {
  svfTuneFast(a, fc, BUTTERWORTH);
  svfTuneFast(b, fc, BUTTERWORTH);
}

// A bypassed filter forgets its signal, so it comes back from silence rather than from a stale state.
@inline
function clear(a: Svf, b: Svf): void {
  a.ic1 = a.ic2 = b.ic1 = b.ic2 = 0;
}
