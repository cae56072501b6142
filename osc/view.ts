// One bounded snapshot of a running engine for people watching it (/view, `deno task chronus watch`): each
// module's output peak, the output's level and octave spectrum (osc/meters.ts), where the sequencer is and
// which step each track plays, the last events, and the engine's health. Plain JSON with short lists of
// tuples, so that 16 voices and many tracks stay a few KB (VIEW_MAX_BYTES, tests/watch_test.ts measures it).
import * as L from "../asm/layout.ts";
import type { OscEngine } from "./types.ts";
import { meters } from "./meters.ts";
import type { RecentEvents } from "./recent_events.ts";

/** Modules listed at most (the rest are counted in `more.modules`). */
export const VIEW_MAX_MODULES: number = 48;
/** Tracks listed at most (the rest are counted in `more.tracks`): all the DSP's sequencer holds. */
export const VIEW_MAX_TRACKS: number = L.SEQ_TRACKS;
/** Steps of a track's pattern sent at most: the page of this many that holds the current step. */
export const VIEW_PAGE_STEPS: number = 32;
/** Events listed at most, newest first. */
export const VIEW_EVENTS: number = 6;
/** The largest /view.reply's JSON in bytes with every list at its cap and names at their longest. */
export const VIEW_MAX_BYTES: number = 8192;

/** The engine's health, as /engine/status has it. */
export interface ViewHealth {
  /** The slot the output plays (−1: none). */
  active: number;
  /** Whether a standby runs in lockstep (a failover would be seamless). */
  redundant: boolean;
  /** Failovers so far. */
  failovers: number;
  /** Blocks the output had to play late. */
  lateBlocks: number;
  /** Blocks the sink missed. */
  underflows: number;
  /** Blocks whose hashes differed between primary and standby. */
  divergences: number;
  /** The control side's latency: the lead (blocks rendered ahead of the output) in ms; null when unknown. */
  latencyMs: number | null;
  /** The busiest DSP slot's render time per wall time, 0 … 1, since the previous status; null when unknown. */
  cpu: number | null;
}

/** A /view snapshot. */
export interface ViewSnapshot {
  /** Seconds since the engine started. */
  uptimeS: number;
  /** Sample rate in Hz. */
  sampleRate: number;
  /** Frames per block. */
  block: number;
  /** Health and counters. */
  health: ViewHealth;
  /** Where the sequencer is at the output (bar and beat from 1) and its tempo; null while stopped. */
  position: { bar: number; beat: number; bpm: number } | null;
  /** Each module: [name, type, output peak in dBFS since the previous snapshot (floored at −120)]. */
  modules: [string, string, number][];
  /** The output's [peakL, peakR] in dBFS over the most recent 2048 frames. */
  levels: [number, number];
  /** 8 octave bands from 62.5 Hz (the last up to Nyquist) in dB (osc/meters.ts). */
  spectrum: number[];
  /**
   * Each track: [name, the page of its steps (x hit, X accent, . rest, - tie) that holds the current one, the
   * current step's index in that page (−1 while stopped), the page's first step in the whole pattern].
   */
  tracks: [string, string, number, number][];
  /** The latest events, newest first: [seconds ago, type, message]. */
  events: [number, string, string][];
  /** How many modules and tracks were left out past the caps. */
  more: { modules: number; tracks: number };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const dbOf = (peak: number) => round1(Math.max(-120, 20 * Math.log10(peak || 1e-12)));
const STEP = /[xX.\-]/g;

/** The current snapshot of `engine` (with `recent` events, when the router keeps them). */
export function viewSnapshot(engine: OscEngine, recent?: RecentEvents, now = Date.now()): ViewSnapshot {
  const s = engine.status();
  const names = [...engine.patch.modules.keys()];
  const shown = names.slice(0, VIEW_MAX_MODULES);
  const peaks = engine.peakMeters?.(shown) ?? shown.map(() => 0);
  const m = engine.recentAudio ? meters(engine.recentAudio(2048), engine.sampleRate) : undefined;
  const pos = engine.sequencePosition();
  const seq = engine.sequencer.status();
  const entries = Object.entries(seq.tracks);
  const beats = seq.running && pos ? pos.beats : undefined;
  const cpus = Object.values(s.cpu);
  return {
    uptimeS: round1(s.uptimeS),
    sampleRate: s.sampleRate,
    block: s.block,
    health: {
      active: s.activeSlot,
      redundant: s.redundant,
      failovers: s.failovers,
      lateBlocks: s.lateBlocks,
      underflows: s.underflows,
      divergences: s.divergences,
      latencyMs: engine.lead === undefined ? null : round1((engine.lead * s.block * 1000) / s.sampleRate),
      cpu: cpus.length ? Math.round(Math.max(...cpus) * 1000) / 1000 : null,
    },
    position: pos && seq.running ? { bar: pos.bar, beat: pos.beat, bpm: round1(pos.bpm) } : null,
    modules: shown.map((n, i) => [n, engine.patch.modules.get(n)?.type ?? "?", dbOf(peaks[i])]),
    levels: m ? [m.levels[0], m.levels[1]] : [-120, -120],
    spectrum: m ? m.spectrum : [],
    tracks: entries.slice(0, VIEW_MAX_TRACKS).map(([name, t]) => {
      const steps = (t.pattern.match(STEP) ?? []).join("");
      // The DSP starts a pattern on a bar line (asm/sequencer.ts), so the step is the beat count's; a pattern
      // whose length does not divide a bar, defined mid-song, may show offset by the steps it started late.
      const at = beats === undefined
        ? -1
        : Math.floor(beats * (t.steps ?? 4) + 1e-6) % Math.max(1, steps.length);
      const first = at < 0 ? 0 : at - (at % VIEW_PAGE_STEPS);
      return [name, steps.slice(first, first + VIEW_PAGE_STEPS), at < 0 ? -1 : at - first, first];
    }),
    events: (recent?.latest(VIEW_EVENTS) ?? []).map((
      e,
    ) => [round1((now - e.timeMs) / 1000), e.type, e.message]),
    more: {
      modules: names.length - shown.length,
      tracks: Math.max(0, entries.length - VIEW_MAX_TRACKS),
    },
  };
}
