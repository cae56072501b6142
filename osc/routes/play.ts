// Playing: a parameter, a gate or a note on a named module, and /sync, the way a client knows that what it
// sent has applied.
import * as L from "../../asm/layout.ts";
import { command } from "../../core/command.ts";
import { ClientError } from "../../core/errors.ts";
import { moduleDef, paramIndex } from "../../patch/schema.ts";
import { gate, num, opt, pitch, type Route, route, str, value } from "./route.ts";

const PLAY = { family: "play", dialect: "chronus" } as const;

const NO_REPLY = "none (send /sync to know it has applied)";

/** /mod, /gate, /note, /sync. */
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
      str("module"),
      pitch("pitch", { shown: "midi|hz|name" }),
      num("velocity", { min: 0, max: 1 }),
      opt(num("duration", { min: 0, max: 3600, unit: "s", doc: "0 or absent: the gate stays open" }), 0),
    ],
    summary: "a note: pitch and gate on at one frame, gate off `duration` seconds later, to the frame",
    reply: NO_REPLY,
    text: {
      form: "note MODULE PITCH VEL [SECONDS]",
      examples: ["note voice1 C3 0.8 0.25"],
      note: "PITCH: C#3, 60 = MIDI, 110hz",
    },
    handle: ({ engine, out }, [module, hz, velocity, seconds], { delivery }) => {
      const mod = engine.patch.module(module);
      const def = moduleDef(mod.type)!;
      if (paramIndex(def, "freq") < 0 || !def.gate) {
        throw new ClientError(`a ${mod.type} cannot play notes (it needs a freq parameter and a gate)`);
      }
      // An exact frame even "now": the next block the primary may render.
      const frame = delivery.frame ?? engine.asap();
      const on = [engine.patch.setNow(module, "freq", hz), engine.patch.gate(module, true, velocity)];
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
    address: "/sync",
    args: [opt(value("id"), 0)],
    summary:
      "waits until every command sent before it has applied (a no-op stamped at the latest frame used)",
    reply: "/synced <id>, once the primary has rendered that frame cleanly",
    text: { form: "sync", examples: ["sync"], note: "wait until everything sent before has applied" },
    handle: ({ engine, out }, [id], { delivery, later }) => {
      const reply = () => later?.({ address: "/synced", args: [id] });
      const frame = Math.max(out.lastFrame, delivery.frame ?? 0);
      engine.send(command({ op: L.OP_NOP }), frame || undefined, { accepted: reply, rejected: reply });
      return [];
    },
  }),
];
