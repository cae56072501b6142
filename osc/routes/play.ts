// Playing: a parameter, a gate or a note on a named module, and /sync, the way a client knows that what it
// sent has applied.
import * as L from "../../asm/layout.ts";
import { command } from "../../core/command.ts";
import { ClientError } from "../../core/errors.ts";
import { moduleDef, paramIndex } from "../../patch/schema.ts";
import { parseScale, pitchesOf } from "../../core/music.ts";
import type { Outbox } from "../outbox.ts";
import type { Delivery, OscEngine, OscReply } from "../types.ts";
import { answerLater, gate, num, opt, pitches, rest, type Route, route, str, value } from "./route.ts";
import { moduleStates } from "../state.ts";

const PLAY = { family: "play", dialect: "chronus" } as const;

const NO_REPLY = "none (send /sync to know it has applied)";

// A note or chord on a voice group: the instrument gives the ids (patch/instrument.ts), the DSP chooses the
// voices (asm/groups.ts); the starts and the releases go out as a /note's do, the releases stamped from the
// frame the notes really started at.
function groupNote(
  engine: OscEngine,
  out: Outbox,
  delivery: Delivery,
  group: string,
  hz: number[],
  velocity: number,
  seconds: number,
): OscReply[] {
  const frame = delivery.frame ?? engine.asap();
  const length = Math.round(seconds * engine.sampleRate);
  const live = !delivery.batch && length > 0;
  // Counted before anything changes: a full queue refuses the note and leaves the voices as they were.
  if (live) engine.reserve?.(hz.length, frame + length, hz.length);
  const plan = engine.instrument.noteOn(group, hz, velocity, frame, length);
  const reply = [{ address: "/note.reply", args: plan.ids }];
  if (!live) {
    out.deliver(plan.on, delivery, frame);
    if (plan.off.length) out.deliver(plan.off, delivery, frame + length);
    return reply;
  }
  out.stamped(frame + length);
  engine.sendBatch(plan.on, frame, {
    accepted: (started) => {
      engine.instrument.started(plan.ids, frame, started);
      try {
        for (const off of plan.off) {
          engine.send(off, started + length, undefined, engine.reserve !== undefined);
        }
      } catch (e) {
        console.error(`[chronus] /note ${group}: a gate-off was not sent: ${(e as Error).message}`);
      }
    },
  });
  return reply;
}

/** /mod, /gate, /note, /note/off, /scale, /sync, /get. */
export const PLAY_ROUTES: readonly Route[] = [
  route({
    ...PLAY,
    address: "/mod/<module>/<param>",
    tail: true,
    edit: "param",
    args: [
      value("value", { doc: "in the parameter's unit, or a name of an enumerated value (docs/modules.md)" }),
    ],
    summary:
      "sets a parameter at once; sub-paths name aliases (/mod/voice1/filter/freq is its cutoff); refused when out of the parameter's range",
    reply: NO_REPLY,
    text: {
      form: "set MODULE.PARAM VALUE",
      examples: ["set voice1.freq 220", "set voice1.filter.freq 900", "set voice2.wave square"],
    },
    handle: ({ engine, out }, [v], { path, delivery }) => {
      out.deliver([engine.patch.setNow(path.module, path.param, v)], delivery);
      return [];
    },
  }),
  route({
    ...PLAY,
    address: "/gate/<module>",
    args: [gate("gate"), opt(num("velocity", { min: 0, max: 1 }), 1)],
    summary: "opens or closes a module's gate (a voice, an envelope, a drum)",
    reply: NO_REPLY,
    text: { form: "gate MODULE on|off [VELOCITY]", examples: ["gate voice1 on", "gate acid1 on 1"] },
    handle: ({ engine, out }, [on, velocity], { path, delivery }) => {
      out.deliver([engine.patch.gate(path.module, on, velocity)], delivery);
      return [];
    },
  }),
  route({
    ...PLAY,
    address: "/note",
    args: [
      str("target", {
        shown: "group|module",
        doc: 'a voice group (patch file "groups"; the default patch: voices) or a module',
      }),
      pitches("pitch", { shown: "pitch|chord|degree" }),
      num("velocity", { min: 0, max: 1 }),
      opt(num("duration", { min: 0, max: 3600, unit: "s", doc: "0 or absent: the gate stays open" }), 0),
    ],
    summary:
      "a note or a chord: on a group, each pitch takes a voice (a free one, else the oldest released, else the oldest held; docs/instrument.md); on a module, pitch and gate at one frame. The gate closes `duration` seconds later, to the frame",
    reply: "on a group: /note.reply <id…> (one id per pitch, for /note/off); on a module: none",
    text: {
      form: "note GROUP|MODULE PITCH|CHORD VEL [SECONDS]",
      examples: ["note voices C3:maj7 0.8 2", "note voices C3,E3,G3 0.7", "note voice1 C3 0.8 0.25"],
      note: "PITCH: C#3, 60 = MIDI, 110hz; CHORD: C3:m9, G2:sus4/D; DEGREE: :5 (after scale)",
    },
    handle: ({ engine, out }, [target, p, velocity, seconds], { delivery }) => {
      const hz = pitchesOf(p.value, engine.instrument.scale, p.float);
      if (engine.instrument.group(target)) {
        return groupNote(engine, out, delivery, target, hz, velocity, seconds);
      }
      if (!engine.patch.modules.has(target)) {
        const groups = engine.instrument.groupNames;
        throw new ClientError(
          `no group or module "${target}" (groups: ${groups.join(", ") || "none"}; modules: ${
            [...engine.patch.modules.keys()].slice(0, 24).join(", ")
          })`,
        );
      }
      if (hz.length > 1) {
        throw new ClientError(`${target} is one module: a chord needs a voice group (as voices)`);
      }
      const module = target;
      const mod = engine.patch.module(module);
      const def = moduleDef(mod.type)!;
      if (paramIndex(def, "freq") < 0 || !def.gate) {
        throw new ClientError(`a ${mod.type} cannot play notes (it needs a freq parameter and a gate)`);
      }
      // An exact frame even "now": the next block the primary may render.
      const frame = delivery.frame ?? engine.asap();
      const on = [engine.patch.setNow(module, "freq", hz[0]), engine.patch.gate(module, true, velocity)];
      const length = Math.round(seconds * engine.sampleRate);
      const off = seconds > 0 ? engine.patch.gate(module, false) : undefined;
      if (delivery.batch || !off) {
        out.deliver(on, delivery, frame);
        if (off) out.deliver([off], delivery, frame + length);
        return [];
      }
      // The gate-off is stamped from the frame the note really started at (reported when it is accepted): a
      // pause of the main thread between asap() and the send makes the note start a block or two late (seen
      // under CI load), and must not shorten it.
      // The gate-off is a future event from the moment the note is accepted: counted now, with the note's
      // start, so that a far-future flood is refused here (engine/admission.ts), never by a worker.
      engine.reserve?.(1, frame + length, on.length);
      out.stamped(frame + length);
      engine.sendBatch(on, frame, {
        accepted: (started) => {
          try {
            engine.send(off, started + length, undefined, engine.reserve !== undefined);
          } catch (e) {
            console.error(`[chronus] /note ${module}: the gate-off was not sent: ${(e as Error).message}`);
          }
        },
      });
      return [];
    },
  }),
  route({
    ...PLAY,
    address: "/note/off",
    args: [
      value("id", { shown: "id|group", doc: "a note id from /note.reply, or a voice group" }),
      opt(pitches("pitch", { shown: "pitch|chord", doc: "with a group: the notes to release" })),
    ],
    summary:
      "releases a group note by its id, or a group's notes at a pitch or chord (their envelopes release)",
    reply: "/note/off.reply <id…> (the notes released; none when the note had already ended)",
    text: {
      form: "note off ID | note off GROUP PITCH|CHORD",
      examples: ["note off 12", "note off voices C3:maj7"],
    },
    handle: ({ engine, out }, [who, p], { delivery }) => {
      const frame = delivery.frame ?? engine.asap();
      if (p === undefined) {
        const id = typeof who === "number" ? who : Number(who);
        if (!Number.isInteger(id)) {
          throw new ClientError(
            `/note/off takes a note id (a whole number) or a group and a pitch, not "${who}"`,
          );
        }
        const off = engine.instrument.noteOff(id, frame);
        if (off.length) out.deliver(off, delivery, frame);
        return [{ address: "/note/off.reply", args: off.length ? [id] : [] }];
      }
      const hz = pitchesOf(p.value, engine.instrument.scale, p.float);
      if (!engine.instrument.group(String(who))) {
        throw new ClientError(
          `no group "${who}" (groups: ${engine.instrument.groupNames.join(", ") || "none"})`,
        );
      }
      const { ids, off } = engine.instrument.noteOffPitch(String(who), hz, frame);
      if (off.length) out.deliver(off, delivery, frame);
      return [{ address: "/note/off.reply", args: ids }];
    },
  }),
  route({
    ...PLAY,
    address: "/scale",
    edit: true,
    args: [
      opt(str("root", { doc: "a note name without octave: C, Eb, F#" })),
      rest(
        str("mode", { doc: 'major, minor, dorian, lydian, "major pentatonic" … (@tonaljs/tonal\'s names)' }),
      ),
    ],
    summary:
      "sets the session's scale, which degrees (:1 … :7, :b7, :^8) count in; saved with the patch. Alone: answers the current one",
    reply: "/scale.reply <root> <mode> <notes…> (none set: /scale.reply with no arguments)",
    text: { form: "scale [ROOT MODE]", examples: ["scale D dorian", "scale Eb major pentatonic", "scale"] },
    handle: ({ engine }, [root, mode]) => {
      if (root === undefined) {
        const s = engine.instrument.scale;
        if (!s) return [{ address: "/scale.reply", args: [] }];
        return [{ address: "/scale.reply", args: [s.root, s.mode, ...parseScale(s.root, s.mode).notes] }];
      }
      if (mode.length === 0) throw new ClientError(`scale ${root} needs a mode: scale ${root} minor`);
      const s = parseScale(root, mode.join(" "));
      engine.instrument.scale = { root: s.root, mode: s.mode };
      return [{ address: "/scale.reply", args: [s.root, s.mode, ...s.notes] }];
    },
  }),
  route({
    ...PLAY,
    address: "/sync",
    args: [opt(value("id"), 0)],
    summary:
      "waits until every command sent before it has applied (a no-op stamped at the latest frame used)",
    reply:
      '/synced <id> [<edit>…], once the primary has rendered that frame cleanly; each <edit> is one line of what the sender\'s edits since its previous /sync changed, with when ("voice1.cutoff 320 → 1000 Hz at bar 12.3", "… at frame 96000", "voice1.cutoff was already 1000 Hz")',
    text: { form: "sync", examples: ["sync"], note: "wait until everything sent before has applied" },
    handle: ({ engine, out, notes }, [id], { delivery, later, peer }) => {
      // Taken now, in order with the sender's messages: what it sent after this /sync is the next one's.
      const said = notes?.take(peer?.name) ?? [];
      const reply = () => later?.({ address: "/synced", args: [id, ...said] });
      const frame = Math.max(out.lastFrame, delivery.frame ?? 0);
      engine.send(command({ op: L.OP_NOP }), frame || undefined, { accepted: reply, rejected: reply });
      return [];
    },
  }),
  route({
    ...PLAY,
    address: "/get",
    args: [
      str("target", {
        shown: "module[.param]",
        doc: "a module, or one of its parameters (an alias names it too)",
      }),
    ],
    summary:
      "every parameter of a module (or one) as the DSP plays it, read back at a block boundary: value after smoothing, target, unit, and where it comes from (a track's notes or lanes, a cable)",
    reply:
      '/get.reply <JSON: {"block", "params": [{module, param, value, target, unit, default, changed, modulated?, name?, note?, from, text}]}>',
    text: {
      form: "get MODULE[.PARAM]",
      examples: ["get voice1", "get voice1.cutoff"],
      note: "--json: the JSON with full precision",
    },
    handle: ({ engine }, [target], { address, later }) => {
      if (!engine.readModules) throw new ClientError("reading values back needs a live engine");
      const dot = target.indexOf(".");
      const module = dot < 0 ? target : target.slice(0, dot), param = dot < 0 ? "" : target.slice(dot + 1);
      const mod = engine.patch.module(module); // ClientError for a name not in the patch: nothing is sent
      const def = moduleDef(mod.type)!;
      const index = param === "" ? -1 : paramIndex(def, param);
      if (param !== "" && index < 0) {
        throw new ClientError(
          `${module} (${mod.type}) has no parameter "${param}" (it has ${
            def.params.map((p) => p.name).join(", ")
          })`,
        );
      }
      answerLater(address, moduleStates(engine, [module]), later, ([m]) => {
        const params = index < 0 ? m.params : [m.params[index]];
        return { address: "/get.reply", args: [JSON.stringify({ block: m.block, params })] };
      });
      return [];
    },
  }),
];
