// The engine itself: status, the patch as a file, the schema (module types and this address table), the
// subscription to events and meters (/notify), and the engine tone's old addresses.
import { ClientError } from "../../core/errors.ts";
import { voiceParamCommand } from "../../core/tone_params.ts";
import { schemaJson } from "../../patch/schema.ts";
import { num, onOff, opt, type Route, route, routeJson, value } from "./route.ts";

const ENGINE = { family: "engine", dialect: "chronus" } as const;

const TONE_REPLY = "none (send /sync to know it has applied)";

/** /engine/*, /notify. */
export const ENGINE_ROUTES: readonly Route[] = [
  route({
    ...ENGINE,
    address: "/engine/status",
    args: [],
    summary: "uptime, sample rate, block, active slot, redundancy, failovers, late blocks, CPU",
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
    text: { form: "list", examples: ["list"] },
    handle: (
      { engine },
    ) => [{ address: "/engine/list.reply", args: [JSON.stringify(engine.patch.toFile())] }],
  }),
  route({
    ...ENGINE,
    address: "/engine/schema",
    args: [],
    summary: "every module type (ports, parameters with ranges and units) and every address of this table",
    reply: "/engine/schema.reply <JSON: modules, addresses>",
    text: { form: "schema", examples: ["schema"] },
    handle: ({ routes }) => [{
      address: "/engine/schema.reply",
      args: [JSON.stringify({ ...(schemaJson() as object), addresses: routes.map(routeJson) })],
    }],
  }),
  route({
    ...ENGINE,
    address: "/engine/<param>",
    args: [value("value")],
    summary: "the engine tone (module 0): freq (Hz), gain (alias amp, 0 … 1), wave (sine, saw, noise)",
    reply: TONE_REPLY,
    text: {
      form: "freq HZ / gain G / wave W",
      examples: ["freq 440", "set voice.freq 440"],
      note: "the engine tone, legacy",
    },
    // voiceParamCommand refuses other names, listing the known ones.
    handle: ({ out }, [v], { path, at }) => {
      out.deliver([voiceParamCommand(path.param === "amp" ? "gain" : path.param, v)], at);
      return [];
    },
  }),
  route({
    ...ENGINE,
    address: "/notify",
    args: [
      onOff("subscribe"),
      opt(num("port", { min: 1, max: 65535, integer: true, doc: "default: the port the message came from" })),
    ],
    summary:
      "1: events (/event <type> <message>), a copy of every reply to this host, /viz/levels and an 8-band /viz/spectrum at 10 Hz go to the sender (or to port on its host, for tools that cannot receive where they send from); 0: stop",
    reply: "/notify.reply <1|0>",
    handle: (_, [on, port], { peer }) => {
      if (!peer) throw new ClientError("/notify subscribes an OSC sender; this input has none");
      peer.subscribe(on, port);
      return [{ address: "/notify.reply", args: [on ? 1 : 0] }];
    },
  }),
];
