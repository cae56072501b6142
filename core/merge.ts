// The per-block merge (docs/design.md §3): which slot's ring supplies block n to the output.
import * as L from "../asm/layout.ts";

/**
 * Returns the slot holding block `n` — the selected one, else the standby's, else any other (a primary that
 * just failed may hold blocks its successor's replacement never rendered) — or -1 when none holds it yet.
 * Every published block is right: workers are deterministic, blocks pass the finite check before they are
 * published, and a fenced worker publishes nothing more. Blocks not from the selected ring count as merged.
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
  for (let s = 0; s < tags.length; s++) {
    if (s !== sel && s !== other && Atomics.load(tags[s], k) === n) {
      Atomics.add(ctrl, L.CTRL_MERGED, 1);
      return s;
    }
  }
  return -1;
}
