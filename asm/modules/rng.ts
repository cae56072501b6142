// Per-module xorshift32: each module owns its generator (seeded from the engine seed and its id on the control
// side), so adding or removing one module never changes another's noise.

/** Advances the generator stored at `state` and returns a uniform sample in [-1, 1). */
@inline
export function rand(state: usize): f64 {
  let x = load<u32>(state);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  store<u32>(state, x);
  return <f64> (<i32> x) * (1.0 / 2147483648.0);
}
