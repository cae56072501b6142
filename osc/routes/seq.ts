// The sequencer: tracks (a module or a voice group, a step pattern, notes, lanes), tempo, swing and the
// transport. Each change is one batch (a track's whole definition), effective at the next bar unless "now".
import type { TrackSpec } from "../../core/files.ts";
import { hitLane } from "../../sequencer/hit_lane.ts";
import { ClientError } from "../../core/errors.ts";
import { BPM_MAX, BPM_MIN, SWING_MAX, SWING_MIN } from "../../sequencer/pattern.ts";
import type { OscReply } from "../types.ts";
import { num, opt, rest, type Route, route, type Shape, str, value } from "./route.ts";

const SEQ = { family: "seq", dialect: "chronus" } as const;

const ok = (
  address: string,
  ...args: (string | number)[]
): OscReply[] => [{ address: `${address}.reply`, args }];

const track = (): Shape<string> => str("track", { doc: "a name: a letter, then letters, digits, _ or -" });
const pattern = (): Shape<string> =>
  str("pattern", {
    doc:
      "x hit, X accent, 1-9 velocity, 0 or . rest, - tie, x3 ratchet, x? x?30 chance, (…)*N repeat, e(k,n[,r]) euclid, <a b> alternation (docs/sequencer.md)",
  });

/** /seq/*. */
export const SEQ_ROUTES: readonly Route[] = [
  route({
    ...SEQ,
    address: "/seq/add",
    edit: true,
    now: "applies",
    args: [
      track(),
      str("modules", { shown: "module[,module…]", doc: "one module, or a voice group played round robin" }),
      pattern(),
      rest(value("notes"), {
        shown: "note|gate=G|steps=N|bars=N|prob=P|PARAM=V,V…",
        doc:
          "pitches, one per hit, cycling; gate=G: gate length in steps; steps=N: steps per beat; bars=N: the pattern lasts N bars; prob=P: each hit plays with chance P (0 … 1); PARAM=V,V…: that parameter per hit, cycling (slice=0,3,5,7: the hits play a sampler's slices 0, 3, 5, 7) (a voice with exactly two numbers, and maybe a word, after its pattern is the seed dialect's form: base_freq, filter_freq, notes)",
      }),
    ],
    summary: "defines or replaces a track",
    reply: "/seq/add.reply <track> bar|now",
    text: {
      form:
        "seq add TRACK MODULE[,MODULE…] PATTERN [NOTES…] [gate=G] [steps=N|bars=N] [prob=P] [PARAM=V,V…] [now]",
      examples: [
        "seq add drums kick1 x...x...x...x...",
        "seq add bass acid1 x.xX x.x- C2 C2 G1",
        "seq add hats hat1 e(5,16,2) prob=0.8",
        "seq add pad pad1 x-*63 bars=4",
        "seq add brk smp x.x.x.x. slice=0,3,5,7",
      ],
      note: "a pattern may be typed in groups",
    },
    handle: ({ engine, out }, [name, modules, steps, words], { address, when, delivery }) => {
      const spec: TrackSpec = { modules: modules.split(",").filter((m) => m !== ""), pattern: steps };
      const notes: (string | number)[] = [];
      for (const w of words) {
        const kv = typeof w === "string" ? /^(gate|steps|bars|prob)=(.+)$/i.exec(w) : null;
        // PARAM=a,b,c: a value per hit, cycling (`slice=0,3,5,7`: the hits play slices 0, 3, 5, 7), made into
        // the per-step lane `seq lane` sets (sequencer/hit_lane.ts).
        const lane = typeof w === "string" && !kv ? /^([a-z][a-z0-9_.]*)=(.+)$/i.exec(w) : null;
        if (kv) spec[kv[1].toLowerCase() as "gate" | "steps" | "bars" | "prob"] = Number(kv[2]);
        else if (lane) {
          const values = lane[2].split(",").map((v) =>
            v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v
          );
          spec.lanes = { ...spec.lanes, [lane[1]]: hitLane(steps, values) };
        } else notes.push(w);
      }
      if (notes.length) spec.notes = notes;
      out.deliver(engine.sequencer.add(name, spec, when), delivery);
      return ok(address, name, when);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/remove",
    edit: true,
    now: "applies",
    args: [track()],
    summary: "removes a track",
    reply: "/seq/remove.reply <track> bar|now",
    text: { form: "seq remove TRACK [now]", examples: ["seq remove drums"] },
    handle: ({ engine, out }, [name], { address, when, delivery }) => {
      out.deliver(engine.sequencer.remove(name, when), delivery);
      return ok(address, name, when);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/clear",
    edit: true,
    now: "applies",
    args: [],
    summary: "removes every track",
    reply: "/seq/clear.reply",
    text: { form: "seq clear [now]", examples: ["seq clear now"] },
    handle: ({ engine, out }, _, { address, when, delivery }) => {
      out.deliver(engine.sequencer.clear(when), delivery);
      return ok(address);
    },
  }),
  ...(["start", "stop", "reset"] as const).map((verb) =>
    route({
      ...SEQ,
      address: `/seq/${verb}`,
      now: "ignored",
      args: [],
      summary: {
        start: "starts the transport from the first step",
        stop: "stops the transport and closes every gate",
        reset: "moves the transport back to the first step",
      }[verb],
      reply: `/seq/${verb}.reply`,
      text: { form: `seq ${verb}`, examples: [`seq ${verb}`] },
      handle: ({ engine, out }, _, { address, delivery }) => {
        const seq = engine.sequencer;
        out.deliver(verb === "start" ? seq.start() : verb === "stop" ? seq.stop() : seq.reset(), delivery);
        return ok(address);
      },
    })
  ),
  route({
    ...SEQ,
    address: "/seq/bpm",
    edit: true,
    now: "applies",
    args: [num("tempo", { min: BPM_MIN, max: BPM_MAX, doc: "beats per minute" })],
    summary: "sets the tempo",
    reply: "/seq/bpm.reply <bpm>",
    text: { form: "seq bpm BPM [now]", examples: ["seq bpm 175"] },
    handle: ({ engine, out }, [bpm], { address, when, delivery }) => {
      out.deliver(engine.sequencer.bpm(bpm, when), delivery);
      return ok(address, bpm);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/swing",
    edit: true,
    now: "ignored",
    args: [
      num("swing", {
        min: SWING_MIN,
        max: SWING_MAX,
        doc: "percent: 50 straight … 75 (below 50: the seed dialect's fraction 0–0.6)",
      }),
    ],
    summary: "moves every off-beat step later (applies at once)",
    reply: "/seq/swing.reply <percent>",
    text: { form: "seq swing PERCENT", examples: ["seq swing 58"], note: "50 straight … 75" },
    handle: ({ engine, out }, [percent], { address, delivery }) => {
      out.deliver(engine.sequencer.swing(percent), delivery);
      return ok(address, percent);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/update/pattern",
    edit: true,
    now: "applies",
    args: [track(), pattern()],
    summary: "changes a track's pattern",
    reply: "/seq/update/pattern.reply <track> bar|now",
    text: { form: "seq pattern TRACK PATTERN [now]", examples: ["seq pattern drums x.x.x.x."] },
    handle: ({ engine, out }, [name, steps], { address, when, delivery }) => {
      out.deliver(engine.sequencer.update(name, { pattern: steps }, when), delivery);
      return ok(address, name, when);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/update/notes",
    edit: true,
    now: "applies",
    args: [track(), rest(value("notes", { doc: "pitches, one per hit, cycling" }))],
    summary: "changes a track's notes",
    reply: "/seq/update/notes.reply <track> bar|now",
    text: { form: "seq notes TRACK NOTES…", examples: ["seq notes bass C2 Eb2 G1"] },
    handle: ({ engine, out }, [name, notes], { address, when, delivery }) => {
      out.deliver(engine.sequencer.update(name, { notes }, when), delivery);
      return ok(address, name, when);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/set",
    edit: true,
    now: "applies",
    args: [track(), str("field", { shown: "gate|steps|bars|prob|modules" }), value("value")],
    summary: "changes a track's gate length (steps), steps per beat, bars, chance (prob) or modules",
    reply: "/seq/set.reply <track> bar|now",
    text: {
      form: "seq set TRACK gate|steps|bars|prob|modules VALUE [now]",
      examples: ["seq set bass gate 0.8", "seq set hats prob 0.6"],
    },
    handle: ({ engine, out }, [name, field], { address, args, when, delivery }) => {
      const seq = engine.sequencer, key = field.toLowerCase();
      if (key === "steps" || key === "bars") {
        // steps and bars each set the steps per beat: the one given replaces the other.
        const change = { steps: undefined, bars: undefined, [key]: num(key).read(args, 2) };
        out.deliver(seq.update(name, change, when), delivery);
      } else if (key === "gate" || key === "prob") {
        out.deliver(seq.update(name, { [key]: num(key).read(args, 2) }, when), delivery);
      } else if (key === "modules" || key === "module") {
        out.deliver(seq.update(name, { modules: str("modules").read(args, 2).split(",") }, when), delivery);
      } else throw new ClientError(`/seq/set changes gate, steps, bars, prob or modules, not "${key}"`);
      return ok(address, name, when);
    },
  }),
  route({
    ...SEQ,
    address: "/seq/lane",
    edit: true,
    now: "applies",
    args: [
      track(),
      str("param"),
      rest(value("values", { doc: "a value per step, cycling; none removes the lane" })),
    ],
    summary: "sets a parameter lane (a value per step), or removes it when no values are given",
    reply: "/seq/lane.reply <track> <param> bar|now",
    text: { form: "seq lane TRACK PARAM [VALUES…]", examples: ["seq lane bass cutoff 400 800 1200"] },
    handle: ({ engine, out }, [name, param, values], { address, when, delivery }) => {
      const seq = engine.sequencer;
      const lanes = { ...seq.toFile().tracks[name]?.lanes };
      if (values.length === 0) delete lanes[param];
      else lanes[param] = values;
      out.deliver(seq.update(name, { lanes }, when), delivery);
      return ok(address, name, param, when);
    },
  }),
  ...(["mute", "solo", "unmute"] as const).map((verb) =>
    route({
      ...SEQ,
      edit: true,
      address: `/seq/${verb}`,
      now: "ignored",
      args: verb === "unmute" ? [opt(track())] : [track()],
      summary: {
        mute: "silences a track's hits from its next step (it keeps its place)",
        solo: "from each track's next step only soloed tracks sound",
        unmute: "ends a track's mute and solo from its next step; with no track, every mute and solo",
      }[verb],
      reply: `/seq/${verb}.reply${verb === "unmute" ? " [track]" : " <track>"}`,
      text: {
        form: `seq ${verb} ${verb === "unmute" ? "[TRACK]" : "TRACK"}`,
        examples: [`seq ${verb}${verb === "unmute" ? "" : " drums"}`],
      },
      handle: ({ engine, out }, [name], { address, delivery }) => {
        const seq = engine.sequencer;
        const commands = verb === "solo"
          ? seq.solo(name!)
          : verb === "mute"
          ? seq.mute(name!)
          : name === undefined
          ? seq.mute(undefined)
          : [...seq.mute(name, false), ...seq.solo(name, false)].slice(-seq.trackCount);
        out.deliver(commands, delivery);
        return name === undefined ? ok(address) : ok(address, name);
      },
    })
  ),
  route({
    ...SEQ,
    address: "/seq/status",
    now: "ignored",
    args: [],
    summary: "the sequence and where the transport is at the output",
    reply: "/seq/status.reply <JSON: running, bpm, swing, tracks, position (bar, beat)>",
    text: { form: "seq status", examples: ["seq status"] },
    handle: ({ engine }, _, { address }) =>
      ok(address, JSON.stringify({ ...engine.sequencer.status(), position: engine.sequencePosition() })),
  }),
];
