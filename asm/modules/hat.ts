// hat: a hi-hat in the TR-808 manner. Inputs: gate. Parameters: mode (closed | open), color (metallic |
// noise), closed (ms, 5 … 1000, default 60), open (ms, 20 … 4000, 420), freq (Hz, 50 … 2000, 205.3), cutoff
// (Hz, 2000 … 18000, 8000), level (0.7). A hit (drum.ts: onset, velocity, retrigger, idle) is, per sample:
//   source = metallic: the mean of six band-limited squares (osc.ts) at freq × the 808's ratios (205.3,
//            304.4, 369.6, 522.7, 540 and 800 Hz at the default), all starting high (phase ¼), so the hit
//            opens on a step; noise: the hit's noise (starting at +1, drum.ts)
//   x      = high(band(source))   band: Q 0.83 at cutoff, unity gain at its centre; high: Q 0.63, 0.75·cutoff
//   out    = level · velocity · softclip(gain · a · x)   a falls to exactly 0 in `closed` or `open` ms
// One module is one hat: a new hit restarts it, so a closed hit chokes a ringing open one (drum.ts's ramp).
// freq and cutoff are read per sample (exponential modulation); the mode and time are taken at the hit.
import { G } from "../globals";
import { at, Inst, outp, prm } from "../module_abi";
import {
  HAT_CLOSED,
  HAT_COLOR,
  HAT_CUTOFF,
  HAT_FREQ,
  HAT_IN_GATE,
  HAT_LEVEL,
  HAT_MODE,
  HAT_OPEN,
} from "../gen/defs";
import { envStep } from "./env";
import {
  decayOn,
  drum,
  DRUM_BYTES,
  drumEnv,
  drumFinish,
  drumHit,
  drumIdle,
  drumInit,
  drumNoise,
  drumProcess,
  ENV_BYTES,
} from "./drum";
import { oscSample } from "./osc";
import { softClip } from "./shape";
import { Svf, svfFlush, svfTick, svfTune, svfTuneFast } from "./svf";

// The 808's six oscillators (205.3, 304.4, 369.6, 522.7, 540, 800 Hz) over the lowest.
const R1: f64 = 304.4 / 205.3;
const R2: f64 = 369.6 / 205.3;
const R3: f64 = 522.7 / 205.3;
const R4: f64 = 540.0 / 205.3;
const R5: f64 = 800.0 / 205.3;
const START_PHASE: f64 = 0.25;
const BAND_RES: f64 = 0.4; // Q 0.83
const HIGH_RES: f64 = 0.2; // Q 0.63
const HIGH_RATIO: f64 = 0.75;
// The squares keep little of their power above the band's lower edge: they need more gain than noise to
// sound as loud (measured: equal RMS over the first 10 ms of a closed hit).
const METAL_GAIN: f64 = 9.0;
const NOISE_GAIN: f64 = 1.7;
const AMP = 0;
const ENVS = 1;
const BAND_AT: i32 = DRUM_BYTES + ENVS * ENV_BYTES;
const HIGH_AT: i32 = BAND_AT + <i32> offsetof<Svf>();
const HAT_AT: i32 = HIGH_AT + <i32> offsetof<Svf>();

@unmanaged
class Hat {
  p0: f64; // oscillator phases, cycles in [0, 1)
  p1: f64;
  p2: f64;
  p3: f64;
  p4: f64;
  p5: f64;
}

@inline
function svfAt(m: Inst, offset: i32): Svf {
  return changetype<Svf>(m.state + <usize> offset);
}

@inline
function hat(m: Inst): Hat {
  return changetype<Hat>(m.state + <usize> HAT_AT);
}

/** Bytes of private state. */
export function hatStateBytes(): i32 {
  return HAT_AT + <i32> offsetof<Hat>();
}

/** Seeds the noise. */
export function hatInit(m: Inst): void {
  drumInit(m);
}

/** Gate on: a new hit at this frame, closed or open by `mode` (gate off does nothing). */
export function hatGate(m: Inst, on: bool, vel: f64): void {
  if (!on) return;
  const h = hat(m), b = svfAt(m, BAND_AT), hp = svfAt(m, HIGH_AT);
  h.p0 = h.p1 = h.p2 = h.p3 = h.p4 = h.p5 = START_PHASE;
  b.ic1 = b.ic2 = hp.ic1 = hp.ic2 = 0.0;
  const open = <i32> prm(m, HAT_MODE).value == 1;
  const n = decayOn(drumEnv(m, AMP), open ? prm(m, HAT_OPEN).value : prm(m, HAT_CLOSED).value);
  drumHit(drum(m), vel, n);
}

/** Renders frames [from, to). */
export function hatProcess(m: Inst, from: i32, to: i32): void {
  drumProcess(m, HAT_IN_GATE, from, to, run, hatGate);
}

@inline
function square(t: f64, dt: f64): f64 {
  return oscSample(2, t, dt, 0.5);
}

@inline
function wrap(t: f64): f64 {
  return t >= 1.0 ? t - 1.0 : t;
}

function run(m: Inst, from: i32, to: i32): void {
  const d = drum(m), out = outp(m, 0);
  if (drumIdle(d, out, from, to)) return;
  const h = hat(m), b = svfAt(m, BAND_AT), hp = svfAt(m, HIGH_AT), amp = drumEnv(m, AMP);
  const freq = prm(m, HAT_FREQ), cutoff = prm(m, HAT_CUTOFF), level = prm(m, HAT_LEVEL);
  const metallic = <i32> prm(m, HAT_COLOR).value == 0;
  const gain = metallic ? METAL_GAIN : NOISE_GAIN;
  const isr = 1.0 / G.sampleRate, vel = d.velocity;
  const moving = cutoff.step != 0;
  if (!moving) {
    const fc = <f64> at(cutoff, from);
    svfTune(b, fc, BAND_RES);
    svfTune(hp, fc * HIGH_RATIO, HIGH_RES);
  }
  let p0 = h.p0, p1 = h.p1, p2 = h.p2, p3 = h.p3, p4 = h.p4, p5 = h.p5;
  for (let i = from; i < to; i++) {
    let src: f64;
    if (metallic) {
      // The highest square is at 3.9·freq ≤ 7.8 kHz: one wrap per sample is enough at any rate.
      const dt = <f64> at(freq, i) * isr;
      const d1 = dt * R1, d2 = dt * R2, d3 = dt * R3, d4 = dt * R4, d5 = dt * R5;
      src = (square(p0, dt) + square(p1, d1) + square(p2, d2) + square(p3, d3) + square(p4, d4) +
        square(p5, d5)) * (1.0 / 6.0);
      p0 = wrap(p0 + dt);
      p1 = wrap(p1 + d1);
      p2 = wrap(p2 + d2);
      p3 = wrap(p3 + d3);
      p4 = wrap(p4 + d4);
      p5 = wrap(p5 + d5);
    } else {
      src = drumNoise(d);
    }
    if (moving) {
      const fc = <f64> at(cutoff, i);
      svfTuneFast(b, fc, BAND_RES);
      svfTuneFast(hp, fc * HIGH_RATIO, HIGH_RES);
    }
    const x = svfTick(hp, b.k * svfTick(b, src, 1), 2);
    store<f32>(out + (<usize> i << 2), <f32> (softClip(gain * envStep(amp) * x) * vel) * at(level, i));
  }
  h.p0 = p0;
  h.p1 = p1;
  h.p2 = p2;
  h.p3 = p3;
  h.p4 = p4;
  h.p5 = p5;
  svfFlush(b);
  svfFlush(hp);
  drumFinish(d, out, from, to);
}
