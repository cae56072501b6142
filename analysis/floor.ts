// The floor of every level in the report (JSON has no −Infinity); analyze.ts re-exports it as the contract.

/** dB values are floored here: silence is −120 dB, never −Infinity (JSON has no infinities). */
export const FLOOR_DB: number = -120;

/** 20·log10(v) of an amplitude, floored at FLOOR_DB. */
export function ampDb(v: number): number {
  return v > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(v)) : FLOOR_DB;
}

/** 10·log10(p) of a power, floored at FLOOR_DB. */
export function powDb(p: number): number {
  return p > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(p)) : FLOOR_DB;
}
