// The ring lead: how many blocks the primary renders ahead of the output (docs/latency.md). `--lead N` fixes it;
// `auto`, the default of `deno task start`, starts at the smallest lead measured to lose no block with
// real-time threads, and widens by one block after a late block, saying so: the fallback where the threads run
// at a normal priority (or the machine is worse than measured). The lead shapes no sample: a command is
// stamped with its frame and the log holds it, so a lead that changes mid-session replays exactly.
import * as L from "../asm/layout.ts";

/** `--lead`: a number of blocks, or `auto`. */
export type LeadSetting = number | "auto";

/** Where `auto` starts: the smallest lead that lost no block with real-time threads, idle and beside a
 * two-core hog (bench/latency-matrix.json, docs/latency.md); without them it lost 2 in a machine stall. */
export const AUTO_LEAD_START = 3;
/** The widest `auto` goes: the old fixed default, which lost no block in any cell of the matrix. */
export const AUTO_LEAD_MAX = 6;

/** The lead to start at: the number given, or where `auto` starts. */
export function initialLead(setting: LeadSetting): number {
  return setting === "auto" ? AUTO_LEAD_START : setting;
}

/** Parses `--lead`: "auto" or a whole number of blocks (range-checked by Engine.start). */
export function parseLead(text: string): LeadSetting {
  if (text === "auto") return "auto";
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n)) {
    throw new RangeError(`--lead ${text}: expected a number of blocks or "auto"`);
  }
  return n;
}

/** After a widening, late blocks for this long widen no further (ms). */
export const WIDEN_QUIET_MS = 1000;

/**
 * Widens an `auto` lead by one block after a late block, up to `max`. A widened lead takes effect as the
 * primary renders into it, and one pause of the machine or one rebuild after both workers were lost plays
 * several late blocks in a row: those within WIDEN_QUIET_MS (at least a lead) of a widening widen it no
 * further (one block wider, not six).
 */
export class LeadWidener {
  #ctrl: Int32Array;
  #max: number;
  #blockMs: number;
  #say: (message: string) => void;
  #seenLate = 0;
  #quietUntil = 0;

  /** Watches `ctrl`'s late count; `say` tells people and clients of each widening. */
  constructor(ctrl: Int32Array, max: number, blockMs: number, say: (message: string) => void) {
    this.#ctrl = ctrl;
    this.#max = max;
    this.#blockMs = blockMs;
    this.#say = say;
    this.#seenLate = Atomics.load(ctrl, L.CTRL_LATE);
  }

  /** Called every supervision tick: widens once per new late block outside the quiet span. */
  tick(): void {
    const late = Atomics.load(this.#ctrl, L.CTRL_LATE);
    if (late === this.#seenLate) return;
    this.#seenLate = late;
    const out = Atomics.load(this.#ctrl, L.CTRL_OUT_BLOCK);
    const lead = Atomics.load(this.#ctrl, L.CTRL_LEAD);
    if (lead >= this.#max || out < this.#quietUntil) return;
    Atomics.store(this.#ctrl, L.CTRL_LEAD, lead + 1);
    this.#quietUntil = out + Math.max(lead + 1, Math.ceil(WIDEN_QUIET_MS / this.#blockMs));
    const ms = ((lead + 1) * this.#blockMs).toFixed(1);
    const more = lead + 1 < this.#max ? `, at most ${this.#max}` : ", its widest";
    this.#say(
      `widened to ${
        lead + 1
      } blocks (${ms} ms${more}) after a late block near block ${out}; --lead N holds a lead fixed`,
    );
  }
}
