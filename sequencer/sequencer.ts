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
  BARS_MAX,
  BPM_MAX,
  BPM_MIN,
  DEFAULT_GATE,
  DEFAULT_STEPS_PER_BEAT,
  encodeSteps,
  GATE_MAX,
  GATE_MIN,
  inRange,
  parseNotes,
  parsePattern,
  STEPS_PER_BEAT_MAX,
  SWING_MAX,
  SWING_MIN,
} from "./pattern.ts";
import type { SceneFile, SequenceFile, TrackSpec } from "../core/files.ts";

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

/** The most scenes a sequence keeps. */
export const SCENES_MAX = 64;
/** The most scenes in a chain. */
export const CHAIN_MAX = 256;

/** A chain in progress: its scenes, which one plays, and the bar (from 1) where the next one starts. */
export interface ChainState {
  /** Scene names in order. */
  scenes: string[];
  /** Whether it starts again after the last scene. */
  loop: boolean;
  /** The scene sent last (its index in `scenes`). */
  index: number;
  /** The bar at which that scene starts. */
  startBar: number;
  /** The bar at which the scene after it starts. */
  nextBar: number;
}

/** The sequencer's control side for one patch. */
export class Sequencer {
  #patch: Patch;
  #instrument: Instrument;
  #tracks = new Map<string, Track>();
  #bpm = 120;
  #swing = 50;
  #playing = false;
  #muted = new Set<string>();
  #soloed = new Set<string>();
  #scenes = new Map<string, SceneFile>();
  #chain: ChainState | null = null;
  // The bar (from 1) the commands being built wait for; 0: the next bar (OP_SEQ_COMMIT's i1).
  #bar = 0;

  /**
   * A sequencer with no tracks, stopped, at 120 BPM and no swing, whose tracks play modules of `patch` (or a
   * voice group of `instrument`, whose scale the notes' degrees count in).
   */
  constructor(patch: Patch, instrument: Instrument = new Instrument(patch, 48000)) {
    this.#patch = patch;
    this.#instrument = instrument;
  }

  /** How many tracks are defined. */
  get trackCount(): number {
    return this.#tracks.size;
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
    // A new track in a session with mutes or solos gets its state; without any, nothing changes (and the
    // commands are those of before mute existed).
    if (this.#muted.size || this.#soloed.size) commands.push(...this.#muteCommands());
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
    return [command({ op: L.OP_SEQ_REMOVE, target: t.index, i0: whenCode(when), i1: this.#bar })];
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
    return [command({ op: L.OP_SEQ_TEMPO, f0: this.#bpm, i0: whenCode(when), i1: this.#bar })];
  }

  /** Sets the swing in percent: 50 is straight, 66.7 a triplet feel, 75 the most. */
  swing(percent: unknown): Command[] {
    this.#swing = inRange("swing", percent, SWING_MIN, SWING_MAX);
    return [command({ op: L.OP_SEQ_SWING, f0: this.#swing / 100 })];
  }

  /**
   * Mutes a track (`on`), or unmutes it; with no name, unmutes and unsolos every track. Takes effect at each
   * track's next step (a sounding note finishes its gate).
   */
  mute(name: string | undefined, on = true): Command[] {
    if (name === undefined) {
      this.#muted.clear();
      this.#soloed.clear();
    } else {
      this.#track(name);
      if (on) this.#muted.add(name);
      else this.#muted.delete(name);
    }
    return this.#muteCommands();
  }

  /** Solos a track (`on`: while any track is soloed, only soloed tracks sound), or unsolos it. */
  solo(name: string, on = true): Command[] {
    this.#track(name);
    if (on) this.#soloed.add(name);
    else this.#soloed.delete(name);
    return this.#muteCommands();
  }

  /**
   * Sets the muted and soloed tracks as an entry of the history had them (an undo or redo,
   * sequencer/history.ts): each track's effective mute from its next step.
   */
  restoreMutes(muted: readonly string[], soloed: readonly string[]): Command[] {
    this.#muted = new Set(muted);
    this.#soloed = new Set(soloed);
    return this.#muteCommands();
  }

  /** Puts a scene back as an entry of the history had it, or forgets it (`undefined`: an undone save). */
  restoreScene(name: string, scene: SceneFile | undefined): void {
    if (scene) this.#scenes.set(name, structuredClone(scene));
    else this.#scenes.delete(name);
  }

  /** Puts a chain back as an entry of the history had it (null: none, an undone chain ends). */
  restoreChain(chain: ChainState | null): void {
    this.#chain = chain && { ...chain, scenes: [...chain.scenes] };
  }

  /** Saves the current tracks, tempo and swing as a scene (replacing one of that name). */
  saveScene(name: string): SceneFile {
    sceneName(name);
    if (!this.#scenes.has(name) && this.#scenes.size >= SCENES_MAX) {
      throw new ClientError(`at most ${SCENES_MAX} scenes (${[...this.#scenes.keys()].join(", ")})`);
    }
    const { bpm, swing, tracks } = this.toFile();
    const scene: SceneFile = { bpm: bpm!, swing: swing!, tracks: structuredClone(tracks) };
    this.#scenes.set(name, scene);
    return scene;
  }

  /** The saved scenes with their lengths in bars. */
  scenes(): { name: string; bars: number; tracks: number }[] {
    return [...this.#scenes].map(([name, s]) => ({
      name,
      bars: sceneBars(s),
      tracks: Object.keys(s.tracks).length,
    }));
  }

  /**
   * Switches to a scene: its tempo and tracks at bar `bar` (from 1) or, without one or when that bar has
   * passed, at the next bar; `now` at once. Ends a chain in progress. A scene that no longer fits the patch
   * changes nothing.
   */
  playScene(name: string, bar = 0, when: When = "bar"): Command[] {
    this.#chain = null;
    return this.#playScene(name, bar, when);
  }

  /**
   * Plays scenes one after another, each for its length in bars (sceneBars), from bar `bar` (from 1) or the
   * next bar; after the last it starts again when `loop`, else the last scene keeps playing. `position` is the
   * bar (from 1) the output is in (null while stopped). Later scenes are sent by chainDue.
   */
  chain(names: string[], loop: boolean, bar: number, position: number | null): Command[] {
    if (names.length === 0 || names.length > CHAIN_MAX) {
      throw new ClientError(`a chain has 1 … ${CHAIN_MAX} scenes, not ${names.length}`);
    }
    for (const n of names) this.#scene(n);
    const start = bar > 0 ? bar : position === null ? 1 : position + 1;
    const commands = this.#playScene(names[0], position === null ? 0 : start, "bar");
    const first = this.#scenes.get(names[0])!;
    this.#chain = { scenes: [...names], loop, index: 0, startBar: start, nextBar: start + sceneBars(first) };
    return commands;
  }

  /** The chain in progress (null: none). */
  get chainState(): ChainState | null {
    return this.#chain && { ...this.#chain, scenes: [...this.#chain.scenes] };
  }

  /**
   * The next scene of a chain once the current one plays (the output reached its bar), to switch at its own
   * bar exactly; [] when nothing is due. `position`: the output's bar (from 1), null while stopped.
   */
  chainDue(position: number | null): Command[] {
    const c = this.#chain;
    if (!c || position === null || position < c.startBar) return [];
    let next = c.index + 1;
    if (next >= c.scenes.length) {
      if (!c.loop) {
        this.#chain = null;
        return [];
      }
      next = 0;
    }
    try {
      const commands = this.#playScene(c.scenes[next], c.nextBar, "bar");
      c.index = next;
      c.startBar = c.nextBar;
      c.nextBar += sceneBars(this.#scenes.get(c.scenes[next])!);
      return commands;
    } catch (e) {
      this.#chain = null; // a scene that no longer fits the patch ends the chain where it is
      throw e;
    }
  }

  #playScene(name: string, bar: number, when: When): Command[] {
    const scene = this.#scene(name);
    this.#bar = when === "now" ? 0 : Math.max(0, Math.floor(bar));
    try {
      return this.load({ ...structuredClone(scene), playing: false }, when, true);
    } finally {
      this.#bar = 0;
    }
  }

  #scene(name: string): SceneFile {
    const s = this.#scenes.get(name);
    if (!s) {
      const known = [...this.#scenes.keys()];
      throw new ClientError(
        `no scene "${name}" (${
          known.length ? `scenes: ${known.join(", ")}` : "none saved yet: scene save NAME"
        })`,
      );
    }
    return s;
  }

  // Each track's effective mute (muted, or not soloed while some track is): one command a track.
  #muteCommands(): Command[] {
    return [...this.#tracks].map(([name, t]) =>
      command({
        op: L.OP_SEQ_MUTE,
        target: t.index,
        i0: this.#muted.has(name) || (this.#soloed.size > 0 && !this.#soloed.has(name)) ? 1 : 0,
      })
    );
  }

  /** The whole sequence as plain data (what /pattern/save writes). */
  toFile(): SequenceFile {
    const tracks: Record<string, TrackSpec> = {};
    for (const [name, t] of [...this.#tracks].sort((a, b) => a[1].index - b[1].index)) tracks[name] = t.spec;
    const file: SequenceFile = { bpm: this.#bpm, swing: this.#swing, tracks, playing: this.#playing };
    if (this.#muted.size) file.mute = [...this.#muted];
    if (this.#soloed.size) file.solo = [...this.#soloed];
    if (this.#scenes.size) file.scenes = structuredClone(Object.fromEntries(this.#scenes));
    return file;
  }

  /**
   * Replaces the sequence with a file's: tempo, swing and tracks (at the next bar, or `now`); starts the
   * transport when the file says `playing` and it is stopped. A bad file changes nothing.
   */
  load(file: SequenceFile, when: When = "bar", keepScenes = false): Command[] {
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
      muted: new Set(this.#muted),
      soloed: new Set(this.#soloed),
      scenes: new Map(this.#scenes),
    };
    try {
      const out: Command[] = [];
      if (!keepScenes) {
        for (const n of [...(file.mute ?? []), ...(file.solo ?? [])]) {
          if (!(n in file.tracks)) {
            throw new ClientError(`mute or solo of "${n}": the sequence has no such track`);
          }
        }
        this.#muted = new Set(file.mute ?? []);
        this.#soloed = new Set(file.solo ?? []);
        const scenes = Object.entries(file.scenes ?? {});
        if (scenes.length > SCENES_MAX) {
          throw new ClientError(`at most ${SCENES_MAX} scenes, not ${scenes.length}`);
        }
        for (const [n, scene] of scenes) {
          sceneName(n);
          checkScene(n, scene, this.#patch);
        }
        this.#scenes = new Map(scenes.map(([n, sc]) => [n, structuredClone(sc)]));
        this.#chain = null;
      }
      if (file.bpm !== undefined) out.push(...this.bpm(file.bpm, when));
      if (file.swing !== undefined) out.push(...this.swing(file.swing));
      for (const name of [...this.#tracks.keys()]) {
        if (!(name in file.tracks)) out.push(...this.remove(name, when));
      }
      for (const name of this.#muted) if (!(name in file.tracks)) this.#muted.delete(name);
      for (const name of this.#soloed) if (!(name in file.tracks)) this.#soloed.delete(name);
      for (const [name, spec] of Object.entries(file.tracks)) out.push(...this.add(name, spec, when));
      if (file.playing && !this.#playing) out.push(...this.start());
      return out;
    } catch (e) {
      this.#tracks = saved.tracks;
      this.#bpm = saved.bpm;
      this.#swing = saved.swing;
      this.#playing = saved.playing;
      this.#muted = saved.muted;
      this.#soloed = saved.soloed;
      this.#scenes = saved.scenes;
      throw e;
    }
  }

  /** Tracks whose modules were deleted or replaced by a patch change: removed now, their gates closed. */
  prune(): Command[] {
    const out: Command[] = [];
    for (const [name, t] of this.#tracks) {
      const gone = t.names.some((m, i) => this.#patch.modules.get(m)?.id !== t.ids[i]);
      if (gone) {
        out.push(...this.remove(name, "now"));
        this.#muted.delete(name);
        this.#soloed.delete(name);
      }
    }
    return out;
  }

  /** Status as plain data. */
  status(): SequenceFile & { running: boolean; chain?: ChainState } {
    const { scenes: _, ...file } = this.toFile();
    const status: SequenceFile & { running: boolean; chain?: ChainState } = {
      ...file,
      running: this.#playing,
    };
    if (this.#chain) status.chain = this.chainState!;
    return status;
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
    // A voice group's name stands for its modules. A track on one group plays through the group's allocator in
    // the DSP (asm/groups.ts), sharing the voices with live notes; a list of modules plays them round robin.
    const modules = given.flatMap((m) => this.#instrument.group(m)?.voices ?? [m]);
    const group = given.length === 1 ? this.#instrument.groupIndex(String(given[0])) : -1;
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
    let parsed;
    try {
      parsed = parsePattern(spec.pattern);
    } catch (e) {
      throw new ClientError(`track "${name}": ${(e as Error).message}`);
    }
    const prob = inRange(`track "${name}": prob`, spec.prob ?? 1, 0, 1);
    const encoded = encodeSteps(parsed, prob * 100);
    const steps = encoded.codes;
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
    let spb = inRange(
      `track "${name}": steps per beat`,
      spec.steps ?? DEFAULT_STEPS_PER_BEAT,
      1,
      STEPS_PER_BEAT_MAX,
    );
    const bars = spec.bars === undefined
      ? undefined
      : inRange(`track "${name}": bars`, spec.bars, 1, BARS_MAX);
    if (bars !== undefined) {
      // bars=N stretches one repetition over N bars: its steps per beat follow from its length.
      const beats = bars * L.SEQ_BEATS_PER_BAR;
      if (spec.steps !== undefined) {
        throw new ClientError(`track "${name}": give steps or bars, not both (bars sets the steps per beat)`);
      }
      if (!Number.isInteger(bars) || encoded.length % beats !== 0) {
        throw new ClientError(
          `track "${name}": a pattern over ${bars} bars needs a multiple of ${beats} steps (one a beat, or two …), not ${encoded.length}`,
        );
      }
      spb = encoded.length / beats;
      if (spb > STEPS_PER_BEAT_MAX) {
        throw new ClientError(`track "${name}": ${spb} steps per beat; at most ${STEPS_PER_BEAT_MAX}`);
      }
    }
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
      ...(group >= 0 ? [command({ op: L.OP_SEQ_GROUP, target: t, i0: group })] : []),
    ];
    for (let i = 0; i < steps.length; i += 16) {
      let packed = 0;
      for (let k = 0; k < 16 && i + k < steps.length; k++) packed |= steps[i + k] << (2 * k);
      out.push(command({ op: L.OP_SEQ_STEPS, target: t, i0: i, i1: packed }));
    }
    encoded.extras.forEach((x, i) => {
      if (x !== 0) out.push(command({ op: L.OP_SEQ_EXTRA, target: t, i0: i, i1: x }));
    });
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
    out.push(command({ op: L.OP_SEQ_COMMIT, target: t, i0: whenCode(when), i1: this.#bar }));
    const clean: TrackSpec = { modules: [...given], pattern: spec.pattern };
    if (spec.notes?.length) clean.notes = [...spec.notes];
    if (gate !== DEFAULT_GATE) clean.gate = gate;
    if (bars !== undefined) clean.bars = bars;
    else if (spb !== DEFAULT_STEPS_PER_BEAT) clean.steps = spb;
    if (spec.prob !== undefined && prob !== 1) clean.prob = prob;
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
  // The file's own samples stand in for the pool here: the check needs names, not sounds.
  const samples = Object.keys(file.samples ?? {});
  patch.sampleId = (name) => {
    if (!samples.includes(name)) throw new ClientError(`no sample "${name}" in the file's "samples"`);
    return samples.indexOf(name) + 1;
  };
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

/** A scene's length in bars: its longest track's whole cycle (alternations counted in full), rounded up. */
export function sceneBars(scene: SceneFile): number {
  let bars = 1;
  for (const spec of Object.values(scene.tracks)) {
    try {
      const parsed = parsePattern(spec.pattern);
      const steps = parsed.length * parsed.cycles.length;
      const spb = spec.bars ? parsed.length / (spec.bars * L.SEQ_BEATS_PER_BAR) : spec.steps ?? 4;
      bars = Math.max(bars, Math.ceil(steps / (spb * L.SEQ_BEATS_PER_BAR) - 1e-9));
    } catch {
      // A scene is checked when saved or loaded; a track that does not parse counts one bar.
    }
  }
  return bars;
}

function sceneName(name: string): void {
  if (!NAME.test(name)) {
    throw new ClientError(`"${name}" is not a scene name (a letter, then letters, digits, _ or -)`);
  }
}

// A scene from a file must load into this patch: checked by loading it into a scratch sequencer.
function checkScene(name: string, scene: SceneFile, patch: Patch): void {
  if (
    typeof scene !== "object" || scene === null || typeof scene.tracks !== "object" || scene.tracks === null
  ) {
    throw new ClientError(`scene "${name}" needs a "tracks" object`);
  }
  try {
    new Sequencer(patch).load({ ...scene, playing: false });
  } catch (e) {
    throw new ClientError(`scene "${name}": ${(e as Error).message}`);
  }
}

function whenCode(when: When): number {
  return when === "now" ? L.SEQ_NOW : L.SEQ_AT_BAR;
}
