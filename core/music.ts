// Chords, scales and degrees: the one place where a pitch word becomes the Hz of the notes it names, for /note,
// the text language, sequencer notes and lanes (docs/instrument.md has the syntax). Chord qualities, scale
// modes and chord inversions over a chord tone come from @tonaljs/tonal (MIT, ~100 chord types and ~90 scales
// with their aliases, kept up by its authors) rather than a table of our own. Hand-written here, because tonal
// has no form for them: the `ROOT:QUALITY` and `:DEGREE` spellings (a bare number is already a MIDI note, and
// "b7" already the note B7), a slash bass that is not a chord tone (tonal answers nothing; it goes below the
// chord, as a player adds it), numbered inversions (`/1`), and degree octaves.
import { Chord, ChordType, Note, Scale, ScaleType } from "@tonaljs/tonal";
import { ClientError } from "./errors.ts";
import { midiToHz, parsePitch } from "./pitch.ts";

/** A session's scale: a root pitch class and a mode, as tonal names them ("D", "dorian"). */
export interface ScaleSpec {
  /** The root's pitch class: C, Eb, F# … */
  root: string;
  /** The mode or scale name: major, minor, dorian, "major pentatonic" … */
  mode: string;
}

/** The most notes one pitch word may name (a chord or a list): a voice group's largest size. */
export const MAX_CHORD_NOTES = 8;

/** The octave a degree counts from when it names none (the root in octave 4: D dorian's 1 is D4). */
export const DEGREE_OCTAVE = 4;

const CHORD = /^([A-Ga-g][#♯b♭]*)(-?\d):([^/]*)(?:\/(.+))?$/;
const DEGREE = /^:([v^]*)([b#♭♯]?)(\d{1,2})(?:@(-?\d))?$/;

/** Checks a scale and returns it in tonal's spelling with its notes (from the root in octave 4); throws ClientError. */
export function parseScale(root: string, mode: string): ScaleSpec & { notes: string[] } {
  const pc = Note.get(String(root));
  if (pc.empty || pc.oct !== undefined) {
    throw new ClientError(
      `"${root}" is not a scale root: expected a note name without an octave (C, Eb, F#)`,
    );
  }
  const m = String(mode).trim().toLowerCase();
  if (ScaleType.get(m).empty) {
    throw new ClientError(
      `"${mode}" is not a mode: expected major, minor, dorian, phrygian, lydian, mixolydian, locrian, ` +
        `"major pentatonic", "harmonic minor" … (${ScaleType.names().length} known)`,
    );
  }
  const s = Scale.get(`${pc.pc}${DEGREE_OCTAVE} ${m}`);
  return { root: pc.pc, mode: m, notes: s.notes.map(Note.pitchClass) };
}

/** The MIDI note of a scale degree word (`:5`, `:b7`, `:^8`, `:v1`, `:3@2`); throws ClientError. */
export function degreeMidi(word: string, scale: ScaleSpec | undefined): number {
  const m = DEGREE.exec(word);
  if (!m) {
    throw new ClientError(
      `"${word}" is not a degree: expected :N with optional b or #, ^ or v, @OCTAVE (:b7, :^1)`,
    );
  }
  const n = Number(m[3]);
  if (!scale) throw new ClientError(`degree ${word} needs a scale: send scale C minor first`);
  if (n < 1) throw new ClientError(`"${word}": degrees count from 1`);
  const octave = m[4] !== undefined ? Number(m[4]) : DEGREE_OCTAVE;
  const name = Scale.degrees(`${scale.root}${octave} ${scale.mode}`)(n);
  const base = Note.midi(name);
  if (base === null) throw new ClientError(`degree ${word} is not in ${scale.root} ${scale.mode}`);
  const acc = m[2] === "b" || m[2] === "♭" ? -1 : m[2] === "" ? 0 : 1;
  const octaves = [...m[1]].reduce((k, c) => k + (c === "^" ? 1 : -1), 0);
  return base + acc + 12 * octaves;
}

// The MIDI notes of ROOT OCTAVE:QUALITY[/BASS|/N]: "C3:maj7", "Eb4:m9", "G2:sus4/D", "C3:maj7/1".
function chordMidi(word: string): number[] {
  const m = CHORD.exec(word)!;
  const [, root, octave, quality, over] = m;
  const tonic = `${root}${octave}`;
  if (Note.get(tonic).empty) throw new ClientError(`"${word}": ${root} is not a note name`);
  if (ChordType.get(quality).empty) {
    throw new ClientError(
      `"${word}": "${quality}" is not a chord quality: expected maj, m, 7, maj7, m7, m9, sus2, sus4, dim, aug, ` +
        `add9 … (${ChordType.symbols().length} known)`,
    );
  }
  let notes = Chord.getChord(quality, tonic).notes.map((n) => Note.midi(n)!);
  if (over === undefined) return notes;
  if (/^\d$/.test(over)) {
    const k = Number(over);
    if (k >= notes.length) {
      throw new ClientError(
        `"${word}": a ${notes.length}-note chord has inversions /1 … /${notes.length - 1}`,
      );
    }
    for (let i = 0; i < k; i++) notes = [...notes.slice(1), notes[0] + 12];
    return notes;
  }
  const bass = Note.get(over);
  if (bass.empty || bass.oct !== undefined) {
    throw new ClientError(
      `"${word}": the bass after / is a note name without octave (G2:sus4/D) or an inversion /1`,
    );
  }
  const inverted = Chord.getChord(quality, tonic, bass.pc).notes;
  if (inverted.length) return inverted.map((n) => Note.midi(n)!);
  // Not a chord tone: the bass goes under the chord, the nearest such pitch below its root.
  const low = notes[0] - 1 - ((notes[0] - 1 - bass.chroma) % 12 + 12) % 12;
  return [low, ...notes];
}

/**
 * The Hz of each note a pitch word names: a pitch (MIDI number, Hz, note name: core/pitch.ts), a chord
 * (`C3:maj7`, `G2:sus4/D`, `C3:maj7/1`), a degree of `scale` (`:5`, `:b7`, `:^8`, `:3@2`), or a list of those
 * joined by `,` or `+` (`C3,E3,G3`). `float`: a number is Hz (an OSC float). Throws ClientError in plain words.
 */
export function pitchesOf(p: unknown, scale?: ScaleSpec, float = false): number[] {
  if (typeof p === "number") return [parsePitch(p, float)];
  if (typeof p !== "string") {
    throw new ClientError(`a pitch is a MIDI number, Hz, a note name, a chord or a degree, not ${typeof p}`);
  }
  const words = p.trim().split(/[,+]/).map((w) => w.trim());
  if (words.some((w) => w === "")) throw new ClientError(`"${p}": an empty note in the list`);
  const hz = words.flatMap((w) => {
    if (DEGREE.test(w) || w.startsWith(":")) return [midiToHz(degreeMidi(w, scale))];
    if (w.includes(":")) {
      if (!CHORD.test(w)) {
        throw new ClientError(
          `"${w}" is not a chord: expected ROOT OCTAVE:QUALITY[/BASS], as C3:maj7 or G2:sus4/D`,
        );
      }
      return chordMidi(w).map(midiToHz);
    }
    return [parsePitch(w)];
  });
  if (hz.length > MAX_CHORD_NOTES) {
    throw new ClientError(`"${p}" names ${hz.length} notes; at most ${MAX_CHORD_NOTES} play at once`);
  }
  return hz;
}

/** The scale as one line ("D dorian") for files and replies. */
export function scaleName(s: ScaleSpec): string {
  return `${s.root} ${s.mode}`;
}

/** A saved scale line ("D dorian", "C major pentatonic") back as a ScaleSpec; throws ClientError. */
export function scaleFromLine(line: unknown): ScaleSpec {
  if (typeof line !== "string" || !/^\S+\s+\S/.test(line.trim())) {
    throw new ClientError(`a scale is "ROOT MODE" (as "D dorian"), not ${JSON.stringify(line)}`);
  }
  const [root, ...mode] = line.trim().split(/\s+/);
  const s = parseScale(root, mode.join(" "));
  return { root: s.root, mode: s.mode };
}
