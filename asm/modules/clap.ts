// clap: a hand clap in the TR-808 manner. Inputs: gate. Parameters: spread (ms, 2 … 40, default 11), decay
// (ms, 20 … 3000, 240), cutoff (Hz, 300 … 8000, 1200), level (0.8). A hit (drum.ts: onset, velocity,
// retrigger, idle) is the hit's noise (starting at +1, drum.ts) through a band-pass at cutoff (Q 1.1, unity
// gain at its centre), then an amplifier driven by four onsets `spread` ms apart, like hands that do not clap
// together: three bursts, each jumping to 1 and falling to exactly 0 by the next (curvature 3), then the
// tail, jumping to 1 and falling to exactly 0 in decay ms (the −60 dB shape of drum.ts).
//   out = level · velocity · softclip(GAIN · (burst + tail) · band(noise))
// cutoff is read per sample (exponential modulation); spread and decay are taken at the hit.
import { G } from "../globals";
import { at, Inst, outp, prm } from "../module_abi";
import { CLAP_CUTOFF, CLAP_DECAY, CLAP_IN_GATE, CLAP_LEVEL, CLAP_SPREAD } from "../gen/defs";
import { envOn, envStep, msToSamples } from "./env";
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
import { softClip } from "./shape";
import { Svf, svfFlush, svfTick, svfTune, svfTuneFast } from "./svf";

const BURSTS: i32 = 3;
const BURST_CURVE: f64 = 3.0;
const RES: f64 = 0.55; // Q 1.1
const GAIN: f64 = 3.5;
const BURST = 0;
const TAIL = 1;
const ENVS = 2;
const SVF_AT: i32 = DRUM_BYTES + ENVS * ENV_BYTES;

@unmanaged
class Clap {
  spreadN: i32; // samples between onsets
  onsets: i32; // onsets so far in this hit
  until: i32; // samples until the next onset; −1: none left
  pad: i32;
  tailMs: f64; // the tail's decay, taken at the hit
}

@inline
function band(m: Inst): Svf {
  return changetype<Svf>(m.state + <usize> SVF_AT);
}

@inline
function clap(m: Inst): Clap {
  return changetype<Clap>(m.state + <usize> (SVF_AT + <i32> offsetof<Svf>()));
}

/** Bytes of private state. */
export function clapStateBytes(): i32 {
  return SVF_AT + <i32> offsetof<Svf>() + <i32> offsetof<Clap>();
}

/** Seeds the noise. */
export function clapInit(m: Inst): void {
  drumInit(m);
}

/** Gate on: a new hit at this frame (gate off does nothing: the clap is a one-shot). */
export function clapGate(m: Inst, on: bool, vel: f64): void {
  if (!on) return;
  const c = clap(m), f = band(m);
  f.ic1 = 0.0;
  f.ic2 = 0.0;
  const n = max<i32>(msToSamples(prm(m, CLAP_SPREAD).value, G.sampleRate), 1);
  c.spreadN = n;
  c.onsets = 1;
  c.until = n;
  envOn(drumEnv(m, BURST), 0, n, 0.0, 0, BURST_CURVE);
  memory.fill(changetype<usize>(drumEnv(m, TAIL)), 0, <usize> ENV_BYTES); // silent until its onset
  c.tailMs = prm(m, CLAP_DECAY).value;
  drumHit(drum(m), vel, BURSTS * n + msToSamples(c.tailMs, G.sampleRate));
}

/** Renders frames [from, to). */
export function clapProcess(m: Inst, from: i32, to: i32): void {
  drumProcess(m, CLAP_IN_GATE, from, to, run, clapGate);
}

function run(m: Inst, from: i32, to: i32): void {
  const d = drum(m), out = outp(m, 0);
  if (drumIdle(d, out, from, to)) return;
  const c = clap(m), f = band(m), burst = drumEnv(m, BURST), tail = drumEnv(m, TAIL);
  const cutoff = prm(m, CLAP_CUTOFF), level = prm(m, CLAP_LEVEL);
  const vel = d.velocity;
  const moving = cutoff.step != 0;
  if (!moving) svfTune(f, <f64> at(cutoff, from), RES);
  const k = f.k;
  for (let i = from; i < to; i++) {
    if (c.until == 0) {
      if (c.onsets < BURSTS) {
        envOn(burst, 0, c.spreadN, 0.0, 0, BURST_CURVE);
        c.until = c.spreadN;
      } else {
        decayOn(tail, c.tailMs);
        c.until = -1;
      }
      c.onsets++;
    }
    if (c.until > 0) c.until--;
    if (moving) svfTuneFast(f, <f64> at(cutoff, i), RES);
    const x = k * svfTick(f, drumNoise(d), 1) * (envStep(burst) + envStep(tail));
    store<f32>(out + (<usize> i << 2), <f32> (softClip(GAIN * x) * vel) * at(level, i));
  }
  svfFlush(f);
  drumFinish(d, out, from, to);
}
