// A lane given per hit (`seq add brk smp x.x.x.x. slice=0,3,5,7`: the hits play slices 0, 3, 5 and 7) as the
// per-step lane the DSP plays (asm/sequencer.ts sets a lane's value at every step): each hit's value, held over
// the rests and ties after it, over as many repetitions of the pattern as the values need to line up again.
import * as L from "../asm/layout.ts";
import { ClientError } from "../core/errors.ts";
import { parseGrammar } from "./grammar.ts";

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The per-step lane that gives the k-th hit of `pattern` values[k mod n]; throws ClientError when too long. */
export function hitLane<T>(pattern: string, values: readonly T[]): T[] {
  if (values.length === 0) throw new ClientError("a lane needs at least one value");
  const steps = parseGrammar(pattern, L.SEQ_STEPS).cycles.flat();
  const hits = steps.filter((s) => s.kind === "hit").length;
  if (hits === 0) return [...values];
  const reps = values.length / gcd(hits, values.length);
  if (steps.length * reps > L.SEQ_STEPS) {
    throw new ClientError(
      `${values.length} values over ${hits} hits need ${
        steps.length * reps
      } steps of lane (at most ${L.SEQ_STEPS})`,
    );
  }
  const lane: T[] = [];
  let k = 0, held = values[(hits * reps - 1) % values.length];
  for (let r = 0; r < reps; r++) {
    for (const s of steps) {
      if (s.kind === "hit") held = values[k++ % values.length];
      lane.push(held);
    }
  }
  return lane;
}
