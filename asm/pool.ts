// The sample pool, as the DSP reads it: a second memory that every DSP instance imports and that no snapshot
// copies (asm/layout.ts draws its table; core/sample_pool.ts writes it). AssemblyScript cannot name a second
// memory, so these are declared as imports here and scripts/build_wasm.ts replaces every call to them by a
// load from the memory "pool" "mem": each costs one load, like a load from the arena.
import { POOL_ENTRY_WORDS, POOL_SAMPLES } from "./layout";

/** The f32 at byte `addr` of the pool. */
@external("pool", "f32")
export declare function poolF32(addr: usize): f32;

/** The i32 at byte `addr` of the pool. */
@external("pool", "i32")
export declare function poolI32(addr: usize): i32;

/** Word `w` of sample `id`'s table entry (0 for an id outside the table). */
export function poolEntry(id: i32, w: i32): i32 {
  if (id <= 0 || id >= POOL_SAMPLES) return 0;
  return poolI32(<usize> ((id * POOL_ENTRY_WORDS + w) << 2));
}
