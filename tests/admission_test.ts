// Admission control (issue 16, part 3) and remote mode (part 4): every reproduction of the issue ends in one
// clear /error (or a dropped packet), with no failover and no late block; the limits' numbers in docs/limits.md.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { ClientError } from "../core/errors.ts";
import { arenaBudget, DspHost } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { CLIENT_QUEUE_CAP, CLIENTS_QUEUE_CAP, QueueBudget } from "../engine/admission.ts";
import { Engine } from "../engine/engine.ts";
import { encodeBundle } from "../osc/codec.ts";
import { parseCidr } from "../osc/allow.ts";
import { ERRORS_PER_SECOND, MAX_PACKET_MESSAGES, MAX_SUBSCRIBERS, OscServer } from "../osc/server.ts";
import { Patch } from "../patch/graph.ts";
import { MODULES, typeCode } from "../patch/schema.ts";
import { remoteWarning } from "../cli/remote.ts";
import { OscTestClient } from "./osc_helpers.ts";
import { dspModule, stallsAtMost, TEST_LEAD } from "./helpers.ts";

const defaultPatch: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);

async function running(options: { allow?: string[]; subscriptionMs?: number } = {}) {
  const engine = await Engine.start({
    patch: defaultPatch,
    lead: TEST_LEAD,
    seconds: 60,
    sink: { kind: "null" },
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, ...options });
  const clients: OscTestClient[] = [];
  const client = (from = "127.0.0.1") => {
    const c = new OscTestClient(osc.port, "127.0.0.1", from);
    clients.push(c);
    return c;
  };
  const before = engine.outBlock;
  const stop = async () => {
    const after = engine.outBlock;
    for (const c of clients) await c.close();
    await osc.close();
    await engine.stop();
    const late = (await engine.finished).output.lateAt.filter((b) => b >= before && b < after);
    return { late, metrics: (await engine.finished).metrics };
  };
  return { engine, osc, client, stop };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("queue budget: per sender and in all, released as the output passes the frames", () => {
  const q = new QueueBudget();
  q.add(CLIENT_QUEUE_CAP, 48000, "a");
  assert.throws(
    () => q.admit(1, "a"),
    new RegExp(`^ClientError: queue full \\(${CLIENT_QUEUE_CAP} pending\\)`),
  );
  q.admit(1, "b");
  q.add(CLIENTS_QUEUE_CAP - CLIENT_QUEUE_CAP, 96000, "b");
  assert.throws(
    () => q.admit(1, "d"),
    new RegExp(`queue full \\(${CLIENTS_QUEUE_CAP} pending\\): all clients`),
  );
  // The engine's own (the console, a file) and a whole transaction have their headroom.
  q.admit(1024, "");
  q.admit(L.CMD_CAP, "", true);
  assert.throws(() => q.admit(L.CMD_CAP + 1025, "", true), /queue full/);
  q.release(48000); // frame 48000 is not passed yet
  assert.equal(q.pendingFor("a"), CLIENT_QUEUE_CAP);
  q.release(48001);
  assert.equal(q.pendingFor("a"), 0);
  q.admit(1, "d");
  q.release(1e9);
  assert.equal(q.pending, 0);
  assert.ok(CLIENTS_QUEUE_CAP + 1024 + L.CMD_CAP <= L.QUEUE_CAP, "a full transaction always fits");
});

Deno.test("9,000 /note voice1 60 0.5 3600: refused with 'queue full', no failover, no late block", async () => {
  const { engine, osc, client, stop } = await running();
  const c = client();
  for (let i = 0; i < 9000; i++) {
    await c.send("/note", "voice1", 60, 0.5, 3600);
    if (i % 50 === 49) await sleep(4); // under the kernel's socket buffer, as the fuzz test (osc_test.ts)
  }
  // Not /sync: it would wait for the latest frame used, an hour ahead.
  await c.send("/engine/status");
  await c.waitFor((r) => r[0] === "/engine/status.reply", 10000);
  const errors = c.received.filter((r) => r[0] === "/error");
  // Each admitted note keeps its gate-off pending for an hour: at most CLIENT_QUEUE_CAP notes get in.
  assert.ok(errors.length >= 9000 - CLIENT_QUEUE_CAP, `${errors.length} refused`);
  for (const e of errors) {
    assert.equal(e[1], "/note");
    assert.match(
      String(e[2]),
      new RegExp(`^queue full \\(\\d+ pending\\): a client may have ${CLIENT_QUEUE_CAP} events waiting`),
    );
  }
  assert.ok(engine.queuePending().all <= CLIENT_QUEUE_CAP + 64, `${engine.queuePending().all} pending`);
  assert.equal(osc.counts.internal, 0);
  // The engine still answers and plays.
  await c.send("/mod/voice1/freq", 220);
  c.received.length = 0;
  await c.send("/engine/status");
  const status = JSON.parse(String((await c.waitFor((r) => r[0] === "/engine/status.reply"))[1]));
  assert.equal(status.failovers, 0);
  assert.equal(status.quarantined, 0);
  const { late, metrics } = await stop();
  assert.equal(metrics.failovers, 0);
  assert.ok(stallsAtMost(late), `late blocks: ${late}`);
});

Deno.test("a refused transaction changes nothing: the patch does not move on", () => {
  const p = new Patch();
  p.admit = () => {
    throw new ClientError("queue full (8000 pending)");
  };
  p.create("a", "vco");
  assert.throws(() => p.commit(), /queue full/);
  assert.equal(p.modules.size, 0);
  assert.ok(p.staging, "the transaction is still staged");
});

Deno.test("arena: the budget is the DSP's own arithmetic, exactly; a create that does not fit is counted", async () => {
  const module = await dspModule();
  const settings = { sampleRate: 48000, block: 128, seed: 1 };
  const budget = arenaBudget(module, settings, MODULES.length);
  const host = new DspHost(module, settings);
  const start = host.usedBytes();
  assert.equal(L.WASM_PAGES * 65536 - budget.capacity, start, "the arena starts where the used bytes do");
  const types = ["vco", "delay", "reverb", "voice", "delay"];
  let seq = 0;
  types.forEach((t, i) =>
    host.push({
      op: L.OP_CREATE,
      target: i + 1,
      param: 0,
      i0: typeCode(t),
      i1: i,
      f0: 0,
      f1: 0,
      seq: ++seq,
      frame: 0,
    })
  );
  host.render(0);
  const want = types.reduce((a, t) => a + budget.bytes[typeCode(t)], 0);
  assert.equal(host.usedBytes() - start, want);
  assert.equal(host.createFailures(), 0);
  const delays = Math.ceil(budget.capacity / budget.bytes[typeCode("delay")]) + 1;
  for (let i = 0; i < delays; i++) {
    host.push({
      op: L.OP_CREATE,
      target: 10 + i,
      param: 0,
      i0: typeCode("delay"),
      i1: i,
      f0: 0,
      f1: 0,
      seq: ++seq,
      frame: 128,
    });
  }
  host.render(1);
  assert.ok(host.createFailures() > 0, "the WASM counts what it could not create");
});

Deno.test("arena: /patch/commit of 40 delays is refused with the budget named; nothing changes", async () => {
  const { engine, client, stop } = await running();
  const c = client();
  for (let i = 1; i <= 40; i++) await c.send("/patch/create", `d${i}`, "delay");
  await c.send("/patch/commit");
  const e = await c.waitFor((r) => r[0] === "/error" || r[0] === "/patch/commit.reply");
  assert.equal(e[0], "/error", JSON.stringify(e));
  assert.equal(e[1], "/patch/commit");
  assert.match(
    String(e[2]),
    /^Cannot commit: the modules need [\d.]+ MB of the DSP's arena, which holds [\d.]+ MB \(each: delay \d+ KB/,
  );
  assert.equal(engine.patch.modules.has("d1"), false);
  // Fewer fit, and commit.
  await c.send("/patch/abort");
  for (let i = 1; i <= 4; i++) await c.send("/patch/create", `d${i}`, "delay");
  await c.send("/patch/commit");
  await c.waitFor((r) => r[0] === "/patch/commit.reply");
  assert.equal(engine.patch.modules.has("d4"), true);
  assert.ok(engine.patch.arenaUsed > 0);
  const { late, metrics } = await stop();
  assert.equal(metrics.failovers, 0);
  assert.ok(stallsAtMost(late), `late blocks: ${late}`);
});

Deno.test("a bundle of 1,000 bad messages draws one summarized /error; one of 5,000 is refused whole", async () => {
  const { osc, client, stop } = await running();
  const c = client();
  const bad = (n: number) => Array.from({ length: n }, () => ({ address: "/x", args: [] }));
  const small = encodeBundle({
    timetag: 0,
    elements: [...bad(999), { address: "/mod/voice1/freq", args: [220] }],
  });
  await c.raw(small);
  await c.waitFor((r) => r[0] === "/error");
  const big = encodeBundle({ timetag: 0, elements: bad(5000) });
  assert.ok(big.length > 50_000 && big.length < 65_000, `${big.length} bytes`);
  await c.raw(big);
  await c.send("/sync", 1);
  await c.waitFor((r) => r[0] === "/synced");
  await sleep(100);
  const errors = c.received.filter((r) => r[0] === "/error");
  assert.deepEqual(errors, [
    [
      "/error",
      "#bundle",
      "999 of 1000 messages refused; first: /x: unknown address (see /engine/schema for every address, or docs/osc.md)",
    ],
    ["/error", "#bundle", `a packet carries at most ${MAX_PACKET_MESSAGES} messages (it holds 5000)`],
  ]);
  assert.equal(osc.counts.errors, 2);
  assert.equal(osc.counts.rejectedPackets, 2);
  await stop();
});

Deno.test("/notify: one subscription per address, at most 16, lapsing without renewal", async () => {
  const { osc, client, stop } = await running({ subscriptionMs: 400 });
  const c = client();
  for (let port = 20000; port < 40000; port++) {
    await c.send("/notify", 1, port);
    if (port % 50 === 49) await sleep(4);
  }
  await c.send("/sync", 1);
  await c.waitFor((r) => r[0] === "/synced", 10000);
  assert.equal(osc.subscribers, 1, "20,000 ports from one address: one subscriber (the last port)");
  const others = Array.from({ length: MAX_SUBSCRIBERS }, (_, i) => client(`127.0.0.${i + 2}`));
  for (const o of others) await o.send("/notify", 1);
  for (const o of others.slice(0, -1)) await o.waitFor((r) => r[0] === "/notify.reply");
  const refused = await others.at(-1)!.waitFor((r) => r[0] === "/error");
  assert.deepEqual(refused.slice(0, 2), ["/error", "/notify"]);
  assert.match(
    String(refused[2]),
    /^16 addresses subscribe already \(each lapses 0.4 s after its last \/notify 1\)/,
  );
  assert.equal(osc.subscribers, MAX_SUBSCRIBERS);
  await sleep(600); // none renewed
  assert.equal(osc.subscribers, 0);
  await others.at(-1)!.send("/notify", 1);
  await others.at(-1)!.waitFor((r) => r[0] === "/notify.reply");
  assert.equal(osc.subscribers, 1);
  await stop();
});

Deno.test("errors are rate-limited per sender: 50 a second, then one /error saying how many were suppressed", async () => {
  const { osc, client, stop } = await running();
  const c = client("127.0.0.2");
  for (let i = 0; i < 300; i++) await c.send("/nope");
  await c.waitFor((r) => r[0] === "/error" && r[1] === "/error", 3000);
  const errors = c.received.filter((r) => r[0] === "/error" && r[1] === "/nope").length;
  assert.ok(errors >= ERRORS_PER_SECOND && errors < ERRORS_PER_SECOND + 40, `${errors} sent`);
  const told = c.received.find((r) => r[1] === "/error")!;
  assert.match(String(told[2]), /^\d+ more errors suppressed$/);
  assert.equal(osc.counts.errors, 300, "one error per bad packet, sent or counted");
  assert.equal(osc.counts.suppressed, 300 - errors);
  await stop();
});

Deno.test("--osc-allow: a sender outside the list is dropped unanswered; the list and this machine are answered", async () => {
  const { osc, client, stop } = await running({ allow: ["127.0.0.2/32"] });
  const outsider = client("127.0.0.3"), member = client("127.0.0.2"), self = client("127.0.0.1");
  for (const x of [outsider, member, self]) {
    await x.send("/engine/status");
    await x.send("/nope");
    await x.send("/notify", 1);
  }
  await member.waitFor((r) => r[0] === "/notify.reply");
  await self.waitFor((r) => r[0] === "/notify.reply");
  await sleep(300);
  assert.deepEqual(outsider.received, []);
  assert.equal(osc.counts.dropped, 3);
  assert.equal(osc.subscribers, 2);
  for (const x of [member, self]) {
    assert.ok(x.received.some((r) => r[0] === "/engine/status.reply"));
    assert.ok(x.received.some((r) => r[0] === "/error" && r[1] === "/nope"));
  }
  await stop();
});

Deno.test("allow-list entries: IPv4 and IPv6 addresses and CIDRs; bad ones refused", () => {
  const net = parseCidr("192.168.1.0/24");
  assert.ok(net("192.168.1.77"));
  assert.ok(net("::ffff:192.168.1.77"));
  assert.ok(!net("192.168.2.1"));
  assert.ok(parseCidr("10.0.0.5")("10.0.0.5"));
  assert.ok(!parseCidr("10.0.0.5")("10.0.0.6"));
  assert.ok(parseCidr("fd00::/8")("fd12:3456::1"));
  assert.ok(!parseCidr("fd00::/8")("fe80::1"));
  assert.ok(parseCidr("0.0.0.0/0")("8.8.8.8"));
  for (const bad of ["10.0.0/8", "10.0.0.256", "10.0.0.0/33", "example.com", "1::2::3", ""]) {
    assert.throws(() => parseCidr(bad), /is not an address or CIDR/, bad);
  }
});

Deno.test("the remote-mode warning says what a remote client can do and who may send", () => {
  const w = remoteWarning("0.0.0.0", ["192.168.1.0/24", "10.0.0.5"]);
  for (
    const what of ["192.168.1.0/24, 10.0.0.5", "dropped unanswered", "play", "patch", "record", "/notify"]
  ) {
    assert.ok(w.includes(what), what);
  }
});
