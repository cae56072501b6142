// The files Chronus reads and writes, as plain data: a patch file (modules, connections and an optional
// sequence) and a sequence (what /pattern/save writes). Declared here because the patch, the sequencer, the
// OSC routes and the CLI all pass them along and none of them should import another for a type.

/** A patch file (JSON). */
export interface PatchFile {
  /** Modules by name: each one's type (patch/schema.ts) and the parameter values it starts with. */
  modules: Record<string, { type: string; params?: Record<string, number | string> }>;
  /** [from, to, depth?]: "module[.output]" → "module[.input|.param]". */
  connections?: [string, string, number?][];
  /** Sequencer tracks, tempo and swing (sequencer/pattern.ts), loaded after the modules. */
  sequence?: SequenceFile;
  /** Voice groups that /note allocates over (patch/instrument.ts): a list of modules, or one with options. */
  groups?: Record<string, GroupFile>;
  /** The session's scale, "ROOT MODE" ("D dorian"): what degrees (`:5`) count in (core/music.ts). */
  scale?: string;
  /** Samples the patch plays, name → file in the samples directory: loaded before the modules. */
  samples?: Record<string, SampleFileEntry>;
}

/**
 * A patch file's sample: its file in the samples directory, or `{"file": …, "onsets": true}` for one loaded
 * with its attacks as its slices (`sample load NAME FILE onsets`).
 */
export type SampleFileEntry = string | { file: string; onsets?: boolean };

/** A voice group in a file: its modules, or its modules with legato and a steal policy. */
export type GroupFile = string[] | {
  /** Its modules, in order (the first plays a legato group). */
  voices: string[];
  /** Mono-legato: one voice; a note while a key is held glides there without retriggering. */
  legato?: boolean;
  /** Which busy voice a note takes when none is free: "oldest" (the default) or "quietest". */
  steal?: "oldest" | "quietest";
};

/** A whole sequence: what /pattern/save writes, what a patch file's "sequence" holds. */
export interface SequenceFile {
  /** Tempo in beats per minute (20 … 300); the sequencer keeps its current tempo when absent. */
  bpm?: number;
  /** Percent: 50 straight … 75 (where the off-beat step of each pair sits). */
  swing?: number;
  /** Tracks by name. */
  tracks: Record<string, TrackSpec>;
  /** Start the transport when loaded at engine start or by `deno task render`. */
  playing?: boolean;
  /** Muted tracks by name (`seq mute`): their hits stay silent. */
  mute?: string[];
  /** Soloed tracks by name (`seq solo`): while any is soloed, only they sound. */
  solo?: string[];
  /** Saved scenes by name (`scene save`): each a whole sequence to switch to at a bar. */
  scenes?: Record<string, SceneFile>;
}

/** A scene: tempo, swing and tracks, switched to at a bar line as one (`scene play`, `scene chain`). */
export interface SceneFile {
  /** Tempo in beats per minute. */
  bpm: number;
  /** Swing in percent. */
  swing: number;
  /** Tracks by name. */
  tracks: Record<string, TrackSpec>;
}

/** One track as written in files and sent by clients (names, not ids). */
export interface TrackSpec {
  /** The module it plays, or a voice group (round robin over the list). */
  modules: string[];
  /** A pattern in the grammar of sequencer/grammar.ts (docs/sequencer.md): `x... X.x. e(3,8) (x.)*4`. */
  pattern: string;
  /** Pitches (Hz, MIDI numbers, names like "C#3"), one per hit, cycling. */
  notes?: (string | number)[];
  /** Gate length in steps (0.5: half a step; a tie adds whole steps). */
  gate?: number;
  /** Steps per beat (4: sixteenth notes, so 16 steps are one bar of four beats). */
  steps?: number;
  /** Bars one repetition of the pattern lasts (its steps per beat follow); not with `steps`. */
  bars?: number;
  /** The chance each hit without its own `?` plays, 0 … 1 (drawn in the DSP from the seeded PRNG). */
  prob?: number;
  /** Parameter lanes: a value per step, cycling (`{"cutoff": [400, 800, 1200]}`). */
  lanes?: Record<string, (number | string)[]>;
}
