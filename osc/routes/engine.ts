// The engine itself: status, the output stopped and started, the patch as a file, the schema (module types,
// this address table and the dialects), the subscription to events and meters (/notify), and the engine
// tone's old addresses, which now set voice1.
import { ClientError } from "../../core/errors.ts";
import { moduleDef, schemaJson } from "../../patch/schema.ts";
import type { Patch } from "../../patch/graph.ts";
import type { Delivery, OscReply } from "../types.ts";
import { dialectsJson } from "../dialects/dialect.ts";
import { listedState, STATE_REPLY_BYTES } from "../state.ts";
import { playedFile } from "../../engine/state.ts";
import {
  answerLater,
  choice,
  num,
  onOff,
  opt,
  type Route,
  route,
  type RouteContext,
  routeJson,
  type Shape,
  value,
} from "./route.ts";

const ENGINE = { family: "engine", dialect: "chronus" } as const;

/** The module the engine tone's addresses set, as the seed system's last engine did ("all map to voice1"). */
export const TONE_MODULE = "voice1";

const VOICE = moduleDef("voice")!;

/** The engine tone's waves in its numbering (0 sine, 1 saw, 2 noise), and the voice's wave each one is. */
const TONE_WAVES: Record<string, string> = { sine: "sine", saw: "saw", noise: "white" };

// A parameter of the voice: its range and unit from patch/schema.ts, checked by the patch like /mod's.
function voiceParam(name: string): Shape<number | string> {
  const p = VOICE.params.find((q) => q.name === name)!;
  const unit = p.unit === "linear" ? undefined : p.unit; // a plain factor needs no unit in usage text
  return { ...value(name), type: "number", min: p.min, max: p.max, unit, doc: p.doc };
}

function checkTone(patch: Patch): void {
  const m = patch.modules.get(TONE_MODULE);
  if (!m) {
    throw new ClientError(
      `the engine tone is ${TONE_MODULE} now, and the patch has no ${TONE_MODULE} (create ${TONE_MODULE} voice)`,
    );
  }
  if (m.type !== "voice") {
    throw new ClientError(
      `the engine tone is ${TONE_MODULE} now, and ${TONE_MODULE} is a ${m.type}, not a voice`,
    );
  }
}

function setTone(
  { engine, out }: RouteContext,
  param: string,
  v: number | string,
  delivery: Delivery,
): OscReply[] {
  checkTone(engine.patch);
  out.deliver([engine.patch.setNow(TONE_MODULE, param, v)], delivery);
  return [];
}

const TONE_REPLY = "none (send /sync to know it has applied)";

/** /engine/*, /notify. */
export const ENGINE_ROUTES: readonly Route[] = [
  route({
    ...ENGINE,
    address: "/engine/status",
    args: [],
    summary:
      "uptime, sample rate, block, active slot, redundancy, failovers, late blocks, CPU, real-time threads",
    reply: "/engine/status.reply <JSON>",
    text: {
      form: "status",
      examples: ["status"],
      note: "deno task chronus --json status: the JSON as it came",
    },
    handle: ({ engine }) => [{ address: "/engine/status.reply", args: [JSON.stringify(engine.status())] }],
  }),
  route({
    ...ENGINE,
    address: "/engine/list",
    args: [],
    summary: "the committed patch, as a patch file",
    reply: "/engine/list.reply <JSON patch file>",
    handle: (
      { engine },
    ) => [{ address: "/engine/list.reply", args: [JSON.stringify(engine.patch.toFile())] }],
  }),
  route({
    ...ENGINE,
    address: "/engine/list/playing",
    args: [],
    summary:
      "the committed patch as a patch file with its parameters as the DSP plays them (read back at a block boundary: what notes and lanes set), the values /patch/save writes",
    reply: "/engine/list/playing.reply <JSON patch file>",
    handle: ({ engine }, _, { address, later }) => {
      if (!engine.readModules) throw new ClientError("reading values back needs a live engine");
      // A patch file (what /patch/load and the MCP preview take), not /engine/state's shape.
      const file = engine.patch.toFile();
      const read = engine.readModules(Object.keys(file.modules)).then((values) => playedFile(file, values));
      answerLater(address, read, later, (played) => ({
        address: "/engine/list/playing.reply",
        args: [JSON.stringify(played)],
      }));
      return [];
    },
  }),
  route({
    ...ENGINE,
    address: "/engine/state",
    args: [],
    summary:
      "every module with its type and every parameter's value as the DSP plays it (read back at a block boundary: after smoothing, lanes and sequencer notes), the ones changed from their defaults marked, and the cables",
    reply:
      '/engine/state.reply <JSON: {"block", "modules": {NAME: {type, params: {PARAM: value}, targets: {PARAM: target}, changed: [PARAM], text}}, "connections"}>',
    text: {
      form: "list",
      examples: ["list"],
      note: "* marks a value changed from its default; --json: the JSON with full precision",
    },
    handle: ({ engine }, _, { address, later }) => {
      if (!engine.readModules) throw new ClientError("reading values back needs a live engine");
      answerLater(address, listedState(engine), later, (state) => {
        const json = JSON.stringify(state);
        if (json.length > STATE_REPLY_BYTES) {
          throw new ClientError(
            `the state of ${
              Object.keys(state.modules).length
            } modules is ${json.length} bytes, more than one reply holds (${STATE_REPLY_BYTES}): get MODULE reads one module, /engine/list the patch`,
          );
        }
        return { address: "/engine/state.reply", args: [json] };
      });
      return [];
    },
  }),
  route({
    ...ENGINE,
    address: "/engine/schema",
    args: [],
    summary:
      "every module type (ports, parameters with ranges and units) and every native address of this table; the dialects are /engine/schema/dialects (together they outgrew one UDP datagram)",
    reply: "/engine/schema.reply <JSON: modules, addresses>",
    text: { form: "schema", examples: ["schema"] },
    handle: ({ routes }) => [{
      address: "/engine/schema.reply",
      args: [JSON.stringify({ ...(schemaJson() as object), addresses: nativeAddresses(routes) })],
    }],
  }),
  route({
    ...ENGINE,
    address: "/engine/schema/dialects",
    args: [],
    summary:
      "the old systems' dialects: each old address, its shape, the native command it becomes, the conversion and the old range",
    reply: "/engine/schema/dialects.reply <JSON: dialects>",
    handle: ({ routes }) => [{
      address: "/engine/schema/dialects.reply",
      args: [JSON.stringify({ dialects: dialectsJson(routes) })],
    }],
  }),
  ...(["start", "stop"] as const).map((verb) =>
    route({
      ...ENGINE,
      address: `/engine/${verb}`,
      args: [],
      summary: verb === "stop"
        ? "silences the output with a short fade and stops the sequencer and any recording; the engine, its workers and its state stay"
        : "resumes the output after /engine/stop",
      reply: `/engine/${verb}.reply`,
      handle: ({ engine }, _, { address, later }) => {
        const act = verb === "stop" ? engine.pauseOutput : engine.resumeOutput;
        if (!act) {
          throw new ClientError(`this engine has no output to ${verb === "stop" ? "pause" : "resume"}`);
        }
        const done = act.call(engine);
        if (!(done instanceof Promise)) return [{ address: `${address}.reply`, args: [] }];
        done.then(
          () => later?.({ address: `${address}.reply`, args: [] }),
          (e) => later?.({ address: "/error", args: [address, (e as Error).message] }),
        );
        return [];
      },
    })
  ),
  route({
    ...ENGINE,
    address: "/engine/freq",
    edit: true,
    args: [voiceParam("freq")],
    summary: `the engine tone's pitch: sets ${TONE_MODULE}'s freq`,
    reply: TONE_REPLY,
    text: {
      form: "freq HZ",
      examples: ["freq 440", "set freq 440", "set voice.freq 440"],
      note: `the engine tone: ${TONE_MODULE}'s freq`,
    },
    handle: (ctx, [v], { delivery }) => setTone(ctx, "freq", v, delivery),
  }),
  route({
    ...ENGINE,
    address: "/engine/gain",
    edit: true,
    args: [voiceParam("gain")],
    summary: `the engine tone's level: sets ${TONE_MODULE}'s gain`,
    reply: TONE_REPLY,
    text: { form: "gain G", examples: ["gain 0.3", "set voice.gain 0.3"], note: `${TONE_MODULE}'s gain` },
    handle: (ctx, [v], { delivery }) => setTone(ctx, "gain", v, delivery),
  }),
  route({
    ...ENGINE,
    address: "/engine/amp",
    edit: true,
    args: [voiceParam("gain")],
    summary: `the same as /engine/gain: sets ${TONE_MODULE}'s gain`,
    reply: TONE_REPLY,
    text: { form: "amp G", examples: ["amp 0.3"], note: `${TONE_MODULE}'s gain` },
    handle: (ctx, [v], { delivery }) => setTone(ctx, "gain", v, delivery),
  }),
  route({
    ...ENGINE,
    address: "/engine/wave",
    edit: true,
    args: [choice("wave", Object.keys(TONE_WAVES), { doc: "a name, or its number in this list" })],
    summary:
      `the engine tone's waveform: sets ${TONE_MODULE}'s wave (noise is the voice's white; /mod/${TONE_MODULE}/wave has square, triangle, pink and brown too)`,
    reply: TONE_REPLY,
    text: {
      form: `wave ${Object.keys(TONE_WAVES).join("|")}`,
      examples: ["wave sine"],
      note: `${TONE_MODULE}'s wave`,
    },
    handle: (ctx, [v], { delivery }) => setTone(ctx, "wave", TONE_WAVES[v], delivery),
  }),
  route({
    ...ENGINE,
    address: "/notify",
    args: [
      onOff("subscribe"),
      opt(num("port", { min: 1, max: 65535, integer: true, doc: "default: the port the message came from" })),
    ],
    summary:
      "1: events (/event <type> <message>), a copy of every reply to this host, /viz/levels and an 8-band /viz/spectrum at 10 Hz go to the sender (or to port on its host, for tools that cannot receive where they send from); one subscription per address (a new port replaces the old), at most 16, each lapsing 60 s after its last /notify 1 (send it again to renew); 0: stop",
    reply: "/notify.reply <1|0>",
    handle: (_, [on, port], { peer }) => {
      if (!peer) throw new ClientError("/notify subscribes an OSC sender; this input has none");
      peer.subscribe(on, port);
      return [{ address: "/notify.reply", args: [on ? 1 : 0] }];
    },
  }),
];

function nativeAddresses(routes: readonly Route[]): unknown[] {
  return routes.filter((r) => r.dialect === "chronus").map(routeJson);
}

/** The whole schema, for a file: module types, every native address and the dialects. */
export function fullSchema(routes: readonly Route[]): object {
  return { ...(schemaJson() as object), addresses: nativeAddresses(routes), dialects: dialectsJson(routes) };
}
