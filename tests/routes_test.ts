// The address table (osc/routes/) and its dispatcher (osc/router.ts), without UDP: one entry per address,
// placeholders bound from the path, argument shapes that refuse in plain words, /engine/schema generated
// from the table, /notify through the sender the server passes.
import assert from "node:assert/strict";
import { ScoreEngine } from "../cli/score.ts";
import { OscRouter } from "../osc/router.ts";
import { readArgs, type Route, route, str } from "../osc/routes/route.ts";
import { FAMILIES, NATIVE_ROUTES, ROUTES } from "../osc/routes/table.ts";
import { schemaJson } from "../patch/schema.ts";

async function router() {
  const e = new ScoreEngine(48000, 128);
  e.patch.load(JSON.parse(await Deno.readTextFile(new URL("../patches/default.json", import.meta.url))));
  e.commit(0);
  return { e, r: new OscRouter(e) };
}

Deno.test("the table: one entry per address, each in its family's file, usage text made from its shapes", () => {
  const native = ROUTES.filter((r) => r.dialect === "chronus");
  assert.equal(new Set(native.map((r) => r.address)).size, native.length, "no native address twice");
  for (const f of FAMILIES) {
    for (const r of f.routes) {
      assert.equal(r.family, f.name, r.address);
      assert.equal(r.dialect, "chronus", r.address);
      assert.ok(r.usage.startsWith(r.address), r.usage);
    }
  }
  const seqAdd = ROUTES.find((r) => r.address === "/seq/add")!;
  assert.equal(
    seqAdd.usage,
    "/seq/add <track> <module[,module…]> <pattern> [note|gate=G|steps=N|bars=N|prob=P|PARAM=V,V…] [now]",
  );
  assert.equal(ROUTES.find((r) => r.address === "/seq/bpm")!.usage, "/seq/bpm <tempo 20…300> [now]");
});

Deno.test("the dispatcher: exact addresses, then placeholders; an unknown one is answered from the table", async () => {
  const { e, r } = await router();
  const n = e.commands.length;
  assert.deepEqual(r.handle("/mod/voice1/filter/freq", [900]), []);
  assert.equal(e.patch.module("voice1").params.cutoff, 900, "a sub-path is the alias filter.freq");
  assert.equal(e.commands.length, n + 1);
  const error = (address: string, ...args: (string | number)[]) => {
    const [reply, ...more] = r.handle(address, args);
    assert.equal(more.length, 0);
    assert.equal(reply.address, "/error", address);
    assert.equal(reply.args[0], address);
    return String(reply.args[1]);
  };
  assert.match(
    error("/nope"),
    /^unknown address \(see \/engine\/schema for every address/,
  );
  assert.match(error("/seq/dance"), /^unknown address \(sequencer: \/seq\/add, \/seq\/remove/);
  assert.match(
    error("/pattern/x"),
    /^unknown address \(patterns: \/pattern\/save, \/pattern\/load, \/pattern\/list\)/,
  );
  assert.match(error("/gate/voice1/x", 1), /^unknown address \(playing: \/gate\/<module>\)/);
  assert.match(error("mod/voice1/freq", 1), /starts with "\/"/);
  assert.match(
    error("/engine/status", 1),
    /expected \/engine\/status with no arguments \(1 argument given\)/,
  );
  assert.match(error("/gate/voice1", "loud"), /argument 1 \(gate\) must be a number, got "loud"/);
  assert.match(error("/note", "voice1", 60, 1, 5000), /duration 5000 is out of range \(0 … 3600 s\)/);
  assert.match(error("/seq/bpm", 999), /tempo 999 is out of range \(20 … 300\)/);
  assert.match(error("/patch/create", ""), /expected \/patch\/create <id> <type> \(1 argument given\)/);
  assert.equal(e.commands.length, n + 1, "nothing sent for a refused message");
  // A trailing "now" belongs to the addresses that take it; the rest of /seq accepts it and ignores it.
  assert.deepEqual(r.handle("/seq/bpm", [150, "now"]), [{ address: "/seq/bpm.reply", args: [150] }]);
  assert.deepEqual(r.handle("/seq/start", ["now"]), [{ address: "/seq/start.reply", args: [] }]);
  assert.match(error("/record/status", "now"), /expected \/record\/status with no arguments/);
});

Deno.test("a router on another table: shapes read the arguments before the handler sees them", () => {
  const seen: unknown[] = [];
  const echo: Route = route({
    address: "/echo/<who>",
    family: "engine",
    dialect: "chronus",
    args: [str("word")],
    summary: "echoes",
    reply: "/echo.reply <who> <word>",
    handle: (_, [word], { path }) => {
      seen.push(word);
      return [{ address: "/echo.reply", args: [path.who, word] }];
    },
  });
  assert.equal(echo.usage, "/echo/<who> <word>");
  const r = new OscRouter(new ScoreEngine(48000, 128), undefined, undefined, [echo]);
  assert.deepEqual(r.handle("/echo/ann", ["hi"]), [{ address: "/echo.reply", args: ["ann", "hi"] }]);
  assert.deepEqual(r.handle("/echo/ann", [3]), [{
    address: "/error",
    args: ["/echo/ann", "argument 1 (word) must be a string"],
  }]);
  assert.deepEqual(seen, ["hi"]);
  assert.throws(() => readArgs(echo, []), /expected \/echo\/<who> <word> \(0 arguments given\)/);
});

Deno.test("/engine/schema: the module types as before and every native address; /engine/schema/dialects: the dialects' entries", async () => {
  const { r } = await router();
  const [reply] = r.handle("/engine/schema", []);
  assert.equal(reply.address, "/engine/schema.reply");
  const [dialectsReply] = r.handle("/engine/schema/dialects", []);
  assert.equal(dialectsReply.address, "/engine/schema/dialects.reply");
  const schema = {
    ...JSON.parse(String(reply.args[0])),
    ...JSON.parse(String(dialectsReply.args[0])),
  };
  assert.deepEqual(Object.keys(JSON.parse(String(reply.args[0]))), ["modules", "addresses"]);
  assert.deepEqual(Object.keys(schema), ["modules", "addresses", "dialects"]);
  assert.deepEqual(schema.modules, (schemaJson() as { modules: unknown }).modules);
  assert.deepEqual(
    schema.addresses.map((a: { address: string }) => a.address),
    NATIVE_ROUTES.map((r) => r.address),
  );
  assert.deepEqual(Object.keys(schema.dialects), ["seed"]);
  // One item per registry entry, its aliases together: every seed address is in one.
  const seed: { addresses: string[] }[] = schema.dialects.seed;
  assert.deepEqual(
    seed.flatMap((d) => d.addresses),
    ROUTES.filter((r) => r.dialect === "seed").map((r) => r.address),
  );
  assert.deepEqual(seed.find((d) => d.addresses.includes("/mod/voice<N>/adsr/attack")), {
    addresses: ["/mod/voice<N>/adsr/attack"],
    args: "<seconds 0.001…2 s>",
    native: "voiceN.attack",
    conversion: "seconds × 1000 → ms",
    range: "0.001 … 2 s, clamped",
    origin: "final pyo engine",
  });
  for (const part of [reply, dialectsReply]) {
    const bytes = part.args[0].toString().length;
    assert.ok(bytes < 65507 - 64, `${part.address}: ${bytes} bytes do not fit one UDP datagram`);
  }

  const bpm = schema.addresses.find((a: { address: string }) => a.address === "/seq/bpm");
  assert.deepEqual(bpm.args, [{ name: "tempo", type: "number", min: 20, max: 300, doc: "beats per minute" }]);
  assert.equal(bpm.now, "applies");
  assert.equal(bpm.text.form, "seq bpm BPM [now]");
});

Deno.test("/notify: validated by its entry, subscribed through the sender the server passes", async () => {
  const { r } = await router();
  const calls: [boolean, number | undefined][] = [];
  const peer = { subscribe: (on: boolean, port?: number) => void calls.push([on, port]) };
  assert.deepEqual(r.handle("/notify", [1], {}, undefined, peer), [{ address: "/notify.reply", args: [1] }]);
  assert.deepEqual(r.handle("/notify", ["0", 9000], {}, undefined, peer), [{
    address: "/notify.reply",
    args: [0],
  }]);
  assert.deepEqual(calls, [[true, undefined], [false, 9000]]);
  const refused = (...args: (string | number)[]) =>
    String(r.handle("/notify", args, {}, undefined, peer)[0].args[1]);
  assert.match(refused(7), /argument 1 \(subscribe\) must be 1 or 0, got 7/);
  assert.match(refused(1, 70000), /port 70000 is out of range \(1 … 65535\)/);
  assert.match(refused(1, 1.5), /port must be a whole number/);
  assert.match(refused(), /expected \/notify <1\|0> \[port 1…65535\]/);
  assert.equal(calls.length, 2, "a refused /notify subscribes nothing");
  assert.match(String(r.handle("/notify", [1])[0].args[1]), /subscribes an OSC sender/);
});
