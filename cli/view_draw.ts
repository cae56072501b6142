// The picture `deno task chronus watch` draws: a pure function of one /view snapshot (osc/view.ts) and the
// terminal's size, so that it is tested without a terminal. Panels top to bottom: health, transport, module
// meters, spectrum, tracks, events. No line is longer than the width; when the height runs out the module list
// is cut first (the rest counted), then the panels below it.
import type { ViewSnapshot } from "../osc/view.ts";

/** The meters' range: METER_FLOOR_DB draws an empty bar, 0 dBFS a full one. */
export const METER_FLOOR_DB: number = -60;

const BAR_FULL = "█", BAR_EMPTY = "·";
const SPARK = " ▁▂▃▄▅▆▇█";
const BANDS = ["63", "125", "250", "500", "1k", "2k", "4k", "8k+"];

/** The cells of a bar `width` long filled in proportion to `db` between METER_FLOOR_DB and 0. */
export function meterCells(db: number, width: number): number {
  const f = (Math.min(0, Math.max(METER_FLOOR_DB, db)) - METER_FLOOR_DB) / -METER_FLOOR_DB;
  return Math.round(f * Math.max(0, width));
}

function bar(db: number, width: number): string {
  const n = meterCells(db, width);
  return BAR_FULL.repeat(n) + BAR_EMPTY.repeat(Math.max(0, width - n));
}

const fmtDb = (db: number) => (db <= -120 ? " -inf" : db.toFixed(1).padStart(5));

/** A track's pattern with its current step marked: `x.x.[X].x-` (no marker while stopped). */
export function markStep(steps: string, step: number): string {
  if (step < 0 || step >= steps.length) return steps;
  return `${steps.slice(0, step)}[${steps[step]}]${steps.slice(step + 1)}`;
}

/** The health line: slots, failovers, late blocks, latency, CPU. */
export function healthLine(s: ViewSnapshot): string {
  const h = s.health;
  const slots = h.active < 0
    ? "no slot"
    : `slot ${h.active}${h.redundant ? " + standby" : " ALONE (no standby)"}`;
  const latency = h.latencyMs === null ? "" : ` · latency ${h.latencyMs.toFixed(1)} ms`;
  const cpu = h.cpu === null ? "" : ` · cpu ${(h.cpu * 100).toFixed(0)}%`;
  return `chronus · up ${
    s.uptimeS.toFixed(1)
  } s · ${s.sampleRate} Hz/${s.block} · ${slots} · failovers ${h.failovers}` +
    ` · late ${h.lateBlocks} · underflows ${h.underflows}${latency}${cpu}`;
}

function transportLine(s: ViewSnapshot): string {
  const p = s.position;
  return p ? `bar ${p.bar}.${p.beat} · ${p.bpm} BPM` : "sequencer stopped";
}

/** The one-line summary printed every second when stdout is not a terminal. */
export function summaryLine(s: ViewSnapshot): string {
  const loudest = s.modules.reduce<[string, string, number] | undefined>(
    (m, x) => (m === undefined || x[2] > m[2] ? x : m),
    undefined,
  );
  const h = s.health;
  const parts = [
    `up ${s.uptimeS.toFixed(1)}s`,
    transportLine(s),
    `slot ${h.active}${h.redundant ? "+standby" : " alone"}`,
    `failovers ${h.failovers}`,
    `late ${h.lateBlocks}`,
    `out ${fmtDb(s.levels[0]).trim()}/${fmtDb(s.levels[1]).trim()} dB`,
    loudest ? `loudest ${loudest[0]} ${fmtDb(loudest[2]).trim()} dB` : "no modules",
  ];
  if (s.events.length) parts.push(`last event ${s.events[0][1]}: ${s.events[0][2]}`);
  return parts.join(" · ");
}

function clip(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : chars.slice(0, Math.max(0, width - 1)).join("") + "…";
}

/** The whole view as lines, none longer than `width` characters, at most `height` of them. */
export function drawView(s: ViewSnapshot, width: number, height: number): string[] {
  width = Math.max(20, Math.floor(width));
  height = Math.max(4, Math.floor(height));
  const head = [healthLine(s), transportLine(s), ""];
  const nameW = Math.min(16, Math.max(4, ...s.modules.map(([n]) => n.length)));
  const typeW = Math.min(10, Math.max(4, ...s.modules.map(([, t]) => t.length)));
  const barW = Math.max(4, width - nameW - typeW - 10);
  const meters = s.modules.map(([n, t, db]) =>
    `${n.padEnd(nameW).slice(0, nameW)} ${t.padEnd(typeW).slice(0, typeW)} ${bar(db, barW)} ${fmtDb(db)}`
  );
  const out = [`out L ${bar(s.levels[0], barW + nameW + typeW - 5)} ${fmtDb(s.levels[0])}`];
  out.push(`out R ${bar(s.levels[1], barW + nameW + typeW - 5)} ${fmtDb(s.levels[1])}`);
  const spectrum = s.spectrum.length
    ? [
      "spectrum " +
      s.spectrum.map((db) => SPARK[Math.round(meterCells(db, SPARK.length - 1))].repeat(4)).join(" "),
      "         " + BANDS.map((b) => b.padEnd(4)).join(" "),
    ]
    : [];
  const tracks = s.tracks.map(([name, steps, step, first]) =>
    `${name.padEnd(nameW).slice(0, nameW)} ${first > 0 ? `(${first + 1}…) ` : ""}${markStep(steps, step)}`
  );
  if (s.more.tracks) tracks.push(`… ${s.more.tracks} more tracks`);
  const events = s.events.length
    ? s.events.map(([ago, type, message]) => `${ago.toFixed(1).padStart(5)} s ago  ${type}: ${message}`)
    : ["no events"];
  const below = [...out, ...spectrum, "", ...(tracks.length ? [...tracks, ""] : []), ...events];
  // The module list gets what the other panels leave, at least one line; the rest is counted.
  const room = Math.max(1, height - head.length - below.length - 1);
  const more = s.more.modules + Math.max(0, meters.length - room);
  const shown = meters.length > room ? meters.slice(0, Math.max(0, room - 1)) : meters;
  if (more > 0) shown.push(`… ${more} more modules`);
  return [...head, ...shown, "", ...below].slice(0, height).map((l) => clip(l, width));
}
