// delay: stereo feedback delay. Each channel reads its line at `time` behind the write head with 4-point
// Hermite interpolation, so a moving time (smoothed by the framework over 150 ms) glides like tape, without
// zipper noise. The echo is heard as read; what feeds back goes through a one-pole low-pass (`damp`), so each
// repeat is darker than the one before. Ping-pong crosses the feedback: an echo of the left input comes back
// on the right, then the left again. Lines are 2 s (+ interpolation margin), rounded up to a power of two.
// Values below 1e-20 are written as 0, so a dying tail reaches exact silence instead of slow denormals.
import { G } from "../globals";
import { at, Inst, inp, outp, prm } from "../graph";
import { DELAY_DAMP, DELAY_FEEDBACK, DELAY_IN_L, DELAY_IN_R, DELAY_MIX, DELAY_PINGPONG, DELAY_TIME } from "../gen/defs";

@unmanaged
class Delay {
  write: i32; // next write index
  mask: i32;
  lines: usize; // line L at lines, line R at lines + size·4
  lpL: f64;
  lpR: f64;
}

const HEADER: i32 = 32;

function lineSize(): i32 {
  const need = <i32> Math.ceil(2.0 * G.sampleRate) + 8;
  let n = 1;
  while (n < need) n <<= 1;
  return n;
}

export function delayStateBytes(): i32 {
  return HEADER + 2 * lineSize() * 4;
}

export function delayInit(m: Inst): void {
  const s = changetype<Delay>(m.state);
  s.mask = lineSize() - 1;
  s.lines = m.state + <usize> HEADER;
}

// 4-point Hermite interpolation of `line` at fractional index `pos` (mask wraps).
@inline
function hermite(line: usize, mask: i32, pos: f64): f64 {
  const i = <i32> Math.floor(pos);
  const f = pos - <f64> i;
  const xm1 = <f64> load<f32>(line + (<usize> ((i - 1) & mask) << 2));
  const x0 = <f64> load<f32>(line + (<usize> (i & mask) << 2));
  const x1 = <f64> load<f32>(line + (<usize> ((i + 1) & mask) << 2));
  const x2 = <f64> load<f32>(line + (<usize> ((i + 2) & mask) << 2));
  const c1 = 0.5 * (x1 - xm1);
  const c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
  const c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
  return ((c3 * f + c2) * f + c1) * f + x0;
}

@inline
function clean(x: f64): f32 {
  return Math.abs(x) < 1e-20 ? 0 : <f32> x;
}

export function delayProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Delay>(m.state);
  const time = prm(m, DELAY_TIME), fb = prm(m, DELAY_FEEDBACK), damp = prm(m, DELAY_DAMP), mix = prm(m, DELAY_MIX);
  const ping = prm(m, DELAY_PINGPONG).value >= 0.5;
  const inL = inp(m, DELAY_IN_L), inR = inp(m, DELAY_IN_R), outL = outp(m, 0), outR = outp(m, 1);
  const mask = s.mask, lineL = s.lines, lineR = s.lines + (<usize> (mask + 1) << 2);
  const perMs = G.sampleRate * 0.001, maxD = <f64> (mask - 4);
  let w = s.write, lpL = s.lpL, lpR = s.lpR;
  for (let i = from; i < to; i++) {
    let d = <f64> at(time, i) * perMs;
    d = d < 2.0 ? 2.0 : d > maxD ? maxD : d; // 2 samples: the interpolation never reads the unwritten head
    const pos = <f64> w - d;
    const yL = hermite(lineL, mask, pos), yR = hermite(lineR, mask, pos);
    // Damping: a one-pole low-pass from open (damp 0) to about 1.1 kHz at 48 kHz (damp 1).
    const c = 1.0 - 0.85 * <f64> at(damp, i);
    lpL += (yL - lpL) * c;
    lpR += (yR - lpR) * c;
    const g = <f64> at(fb, i);
    const xL = <f64> load<f32>(inL + (<usize> i << 2)), xR = <f64> load<f32>(inR + (<usize> i << 2));
    store<f32>(lineL + (<usize> (w & mask) << 2), clean(xL + g * (ping ? lpR : lpL)));
    store<f32>(lineR + (<usize> (w & mask) << 2), clean(xR + g * (ping ? lpL : lpR)));
    w = (w + 1) & mask;
    const wet = <f64> at(mix, i);
    store<f32>(outL + (<usize> i << 2), <f32> (xL * (1.0 - wet) + yL * wet));
    store<f32>(outR + (<usize> i << 2), <f32> (xR * (1.0 - wet) + yR * wet));
  }
  s.write = w;
  s.lpL = Math.abs(lpL) < 1e-25 ? 0 : lpL;
  s.lpR = Math.abs(lpR) < 1e-25 ? 0 : lpR;
}
