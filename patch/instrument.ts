// What a musician plays through: voice groups with their allocator, and the session's scale. Allocation runs
// here, on the control side (design §7b says why): it knows every group note's frame and length, so it chooses
// a voice and emits the same stamped commands the DSP already applies (a pitch, a gate with the note's id), and
// workers, replays and failovers stay bit-exact because they replay those commands, not the choice.
//
// The policy (docs/instrument.md): the same pitch sounding in the group retriggers its own voice; else a free
// voice (never used, or its release has ended); else the voice released longest ago; else the one held longest.
// `steal: "quietest"` takes, among the busy ones, the lowest estimated envelope level instead. A group marked
// legato plays one voice: a note while a key is held changes its pitch (gliding by the voice's `glide`) and
// keeps the envelope.
import * as L from "../asm/layout.ts";
import { type Command, command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import type { GroupFile, PatchFile } from "../core/files.ts";
import { scaleFromLine, scaleName, type ScaleSpec } from "../core/music.ts";
import type { Patch } from "./graph.ts";
import { moduleDef, paramIndex } from "./schema.ts";

/** Which busy voice a note takes when none is free. */
export type StealPolicy = "oldest" | "quietest";

/** The steal policies by name, for flags and errors. */
export const STEAL_POLICIES: readonly StealPolicy[] = ["oldest", "quietest"];

/** A voice group as the instrument holds it. */
export interface VoiceGroup {
  /** Its modules, in order (the first plays a legato group's notes). */
  voices: string[];
  /** Mono-legato: one voice; a note while a key is held glides without retriggering. */
  legato: boolean;
  /** The group's policy when no voice is free. */
  steal: StealPolicy;
}

/** What a group note sends: its ids (one per pitch), the commands at its start and those at its end. */
export interface NotePlan {
  /** One note id per pitch, in the order given. */
  ids: number[];
  /** Stamped at the note's frame. */
  on: Command[];
  /** Stamped `length` frames after the note's start (empty when the note is held until /note/off). */
  off: Command[];
}

interface Voice {
  module: string;
  note: number; // the note that owns it (0: never played)
  hz: number;
  velocity: number;
  on: number; // frames
  off: number; // Infinity while held with no end known
}

const NAME = /^[a-z][a-z0-9_-]{0,31}$/i;
const SAME_PITCH_CENTS = 1;

function cents(a: number, b: number): number {
  return Math.abs(1200 * Math.log2(a / b));
}

/** Voice groups, their allocator and the scale of one session. */
export class Instrument {
  #patch: Patch;
  #sampleRate: number;
  #groups = new Map<string, VoiceGroup>();
  #voices = new Map<string, Voice[]>();
  #notes = new Map<number, { group: string; voice: number }>();
  #lastId = 0;
  #scale: ScaleSpec | undefined;
  /** The policy of groups that name none (the engine's --steal). */
  defaultSteal: StealPolicy;

  /** An instrument over `patch` at `sampleRate`, with no groups and no scale. */
  constructor(patch: Patch, sampleRate: number, steal: StealPolicy = "oldest") {
    this.#patch = patch;
    this.#sampleRate = sampleRate;
    this.defaultSteal = steal;
  }

  /** The session's scale (undefined: none set; degrees are refused). */
  get scale(): ScaleSpec | undefined {
    return this.#scale;
  }

  /** Sets the session's scale (checked by core/music.ts parseScale). */
  set scale(s: ScaleSpec | undefined) {
    this.#scale = s;
  }

  /** The group called `name`, or undefined. */
  group(name: string): VoiceGroup | undefined {
    return this.#groups.get(name);
  }

  /** The groups' names. */
  get groupNames(): string[] {
    return [...this.#groups.keys()];
  }

  /**
   * Replaces the groups and the scale with a patch file's (its "groups" and "scale"); checks everything first,
   * so a bad file changes nothing. Throws ClientError.
   */
  load(file: PatchFile): void {
    const groups = checkGroups(file, this.defaultSteal);
    const scale = file.scale === undefined ? undefined : scaleFromLine(file.scale);
    this.#groups = groups;
    this.#voices = new Map();
    this.#notes.clear();
    this.#scale = scale;
  }

  /** The groups and scale as a patch file's fields (what /patch/save and the autosave write). */
  toFile(): Pick<PatchFile, "groups" | "scale"> {
    const out: Pick<PatchFile, "groups" | "scale"> = {};
    if (this.#groups.size) {
      out.groups = Object.fromEntries(
        [...this.#groups].map(([name, g]): [string, GroupFile] => [
          name,
          !g.legato && g.steal === this.defaultSteal
            ? [...g.voices]
            : { voices: [...g.voices], ...(g.legato ? { legato: true } : {}), steal: g.steal },
        ]),
      );
    }
    if (this.#scale) out.scale = scaleName(this.#scale);
    return out;
  }

  /**
   * A note of each pitch in `hz` on group `name` at `frame`, `length` frames long (0: held until /note/off);
   * throws ClientError (and changes nothing) when the group cannot play it.
   */
  noteOn(name: string, hz: readonly number[], velocity: number, frame: number, length: number): NotePlan {
    const g = this.#group(name);
    if (hz.length > g.voices.length || (g.legato && hz.length > 1)) {
      throw new ClientError(
        `group ${name} has ${g.legato ? "one legato voice" : `${g.voices.length} voices`}: ` +
          `it cannot play ${hz.length} notes at once`,
      );
    }
    const voices = this.#state(name, g);
    const taken = new Set<number>();
    const plan: NotePlan = { ids: [], on: [], off: [] };
    const end = length > 0 ? frame + length : Infinity;
    for (const f of hz) {
      const id = this.#nextId();
      let k: number, open = true;
      if (g.legato) {
        k = 0;
        open = !(voices[0].note !== 0 && voices[0].off > frame);
      } else {
        k = this.#choose(voices, g, f, frame, taken);
      }
      taken.add(k);
      const v = voices[k];
      if (v.note) this.#notes.delete(v.note);
      Object.assign(v, { note: id, hz: f, velocity, on: open ? frame : v.on, off: end });
      this.#notes.set(id, { group: name, voice: k });
      plan.ids.push(id);
      plan.on.push(
        this.#patch.setNow(v.module, "freq", f),
        command({ op: L.OP_NOTE_ON, target: this.#id(v.module), i0: id, i1: open ? 1 : 0, f0: velocity }),
      );
      if (length > 0) plan.off.push(command({ op: L.OP_NOTE_OFF, target: this.#id(v.module), i0: id }));
    }
    return plan;
  }

  /** Records that a note's start moved to `started` (it was accepted later than asked): its end moves too. */
  started(ids: readonly number[], asked: number, started: number): void {
    for (const id of ids) {
      const n = this.#notes.get(id);
      if (!n) continue;
      const v = this.#voices.get(n.group)![n.voice];
      v.on += started - asked;
      v.off += started - asked;
    }
  }

  /** Releases note `id` at `frame`: its gate-off, or nothing when it has already ended. Throws ClientError. */
  noteOff(id: number, frame: number): Command[] {
    if (!Number.isInteger(id) || id < 1 || id > this.#lastId) {
      throw new ClientError(
        `no note ${id}: ${
          this.#lastId ? `the ids given so far are 1 … ${this.#lastId}` : "no note played yet"
        }`,
      );
    }
    const n = this.#notes.get(id);
    if (!n) return [];
    const v = this.#voices.get(n.group)![n.voice];
    if (v.off <= frame) return [];
    v.off = frame;
    return [command({ op: L.OP_NOTE_OFF, target: this.#id(v.module), i0: id })];
  }

  /** Releases the notes of group `name` sounding at each pitch in `hz` (held at `frame`). Throws ClientError. */
  noteOffPitch(name: string, hz: readonly number[], frame: number): { ids: number[]; off: Command[] } {
    const g = this.#group(name);
    const voices = this.#state(name, g);
    const ids: number[] = [];
    for (const f of hz) {
      const v = voices.find((v) => v.note !== 0 && v.off > frame && cents(v.hz, f) < SAME_PITCH_CENTS);
      if (!v) throw new ClientError(`group ${name} holds no note at ${f.toFixed(2)} Hz`);
      ids.push(v.note);
    }
    return { ids, off: ids.flatMap((id) => this.noteOff(id, frame)) };
  }

  #nextId(): number {
    this.#lastId = this.#lastId >= 0x7fffffff ? 1 : this.#lastId + 1;
    return this.#lastId;
  }

  #group(name: string): VoiceGroup {
    const g = this.#groups.get(name);
    if (!g) {
      const known = this.groupNames;
      throw new ClientError(
        `no group or module "${name}" (${
          known.length ? `groups: ${known.join(", ")}` : "no groups declared"
        })`,
      );
    }
    for (const m of g.voices) {
      if (!this.#patch.modules.has(m)) throw new ClientError(`group ${name}: its module ${m} is gone`);
    }
    return g;
  }

  #id(module: string): number {
    return this.#patch.module(module).id;
  }

  // The group's voices, fresh when the group or a module changed under it.
  #state(name: string, g: VoiceGroup): Voice[] {
    let voices = this.#voices.get(name);
    if (!voices || voices.some((v, i) => v.module !== g.voices[i])) {
      voices = g.voices.map((module) => ({ module, note: 0, hz: 0, velocity: 0, on: 0, off: 0 }));
      this.#voices.set(name, voices);
    }
    return voices;
  }

  #releaseFrames(module: string): number {
    const ms = this.#patch.module(module).params.release ?? 0;
    return Math.round((ms * this.#sampleRate) / 1000);
  }

  // The voice a new note of `hz` takes at `frame` (not one already `taken` by the same chord).
  #choose(voices: Voice[], g: VoiceGroup, hz: number, frame: number, taken: Set<number>): number {
    const idx = voices.map((_, i) => i).filter((i) => !taken.has(i));
    const sounding = (v: Voice) => v.note !== 0 && frame < v.off + this.#releaseFrames(v.module);
    const same = idx.find((i) => sounding(voices[i]) && cents(voices[i].hz, hz) < SAME_PITCH_CENTS);
    if (same !== undefined) return same;
    const free = idx.filter((i) => !sounding(voices[i]));
    if (free.length) {
      // Never used first, then the one whose release ended longest ago: a fresh tail is left to ring.
      const end = (i: number) => voices[i].note === 0 ? -Infinity : voices[i].off;
      return free.reduce((a, b) => (end(b) < end(a) ? b : a));
    }
    if (g.steal === "quietest") {
      return idx.reduce((a, b) => (this.#level(voices[b], frame) < this.#level(voices[a], frame) ? b : a));
    }
    const released = idx.filter((i) => voices[i].off <= frame);
    if (released.length) return released.reduce((a, b) => (voices[b].off < voices[a].off ? b : a));
    return idx.reduce((a, b) => (voices[b].on < voices[a].on ? b : a));
  }

  // The envelope level a voice has at `frame`, estimated from its ADSR times (straight segments: the control
  // side does not read the DSP's state, and only the order of the estimates matters).
  #level(v: Voice, frame: number): number {
    const p = this.#patch.module(v.module).params;
    const n = (ms: number | undefined) => Math.max(1, ((ms ?? 0) * this.#sampleRate) / 1000);
    const sustain = p.sustain ?? 1;
    const held = (t: number) =>
      t < n(p.attack)
        ? t / n(p.attack)
        : sustain + (1 - sustain) * Math.max(0, 1 - (t - n(p.attack)) / n(p.decay));
    if (frame < v.off) return v.velocity * held(frame - v.on);
    const atOff = held(v.off - v.on);
    return v.velocity * atOff * Math.max(0, 1 - (frame - v.off) / n(p.release));
  }
}

/** Checks a patch file's "groups" and "scale" (what Instrument.load takes); throws ClientError. */
export function checkInstrument(file: PatchFile): void {
  checkGroups(file);
  if (file.scale !== undefined) scaleFromLine(file.scale);
}

/** Checks a patch file's "groups" against its own modules; the groups by name. Throws ClientError. */
export function checkGroups(file: PatchFile, steal: StealPolicy = "oldest"): Map<string, VoiceGroup> {
  const out = new Map<string, VoiceGroup>();
  if (file.groups === undefined) return out;
  if (typeof file.groups !== "object" || file.groups === null || Array.isArray(file.groups)) {
    throw new ClientError('"groups" is an object: {"pad": ["voice1", "voice2"]}');
  }
  for (const [name, entry] of Object.entries(file.groups)) {
    const spec = Array.isArray(entry) ? { voices: entry } : entry;
    if (!NAME.test(name)) {
      throw new ClientError(`"${name}" is not a group name (a letter, then letters, digits, _ or -)`);
    }
    if (file.modules?.[name]) throw new ClientError(`group ${name}: a module has that name`);
    if (
      typeof spec !== "object" || spec === null || !Array.isArray(spec.voices) || spec.voices.length === 0
    ) {
      throw new ClientError(
        `group ${name}: expected a list of modules, or {"voices": [...], "legato": true}`,
      );
    }
    if (spec.voices.length > L.SEQ_GROUP_MAX * 2) {
      throw new ClientError(
        `group ${name}: at most ${L.SEQ_GROUP_MAX * 2} voices, not ${spec.voices.length}`,
      );
    }
    if (new Set(spec.voices).size !== spec.voices.length) {
      throw new ClientError(`group ${name}: a module twice`);
    }
    const legato = spec.legato ?? false;
    const policy = spec.steal ?? steal;
    if (typeof legato !== "boolean") throw new ClientError(`group ${name}: "legato" is true or false`);
    if (!STEAL_POLICIES.includes(policy)) {
      throw new ClientError(
        `group ${name}: "steal" is ${STEAL_POLICIES.join(" or ")}, not ${JSON.stringify(policy)}`,
      );
    }
    for (const m of spec.voices) {
      const type = typeof m === "string" ? file.modules?.[m]?.type : undefined;
      if (type === undefined) throw new ClientError(`group ${name}: no module ${JSON.stringify(m)}`);
      const def = moduleDef(type);
      if (!def || paramIndex(def, "freq") < 0 || !def.gate) {
        throw new ClientError(`group ${name}: a ${type} (${m}) cannot play notes (it needs freq and a gate)`);
      }
      if (legato && paramIndex(def, "glide") < 0) {
        throw new ClientError(`group ${name}: legato needs a module with glide; a ${type} (${m}) has none`);
      }
    }
    out.set(name, { voices: [...spec.voices], legato, steal: policy });
  }
  return out;
}
