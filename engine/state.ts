// The state as the DSP plays it, in words and plain data: each parameter's value read back from the DSP
// (engine/readback.ts) with its unit, its target, and where the control side knows it comes from (a
// sequencer track's notes or lanes, a cable). Pure functions: /get, list and the saves build on them.
import { shortestF32 } from "../core/f32.ts";
import type { PatchFile, TrackSpec } from "../core/files.ts";
import type { Connection, ModuleState } from "../patch/graph.ts";
import { moduleDef } from "../patch/schema.ts";
import type { Engine } from "./engine.ts";
import type { ModuleValues } from "./readback.ts";

/** One parameter's state, as /get.reply carries it. */
export interface ParamState {
  /** The module's name. */
  module: string;
  /** The parameter's name. */
  param: string;
  /** Its base value after smoothing, as the DSP has it. */
  value: number;
  /** Its target (what a restored patch sets it to). */
  target: number;
  /** Its unit (patch/schema.ts): "Hz", "ms", "enum" … */
  unit: string;
  /** Its default. */
  default: number;
  /** True when its target differs from the default (list marks it with *). */
  changed: boolean;
  /** The value with its cables' modulation, at the end of the block read (only when a cable modulates it). */
  modulated?: number;
  /** An enumerated value's name. */
  name?: string;
  /** A pitch's note name ("F1") when the value is within 5 cents of an equal-tempered note. */
  note?: string;
  /** Where it comes from, as far as the control side knows: "track reeseA" (notes), "lane of track t", "lfo1 → cutoff". */
  from: string[];
  /** The line the text language prints: "voice3.freq 43.65 Hz (F1, from track reeseA)". */
  text: string;
}

/** What the control side knows of where parameters come from. */
export interface Provenance {
  /** The patch's cables. */
  connections: readonly Connection[];
  /** The sequencer's tracks by name. */
  tracks: Readonly<Record<string, TrackSpec>>;
  /** A voice group's modules (undefined: no such group). */
  group(name: string): readonly string[] | undefined;
}

const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/** The note name of `hz` when it is within 5 cents of an equal-tempered note (A4 = 440 Hz), else undefined. */
export function noteName(hz: number): string | undefined {
  if (!(hz > 0)) return undefined;
  const midi = 69 + 12 * Math.log2(hz / 440);
  const n = Math.round(midi);
  if (Math.abs(midi - n) > 0.05 || n < 0 || n > 127) return undefined;
  return `${NOTE_NAMES[n % 12]}${Math.floor(n / 12) - 1}`;
}

/** A value rounded for people: two decimals from 1 up (trailing zeros dropped), three significant digits below. */
export function roundForPeople(x: number): string {
  const v = shortestF32(x);
  if (v === 0 || !Number.isFinite(v)) return String(v);
  return String(Math.abs(v) >= 1 ? Math.round(v * 100) / 100 : Number(v.toPrecision(3)));
}

/** Every parameter of `m` as the DSP has it (`values`), with units and provenance. */
export function paramStates(
  m: Pick<ModuleState, "name" | "type">,
  values: ModuleValues,
  known: Provenance,
): ParamState[] {
  const def = moduleDef(m.type)!;
  const tracks = Object.entries(known.tracks).filter(([, t]) =>
    t.modules.some((x) => x === m.name || (known.group(x) ?? []).includes(m.name))
  );
  return def.params.map((p, i) => {
    const v = values.params[i] ?? { value: p.default, target: p.default, now: p.default };
    const from: string[] = [];
    const isPitch = p.name === "freq";
    for (const [name, t] of tracks) {
      if (isPitch && t.notes?.length) from.push(`track ${name}`);
      const lane = Object.keys(t.lanes ?? {}).some((k) => k === p.name || (p.aliases ?? []).includes(k));
      if (lane) from.push(`lane of track ${name}`);
    }
    const cables = known.connections.filter((c) => c.toParam && c.dst === m.name && c.dstPort === p.name);
    for (const c of cables) from.push(`${c.src}.${c.srcPort} → ${p.name} ${shortestF32(c.depth)}`);
    const s: ParamState = {
      module: m.name,
      param: p.name,
      value: shortestF32(v.value),
      target: shortestF32(v.target),
      unit: p.unit,
      default: p.default,
      changed: shortestF32(v.target) !== shortestF32(p.default),
      from,
      text: "",
    };
    if (cables.length) s.modulated = shortestF32(v.now);
    if (p.names) s.name = p.names[Math.round(v.target)];
    if (p.unit === "Hz" && isPitch) s.note = noteName(v.value);
    s.text = paramText(s, p.smooth > 0);
    return s;
  });
}

/** The line for one parameter: "voice3.cutoff 1000 Hz (target 1000)", "voice1.wave saw". */
export function paramText(s: ParamState, smooths: boolean): string {
  const shown = s.name ?? roundForPeople(s.value);
  const unit = s.name || s.unit === "linear" || s.unit === "" || s.unit === "enum" ? "" : ` ${s.unit}`;
  const notes: string[] = [];
  if (s.note) notes.push(s.note);
  if (!s.name && (s.value !== s.target || (smooths && s.from.length === 0))) {
    notes.push(`target ${roundForPeople(s.target)}`);
  }
  if (s.modulated !== undefined) notes.push(`modulated ${roundForPeople(s.modulated)} now`);
  if (s.from.length) notes.push(`from ${s.from.join(", ")}`);
  return `${s.module}.${s.param} ${shown}${unit}${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

/** The line `list` prints for a module: "voice1 (voice): freq 220 Hz, cutoff 777 Hz*, …" (* changed). */
export function moduleLine(name: string, type: string, params: readonly ParamState[]): string {
  const shown = params.map((s) => {
    const unit = s.name || s.unit === "linear" || s.unit === "" || s.unit === "enum" ? "" : ` ${s.unit}`;
    return `${s.param} ${s.name ?? roundForPeople(s.value)}${unit}${s.changed ? "*" : ""}`;
  });
  return `${name} (${type})${shown.length ? `: ${shown.join(", ")}` : ""}`;
}

/**
 * `file` with each module's parameters as the DSP plays them (`values`, by module name): the target, which
 * is what the last command, sequencer note or lane set (a cable's modulation is left out: a restored patch
 * sets the base and the cable adds to it again); only values other than the default are written, as
 * Patch.toFile does. A module the DSP did not answer for keeps the file's values.
 */
export function playedFile(file: PatchFile, values: ReadonlyMap<string, ModuleValues>): PatchFile {
  const modules: PatchFile["modules"] = {};
  for (const [name, spec] of Object.entries(file.modules)) {
    const v = values.get(name), def = moduleDef(spec.type);
    if (!v || !def || v.params.length === 0) {
      modules[name] = spec;
      continue;
    }
    const params: Record<string, number | string> = {};
    def.params.forEach((p, i) => {
      const read = v.params[i];
      const x = read ? shortestF32(read.target) : spec.params?.[p.name];
      if (x !== undefined && x !== shortestF32(p.default)) params[p.name] = x;
    });
    modules[name] = Object.keys(params).length ? { type: spec.type, params } : { type: spec.type };
  }
  return { ...file, modules };
}

/** The session as a patch file from the control side: the committed patch, its groups, and its sequence when it has tracks. */
export function patchFile(
  engine: Pick<Engine, "patch" | "sequencer" | "instrument"> & { samples?: Engine["samples"] },
): PatchFile {
  const file: PatchFile = { ...engine.patch.toFile(), ...engine.instrument.toFile() };
  const sequence = engine.sequencer.toFile();
  if (Object.keys(sequence.tracks).length || sequence.scenes) file.sequence = sequence;
  // Samples by name, with the files they come from (patch/samples.ts): a saved patch loads them again.
  return engine.samples ? engine.samples.named(file) : file;
}

/**
 * The session as a patch file with its parameters as the DSP plays them (playedFile): one read of every
 * module (Engine.readModules), taken when called. Without readModules (nothing plays), the control side's.
 * Rejects as readModules does (a full read queue, the engine stopped, no answer in time).
 */
export async function playingFile(
  engine: Pick<Engine, "patch" | "sequencer" | "instrument"> & {
    readModules?: Engine["readModules"];
    samples?: Engine["samples"];
  },
): Promise<PatchFile> {
  const file = patchFile(engine);
  if (!engine.readModules) return file;
  const played = playedFile(file, await engine.readModules(Object.keys(file.modules)));
  return engine.samples ? engine.samples.named(played) : played;
}
