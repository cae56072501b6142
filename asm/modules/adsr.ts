// adsr: the envelope core (env.ts) driven by the gate command (at its exact frame) or the gate input (a
// crossing of 0.5, at its sample). The gate is on while either is on. out = level · velocity.
import { Inst, inp, outp, prm } from "../module_abi";
import { ADSR_ATTACK, ADSR_IN_GATE, ADSR_SUSTAIN } from "../gen/defs";
import { Env, envOffFrom, envOnFrom, envStep, envSustain } from "./env";

@unmanaged
class Adsr {
  cmdGate: i32;
  inGate: i32;
  velocity: f64;
}

const ENV_BYTES: i32 = <i32> offsetof<Env>();

export function adsrStateBytes(): i32 {
  return ENV_BYTES + <i32> offsetof<Adsr>();
}

@inline
function env(m: Inst): Env {
  return changetype<Env>(m.state);
}

@inline
function adsr(m: Inst): Adsr {
  return changetype<Adsr>(m.state + <usize> ENV_BYTES);
}

export function adsrInit(m: Inst): void {
  adsr(m).velocity = 1.0;
}

function on(m: Inst): void {
  envOnFrom(env(m), m, ADSR_ATTACK);
}

function off(m: Inst): void {
  envOffFrom(env(m), m, ADSR_ATTACK);
}

export function adsrGate(m: Inst, g: bool, vel: f64): void {
  const a = adsr(m);
  const was = a.cmdGate | a.inGate;
  a.cmdGate = g ? 1 : 0;
  if (g) {
    a.velocity = vel;
    on(m); // a gate command while on retriggers
  } else if (was && !a.inGate) off(m);
}

export function adsrProcess(m: Inst, from: i32, to: i32): void {
  const e = env(m), a = adsr(m);
  const x = inp(m, ADSR_IN_GATE), out = outp(m, 0);
  envSustain(e, prm(m, ADSR_SUSTAIN).value);
  for (let i = from; i < to; i++) {
    const high = load<f32>(x + (<usize> i << 2)) > 0.5 ? 1 : 0;
    if (high != a.inGate) {
      const was = a.cmdGate | a.inGate;
      a.inGate = high;
      if (high && !was) {
        a.velocity = 1.0;
        on(m);
      } else if (!high && !a.cmdGate) off(m);
    }
    store<f32>(out + (<usize> i << 2), <f32> (envStep(e) * a.velocity));
  }
}
