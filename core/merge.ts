// The per-block merge (docs/design.md §3): which slot's ring supplies block n to the output.
import * as L from "../asm/layout.ts";
import { ringDoorbell } from "./command_ring.ts";

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

/**
 * Has the standby cover block `n` for a late primary (docs/design.md §2, "A late primary is covered"): when
 * the standby holds every accepted command up to `n` (its gate reached `n`) and has rendered everything
 * before it (it waits at its gate), takes block `n` away from the primary with one compare-exchange of the
 * primary's H_COMMIT (n → ~n) and rings the standby, which then renders on as the primary's successor.
 * Returns true when this call covered `n`; false when the primary committed `n` first (its block is on its
 * way), was covered already, or no standby is ready (then the block is late as before). Allocates nothing.
 */
export function coverLate(ctrl: Int32Array, headers: Int32Array[], n: number): boolean {
  const sel = Atomics.load(ctrl, L.CTRL_SELECTOR);
  const other = Atomics.load(ctrl, L.CTRL_OTHER);
  if (sel < 0 || other < 0 || sel === other) return false;
  const s = headers[other];
  const state = Atomics.load(s, L.H_STATE);
  if (state !== L.W_IDLE && state !== L.W_RENDERING) return false;
  if (Atomics.load(s, L.H_EPOCH) <= 0 || Atomics.load(s, L.H_DONE) !== n || Atomics.load(s, L.H_GATE) < n) {
    return false;
  }
  if (Atomics.compareExchange(headers[sel], L.H_COMMIT, n, ~n) !== n) return false;
  Atomics.add(ctrl, L.CTRL_COVERS, 1);
  ringDoorbell(s);
  return true;
}
