// sampler: plays one sample of the pool (asm/pool.ts), stereo out (a mono sample on both sides).
//
// Contract:
// - A hit starts at the gate command's frame: it latches the region and the slice then, so a later `set`
//   moves the next hit, never the one playing (except pitch, rate, gain and the loop mode, read per span). A gate on while playing starts afresh. One-shot plays to the region's end (or loops for ever);
//   gated releases at gate off.
// - Region: [start·frames, end·frames) of the sample; `slices` N cuts it into N equal parts, or the sample's
//   onset slices (made at load) cut it; `slice` k plays part k. The first sample played is exactly part k's
//   first frame (reverse: its last), at the gate's frame.
// - Loops: the loop region is [loopstart, loopend) of the sample inside the part; forward wraps, pingpong
//   turns. Read positions inside the loop wrap for the interpolator too, so a loop whose ends match is
//   seamless.
// - Pitch: the read step is rate · 2^(pitch/12) source frames per output frame (the pool holds samples at the
//   engine's rate). Cubic Hermite (Catmull-Rom) between frames. When the step exceeds 1 the kernel reads mip
//   level k = ceil(log2 step), a copy decimated by 2^k behind a low-pass (core/sample_pool.ts), so nothing
//   above the output's Nyquist folds back.
// - Level: a linear attack from 0 over `attack` ms at each hit, a linear release to 0 over `release` ms;
//   times velocity and gain. A gate on a sample id that is not in the pool plays silence.
// - A set of `sample` ends the hit playing (at its frame), so a module reads only the sample it names.
// - Deterministic: the pool is immutable while a module names a sample (the control side refuses /sample/free
//   then) and the kernel never reads a word the control side may change; no clock, no allocation, state in
//   the arena.
import { G } from "../globals";
import { Inst, exp2f, outp, prm } from "../module_abi";
import {
  SAMPLER_ATTACK,
  SAMPLER_END,
  SAMPLER_GAIN,
  SAMPLER_LOOP,
  SAMPLER_LOOPEND,
  SAMPLER_LOOPSTART,
  SAMPLER_MODE,
  SAMPLER_PITCH,
  SAMPLER_RATE,
  SAMPLER_RELEASE,
  SAMPLER_REVERSE,
  SAMPLER_SAMPLE,
  SAMPLER_SLICE,
  SAMPLER_SLICES,
  SAMPLER_START,
} from "../gen/defs";
import {
  POOL_E_CHANNELS,
  POOL_E_FRAMES,
  POOL_E_LEVEL_AT,
  POOL_E_MIPS,
  POOL_E_READY,
  POOL_E_SLICE_AT,
  POOL_E_SLICES,
} from "../layout";
import { poolEntry, poolF32, poolI32 } from "../pool";

const LOOP_FORWARD = 1;
const LOOP_PINGPONG = 2;

@unmanaged
class Smp {
  pos: f64; // read position in level-0 frames
  env: f64;
  envStep: f64; // added per frame; the envelope stops at 1 (attack) or 0 (release)
  velocity: f64;
  lo: f64; // the part being played: [lo, hi) in frames
  hi: f64;
  dir: f64; // +1 forward, −1 backward
  id: i32;
  playing: i32;
  frames: i32;
  channels: i32;
  mips: i32;
  releasing: i32;
}

export function samplerStateBytes(): i32 {
  return <i32> offsetof<Smp>();
}

@inline
function smp(m: Inst): Smp {
  return changetype<Smp>(m.state);
}

export function samplerGate(m: Inst, on: bool, vel: f64): void {
  const s = smp(m);
  if (!on) {
    if (s.playing && prm(m, SAMPLER_MODE).target == 1.0) release(m, s);
    return;
  }
  const id = <i32> prm(m, SAMPLER_SAMPLE).target;
  s.playing = 0;
  if (poolEntry(id, POOL_E_READY) != 1) return;
  const frames = poolEntry(id, POOL_E_FRAMES);
  s.id = id;
  s.frames = frames;
  s.channels = poolEntry(id, POOL_E_CHANNELS);
  s.mips = poolEntry(id, POOL_E_MIPS);
  // Targets, not smoothed values: these parameters jump, and a set in the gate's own batch must count.
  let lo = Math.floor(prm(m, SAMPLER_START).target * <f64> frames);
  let hi = Math.floor(prm(m, SAMPLER_END).target * <f64> frames);
  if (hi <= lo) return;
  const onsets = poolEntry(id, POOL_E_SLICES);
  const k = <i32> prm(m, SAMPLER_SLICE).target;
  if (onsets > 0) {
    const at = <usize> poolEntry(id, POOL_E_SLICE_AT);
    const j = min<i32>(k, onsets - 1);
    const a = <f64> poolI32(at + (<usize> j << 2));
    const b = j + 1 < onsets ? <f64> poolI32(at + (<usize> (j + 1) << 2)) : hi;
    lo = Math.max(lo, a);
    hi = Math.min(hi, b);
  } else {
    const n = <i32> prm(m, SAMPLER_SLICES).target;
    const j = <f64> min<i32>(k, n - 1);
    const len = hi - lo;
    const a = lo + Math.floor(j * len / <f64> n);
    hi = lo + Math.floor((j + 1.0) * len / <f64> n);
    lo = a;
  }
  if (hi <= lo) return;
  s.lo = lo;
  s.hi = hi;
  const reverse = prm(m, SAMPLER_REVERSE).target == 1.0;
  s.dir = reverse ? -1.0 : 1.0;
  s.pos = reverse ? hi - 1.0 : lo;
  s.velocity = vel;
  s.releasing = 0;
  const attack = prm(m, SAMPLER_ATTACK).target * 0.001 * G.sampleRate;
  if (attack >= 1.0) {
    s.env = 0.0;
    s.envStep = 1.0 / attack;
  } else {
    s.env = 1.0;
    s.envStep = 0.0;
  }
  s.playing = 1;
}

function release(m: Inst, s: Smp): void {
  const n = prm(m, SAMPLER_RELEASE).target * 0.001 * G.sampleRate;
  s.releasing = 1;
  if (n < 1.0) {
    s.playing = 0;
    s.env = 0.0;
    return;
  }
  s.envStep = -s.env / n;
  if (s.envStep == 0.0) s.envStep = -1.0 / n;
}

// A new `sample` ends the hit playing the old one at the command's frame: a module only ever reads the sample
// its parameter names, which is what lets the control side free any other (patch/samples.ts).
export function samplerParam(m: Inst, p: i32): void {
  const s = smp(m);
  if (p == SAMPLER_SAMPLE && s.playing && <i32> prm(m, SAMPLER_SAMPLE).target != s.id) s.playing = 0;
}

export function samplerLevel(m: Inst): f64 {
  const s = smp(m);
  return s.playing ? s.env * s.velocity : 0.0;
}

// Cubic Hermite (Catmull-Rom) through x−1, x0, x1, x2 at fraction t.
@inline
function hermite(xm: f64, x0: f64, x1: f64, x2: f64, t: f64): f64 {
  const c1 = 0.5 * (x1 - xm);
  const c2 = xm - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
  const c3 = 0.5 * (x2 - xm) + 1.5 * (x0 - x1);
  return ((c3 * t + c2) * t + c1) * t + x0;
}

export function samplerProcess(m: Inst, from: i32, to: i32): void {
  const s = smp(m);
  const outL = outp(m, 0), outR = outp(m, 1);
  // No look at POOL_E_READY here: the main thread may change it at any time, the workers would disagree.
  if (!s.playing) {
    memory.fill(outL + (<usize> from << 2), 0, <usize> (to - from) << 2);
    memory.fill(outR + (<usize> from << 2), 0, <usize> (to - from) << 2);
    return;
  }
  const step = prm(m, SAMPLER_RATE).value * <f64> exp2f(<f32> (prm(m, SAMPLER_PITCH).value / 12.0));
  // The mip level whose band limit keeps `step` below the output's Nyquist (1.001: a step of exactly 2^k
  // rounded up in f32 stays on level k).
  let k = 0;
  while (k + 1 < s.mips && <f64> (1 << k) * 1.001 < step) k++;
  const scale = 1.0 / <f64> (1 << k);
  const ch = s.channels;
  const framesK = (s.frames + (1 << k) - 1) >> k;
  const base = <usize> poolEntry(s.id, POOL_E_LEVEL_AT + k);
  const gain = prm(m, SAMPLER_GAIN).value * s.velocity;
  const loop = <i32> prm(m, SAMPLER_LOOP).value;
  const fr = <f64> s.frames;
  let ls = Math.max(Math.floor(prm(m, SAMPLER_LOOPSTART).value * fr), s.lo);
  let le = Math.min(Math.floor(prm(m, SAMPLER_LOOPEND).value * fr), s.hi);
  const looping = loop != 0 && le - ls >= 2.0 && !s.releasing;
  if (!looping) {
    ls = s.lo;
    le = s.hi;
  }
  // Interpolation neighbours wrap inside a loop and clamp to the part otherwise (in level-k frames).
  const wlo = <i32> Math.floor(ls * scale), whi = max<i32>(<i32> Math.ceil(le * scale), wlo + 1);
  const wrap = looping && loop == LOOP_FORWARD;
  const span = whi - wlo;
  let pos = s.pos, env = s.env, dir = s.dir;
  let i = from;
  for (; i < to; i++) {
    const p = pos * scale;
    const fi = Math.floor(p);
    const t = p - fi;
    let i0 = <i32> fi;
    let l = 0.0, r = 0.0;
    for (let c = 0; c < ch; c++) {
      let xm = 0.0, x0 = 0.0, x1 = 0.0, x2 = 0.0;
      for (let j = -1; j <= 2; j++) {
        let q = i0 + j;
        if (wrap) {
          if (q < wlo) q += span;
          else if (q >= whi) q -= span;
        }
        q = min<i32>(max<i32>(q, 0), framesK - 1);
        const v = <f64> poolF32(base + (<usize> (q * ch + c) << 2));
        if (j == -1) xm = v;
        else if (j == 0) x0 = v;
        else if (j == 1) x1 = v;
        else x2 = v;
      }
      const y = hermite(xm, x0, x1, x2, t);
      if (c == 0) l = y;
      else r = y;
    }
    if (ch == 1) r = l;
    const g = env * gain;
    store<f32>(outL + (<usize> i << 2), <f32> (l * g));
    store<f32>(outR + (<usize> i << 2), <f32> (r * g));
    if (s.envStep != 0.0) {
      env += s.envStep;
      if (env >= 1.0) {
        env = 1.0;
        s.envStep = 0.0;
      } else if (env <= 0.0) {
        env = 0.0;
        s.playing = 0;
        i++;
        break;
      }
    }
    pos += dir * step;
    if (looping) {
      if (loop == LOOP_FORWARD) {
        if (dir > 0.0 && pos >= le) pos = ls + (pos - le) % (le - ls);
        else if (dir < 0.0 && pos < ls) pos = le - (ls - pos) % (le - ls);
      } else {
        // Ping-pong turns on the region's last and first frames.
        const top = le - 1.0;
        if (dir > 0.0 && pos > top) {
          pos = Math.max(top - (pos - top), ls);
          dir = -1.0;
        } else if (dir < 0.0 && pos < ls) {
          pos = Math.min(ls + (ls - pos), top);
          dir = 1.0;
        }
      }
    } else if (pos >= s.hi || pos < s.lo) {
      s.playing = 0;
      i++;
      break;
    }
  }
  for (; i < to; i++) {
    store<f32>(outL + (<usize> i << 2), 0);
    store<f32>(outR + (<usize> i << 2), 0);
  }
  s.pos = pos;
  s.env = env;
  s.dir = dir;
}
