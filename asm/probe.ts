// The listener's probe and the limiters' gain, for the control side's analysis (workers/analysis_worker.ts).
// The probe copies one module's main output into PROBE after each block (interleaved L, R; a mono output in
// both); OP_PROBE chooses the module at a stamped frame, so every worker probes the same module in the same
// block. The limiters note the smallest gain they applied in the block. Neither writes anything the audio
// reads: they only read what the modules wrote, so a probe never changes a sample.
import { G } from "./globals";
import { inst } from "./arena";
import { outp } from "./module_abi";
import { CHANNELS, MAX_BLOCK, MAX_MODULES } from "./layout";

const PROBE = memory.data(MAX_BLOCK * CHANNELS * 4, 16);

/** OP_PROBE: probe module `id` (0: off) from its outputs `left` and `right` (the same index for a mono one). */
export function probeSelect(id: i32, left: i32, right: i32): void {
  G.probeId = id > 0 && id < MAX_MODULES ? id : 0;
  G.probeL = left;
  G.probeR = right;
}

/** A block starts: no limiter has reduced its gain yet. */
export function probeBlockStart(): void {
  G.limiterMin = 1.0;
}

/** Fills PROBE from the probed module after the block; G.probed says which module it holds (0: none). */
export function probeBlockEnd(B: i32): void {
  G.probed = 0;
  const id = G.probeId;
  if (id == 0) return;
  const m = inst(id);
  if (m.active == 0 || G.probeL < 0 || G.probeR < 0 || G.probeL >= m.nOut || G.probeR >= m.nOut) return;
  const l = outp(m, G.probeL), r = outp(m, G.probeR);
  for (let i = 0; i < B; i++) {
    const p = PROBE + (<usize> (i * CHANNELS) << 2);
    store<f32>(p, load<f32>(l + (<usize> i << 2)));
    store<f32>(p, load<f32>(r + (<usize> i << 2)), 4);
  }
  G.probed = id;
}

/** Address of the probed block: B frames of interleaved stereo f32. */
export function probePtr(): usize {
  return PROBE;
}

/** The module probed in the last rendered block (0: none, or it is gone). */
export function probedModule(): i32 {
  return G.probed;
}

/** The smallest gain any limiter applied in the last rendered block (1: none reduced its gain). */
export function limiterGain(): f64 {
  return G.limiterMin;
}
