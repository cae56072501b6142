// The voice's state, shared by its entry points (voice.ts) and its kernels: one block at m.state,
//   ┌──────────────────────────┬──────────────────────────┬───────────────────────────────────────┬─────────────────────┬──────────────────┐
//   │ Env (env.ts): envelope   │ Svf (svf.ts): the filter │ Voice: oscillator phase, velocity and │ NoiseSource         │ unison phases:   │
//   │ recurrence and stage     │ state and coefficients   │ the two gate sources                  │ (noise_source.ts)   │ 8 × f32 (unison) │
//   └──────────────────────────┴──────────────────────────┴───────────────────────────────────────┴─────────────────────┴──────────────────┘
// in its own file so that the kernels and the entry points that choose them both import it, and neither the
// other.
import { Inst } from "../module_abi";
import { Env } from "./env";
import { NOISE_SOURCE_BYTES, NoiseSource } from "./noise_source";
import { Svf } from "./svf";

@unmanaged
export class Voice {
  phase: f64; // cycles, [0, 1)
  velocity: f64; // of the last trigger, 0 … 1
  cmdGate: i32; // 1 while the gate command is on
  inGate: i32; // 1 while the gate input is above 0.5
}

const ENV_BYTES: i32 = <i32> offsetof<Env>();
const SVF_BYTES: i32 = <i32> offsetof<Svf>();

// The noise source holds f64 fields: it starts on an 8-byte boundary.
const NOISE_AT: i32 = (ENV_BYTES + SVF_BYTES + <i32> offsetof<Voice>() + 7) & ~7;

// The unison oscillators' phases (voice_unison.ts): eight f32, read and written as two v128.
const UNISON_AT: i32 = (NOISE_AT + NOISE_SOURCE_BYTES + 15) & ~15;

/** Bytes of the voice's state. */
export const VOICE_BYTES: i32 = UNISON_AT + 32;

@inline
export function env(m: Inst): Env {
  return changetype<Env>(m.state);
}

@inline
export function svf(m: Inst): Svf {
  return changetype<Svf>(m.state + <usize> ENV_BYTES);
}

@inline
export function voice(m: Inst): Voice {
  return changetype<Voice>(m.state + <usize> (ENV_BYTES + SVF_BYTES));
}

/** The generator of the noise waves (white, pink, brown), seeded from the module's seed at init. */
@inline
export function noise(m: Inst): NoiseSource {
  return changetype<NoiseSource>(m.state + <usize> NOISE_AT);
}

/** Address of the unison oscillators' eight f32 phases (cycles, [0, 1); voice_unison.ts). */
@inline
export function unisonPhases(m: Inst): usize {
  return m.state + <usize> UNISON_AT;
}
