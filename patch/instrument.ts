// What a musician plays through: voice groups, note ids and the session's scale. The voices themselves are
// chosen in the DSP (asm/groups.ts: one allocator for live notes and the sequencer's group tracks, reading the
// voices' real envelope levels; design §7b). This side validates, declares each group to the DSP when the
// patch is committed (OP_GROUP, OP_GROUP_VOICE), assigns live note ids so that `/note.reply` answers at once,
// and remembers which ids it gave each pitch so that `/note/off <group> <pitch>` can name them.
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
  /** Stamped at the note's frame: one OP_GROUP_NOTE_ON per pitch (the DSP chooses the voices). */
  on: Command[];
  /** Stamped `length` frames after the note's start (empty when the note is held until /note/off). */
  off: Command[];
}

// A live note as this side knows it: its group, pitch and end (Infinity while held with no end known). It
// may have been stolen in the DSP meanwhile; a release of it is then ignored there.
interface LiveNote {
  group: string;
  hz: number;
  end: number;
}

const NAME = /^[a-z][a-z0-9_-]{0,31}$/i;
const SAME_PITCH_CENTS = 1;
// The live notes remembered for /note/off (docs/instrument.md, Limits): past this many, those that ended are
// forgotten, then the oldest (a held note forgotten so can no longer be released by id or pitch, only stolen).
const LIVE_MAX = 4096;

function cents(a: number, b: number): number {
  return Math.abs(1200 * Math.log2(a / b));
}

/** Voice groups, note ids and the scale of one session. */
export class Instrument {
  #patch: Patch;
  #groups = new Map<string, VoiceGroup>();
  #live = new Map<number, LiveNote>();
  #lastId = 0;
  #declared = "";
  #held = 0; // groups the last declaration filled (slots 0 … #held − 1)
  #scale: ScaleSpec | undefined;
  /** The policy of groups that name none (the engine's --steal). */
  defaultSteal: StealPolicy;

  /** An instrument over `patch` (`sampleRate` is kept for callers; the DSP times the voices), no groups, no scale. */
  constructor(patch: Patch, _sampleRate: number, steal: StealPolicy = "oldest") {
    this.#patch = patch;
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

  /** The DSP's index of group `name` (its place in the file, 0 …), or −1. */
  groupIndex(name: string): number {
    return this.groupNames.indexOf(name);
  }

  /**
   * Replaces the groups and the scale with a patch file's (its "groups" and "scale"); checks everything first,
   * so a bad file changes nothing. Throws ClientError. The DSP learns the groups at the next commit
   * (declare()).
   */
  load(file: PatchFile): void {
    const groups = checkGroups(file, this.defaultSteal);
    const scale = file.scale === undefined ? undefined : scaleFromLine(file.scale);
    this.#groups = groups;
    this.#live.clear();
    this.#scale = scale;
  }

  /**
   * The commands that declare the groups to the DSP (every slot of L.GROUPS_MAX, so a group removed is
   * cleared), or none when the DSP already holds these groups with these module ids: a commit that changes
   * nothing about them leaves the voices' allocation state alone.
   */
  declare(): Command[] {
    const out: Command[] = [];
    const names = this.groupNames;
    // Slots past the groups are cleared only if an earlier declaration filled them: a patch without groups
    // declares nothing (its session log and renders stay as they were before groups existed).
    const slots = Math.min(L.GROUPS_MAX, Math.max(names.length, this.#held));
    for (let g = 0; g < slots; g++) {
      const group = names[g] === undefined ? undefined : this.#groups.get(names[g])!;
      const mods = group?.voices.map((m) => this.#patch.modules.get(m));
      if (!group || !mods || mods.some((m) => m === undefined)) {
        out.push(command({ op: L.OP_GROUP, target: g, i0: 0, i1: 0 }));
        continue;
      }
      const flags = (group.legato ? L.GROUP_LEGATO : 0) | (group.steal === "quietest" ? L.GROUP_QUIETEST : 0);
      out.push(command({ op: L.OP_GROUP, target: g, i0: mods.length, i1: flags }));
      mods.forEach((m, k) =>
        out.push(command({
          op: L.OP_GROUP_VOICE,
          target: g,
          i0: k,
          i1: m!.id,
          param: paramIndex(moduleDef(m!.type)!, "freq"),
        }))
      );
    }
    const key = JSON.stringify(
      out.filter((c) => c.i0 > 0 || c.op !== L.OP_GROUP).map((c) => [c.target, c.i0, c.i1, c.param]),
    );
    if (key === this.#declared) return [];
    this.#declared = key;
    this.#held = names.length;
    return out;
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
   * A note of each pitch in `hz` on group `name` at `frame`, `length` frames long (0: held until /note/off):
   * its ids and commands (the DSP chooses the voices); throws ClientError (and changes nothing) when the group
   * cannot play it.
   */
  noteOn(name: string, hz: readonly number[], velocity: number, frame: number, length: number): NotePlan {
    const g = this.#group(name);
    if (hz.length > g.voices.length || (g.legato && hz.length > 1)) {
      throw new ClientError(
        `group ${name} has ${g.legato ? "one legato voice" : `${g.voices.length} voices`}: ` +
          `it cannot play ${hz.length} notes at once`,
      );
    }
    const target = this.groupIndex(name);
    const plan: NotePlan = { ids: [], on: [], off: [] };
    const end = length > 0 ? frame + length : Infinity;
    for (const f of hz) {
      const id = this.#nextId();
      plan.ids.push(id);
      plan.on.push(command({ op: L.OP_GROUP_NOTE_ON, target, i0: id, f0: f, f1: velocity }));
      if (length > 0) plan.off.push(command({ op: L.OP_GROUP_NOTE_OFF, target, i0: id }));
      this.#remember(id, { group: name, hz: f, end }, frame);
    }
    return plan;
  }

  /** Records that a note's start moved to `started` (it was accepted later than asked): its end moves too. */
  started(ids: readonly number[], asked: number, started: number): void {
    for (const id of ids) {
      const n = this.#live.get(id);
      if (n) n.end += started - asked;
    }
  }

  /**
   * Releases note `id` at `frame`: its release, or nothing when its length has run out or it was released
   * already (a note stolen in the DSP is released there as a no-op). Throws ClientError.
   */
  noteOff(id: number, frame: number): Command[] {
    if (!Number.isInteger(id) || id < 1 || id > this.#lastId) {
      throw new ClientError(
        `no note ${id}: ${
          this.#lastId ? `the ids given so far are 1 … ${this.#lastId}` : "no note played yet"
        }`,
      );
    }
    const n = this.#live.get(id);
    if (!n || n.end <= frame) return [];
    n.end = frame;
    return [command({ op: L.OP_GROUP_NOTE_OFF, target: this.groupIndex(n.group), i0: id })];
  }

  /** Releases the notes of group `name` held at each pitch in `hz` at `frame`. Throws ClientError. */
  noteOffPitch(name: string, hz: readonly number[], frame: number): { ids: number[]; off: Command[] } {
    this.#group(name);
    const ids: number[] = [];
    for (const f of hz) {
      const found = [...this.#live].filter(([, n]) =>
        n.group === name && n.end > frame && cents(n.hz, f) < SAME_PITCH_CENTS
      );
      if (!found.length) throw new ClientError(`group ${name} holds no note at ${f.toFixed(2)} Hz`);
      for (const [id] of found) if (!ids.includes(id)) ids.push(id);
    }
    return { ids, off: ids.flatMap((id) => this.noteOff(id, frame)) };
  }

  // Remembers a live note; past LIVE_MAX, the ended ones are forgotten, then the oldest.
  #remember(id: number, n: LiveNote, frame: number): void {
    this.#live.set(id, n);
    if (this.#live.size <= LIVE_MAX) return;
    for (const [old, o] of this.#live) if (o.end <= frame) this.#live.delete(old);
    for (const old of this.#live.keys()) {
      if (this.#live.size <= LIVE_MAX) break;
      this.#live.delete(old);
    }
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
  if (Object.keys(file.groups).length > L.GROUPS_MAX) {
    throw new ClientError(`at most ${L.GROUPS_MAX} groups, not ${Object.keys(file.groups).length}`);
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
    if (spec.voices.length > L.GROUP_VOICES_MAX) {
      throw new ClientError(
        `group ${name}: at most ${L.GROUP_VOICES_MAX} voices, not ${spec.voices.length}`,
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
