// The sequencer on the control side: named tracks validated against the patch and turned into command batches
// for the DSP's sequencer (asm/sequencer.ts), which plays them at exact frames. This side keeps what was asked
// (plain data, for status and /pattern/save); the DSP keeps where the music is.
import * as L from "../asm/layout.ts";
import { type Command, command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import { parseParamValue, Patch } from "../patch/graph.ts";
import type { PatchFile } from "../core/files.ts";
import { moduleDef, paramIndex } from "../patch/schema.ts";
import { Instrument } from "../patch/instrument.ts";
import { pitchesOf } from "../core/music.ts";
import {
  BPM_MAX,
  BPM_MIN,
  DEFAULT_GATE,
  DEFAULT_STEPS_PER_BEAT,
  GATE_MAX,
  GATE_MIN,
  inRange,
  parseNotes,
  parsePattern,
  STEPS_PER_BEAT_MAX,
  SWING_MAX,
  SWING_MIN,
} from "./pattern.ts";
import type { SequenceFile, TrackSpec } from "../core/files.ts";

/** When a change takes effect: at the next bar (the default), or at the track's next step. */
export type When = "bar" | "now";

interface Track {
  index: number;
  spec: TrackSpec;
  /** The modules it plays (a voice group's name expanded), and their ids when defined, to notice a module
   * deleted or replaced under the track. */
  names: string[];
  ids: number[];
}

const NAME = /^[a-z][a-z0-9_-]{0,31}$/i;

/** The sequencer's control side for one patch. */
export class Sequencer {
  #patch: Patch;
  #instrument: Instrument;
  #tracks = new Map<string, Track>();
  #bpm = 120;
  #swing = 50;
  #playing = false;

  /**
   * A sequencer with no tracks, stopped, at 120 BPM and no swing, whose tracks play modules of `patch` (or a
   * voice group of `instrument`, whose scale the notes' degrees count in).
   */
  constructor(patch: Patch, instrument: Instrument = new Instrument(patch, 48000)) {
    this.#patch = patch;
    this.#instrument = instrument;
  }

  /** Whether the transport runs. */
  get playing(): boolean {
    return this.#playing;
  }

  /** Defines a track, or replaces its definition (at the next bar, or `now`). */
  add(name: string, spec: TrackSpec, when: When = "bar"): Command[] {
    if (!NAME.test(name)) {
      throw new ClientError(`"${name}" is not a track name (a letter, then letters, digits, _ or -)`);
    }
    const old = this.#tracks.get(name);
    let index = old?.index;
    if (index === undefined) {
      const used = new Set([...this.#tracks.values()].map((t) => t.index));
      index = [...Array(L.SEQ_TRACKS).keys()].find((i) => !used.has(i));
      if (index === undefined) {
        throw new ClientError(
          `no free track: the sequencer holds ${L.SEQ_TRACKS} (remove one: ${
            [...this.#tracks.keys()].join(", ")
          })`,
        );
      }
    }
    const { commands, ids, names, spec: clean } = this.#define(index, name, spec, when);
    this.#tracks.set(name, { index, spec: clean, ids, names });
    return commands;
  }

  /** Changes some of a track's fields (pattern, notes, gate, steps, lanes, modules). */
  update(name: string, change: Partial<TrackSpec>, when: When = "bar"): Command[] {
    const t = this.#track(name);
    return this.add(name, { ...t.spec, ...change }, when);
  }

  /** Removes a track (its gates close). */
  remove(name: string, when: When = "bar"): Command[] {
    const t = this.#track(name);
    this.#tracks.delete(name);
    return [command({ op: L.OP_SEQ_REMOVE, target: t.index, i0: whenCode(when) })];
  }

  /** Removes every track. */
  clear(when: When = "bar"): Command[] {
    return [...this.#tracks.keys()].flatMap((n) => this.remove(n, when));
  }

  /** Starts the transport from the first bar. */
  start(): Command[] {
    this.#playing = true;
    return [command({ op: L.OP_SEQ_TRANSPORT, i0: L.SEQ_START })];
  }

  /** Stops the transport; every track's gates close. */
  stop(): Command[] {
    this.#playing = false;
    return [command({ op: L.OP_SEQ_TRANSPORT, i0: L.SEQ_STOP })];
  }

  /** Back to the first bar (while playing). */
  reset(): Command[] {
    return [command({ op: L.OP_SEQ_TRANSPORT, i0: L.SEQ_RESET })];
  }

  /** Sets the tempo (at the next bar, or `now`). */
  bpm(bpm: unknown, when: When = "bar"): Command[] {
    this.#bpm = inRange("tempo", bpm, BPM_MIN, BPM_MAX);
    return [command({ op: L.OP_SEQ_TEMPO, f0: this.#bpm, i0: whenCode(when) })];
  }

  /** Sets the swing in percent: 50 is straight, 66.7 a triplet feel, 75 the most. */
  swing(percent: unknown): Command[] {
    this.#swing = inRange("swing", percent, SWING_MIN, SWING_MAX);
    return [command({ op: L.OP_SEQ_SWING, f0: this.#swing / 100 })];
  }

  /** The whole sequence as plain data (what /pattern/save writes). */
  toFile(): SequenceFile {
    const tracks: Record<string, TrackSpec> = {};
    for (const [name, t] of [...this.#tracks].sort((a, b) => a[1].index - b[1].index)) tracks[name] = t.spec;
    return { bpm: this.#bpm, swing: this.#swing, tracks, playing: this.#playing };
  }

  /**
   * Replaces the sequence with a file's: tempo, swing and tracks (at the next bar, or `now`); starts the
   * transport when the file says `playing` and it is stopped. A bad file changes nothing.
   */
  load(file: SequenceFile, when: When = "bar"): Command[] {
    if (
      typeof file !== "object" || file === null || typeof file.tracks !== "object" || file.tracks === null
    ) {
      throw new ClientError('a sequence needs a "tracks" object');
    }
    const saved = {
      tracks: new Map(this.#tracks),
      bpm: this.#bpm,
      swing: this.#swing,
      playing: this.#playing,
    };
    try {
      const out: Command[] = [];
      if (file.bpm !== undefined) out.push(...this.bpm(file.bpm, when));
      if (file.swing !== undefined) out.push(...this.swing(file.swing));
      for (const name of [...this.#tracks.keys()]) {
        if (!(name in file.tracks)) out.push(...this.remove(name, when));
      }
      for (const [name, spec] of Object.entries(file.tracks)) out.push(...this.add(name, spec, when));
      if (file.playing && !this.#playing) out.push(...this.start());
      return out;
    } catch (e) {
      this.#tracks = saved.tracks;
      this.#bpm = saved.bpm;
      this.#swing = saved.swing;
      this.#playing = saved.playing;
      throw e;
    }
  }

  /** Tracks whose modules were deleted or replaced by a patch change: removed now, their gates closed. */
  prune(): Command[] {
    const out: Command[] = [];
    for (const [name, t] of this.#tracks) {
      const gone = t.names.some((m, i) => this.#patch.modules.get(m)?.id !== t.ids[i]);
      if (gone) out.push(...this.remove(name, "now"));
    }
    return out;
  }

  /** Status as plain data. */
  status(): SequenceFile & { running: boolean } {
    return { ...this.toFile(), running: this.#playing };
  }

  #track(name: string): Track {
    const t = this.#tracks.get(name);
    if (!t) {
      const known = [...this.#tracks.keys()];
      throw new ClientError(
        `no track "${name}" (${known.length ? `tracks: ${known.join(", ")}` : "no tracks yet: seq add …"})`,
      );
    }
    return t;
  }

  // Validates a track against the patch and builds its definition: one batch, committed at `when`.
  #define(index: number, name: string, spec: TrackSpec, when: When) {
    if (typeof spec !== "object" || spec === null) {
      throw new ClientError(`track "${name}" needs a definition`);
    }
    const given = Array.isArray(spec.modules) ? spec.modules : [];
    // A voice group's name stands for its modules (its voices, round robin in the DSP).
    const modules = given.flatMap((m) => this.#instrument.group(m)?.voices ?? [m]);
    if (modules.length === 0 || modules.length > L.SEQ_GROUP_MAX) {
      throw new ClientError(
        `track "${name}" plays 1 … ${L.SEQ_GROUP_MAX} modules (a voice group), not ${modules.length}`,
      );
    }
    const mods = modules.map((m) => {
      const mod = this.#patch.modules.get(m);
      if (!mod) {
        throw new ClientError(
          `track "${name}": no module "${m}" (modules: ${[...this.#patch.modules.keys()].join(", ")})`,
        );
      }
      if (!moduleDef(mod.type)!.gate) {
        throw new ClientError(
          `track "${name}": a ${mod.type} (${m}) has no gate, so a pattern cannot play it`,
        );
      }
      return mod;
    });
    if (new Set(mods.map((m) => m.type)).size > 1) {
      throw new ClientError(`track "${name}": a voice group's modules must be of one type`);
    }
    const def = moduleDef(mods[0].type)!;
    const steps = parsePattern(spec.pattern);
    const notes = parseNotes(spec.notes ?? [], (w) => pitchesOf(w, this.#instrument.scale));
    const widest = Math.max(0, ...notes.map((n) => n.length));
    if (widest > modules.length) {
      throw new ClientError(
        `track "${name}": a chord of ${widest} notes needs as many voices; it plays ${modules.length}`,
      );
    }
    const pitch = paramIndex(def, "freq");
    if (notes.length && pitch < 0) {
      throw new ClientError(`track "${name}": a ${def.type} has no pitch (freq), so it cannot take notes`);
    }
    const gate = inRange(`track "${name}": gate length`, spec.gate ?? DEFAULT_GATE, GATE_MIN, GATE_MAX);
    const spb = inRange(
      `track "${name}": steps per beat`,
      spec.steps ?? DEFAULT_STEPS_PER_BEAT,
      1,
      STEPS_PER_BEAT_MAX,
    );
    if (!Number.isInteger(spb)) {
      throw new ClientError(`track "${name}": steps per beat must be a whole number`);
    }
    const lanes = Object.entries(spec.lanes ?? {});
    if (lanes.length > L.SEQ_LANES) {
      throw new ClientError(`track "${name}": at most ${L.SEQ_LANES} parameter lanes, not ${lanes.length}`);
    }
    const laneValues = lanes.map(([param, values]) => {
      if (!Array.isArray(values) || values.length === 0 || values.length > L.SEQ_STEPS) {
        throw new ClientError(`track "${name}": lane ${param} needs 1 … ${L.SEQ_STEPS} values`);
      }
      const parsed = values.map((v) => {
        try {
          return parseParamValue(def.type, param, laneValue(param, v, this.#instrument));
        } catch (e) {
          throw new ClientError(`track "${name}": lane ${param}: ${(e as Error).message}`);
        }
      });
      return { param, index: parsed[0].index, values: parsed.map((p) => p.value) };
    });

    const t = index;
    const out: Command[] = [
      command({ op: L.OP_SEQ_TRACK, target: t, i0: steps.length, i1: spb, param: mods.length, f0: gate }),
      ...mods.map((m, slot) => command({ op: L.OP_SEQ_TARGET, target: t, i0: slot, i1: m.id, param: pitch })),
    ];
    for (let i = 0; i < steps.length; i += 16) {
      let packed = 0;
      for (let k = 0; k < 16 && i + k < steps.length; k++) packed |= steps[i + k] << (2 * k);
      out.push(command({ op: L.OP_SEQ_STEPS, target: t, i0: i, i1: packed }));
    }
    notes.forEach((hz, i) => {
      out.push(command({ op: L.OP_SEQ_NOTE, target: t, i0: i, i1: notes.length, f0: hz[0] }));
      for (let k = 1; k < hz.length; k++) {
        out.push(command({ op: L.OP_SEQ_CHORD, target: t, i0: i, param: k, i1: hz.length, f0: hz[k] }));
      }
    });
    laneValues.forEach((lane, l) =>
      lane.values.forEach((v, i) =>
        out.push(command({
          op: L.OP_SEQ_LANE,
          target: t,
          param: l,
          i0: i,
          i1: lane.index,
          f0: v,
          f1: lane.values.length,
        }))
      )
    );
    out.push(command({ op: L.OP_SEQ_COMMIT, target: t, i0: whenCode(when) }));
    const clean: TrackSpec = { modules: [...given], pattern: spec.pattern };
    if (spec.notes?.length) clean.notes = [...spec.notes];
    if (gate !== DEFAULT_GATE) clean.gate = gate;
    if (spb !== DEFAULT_STEPS_PER_BEAT) clean.steps = spb;
    if (lanes.length) clean.lanes = Object.fromEntries(lanes.map(([p, v]) => [p, [...v]]));
    return { commands: out, ids: mods.map((m) => m.id), names: modules, spec: clean };
  }
}

/**
 * Checks a patch file's sequence against that file's own patch (throws ClientError), so that a bad sequence
 * refuses the whole file before anything of it is applied.
 */
export function checkSequence(file: PatchFile): void {
  if (file.sequence === undefined) return;
  const patch = new Patch();
  patch.load(file);
  patch.commit();
  const instrument = new Instrument(patch, 48000);
  instrument.load(file);
  new Sequencer(patch, instrument).load(file.sequence);
}

// A pitch lane (freq) takes note names, chords' roots and degrees as a note list does: their Hz.
function laneValue(param: string, v: number | string, instrument: Instrument): number | string {
  if (param !== "freq" || typeof v !== "string" || !/[a-g:]/i.test(v) || /hz$/i.test(v.trim())) return v;
  const hz = pitchesOf(v, instrument.scale);
  if (hz.length !== 1) throw new ClientError(`"${v}" names ${hz.length} notes; a lane value is one`);
  return hz[0];
}

function whenCode(when: When): number {
  return when === "now" ? L.SEQ_NOW : L.SEQ_AT_BAR;
}
