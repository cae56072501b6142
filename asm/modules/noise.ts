// noise: white, pink or brown noise (noise_source.ts says how each is made) from the module's own PRNG.
import { at, Inst, outp, prm } from "../module_abi";
import { NOISE_COLOR, NOISE_LEVEL } from "../gen/defs";
import { NOISE_SOURCE_BYTES, noiseNext, NoiseSource } from "./noise_source";

export function noiseStateBytes(): i32 {
  return NOISE_SOURCE_BYTES;
}

export function noiseInit(m: Inst): void {
  changetype<NoiseSource>(m.state).rng = m.seed;
}

export function noiseProcess(m: Inst, from: i32, to: i32): void {
  const s = changetype<NoiseSource>(m.state);
  const color = <i32> prm(m, NOISE_COLOR).value, level = prm(m, NOISE_LEVEL);
  const out = outp(m, 0);
  for (let i = from; i < to; i++) {
    store<f32>(out + (<usize> i << 2), <f32> noiseNext(s, color) * at(level, i));
  }
}
