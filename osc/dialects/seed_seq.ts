// The seed system's /seq/add: `<track> <voice> <pattern> [base_freq] [filter_freq] [notes-csv]` plus
// `key=value` strings, turned into a native track. Its sequencer set, at every hit, the voice's pitch (the
// notes, else base_freq), its amp (base_amp × the hit's velocity: 1.0 for X, 0.6 for x) and its filter
// (filter_freq + accent_boost × (velocity − 0.5)), and held the gate gate_frac of a step. Here the pitch
// becomes the track's notes, amp and filter become lanes (a value per step), gate_frac the gate length.
import * as L from "../../asm/layout.ts";
import type { TrackSpec } from "../../core/files.ts";
import { moduleDef, paramIndex } from "../../patch/schema.ts";
import { GATE_MAX, GATE_MIN } from "../../sequencer/pattern.ts";
import type { OscArg } from "../types.ts";
import type { RouteContext } from "../routes/route.ts";
import { clamp, numberOf } from "./dialect.ts";
import { seedNote, seedPattern } from "./convert.ts";

/** The seed track's fields and their defaults, as its sequencer had them. */
export const SEED_TRACK_DEFAULTS = {
  base_freq: 440,
  filter_freq: 1000,
  base_amp: 0.3,
  accent_boost: 1500,
  gate_frac: 0.5,
} as const;

/** The seed's velocities: X an accent, x a hit. */
const SEED_VELOCITY = { X: 1.0, x: 0.6 } as const;

/** The seed voice's clamps for the values a track sets (pitch, filter, amp). */
const FREQ = [20, 5000] as const, CUTOFF = [50, 8000] as const, AMP = [0, 1] as const;

const KEY_VALUE = /^([A-Za-z_]\w*)=(.*)$/s;
const NATIVE_KEY = /^(gate|steps|bars|prob)=/i;

/**
 * Whether a /seq/add is the seed's form (the native one is `<track> <modules> <pattern> [notes|gate=|steps=|bars=|prob=…]`):
 * one module and a `key=value` the native form has no key for, or a voice (voice<N>: the seed's tracks played
 * nothing else) and, after the pattern, exactly two numbers (base_freq, filter_freq), optionally followed by a
 * string (the notes). A trailing now/bar is native.
 */
export function isSeedSeqAdd(args: readonly OscArg[]): boolean {
  if (args.length < 4 || typeof args[1] !== "string" || args[1].includes(",")) return false;
  const last = args[args.length - 1];
  if (typeof last === "string" && /^(now|bar)$/i.test(last)) return false;
  const extra = args.slice(3);
  const kv = (a: OscArg) => typeof a === "string" && KEY_VALUE.test(a);
  if (extra.some((a) => kv(a) && !NATIVE_KEY.test(a as string))) return true;
  if (extra.some(kv) || !/^voice\d+$/.test(args[1])) return false;
  return (extra.length === 2 || extra.length === 3) && typeof extra[0] === "number" &&
    typeof extra[1] === "number" && (extra.length === 2 || typeof extra[2] === "string");
}

/** A seed track, read as the seed read /seq/add's arguments after the pattern (by position, or key=value). */
export interface SeedTrack {
  /** The pitch of every hit when there are no notes (Hz). */
  base_freq: number;
  /** The filter cutoff at a hit of velocity 0.5 (Hz). */
  filter_freq: number;
  /** The voice's amp at velocity 1. */
  base_amp: number;
  /** Hz added to the cutoff per unit of velocity above 0.5. */
  accent_boost: number;
  /** The gate length, in steps. */
  gate_frac: number;
  /** The notes, comma-separated (the seed's CSV). */
  notes?: string;
  /** The reverb send set with the track (0–1). */
  reverb_send?: number;
  /** The delay send set with the track (0–1). */
  delay_send?: number;
  /** Keys the seed's track had no field for (accepted and reported). */
  unknown: string[];
}

/** Reads the arguments after the pattern as the seed did: positions 4–6, or any `key=value` string. */
export function readSeedTrack(args: readonly OscArg[]): SeedTrack {
  const t: SeedTrack = { ...SEED_TRACK_DEFAULTS, unknown: [] };
  for (let i = 3; i < args.length; i++) {
    const a = args[i];
    const kv = typeof a === "string" ? KEY_VALUE.exec(a) : null;
    if (kv) {
      const key = kv[1], n = numberOf(kv[2]);
      if (key === "notes") t.notes = kv[2];
      else if (key in SEED_TRACK_DEFAULTS && n !== null) t[key as keyof typeof SEED_TRACK_DEFAULTS] = n;
      else if ((key === "reverb_send" || key === "delay_send") && n !== null) t[key] = n;
      else t.unknown.push(a as string);
    } else if (i === 3 && numberOf(a) !== null) t.base_freq = numberOf(a)!;
    else if (i === 4 && numberOf(a) !== null) t.filter_freq = numberOf(a)!;
    else if (i === 5) t.notes = String(a);
  }
  return t;
}

/**
 * The native track of a seed track playing `module` with `pattern`; clamps are reported for `address`. Notes
 * the seed could not parse are skipped, as it skipped them, and reported.
 */
export function seedTrackSpec(
  ctx: RouteContext,
  address: string,
  module: string,
  pattern: string,
  t: SeedTrack,
): TrackSpec {
  const steps = seedPattern(pattern);
  const def = moduleDef(ctx.engine.patch.module(module).type)!;
  const has = (p: string) => paramIndex(def, p) >= 0;
  const spec: TrackSpec = {
    modules: [module],
    pattern: steps,
    gate: clamp(ctx, `${address} gate_frac`, t.gate_frac, GATE_MIN, GATE_MAX),
  };
  if (has("freq")) { // a module without a pitch plays without notes
    const hz: number[] = [];
    for (const n of (t.notes ?? "").split(",").filter((n) => n.trim() !== "")) {
      const v = seedNote(n);
      if (v === null) ctx.report?.("ignored", `${address}: "${n.trim()}" is not a note the seed could read`);
      else hz.push(clamp(ctx, `${address} note`, v, ...FREQ));
    }
    if (hz.length === 0) hz.push(clamp(ctx, `${address} base_freq`, t.base_freq, ...FREQ));
    spec.notes = hz.map((f) => `${f}hz`); // "hz": a whole number would be read as a MIDI note
  }
  const level = has("gain") ? "gain" : has("level") ? "level" : undefined;
  // A value per step: a hit's own, and on the steps between hits the last hit's (nothing changes there).
  const lane = (at: (velocity: number, native: number) => number) => {
    const hits = [...steps].map((c) =>
      c === "X" || c === "x"
        ? at(SEED_VELOCITY[c], c === "X" ? L.SEQ_VELOCITY_ACCENT : L.SEQ_VELOCITY_HIT)
        : undefined
    );
    const lastHit = hits.findLast((v) => v !== undefined);
    if (lastHit === undefined) return undefined;
    let held = lastHit;
    return hits.map((v) => held = v ?? held);
  };
  const lanes: Record<string, number[]> = {};
  // Millionths: 0.6 − 0.5 is 0.09999999999999998 in binary, and a cutoff of 213.99999999999997 reads badly.
  const tidy = (v: number) => Math.round(v * 1e6) / 1e6;
  if (has("cutoff")) {
    const cutoff = lane((v) =>
      tidy(Math.min(Math.max(t.filter_freq + t.accent_boost * (v - 0.5), CUTOFF[0]), CUTOFF[1]))
    );
    if (cutoff) lanes.cutoff = cutoff;
  }
  if (level) {
    // Chronus scales a voice by the hit's velocity itself: the lane divides it out, so the level is the seed's.
    const amp = lane((v, native) => tidy(Math.min(Math.max(t.base_amp * v, AMP[0]), AMP[1]) / native));
    if (amp) lanes[level] = amp.map((a) => Math.min(a, 1));
  }
  if (Object.keys(lanes).length) spec.lanes = lanes;
  for (const k of t.unknown) {
    ctx.report?.("ignored", `${address}: ${k} (the seed's tracks had no such field)`);
  }
  return spec;
}
