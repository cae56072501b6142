// Pitches as musicians and agents write them: MIDI numbers, Hz, or note names.
import { ClientError } from "./errors.ts";

const STEPS: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** Hz of a MIDI note (A4 = 69 = 440 Hz). */
export function midiToHz(n: number): number {
  return 440 * 2 ** ((n - 69) / 12);
}

/**
 * Parses a pitch: a whole number 0 … 127 is a MIDI note; another number (with a fraction, or ≥ 128) is Hz;
 * a string is a note name (C4, C#3, Eb5, a-1 …; C4 = MIDI 60), a number, or a number with "hz" ("110hz").
 * `float`: a number is Hz even when it is whole (an OSC float carries its type, and a float is a frequency).
 * Throws ClientError in plain words.
 */
export function parsePitch(p: unknown, float = false): number {
  if (typeof p === "number") {
    if (!Number.isFinite(p) || p <= 0) throw new ClientError(`pitch ${p} is not a positive number`);
    return !float && Number.isInteger(p) && p <= 127 ? midiToHz(p) : p;
  }
  if (typeof p !== "string") {
    throw new ClientError(`pitch must be a MIDI number, Hz or a note name, not ${typeof p}`);
  }
  const s = p.trim();
  const hz = /^(\d+(?:\.\d*)?|\.\d+)\s*hz$/i.exec(s);
  if (hz) {
    const v = Number(hz[1]);
    if (!(v > 0)) throw new ClientError(`pitch ${p} is not a positive frequency`);
    return v;
  }
  if (/^\d+(\.\d*)?$/.test(s)) return parsePitch(Number(s));
  const m = /^([A-Ga-g])([#♯b♭]?)(-?\d)$/.exec(s);
  if (!m) throw new ClientError(`"${p}" is not a pitch (examples: 60, 440.0, "110hz", "C#3", "Eb4")`);
  const acc = m[2] === "#" || m[2] === "♯" ? 1 : m[2] === "b" || m[2] === "♭" ? -1 : 0;
  return midiToHz(12 * (Number(m[3]) + 1) + STEPS[m[1].toUpperCase()] + acc);
}
