// vca: out = in · gain, times the cv input when something is connected to it.
import { at, connected, Inst, inp, outp, prm } from "../module_abi";
import { VCA_GAIN, VCA_IN_CV, VCA_IN_IN } from "../gen/defs";

export function vcaProcess(m: Inst, from: i32, to: i32): void {
  const x = inp(m, VCA_IN_IN), cv = inp(m, VCA_IN_CV), gain = prm(m, VCA_GAIN), out = outp(m, 0);
  if (connected(m, VCA_IN_CV)) {
    for (let i = from; i < to; i++) {
      const a = <usize> i << 2;
      store<f32>(out + a, load<f32>(x + a) * load<f32>(cv + a) * at(gain, i));
    }
  } else {
    for (let i = from; i < to; i++) {
      const a = <usize> i << 2;
      store<f32>(out + a, load<f32>(x + a) * at(gain, i));
    }
  }
}
