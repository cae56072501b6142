// The seed dialect's sequencer and patterns: /seq/add in its positional form with key=value words,
// /seq/swing as a fraction, /pattern/save|load by slot.
import type { Command } from "../../core/command.ts";
import { ClientError } from "../../core/errors.ts";
import { SWING_MIN } from "../../sequencer/pattern.ts";
import { rest, type Route, str, value } from "../routes/route.ts";
import { swingToPercent } from "./convert.ts";
import { clamp, delegate, numberOf, oneNumber, seedNumber } from "./dialect.ts";
import { isSeedSeqAdd, readSeedTrack, seedTrackSpec } from "./seed_seq.ts";
import { entry, FROM, range, sendCommands, served } from "./seed_entries.ts";

/** /seq/* in the seed's forms. */
export const SEQ_ROUTES: Route[] = [
  ...entry({
    addresses: ["/seq/add"],
    family: "seq",
    args: [
      str("track"),
      str("voice"),
      str("pattern", { doc: "X accent, x hit, anything else a rest" }),
      rest(value("extra"), {
        shown: "base_freq filter_freq notes-csv|key=value…",
        doc:
          "base_freq Hz, filter_freq Hz, notes (C4,E4,440.0,60), or base_amp=, gate_frac=, accent_boost=, reverb_send=, delay_send=, notes=",
      }),
    ],
    summary: "defines or replaces a track the seed's way (its pitch, level and filter at every hit)",
    reply: "/seq/add.reply <track> now",
    legacy: {
      origin: FROM.pyo,
      native: "/seq/add <track> <voice> <pattern> with notes, gate and cutoff and gain lanes (now)",
      conversion:
        "notes (else base_freq) → Hz notes; gate_frac → gate (steps); cutoff lane = filter_freq + accent_boost × (velocity − 0.5) with velocity 1 for X and 0.6 for x; gain lane = base_amp × velocity ÷ Chronus's own velocity; reverb_send, delay_send → the voice's sends; other keys reported",
      range: "base_freq 20 … 5000 Hz, cutoff 50 … 8000 Hz, gain 0 … 1, clamped",
      takes:
        "one module and a key=value the native form has no key for, or a voice<N> and exactly two numbers (and a string) after the pattern",
    },
    claims: (args) => isSeedSeqAdd(args),
    handle: (ctx, [track, voice, pattern], { address, args, delivery }) => {
      const t = readSeedTrack(args);
      const sends: Command[] = [];
      for (const [key, bus] of [["reverb_send", "reverb1"], ["delay_send", "delay1"]] as const) {
        const level = t[key];
        if (level !== undefined) {
          sends.push(...sendCommands(ctx, voice, bus, clamp(ctx, `${address} ${key}`, level, 0, 1)));
        }
      }
      const spec = seedTrackSpec(ctx, address, voice, pattern, t);
      ctx.out.deliver([...sends, ...ctx.engine.sequencer.add(track, spec, "now")], delivery);
      return [{ address: "/seq/add.reply", args: [track, "now"] }];
    },
  }),
  ...served({
    addresses: ["/seq/add"],
    family: "seq",
    args: [str("track"), str("voice"), str("pattern")],
    origin: FROM.pyo,
    by: "/seq/add",
    native: "/seq/add <track> <voice> <pattern> (the module's own pitch, level and filter)",
    range: "three arguments",
    summary: "a track with nothing after the pattern",
  }),
  ...entry({
    addresses: ["/seq/swing"],
    family: "seq",
    args: [seedNumber("swing", { min: 0, max: 0.6 })],
    summary: "the swing as the seed's fraction",
    reply: "/seq/swing.reply <percent>",
    legacy: {
      origin: FROM.pyo,
      native: "/seq/swing <percent>",
      conversion: "percent = 50 + 25 × swing (the off-beat sixteenth moves swing/2 of a step later)",
      range: range(0, 0.6),
      takes: `a value below ${SWING_MIN} (from ${SWING_MIN} on it is the native percent)`,
    },
    claims: (args) => oneNumber(args) && numberOf(args[0])! < SWING_MIN,
    handle: (ctx, [s], { address, delivery }) => {
      const percent = swingToPercent(clamp(ctx, address, s, 0, 0.6));
      ctx.out.deliver(ctx.engine.sequencer.swing(percent), delivery);
      return [{ address: "/seq/swing.reply", args: [percent] }];
    },
  }),
  ...served({
    addresses: ["/seq/bpm"],
    family: "seq",
    args: [seedNumber("bpm", { min: 30, max: 300 })],
    origin: FROM.pyo,
    by: "/seq/bpm",
    native: "/seq/bpm (from the next bar)",
    range: "30 … 300 (native: 20 … 300, refused outside)",
    summary: "the tempo",
  }),
  ...[
    "/seq/remove",
    "/seq/clear",
    "/seq/start",
    "/seq/stop",
    "/seq/update/pattern",
    "/seq/update/notes",
    "/seq/status",
  ]
    .flatMap((address) =>
      served({
        addresses: [address],
        family: "seq",
        args: address === "/seq/remove"
          ? [str("track")]
          : address.startsWith("/seq/update/")
          ? [str("track"), str(address.endsWith("notes") ? "notes-csv" : "pattern")]
          : [],
        origin: FROM.pyo,
        by: address,
        native: address,
        range: address.startsWith("/seq/update/") ? "from the next bar (the seed: the next step)" : "as is",
        summary: `the sequencer: ${address.slice(5)}`,
      })
    ),
];

/** /pattern/* by slot. */
export const PATTERN_ROUTES: Route[] = [
  ...served({
    addresses: ["/pattern/save"],
    family: "pattern",
    args: [seedNumber("slot", { min: 1, max: 128 })],
    origin: FROM.pyo,
    by: "/pattern/save",
    native: "/pattern/save <slot> (slot-N.json)",
    range: "a slot number",
    summary: "saves the sequence to a slot",
  }),
  ...entry({
    addresses: ["/pattern/load"],
    family: "pattern",
    args: [value("slot"), value("immediate", { shown: "1|true|immediate|now|…" })],
    summary: "loads a slot, at once for 1, true, immediate or now, else at the next bar",
    reply: "/pattern/load.reply <file> bar|now",
    legacy: {
      origin: FROM.pyo,
      native: "/pattern/load <slot> [now]",
      conversion: "1, true, immediate, now (or T) → now; anything else → the next bar",
      range: "a slot number",
      takes: "two arguments (one, or a slot and now|bar: the native form)",
    },
    claims: (args) => args.length === 2 && !(typeof args[1] === "string" && /^(now|bar)$/i.test(args[1])),
    handle: (ctx, [slot, flag], call) => {
      const n = numberOf(slot);
      if (n === null) {
        throw new ClientError(`argument 1 (slot) must be a slot number, got ${JSON.stringify(slot)}`);
      }
      const now = /^(1|true|immediate|now)$/i.test(String(flag).trim()); // T reads as 1
      return delegate(ctx, "/pattern/load", [Math.trunc(n)], { ...call, when: now ? "now" : "bar" });
    },
  }),
  ...served({
    addresses: ["/pattern/list"],
    family: "pattern",
    args: [],
    origin: FROM.pyo,
    by: "/pattern/list",
    native: "/pattern/list",
    range: "no arguments",
    summary: "the saved patterns",
  }),
];
