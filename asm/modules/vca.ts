// vca: out = in · gain, times the cv input when something is connected to it: (in · cv) · gain per sample.
// While gain holds still over the span (step 0) the loop runs four samples at a time (f32x4), lane by lane
// the same f32 multiplies as one at a time, so the samples do not depend on the span's length or alignment.
import { at, connected, Inst, inp, outp, prm } from "../module_abi";
import { VCA_GAIN, VCA_IN_CV, VCA_IN_IN } from "../gen/defs";

export function vcaProcess(m: Inst, from: i32, to: i32): void {
  const x = inp(m, VCA_IN_IN), cv = inp(m, VCA_IN_CV), gain = prm(m, VCA_GAIN), out = outp(m, 0);
  const withCv = connected(m, VCA_IN_CV);
  if (gain.step == 0) {
    const g = at(gain, from);
    const gv = f32x4.splat(g);
    let i = from;
    if (withCv) {
      for (; i + 4 <= to; i += 4) {
        const a = <usize> i << 2;
        v128.store(out + a, f32x4.mul(f32x4.mul(v128.load(x + a), v128.load(cv + a)), gv));
      }
      for (; i < to; i++) {
        const a = <usize> i << 2;
        store<f32>(out + a, load<f32>(x + a) * load<f32>(cv + a) * g);
      }
    } else {
      for (; i + 4 <= to; i += 4) {
        const a = <usize> i << 2;
        v128.store(out + a, f32x4.mul(v128.load(x + a), gv));
      }
      for (; i < to; i++) {
        const a = <usize> i << 2;
        store<f32>(out + a, load<f32>(x + a) * g);
      }
    }
    return;
  }
  if (withCv) {
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
