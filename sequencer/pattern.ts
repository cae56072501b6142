// Patterns as musicians type them, and the files they are saved in: pure parsing, no engine.
import * as L from "../asm/layout.ts";
import { ClientError } from "../core/errors.ts";
import { parsePitch } from "../core/pitch.ts";
import { type ParsedPattern, parseGrammar, VELOCITY_ACCENT, VELOCITY_HIT } from "./grammar.ts";

/** The slowest tempo the sequencer accepts, in beats per minute. */
export const BPM_MIN = 20;
/** The fastest tempo the sequencer accepts, in beats per minute. */
export const BPM_MAX = 300;
/** The least swing, in percent: the off-beat step sits halfway through its pair (straight time). */
export const SWING_MIN = 50;
/** The most swing, in percent: the off-beat step sits three quarters of the way through its pair. */
export const SWING_MAX = 75;
/** The shortest gate a track accepts, in steps. */
export const GATE_MIN = 0.01;
/** The longest gate a track accepts, in steps (a tie adds whole steps on top). */
export const GATE_MAX = 16;
/** The most steps per beat a track accepts (its `steps`). */
export const STEPS_PER_BEAT_MAX = 64;
/** A track's gate length when its spec gives none: half a step. */
export const DEFAULT_GATE = 0.5;
/** The most bars a track's pattern may stretch over (`bars`). */
export const BARS_MAX = 64;
/** A track's steps per beat when its spec gives none: sixteenth notes. */
export const DEFAULT_STEPS_PER_BEAT = 4;

/** A pattern as the DSP takes it: a 2-bit code (SEQ_REST …) and a SEQ_X_* extras word per step. */
export interface EncodedSteps {
  /** SEQ_REST, SEQ_HIT, SEQ_ACCENT or SEQ_TIE per step, every cycle of an alternation one after another. */
  codes: number[];
  /** SEQ_X_* fields per step (0: none, as for every step of a pattern of x X . - only). */
  extras: number[];
  /** Steps in one repetition of the pattern (what `bars` divides). */
  length: number;
}

/** Parses a pattern (the grammar of sequencer/grammar.ts); throws ClientError naming position and expectation. */
export function parsePattern(pattern: string): ParsedPattern {
  return parseGrammar(pattern, L.SEQ_STEPS);
}

/**
 * The DSP's encoding of a parsed pattern; `chance` (percent) applies to each hit that gives none of its own
 * (a track's `prob`).
 */
export function encodeSteps(parsed: ParsedPattern, chance = 100): EncodedSteps {
  const steps = parsed.cycles.flat();
  const codes = steps.map((s) =>
    s.kind === "rest"
      ? L.SEQ_REST
      : s.kind === "tie"
      ? L.SEQ_TIE
      : s.velocity === VELOCITY_ACCENT
      ? L.SEQ_ACCENT
      : L.SEQ_HIT
  );
  const extras = steps.map((s) => {
    if (s.kind !== "hit") return 0;
    const level = s.velocity === VELOCITY_HIT || s.velocity === VELOCITY_ACCENT
      ? 0
      : Math.round(s.velocity * 9);
    const skip = 100 - Math.round(s.chance ?? chance);
    return level | ((s.ratchet - 1) << L.SEQ_X_RATCHET_SHIFT) | (skip << L.SEQ_X_SKIP_SHIFT);
  });
  return { codes, extras, length: parsed.length };
}

/**
 * The Hz of each note of a list, a chord being several (`C3:m9`, `C3+E3+G3`); a string may hold several notes,
 * separated by spaces or commas. `pitches` reads one word (core/music.ts pitchesOf with the session's scale).
 */
export function parseNotes(
  notes: readonly (string | number)[],
  pitches: (word: string | number) => number[] = (w) => [parsePitch(w)],
): number[][] {
  const words = notes.flatMap((n): (string | number)[] =>
    typeof n === "string" ? n.split(/[\s,]+/).filter((w) => w !== "") : [n]
  );
  if (words.length > L.SEQ_NOTES) {
    throw new ClientError(`${words.length} notes; a track holds at most ${L.SEQ_NOTES}`);
  }
  return words.map((w) => {
    const hz = pitches(w);
    if (hz.length > L.SEQ_CHORD_MAX) {
      throw new ClientError(`"${w}": a step plays at most ${L.SEQ_CHORD_MAX} notes`);
    }
    return hz;
  });
}

/** The file name for a pattern name or slot number ("groove" → groove.json, 3 → slot-3.json). */
export function patternFileName(nameOrSlot: string | number): string {
  const s = String(nameOrSlot).trim();
  if (/^\d+$/.test(s)) return `slot-${Number(s)}.json`;
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(s)) {
    throw new ClientError(
      `"${s}" is not a pattern name (letters, digits, _ and -, up to 64; or a slot number)`,
    );
  }
  return `${s}.json`;
}

/** Checks a range and says which one in plain words. */
export function inRange(what: string, v: unknown, min: number, max: number): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) {
    throw new ClientError(`${what} ${JSON.stringify(v)} is out of range (${min} … ${max})`);
  }
  return n;
}
