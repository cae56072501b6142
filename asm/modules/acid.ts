// acid: TODO (stub: silence).
import { Inst, outp } from "../graph";

export function acidStateBytes(): i32 { return 0; }
export function acidInit(m: Inst): void {}
export function acidParam(m: Inst, p: i32): void {}
export function acidGate(m: Inst, on: bool, vel: f64): void {}
export function acidProcess(m: Inst, from: i32, to: i32): void {
  for (let j = 0; j < m.nOut; j++) for (let i = from; i < to; i++) store<f32>(outp(m, j) + (<usize> i << 2), 0);
}
