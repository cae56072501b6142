// The per-block merge (DESIGN.md §3): which slot's ring supplies block n to the output.
import * as L from "../asm/layout.ts";

/**
 * Returns the slot holding block `n` — the selected one, else the standby's (counted in CTRL_MERGED) — or -1
 * when neither holds it yet. Both workers' blocks are bit-identical, so either is the right one.
 */
export function pickSource(ctrl: Int32Array, tags: Int32Array[], n: number): number {
  const k = n & (L.RING_BLOCKS - 1);
  const sel = Atomics.load(ctrl, L.CTRL_SELECTOR);
  if (sel >= 0 && Atomics.load(tags[sel], k) === n) return sel;
  const other = Atomics.load(ctrl, L.CTRL_OTHER);
  if (other >= 0 && Atomics.load(tags[other], k) === n) {
    Atomics.add(ctrl, L.CTRL_MERGED, 1);
    return other;
  }
  return -1;
}
