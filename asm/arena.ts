// Where modules live: the instance table (one Inst per module id) and the arena their blocks are cut from.
// Both are in linear memory (a static table, then a bump-allocated arena above the static data), so a copy of
// memory up to arenaUsedBytes() is the whole graph. A deleted module's block goes on its type's free list and
// the next module of that type reuses it (a block's size depends only on the type once init has fixed the
// sample rate and block size), so replacing a module by one of the same type costs no arena.
//
// One module's block:
//   ┌──────────────────┬────────────────────────┬───────────────────┬─────────┬──────────┬────────────────┬───────┐
//   │ Param × nParam   │ per-sample buffer per  │ outputs           │ input   │ input    │ input scratch  │ state │
//   │ (64 B each)      │ audio-rate param (B f32)│ nOut × B f32      │ ptrs    │ list     │ nIn × B f32    │       │
//   └──────────────────┴────────────────────────┴───────────────────┴─────────┴──────────┴────────────────┴───────┘
// (B = the block size in frames; the input pointers and list heads are cables.ts's, the state the kernel's.)
import { G } from "./globals";
import { MAX_MODULES } from "./layout";
import { Inst, PARAM_BYTES, prm, ZERO } from "./module_abi";
import { P_AUDIO, T_NIN, T_NOUT, T_NPARAM, T_PBASE } from "./gen/defs";
import { stateBytes } from "./gen/dispatch";

const INST_BYTES: i32 = 64; // offsetof<Inst>() = 64
const INSTS = memory.data(MAX_MODULES * INST_BYTES, 16);
const FREE = memory.data(64 * 4, 16); // free list head per type (0 = empty); TYPE_COUNT ≤ 64

/** Module `id`'s row of the instance table (inactive until created). */
@inline
export function inst(id: i32): Inst {
  return changetype<Inst>(INSTS + <usize> id * <usize> INST_BYTES);
}

@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize> 15);
}

/** Empties the instance table and the arena. */
export function arenaInit(): void {
  memory.fill(INSTS, 0, <usize> (MAX_MODULES * INST_BYTES));
  memory.fill(FREE, 0, 64 * 4);
  G.arenaTop = align16(__heap_base);
}

/** Where the arena starts: the first module's block (memory below holds the static data). */
export function arenaBase(): usize {
  return align16(__heap_base);
}

/** Bytes from the start of memory that hold state (static data plus the used arena). */
export function arenaUsedBytes(): usize {
  return G.arenaTop;
}

function audioParams(type: i32): i32 {
  const base = load<i32>(T_PBASE + (<usize> type << 2));
  const n = load<i32>(T_NPARAM + (<usize> type << 2));
  let c = 0;
  for (let p = 0; p < n; p++) c += load<i32>(P_AUDIO + (<usize> (base + p) << 2));
  return c;
}

/** Bytes of arena one module of `type` takes at the block size init fixed (the control side budgets with it). */
export function blockBytes(type: i32): usize {
  const B = <usize> G.block * 4;
  const nIn = <usize> load<i32>(T_NIN + (<usize> type << 2));
  const nOut = <usize> load<i32>(T_NOUT + (<usize> type << 2));
  const nP = <usize> load<i32>(T_NPARAM + (<usize> type << 2));
  return align16(nP * PARAM_BYTES + <usize> audioParams(type) * B + nOut * B + align16(nIn * 8) + nIn * B) +
    align16(<usize> stateBytes(type));
}

/**
 * Gives instance m a zeroed block for `type` and points its fields into it: parameter records and buffers,
 * outputs, inputs (unconnected: reading ZERO), scratch and state. Returns false, having changed nothing, when
 * the arena is full. The parameters' values are smoothing.ts's to set (paramsInit).
 */
export function placeModule(m: Inst, type: i32): bool {
  const size = blockBytes(type);
  let mem = load<usize>(FREE + (<usize> type << 2));
  if (mem != 0) {
    store<usize>(FREE + (<usize> type << 2), load<usize>(mem)); // pop the free list
  } else {
    if (G.arenaTop + size > (<usize> memory.size() << 16)) return false;
    mem = G.arenaTop;
    G.arenaTop += size;
  }
  memory.fill(mem, 0, size);
  const B = <usize> G.block * 4;
  const nIn = load<i32>(T_NIN + (<usize> type << 2));
  const nOut = load<i32>(T_NOUT + (<usize> type << 2));
  const nP = load<i32>(T_NPARAM + (<usize> type << 2));
  const base = load<i32>(T_PBASE + (<usize> type << 2));
  m.type = type;
  m.nIn = nIn;
  m.nOut = nOut;
  m.nParam = nP;
  m.size = <i32> size;
  m.params = mem;
  let cursor = mem + <usize> nP * PARAM_BYTES;
  for (let p = 0; p < nP; p++) {
    if (load<i32>(P_AUDIO + (<usize> (base + p) << 2))) {
      prm(m, p).buf = cursor;
      cursor += B;
    }
  }
  m.outs = cursor;
  cursor += <usize> nOut * B;
  m.ins = cursor;
  m.heads = cursor + <usize> nIn * 4;
  cursor += align16(<usize> nIn * 8);
  for (let j = 0; j < nIn; j++) {
    store<usize>(m.ins + (<usize> j << 2), ZERO);
    store<i32>(m.heads + (<usize> j << 2), -1);
  }
  m.scratch = cursor;
  cursor += <usize> nIn * B;
  m.state = align16(cursor);
  return true;
}

/** Returns instance m's block to its type's free list and clears the instance (its cables must be gone). */
export function freeModule(m: Inst): void {
  const mem = m.params;
  store<usize>(mem, load<usize>(FREE + (<usize> m.type << 2)));
  store<usize>(FREE + (<usize> m.type << 2), mem);
  memory.fill(changetype<usize>(m), 0, <usize> INST_BYTES);
}
