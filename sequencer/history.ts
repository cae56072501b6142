// The edit history (docs/instrument-history.md): every change a client makes to the patch or the sequence is
// an entry holding what it replaced and what it put in place, as plain data, so that an undo is the inverse
// change and a redo the change again, both sent as ordinary frame-stamped commands (the session log records
// them; a replay reproduces them; a failover changes nothing because this is control-side state).
//
// An entry is the difference of two snapshots taken around one message's handler (changeBetween): parameter
// values, modules (a module replaced under the same name counts as removed and added), cables, tracks, tempo
// and swing. Kept apart from the routes so that a new kind of state (a scale, a scene) adds a field to
// Snapshot and Change, a line in changeBetween and a line in applyChange.
import type { Command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import type { PatchFile, SceneFile, SequenceFile, TrackSpec } from "../core/files.ts";
import { scaleFromLine } from "../core/music.ts";
import type { Patch } from "../patch/graph.ts";
import type { Instrument } from "../patch/instrument.ts";
import { moduleDef, paramIndex } from "../patch/schema.ts";
import type { ChainState, Sequencer, When } from "./sequencer.ts";

/** Entries kept; beyond this the oldest is forgotten (it can no longer be undone). */
export const HISTORY_LIMIT = 1000;
/** Moves of one parameter by one author less than this apart (in the session's frames) merge into one entry. */
export const MERGE_SECONDS = 1;

/** A module as an entry remembers it: its type and every parameter's value. */
export interface ModuleValue {
  /** Its module type (patch/schema.ts). */
  type: string;
  /** Every parameter's value, by name. */
  params: Record<string, number>;
}

/** One parameter's move. */
export interface ParamChange {
  /** The module's name. */
  module: string;
  /** The parameter's name (its canonical name, not an alias). */
  param: string;
  /** Its value before. */
  before: number;
  /** Its value after. */
  after: number;
}

/** A module added (no `before`), removed (no `after`) or replaced (both). */
export interface ModuleChange {
  /** The module's name. */
  name: string;
  /** What it was, when it was there. */
  before?: ModuleValue;
  /** What it became, when it is there. */
  after?: ModuleValue;
}

/** A cable added (no `before`), removed (no `after`) or given a new depth (both). */
export interface CableChange {
  /** Its source, "module.output". */
  from: string;
  /** Its destination, "module.input" or "module.param". */
  to: string;
  /** Its depth before, when it was there. */
  before?: number;
  /** Its depth after, when it is there. */
  after?: number;
}

/** A track defined (no `before`), removed (no `after`) or redefined (both). */
export interface TrackChange {
  /** The track's name. */
  name: string;
  /** Its definition before, when it was there. */
  before?: TrackSpec;
  /** Its definition after, when it is there. */
  after?: TrackSpec;
}

/** A scene saved (no `before`), replaced (both) or gone (no `after`: an undo of its save). */
export interface SceneChange {
  /** The scene's name. */
  name: string;
  /** What it held before, when it was there. */
  before?: SceneFile;
  /** What it holds after, when it is there. */
  after?: SceneFile;
}

/** The voice groups as a patch file declares them ("groups"), or null for none. */
export type Groups = PatchFile["groups"] | null;

/** What one edit changed, each part with its before and after. */
export interface Change {
  /** Parameters of modules that stayed. */
  params: ParamChange[];
  /** Modules added, removed or replaced. */
  modules: ModuleChange[];
  /** Cables added, removed or given a new depth. */
  cables: CableChange[];
  /** Tracks defined, removed or redefined. */
  tracks: TrackChange[];
  /** The tempo [before, after], when it changed. */
  bpm?: [number, number];
  /** The swing [before, after] in percent, when it changed. */
  swing?: [number, number];
  /** The muted tracks [before, after], when they changed (seq mute, unmute). */
  mute?: [string[], string[]];
  /** The soloed tracks [before, after], when they changed (seq solo, unmute). */
  solo?: [string[], string[]];
  /** Scenes saved or replaced (scene save); absent in entries from before scenes were edits. */
  scenes?: SceneChange[];
  /** The chain in progress [before, after] (null: none), when a chain started or ended (scene chain). */
  chain?: [ChainState | null, ChainState | null];
  /** The session's scale [before, after] as "ROOT MODE" (null: none), when it changed (/scale). */
  scale?: [string | null, string | null];
  /** The voice groups [before, after], when they changed (a patch load with "groups"). */
  groups?: [Groups, Groups];
}

/** One entry of the history. */
export interface HistoryEntry {
  /** Its number in the session, from 1, never reused. */
  index: number;
  /** The frame its change was stamped at (a merged knob turn: its first move's). */
  frame: number;
  /** The frame of its last move (the same as `frame` unless moves merged). */
  lastFrame: number;
  /** Where the sequencer was when it was made ("bar.beat"), when the transport ran. */
  at?: string;
  /** Who made it: the client's address ("127.0.0.1:9001"), "stdin" or "score". */
  author: string;
  /** One line: "voice1.cutoff 3000 → 500 Hz", "patch: +lfo1, lfo1.out → voice2.cutoff", "track bass set". */
  description: string;
  /** What it changed. */
  change: Change;
}

/** How /history lists an entry. */
export interface HistoryLine {
  /** The entry's number. */
  index: number;
  /** Its frame. */
  frame: number;
  /** "bar.beat", when the transport ran. */
  at?: string;
  /** Its author. */
  author: string;
  /** Its one line. */
  description: string;
  /** True when it has been undone (a redo would apply it again). */
  undone: boolean;
}

/** The history as the autosave keeps it (autosave/history.json beside autosave/patch.json). */
export interface HistoryFile {
  /** Entries, oldest first. */
  entries: HistoryEntry[];
  /** How many of them are applied (the rest were undone). */
  done: number;
  /** The next entry's number. */
  next: number;
}

/** The state an edit can change, as taken before and after it. */
export interface Snapshot {
  /** Modules by name, with their DSP ids (a new id under the same name is another module). */
  modules: Map<string, ModuleValue & { id: number }>;
  /** Cables by "src#id.port>dst#id.port", so that a cable of a replaced module counts as another cable. */
  cables: Map<string, { from: string; to: string; depth: number }>;
  /** The sequence (with its mutes, solos and scenes). */
  sequence: SequenceFile;
  /** The chain in progress (null: none). */
  chain: ChainState | null;
  /** The session's scale as "ROOT MODE" (null: none). */
  scale: string | null;
  /** The voice groups. */
  groups: Groups;
}

/** An empty sequence: what a snapshot of one module holds for it (two compare equal). */
const NO_SEQUENCE: SequenceFile = { tracks: {} };

/**
 * The patch's and the sequence's state now (copies: later edits do not change it); with `only`, just that
 * module's parameters (an edit that can change nothing else).
 */
export function snapshot(
  patch: Patch,
  sequencer: Sequencer,
  only?: string,
  instrument?: Instrument,
): Snapshot {
  if (only !== undefined) {
    const m = patch.modules.get(only);
    const modules = new Map(m ? [[m.name, { type: m.type, id: m.id, params: { ...m.params } }]] : []);
    return { modules, cables: new Map(), sequence: NO_SEQUENCE, chain: null, scale: null, groups: null };
  }
  const modules = new Map(
    [...patch.modules.values()].map((m) => [m.name, { type: m.type, id: m.id, params: { ...m.params } }]),
  );
  const cables = new Map<string, { from: string; to: string; depth: number }>();
  for (const c of patch.connections) {
    const key = `${c.src}#${modules.get(c.src)?.id}.${c.srcPort}>${c.dst}#${
      modules.get(c.dst)?.id
    }.${c.dstPort}`;
    cables.set(key, { from: `${c.src}.${c.srcPort}`, to: `${c.dst}.${c.dstPort}`, depth: c.depth });
  }
  const kept = instrument?.toFile() ?? {};
  return {
    modules,
    cables,
    sequence: sequencer.toFile(),
    chain: sequencer.chainState,
    scale: kept.scale ?? null,
    groups: kept.groups ?? null,
  };
}

/** The change from `a` to `b`; the transport (playing or not) is no edit and is left out. */
export function changeBetween(a: Snapshot, b: Snapshot): Change {
  const change: Change = { params: [], modules: [], cables: [], tracks: [] };
  for (const name of new Set([...a.modules.keys(), ...b.modules.keys()])) {
    const before = a.modules.get(name), after = b.modules.get(name);
    if (before && after && before.id === after.id && before.type === after.type) {
      for (const [param, v] of Object.entries(after.params)) {
        if (!Object.is(before.params[param], v)) {
          change.params.push({ module: name, param, before: before.params[param], after: v });
        }
      }
    } else {
      change.modules.push({ name, before: before && value(before), after: after && value(after) });
    }
  }
  for (const key of new Set([...a.cables.keys(), ...b.cables.keys()])) {
    const before = a.cables.get(key), after = b.cables.get(key);
    if (before?.depth === after?.depth) continue;
    const { from, to } = (before ?? after)!;
    change.cables.push({ from, to, before: before?.depth, after: after?.depth });
  }
  const ta = a.sequence.tracks, tb = b.sequence.tracks;
  for (const name of new Set([...Object.keys(ta), ...Object.keys(tb)])) {
    if (JSON.stringify(ta[name]) !== JSON.stringify(tb[name])) {
      change.tracks.push({ name, before: ta[name], after: tb[name] });
    }
  }
  const { bpm: ba = 120, swing: sa = 50 } = a.sequence, { bpm: bb = 120, swing: sb = 50 } = b.sequence;
  if (ba !== bb) change.bpm = [ba, bb];
  if (sa !== sb) change.swing = [sa, sb];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const ma = a.sequence.mute ?? [], mb = b.sequence.mute ?? [];
  if (!same(ma, mb)) change.mute = [ma, mb];
  const oa = a.sequence.solo ?? [], ob = b.sequence.solo ?? [];
  if (!same(oa, ob)) change.solo = [oa, ob];
  const sca = a.sequence.scenes ?? {}, scb = b.sequence.scenes ?? {};
  for (const name of new Set([...Object.keys(sca), ...Object.keys(scb)])) {
    if (!same(sca[name], scb[name])) {
      (change.scenes ??= []).push({ name, before: sca[name], after: scb[name] });
    }
  }
  if (!same(a.chain, b.chain)) change.chain = [a.chain, b.chain];
  if (a.scale !== b.scale) change.scale = [a.scale, b.scale];
  if (!same(a.groups, b.groups)) change.groups = [a.groups, b.groups];
  return change;
}

function value(m: ModuleValue): ModuleValue {
  return { type: m.type, params: { ...m.params } };
}

/** True when the change changes nothing. */
export function isEmpty(c: Change): boolean {
  return !c.params.length && !c.modules.length && !c.cables.length && !c.tracks.length && !c.bpm &&
    !c.swing && !c.mute && !c.solo && !c.scenes?.length && !c.chain && !c.scale && !c.groups;
}

/** A parameter's value with its unit ("500 Hz"; an enumerated value by its name), as descriptions show it. */
export function shownValue(type: string, param: string, v: number): string {
  return shown(type, param, v);
}

/** The canonical name of a module type's parameter named as an address may name it (an alias, "filter/freq"). */
export function canonicalParam(type: string, name: string): string | undefined {
  const d = moduleDef(type);
  const i = d ? paramIndex(d, name) : -1;
  return i < 0 ? undefined : d!.params[i].name;
}

// The parameter's value with its unit ("500 Hz"; an enumerated value by its name).
function shown(type: string, param: string, v: number): string {
  const p = moduleDef(type)?.params.find((q) => q.name === param);
  if (p?.names) return p.names[v] ?? String(v);
  return p?.unit && p.unit !== "linear" ? `${v} ${p.unit}` : String(v);
}

/** The change in one line, for /history ("voice1.cutoff 500 → 3000 Hz", "patch: +lfo1, …"). */
export function describeChange(c: Change, types: (module: string) => string | undefined): string {
  const params = c.params.map((p) => {
    const type = types(p.module) ?? "";
    const unitless = shown(type, p.param, p.before);
    return `${p.module}.${p.param} ${unitless.replace(/ \S+$/, "")} → ${shown(type, p.param, p.after)}`;
  });
  const patch = [
    ...c.modules.flatMap((m) => [...(m.before ? [`-${m.name}`] : []), ...(m.after ? [`+${m.name}`] : [])]),
    ...c.cables.map((k) =>
      k.after === undefined
        ? `-${k.from} → ${k.to}`
        : k.before === undefined
        ? `${k.from} → ${k.to}`
        : `${k.from} → ${k.to} depth ${k.before} → ${k.after}`
    ),
  ];
  const parts: string[] = [];
  if (patch.length) parts.push(`patch: ${cap([...patch, ...params])}`);
  else if (params.length) parts.push(cap(params));
  for (const t of c.tracks) parts.push(`track ${t.name} ${t.after ? "set" : "removed"}`);
  if (c.bpm) parts.push(`bpm ${c.bpm[0]} → ${c.bpm[1]}`);
  if (c.swing) parts.push(`swing ${c.swing[0]} → ${c.swing[1]}%`);
  for (const [verb, pair] of [["mute", c.mute], ["solo", c.solo]] as const) {
    if (!pair) continue;
    const [was, is] = pair;
    for (const t of is.filter((n) => !was.includes(n))) parts.push(`${verb} ${t}`);
    for (const t of was.filter((n) => !is.includes(n))) parts.push(`un${verb} ${t}`);
  }
  for (const s of c.scenes ?? []) parts.push(`scene ${s.name} ${s.after ? "saved" : "removed"}`);
  if (c.chain) {
    const chain = c.chain[1];
    parts.push(chain ? `chain ${chain.scenes.join(" ")}${chain.loop ? " loop" : ""}` : "chain ended");
  }
  if (c.scale) parts.push(`scale ${c.scale[0] ?? "none"} → ${c.scale[1] ?? "none"}`);
  if (c.groups) parts.push(`groups ${Object.keys(c.groups[1] ?? {}).join(", ") || "none"}`);
  return parts.join("; ");
}

// A list cut to a few items, so one entry stays one line.
function cap(items: string[], most = 6): string {
  return items.length <= most
    ? items.join(", ")
    : `${items.slice(0, most).join(", ")}, … (${items.length} in all)`;
}

/**
 * Appends to `out` the commands that bring the patch and the sequence to one side of `change` ("before": an
 * undo, "after": a redo), and moves the control side there. A change of modules or cables is one patch
 * transaction (refused while a client's transaction is open); tracks follow at `when`. Throws ClientError
 * when the state no longer fits (a module the change names is gone): what `out` holds by then has been
 * applied on the control side and must be sent.
 */
export function applyChange(
  change: Change,
  side: "before" | "after",
  patch: Patch,
  sequencer: Sequencer,
  when: When,
  out: Command[],
  instrument?: Instrument,
): void {
  const at = side === "before" ? 0 : 1;
  const other = side === "before" ? "after" : "before";
  if (change.modules.length || change.cables.length) {
    if (patch.staging) {
      throw new ClientError("a patch transaction is open: /patch/commit or /patch/abort it first");
    }
    try {
      const removed = new Set<string>();
      for (const m of change.modules) {
        if (m[other] && patch.modules.has(m.name)) {
          patch.delete(m.name);
          removed.add(m.name);
        }
      }
      for (const k of change.cables) {
        const ends = [k.from, k.to].map((e) => e.split(".")[0]);
        if (k[side] === undefined && !ends.some((e) => removed.has(e))) patch.disconnect(k.from, k.to);
      }
      for (const m of change.modules) if (m[side]) patch.create(m.name, m[side].type, m[side].params);
      for (const p of change.params) patch.set(p.module, p.param, p[side]);
      for (const k of change.cables) if (k[side] !== undefined) patch.connect(k.from, k.to, k[side]);
      out.push(...patch.commit().commands);
    } catch (e) {
      patch.abort();
      throw e;
    }
    out.push(...sequencer.prune());
  } else {
    for (const p of change.params) {
      if (!patch.modules.has(p.module)) throw new ClientError(`${p.module} is no longer in the patch`);
    }
    for (const p of change.params) out.push(patch.setNow(p.module, p.param, p[side]));
  }
  const tracks = sequencer.toFile().tracks;
  for (const t of change.tracks) {
    const spec = t[side];
    if (spec) out.push(...sequencer.add(t.name, spec, when));
    else if (tracks[t.name]) out.push(...sequencer.remove(t.name, when));
  }
  if (change.bpm) out.push(...sequencer.bpm(change.bpm[at], when));
  if (change.swing) out.push(...sequencer.swing(change.swing[at]));
  // After the tracks: a mute names tracks that must be there.
  if (change.mute || change.solo) {
    const now = sequencer.toFile();
    out.push(...sequencer.restoreMutes(
      change.mute?.[at] ?? now.mute ?? [],
      change.solo?.[at] ?? now.solo ?? [],
    ));
  }
  for (const s of change.scenes ?? []) sequencer.restoreScene(s.name, s[side]);
  if (change.chain) sequencer.restoreChain(change.chain[at]);
  if (instrument && (change.scale || change.groups)) {
    const scale = change.scale ? change.scale[at] : instrument.toFile().scale ?? null;
    if (change.groups) {
      // Groups name modules: checked against the patch as it is now (after a patch change above).
      const groups = change.groups[at];
      instrument.load({
        ...patch.toFile(),
        ...(groups ? { groups } : {}),
        ...(scale !== null ? { scale } : {}),
      });
    } else instrument.scale = scale === null ? undefined : scaleFromLine(scale);
  }
}

/**
 * The undo and redo stacks as one list with a cursor: entries before it are applied, the rest were undone. A
 * new entry drops the undone ones (as an editor does); past HISTORY_LIMIT the oldest is forgotten.
 */
export class History {
  #entries: HistoryEntry[] = [];
  #done = 0;
  #next = 1;
  // Whether the newest entry may take the next move of its parameter (not after an undo or redo).
  #open = false;

  /** An empty history. */
  constructor(readonly limit: number = HISTORY_LIMIT) {}

  /** How many entries can be undone. */
  get undoable(): number {
    return this.#done;
  }

  /** How many entries can be redone. */
  get redoable(): number {
    return this.#entries.length - this.#done;
  }

  /**
   * Adds an entry for `change` (nothing when it changes nothing), or merges it into the newest one when both
   * move the same single parameter, by the same author, within MERGE_SECONDS of `sampleRate` frames. Returns
   * the entry that holds it. `describe` gives its one line.
   */
  record(
    change: Change,
    made: { frame: number; author: string; at?: string; describe: (c: Change) => string },
    sampleRate: number,
  ): HistoryEntry | undefined {
    if (isEmpty(change)) return undefined;
    const top = this.#entries[this.#done - 1];
    if (this.#open && top && top.author === made.author && knob(top.change, change)) {
      const gap = made.frame - top.lastFrame;
      if (gap >= 0 && gap < MERGE_SECONDS * sampleRate) {
        top.change.params[0].after = change.params[0].after;
        top.lastFrame = made.frame;
        top.description = made.describe(top.change);
        return top;
      }
    }
    this.#entries.length = this.#done; // a new change after undos: the redo stack goes
    const entry: HistoryEntry = {
      index: this.#next++,
      frame: made.frame,
      lastFrame: made.frame,
      ...(made.at ? { at: made.at } : {}),
      author: made.author,
      description: made.describe(change),
      change,
    };
    this.#entries.push(entry);
    if (this.#entries.length > this.limit) this.#entries.shift();
    this.#done = this.#entries.length;
    this.#open = true;
    return entry;
  }

  /** The newest `n` applied entries, newest first (what an undo of `n` reverts); throws when there is none. */
  toUndo(n: number): HistoryEntry[] {
    if (this.#done === 0) throw new ClientError("nothing to undo");
    return this.#entries.slice(Math.max(0, this.#done - n), this.#done).reverse();
  }

  /** The oldest `n` undone entries, oldest first (what a redo of `n` applies); throws when there is none. */
  toRedo(n: number): HistoryEntry[] {
    if (this.redoable === 0) throw new ClientError("nothing to redo");
    return this.#entries.slice(this.#done, this.#done + n);
  }

  /** Moves the cursor back over `n` entries (they have been undone). */
  undone(n: number): void {
    this.#done = Math.max(0, this.#done - n);
    this.#open = false;
  }

  /** Moves the cursor forward over `n` entries (they have been redone). */
  redone(n: number): void {
    this.#done = Math.min(this.#entries.length, this.#done + n);
    this.#open = false;
  }

  /** The last `n` entries, oldest first, each with whether it is undone. */
  list(n: number): HistoryLine[] {
    return this.#entries.slice(Math.max(0, this.#entries.length - n)).map((e) => ({
      index: e.index,
      frame: e.frame,
      ...(e.at ? { at: e.at } : {}),
      author: e.author,
      description: e.description,
      undone: this.#entries.indexOf(e) >= this.#done,
    }));
  }

  /** The whole history as plain data (what the autosave writes). */
  toFile(): HistoryFile {
    return structuredClone({ entries: this.#entries, done: this.#done, next: this.#next });
  }

  /** Replaces the history with a saved one (--resume); throws a plain Error when it is not one. */
  restore(file: HistoryFile): void {
    const ok = typeof file === "object" && file !== null && Array.isArray(file.entries) &&
      Number.isInteger(file.done) && file.done >= 0 && file.done <= file.entries.length &&
      Number.isInteger(file.next) && file.entries.every(isEntry);
    if (!ok) throw new Error("not a history (entries, done, next)");
    this.#entries = structuredClone(file.entries.slice(-this.limit));
    this.#done = Math.max(0, file.done - (file.entries.length - this.#entries.length));
    this.#next = file.next;
    this.#open = false;
  }
}

// Both changes move one and the same parameter and nothing else: a knob turn.
function knob(a: Change, b: Change): boolean {
  const single = (c: Change) =>
    c.params.length === 1 && !c.modules.length && !c.cables.length && !c.tracks.length && !c.bpm &&
    !c.swing && isEmpty({ ...c, params: [] });
  return single(a) && single(b) && a.params[0].module === b.params[0].module &&
    a.params[0].param === b.params[0].param;
}

function isEntry(e: HistoryEntry): boolean {
  const c = e?.change;
  return typeof e === "object" && e !== null && Number.isInteger(e.index) && Number.isFinite(e.frame) &&
    typeof e.author === "string" && typeof e.description === "string" && typeof c === "object" &&
    c !== null && [c.params, c.modules, c.cables, c.tracks].every(Array.isArray);
}
