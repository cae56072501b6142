// vcf: the state-variable filter (svf.ts) with per-sample cutoff and resonance. Coefficients are computed once
// per span while cutoff and resonance hold still, per sample while they move (modulation, smoothing).
import { at, Inst, inp, outp, prm } from "../module_abi";
import { VCF_CUTOFF, VCF_IN_IN, VCF_LEVEL, VCF_MODE, VCF_RES } from "../gen/defs";
import { Svf, svfFlush, svfTick, svfTune, svfTuneFast } from "./svf";

export function vcfStateBytes(): i32 {
  return <i32> offsetof<Svf>();
}

export function vcfInit(m: Inst): void {}

export function vcfProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<Svf>(m.state);
  const cutoff = prm(m, VCF_CUTOFF), res = prm(m, VCF_RES), level = prm(m, VCF_LEVEL);
  const mode = <i32> prm(m, VCF_MODE).value;
  const x = inp(m, VCF_IN_IN), out = outp(m, 0);
  const moving = cutoff.step != 0 || res.step != 0;
  if (!moving) svfTune(s, <f64> at(cutoff, from), <f64> at(res, from));
  for (let i = from; i < to; i++) {
    if (moving) svfTuneFast(s, <f64> at(cutoff, i), <f64> at(res, i));
    const y = svfTick(s, <f64> load<f32>(x + (<usize> i << 2)), mode);
    store<f32>(out + (<usize> i << 2), <f32> y * at(level, i));
  }
  svfFlush(s);
}
