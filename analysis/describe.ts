// The listening report in a few plain sentences, as `listen` and `render --analyze` print it. Being written
// (issue 13): the first version names the levels only.
import type { Analysis } from "./analyze.ts";

/** The report in plain words, e.g. "−11 LUFS, peaks −0.8 dBTP, … no clipping". */
export function describe(a: Analysis): string {
  if (a.silent) return `silence (${a.window.seconds.toFixed(1)} s)`;
  return `RMS ${a.rmsDb.map((v) => v.toFixed(1)).join(" / ")} dBFS, peaks ${a.truePeakDb.toFixed(1)} dBTP`;
}
