// The seed system's units and laws, turned into Chronus's: pure functions, one per conversion the dialect's
// entries (osc/dialects/seed.ts) state. Each says the law it follows, so docs and code name the same formula.
import { midiToHz } from "../../core/pitch.ts";

/** The seed's `osc/type` numbers, in its order: 0 sine … 5 brown noise. */
export const SEED_WAVES = ["sine", "saw", "square", "white", "pink", "brown"] as const;

/** The seed's filter `mode` numbers, in its order (0 low-pass, 1 high-pass, 2 band-pass), as voice fmode names. */
export const SEED_FILTER_MODES = ["low", "high", "band"] as const;

/** Seconds (the seed's envelope, slide and delay times) in milliseconds (Chronus's). */
export function secondsToMs(s: number): number {
  return Math.round(s * 1e6) / 1e3; // whole microseconds: 0.375 s is 375 ms, not 374.99999999999994
}

/**
 * A filter Q (the seed's biquad) as Chronus's resonance: the state-variable filter has Q = 1/(2·(1−res)), so
 * res = 1 − 1/(2Q); Q 0.5 is res 0, Q 10 is res 0.95.
 */
export function qToRes(q: number): number {
  return Math.min(Math.max(1 - 1 / (2 * q), 0), 1);
}

/**
 * A 0–1 drive (the seed's waveshaper y = (1+k)x/(1+k|x|), k = 2d/(1−d), d capped at 0.998) as Chronus's drive
 * in dB: the shaper's small-signal gain, 20·log10(1+k) = 20·log10((1+d)/(1−d)).
 */
export function driveToDb(d: number): number {
  const c = Math.min(Math.max(d, 0), 0.998);
  return 20 * Math.log10((1 + c) / (1 - c));
}

/** The seed acid line's 0–1 drive in dB: its shaper ran at 0.5 + 0.5·drive (driveToDb of that). */
export function acidDriveToDb(d: number): number {
  return driveToDb(0.5 + 0.5 * d);
}

/** The seed acid filter's highest cutoff: its envelope could not open the filter further. */
export const SEED_ACID_MAX_HZ = 5000;

/**
 * The seed acid's `env_amount` (Hz added to the cutoff at the envelope's peak, the sum clipped at 5000 Hz) as
 * Chronus's `envmod` in octaves above `cutoffHz`: log2(min(cutoff + amount, 5000) / cutoff).
 */
export function envAmountToOctaves(cutoffHz: number, amountHz: number): number {
  const peak = Math.min(cutoffHz + amountHz, Math.max(SEED_ACID_MAX_HZ, cutoffHz));
  return Math.max(Math.log2(peak / cutoffHz), 0);
}

/**
 * The seed's swing fraction (0–0.6: the off-beat sixteenth moves later by swing/2 of a step, the bar keeps its
 * length) as Chronus's swing percent (where the off-beat sits in its pair, 50 straight): 50 + 25·swing.
 */
export function swingToPercent(fraction: number): number {
  return 50 + 25 * fraction;
}

/** A step pattern as the seed read it: X an accent, x a hit, any other character a rest. */
export function seedPattern(pattern: string): string {
  return [...pattern].map((c) => c === "X" || c === "x" ? c : ".").join("");
}

const STEPS: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/**
 * A note as the seed's sequencer parsed it, in Hz (null when it could not): with a "." a frequency, digits a
 * MIDI number (above 127, Hz: as a MIDI number it would be far above hearing), else a name (C#4, Db4; octave 4
 * when absent).
 */
export function seedNote(note: string): number | null {
  const s = note.trim();
  if (s.includes(".")) {
    const hz = Number(s);
    return Number.isFinite(hz) && hz > 0 ? hz : null;
  }
  if (/^\d+$/.test(s)) return Number(s) <= 127 ? midiToHz(Number(s)) : Number(s);
  const m = /^([A-Ga-g])([#b]?)(-?\d+)?$/.exec(s);
  if (!m) return null;
  const octave = m[3] === undefined ? 4 : Number(m[3]);
  return midiToHz((octave + 1) * 12 + STEPS[m[1].toUpperCase()] + (m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0));
}

/** A gate argument as the seed's servers read it: on for a number above 0, `on`, `true`, `"1"` or true. */
export function seedGateOn(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v > 0;
  if (typeof v === "string") {
    const w = v.trim().toLowerCase();
    return w === "on" || w === "true" || (w !== "" && Number(w) > 0);
  }
  return false;
}

/** The gate words the seed accepted that a number cannot say: on, off, true, false (any case). */
export function isGateWord(v: unknown): boolean {
  return typeof v === "boolean" || (typeof v === "string" && /^(on|off|true|false)$/i.test(v.trim()));
}
