// out: the master bus. Adds L and R (times level) into the engine's interleaved stereo output; a non-finite
// sample becomes 0 and is counted, so a DSP bug can never put NaN/Inf on the device.
import { G } from "../globals";
import { at, Inst, inp, prm } from "../module_abi";
import { OUT_IN_L, OUT_IN_R, OUT_LEVEL } from "../gen/defs";

export function outProcess(m: Inst, from: i32, to: i32): void {
  const l = inp(m, OUT_IN_L), r = inp(m, OUT_IN_R), level = prm(m, OUT_LEVEL);
  const bus = G.outBus;
  for (let i = from; i < to; i++) {
    const g = at(level, i);
    let a = load<f32>(l + (<usize> i << 2)) * g, b = load<f32>(r + (<usize> i << 2)) * g;
    if (!isFinite(a)) { a = 0; G.sanitized++; }
    if (!isFinite(b)) { b = 0; G.sanitized++; }
    const o = bus + (<usize> i << 3);
    store<f32>(o, load<f32>(o) + a);
    store<f32>(o, load<f32>(o, 4) + b, 4);
  }
}
