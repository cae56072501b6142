// Patterns as musicians type them, and the files they are saved in: pure parsing, no engine.
import * as L from "../asm/layout.ts";
import { ClientError } from "../core/errors.ts";
import { parsePitch } from "../core/pitch.ts";

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
/** A track's steps per beat when its spec gives none: sixteenth notes. */
export const DEFAULT_STEPS_PER_BEAT = 4;

const CODES: Record<string, number> = { x: L.SEQ_HIT, X: L.SEQ_ACCENT, ".": L.SEQ_REST, "-": L.SEQ_TIE };

/** Step codes (SEQ_REST …) of a pattern string; throws ClientError naming the bad character. */
export function parsePattern(pattern: string): number[] {
  if (typeof pattern !== "string") throw new ClientError(`a pattern is a string like "x...x..."`);
  const steps: number[] = [];
  for (const ch of pattern.replace(/[\s|]/g, "")) {
    const code = CODES[ch];
    if (code === undefined) {
      throw new ClientError(
        `"${pattern}": "${ch}" is not a step (x hit, X accent, . rest, - tie; spaces and | are ignored)`,
      );
    }
    steps.push(code);
  }
  if (steps.length === 0) throw new ClientError(`"${pattern}": a pattern needs at least one step`);
  if (steps.length > L.SEQ_STEPS) {
    throw new ClientError(`"${pattern}": ${steps.length} steps; a pattern holds at most ${L.SEQ_STEPS}`);
  }
  return steps;
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
