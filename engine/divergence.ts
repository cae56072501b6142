// The divergence check: both workers render the same blocks from the same commands, so their block hashes
// must match. A mismatch is non-determinism in the DSP (docs/design.md §2): counted and reported, never fatal.
import * as L from "../asm/layout.ts";
import type { SlotViews } from "../core/shared.ts";
import type { Metrics, Report } from "./metrics.ts";

/**
 * Compares the block hashes of the two rings, block by block in order, for every block both have published
 * (`upTo` is the lesser of their published counts) after block `checked`. Returns the last block checked.
 */
export function checkDivergence(
  primary: SlotViews,
  standby: SlotViews,
  upTo: number,
  checked: number,
  metrics: Metrics,
  report: Report,
): number {
  for (let b = Math.max(checked + 1, upTo - L.RING_BLOCKS); b < upTo; b++) {
    const k = b & (L.RING_BLOCKS - 1);
    if (Atomics.load(primary.tags, k) !== b || Atomics.load(standby.tags, k) !== b) continue;
    const hp = primary.hashes[k], hs = standby.hashes[k];
    // Re-reading the tags proves the hashes belong to block b (writers clear a tag before rewriting a slot).
    if (Atomics.load(primary.tags, k) !== b || Atomics.load(standby.tags, k) !== b) continue;
    metrics.blocksCompared++;
    if (hp !== hs) {
      metrics.divergences++;
      report(
        "divergence",
        `block ${b}: primary hash ${hp >>> 0} ≠ standby hash ${hs >>> 0}: non-determinism`,
      );
    }
  }
  return Math.max(checked, upTo - 1);
}
