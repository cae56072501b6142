// deno task mcp with the SDK's own client: the server spawned as an agent host would spawn it (its own
// permission set, stdio), playing a real engine (--sink null) on a free port.
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";

const root = new URL("..", import.meta.url).pathname;

// A UDP port that nothing listens on right now.
function freePort(): number {
  const s = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

// An engine on a free OSC port with its data directory in `dir`, once it answers /engine/status.
async function startEngine(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}main.ts`,
      "--sink",
      "null",
      "--lead",
      String(TEST_LEAD),
      "--osc-port",
      String(port),
      "--data-dir",
      `${dir}/data`,
      "--quiet",
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const probe = new OscTestClient(port);
  try {
    for (let i = 0;; i++) {
      await probe.send("/engine/status");
      try {
        await probe.waitFor((r) => r[0] === "/engine/status.reply", 300);
        break;
      } catch (e) {
        if (i >= 60) throw e;
      }
    }
  } finally {
    await probe.close();
  }
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

// The MCP server as a host starts it: `deno run -P=mcp mcp/server.ts --port P` in the project directory.
async function connect(port: number): Promise<Client> {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-q", "-P=mcp", "mcp/server.ts", "--port", String(port)],
    cwd: root,
    stderr: "pipe",
  });
  const client = new Client({ name: "chronus-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return await client.callTool({ name, arguments: args }) as CallToolResult;
}

Deno.test("deno task mcp: tools and resources against a running engine", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-mcp-test-" });
  const engine = await startEngine(dir);
  const client = await connect(engine.port);
  try {
    await t.step("initialize and tools/list", async () => {
      assert.equal(client.getServerVersion()?.name, "chronus");
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((x) => x.name),
        ["command", "listen", "status", "schema", "patch", "preview", "record"],
      );
      const command = tools.find((x) => x.name === "command")!;
      // The examples come from the address table (osc/routes/): its text forms are in the description.
      assert.match(command.description!, /seq add TRACK MODULE\[,MODULE…\] PATTERN/);
      assert.match(command.description!, /record start take\.wav/);
      assert.ok(tools.find((x) => x.name === "listen")!.outputSchema, "listen declares its report's shape");
    });

    await t.step("command changes the engine; the patch tool shows it", async () => {
      const r = await call(client, "command", { line: "set voice1.freq 440" });
      assert.equal(r.isError, undefined, text(r));
      assert.match(text(r), /^voice1\.freq \S+ → 440 Hz at frame \d+$/);
      const p = await call(client, "patch");
      const patch = p.structuredContent as {
        patch: { modules: Record<string, { params: Record<string, unknown> }> };
      };
      assert.equal(patch.patch.modules.voice1.params.freq, 440);
      assert.equal(typeof (p.structuredContent as { sequence: { bpm: number } }).sequence.bpm, "number");
    });

    await t.step("a refused command is a tool error in the engine's words", async () => {
      const r = await call(client, "command", { line: "set voice1.bogus 3" });
      assert.equal(r.isError, true);
      assert.match(text(r), /^\/mod\/voice1\/bogus: voice has no parameter "bogus" \(known: wave, freq/);
      const lang = await call(client, "command", { line: "wobble" });
      assert.equal(lang.isError, true);
      assert.match(text(lang), /"wobble" is not a command/);
      const long = await call(client, "command", { line: "x".repeat(5000) });
      assert.equal(long.isError, true, "a line past the bound is refused before it is sent");
      const after = await call(client, "command", { line: "seq bpm 140" });
      assert.equal(after.isError, undefined, "the server still plays after bad input");
      assert.equal(text(after), "bpm 120 → 140 from the next bar");
      const typed = await call(client, "command", { line: 5 });
      assert.equal(typed.isError, true, "a line that is no string is refused by the input schema");
      assert.match(text(typed), /line/);
    });

    await t.step("status and schema give structured content", async () => {
      const s = await call(client, "status");
      const status = s.structuredContent as { sampleRate: number; block: number; redundant: boolean };
      assert.equal(status.sampleRate, 48000);
      assert.equal(status.block, 128);
      assert.match(text(s), /^up [\d.]+ s · 48000 Hz, block 128/);
      const all = await call(client, "schema");
      const full = all.structuredContent as { modules: { type: string }[]; addresses: { address: string }[] };
      assert.ok(full.modules.some((m) => m.type === "voice"));
      assert.ok(full.addresses.some((a) => a.address === "/record/start"));
      const lfo = await call(client, "schema", { module: "lfo" });
      const one = lfo.structuredContent as { modules: { type: string; params: { name: string }[] }[] };
      assert.deepEqual(one.modules.map((m) => m.type), ["lfo"]);
      assert.equal("addresses" in one, false, "one type without the address list");
      const byName = await call(client, "schema", { module: "voice1" });
      assert.deepEqual((byName.structuredContent as typeof one).modules.map((m) => m.type), ["voice"]);
      const seq = await call(client, "schema", { module: "voice", family: "seq" });
      const addresses = (seq.structuredContent as typeof full).addresses.map((a) => a.address);
      assert.ok(addresses.length > 3 && addresses.every((a) => a.startsWith("/seq/")), addresses.join());
      const none = await call(client, "schema", { module: "theremin" });
      assert.equal(none.isError, true);
      assert.match(text(none), /"theremin" is neither a module type \(.*voice.*\) nor a module in the patch/);
    });

    await t.step("resources: the schema, the patch and the sequence as JSON", async () => {
      const { resources } = await client.listResources();
      assert.deepEqual(resources.map((r) => r.uri).sort(), [
        "chronus://patch",
        "chronus://schema",
        "chronus://sequence",
      ]);
      const read = async (uri: string) => {
        const r = await client.readResource({ uri });
        assert.equal(r.contents[0].mimeType, "application/json");
        return JSON.parse((r.contents[0] as { text: string }).text);
      };
      assert.equal((await read("chronus://patch")).modules.voice1.params.freq, 440);
      assert.equal((await read("chronus://sequence")).bpm, 140);
      assert.ok((await read("chronus://schema")).modules.length > 5);
    });

    await t.step("record: start and stop answer the path and frames", async () => {
      const start = await call(client, "record", { action: "start", file: "mcp-take.wav" });
      assert.equal(start.isError, undefined, text(start));
      const started = start.structuredContent as { path: string; startFrame: number };
      assert.equal(started.path, "recordings/mcp-take.wav");
      assert.ok(started.startFrame >= 0);
      await new Promise((r) => setTimeout(r, 300));
      const stop = await call(client, "record", { action: "stop" });
      const stopped = stop.structuredContent as { path: string; frames: number; seconds: number };
      assert.ok(stopped.frames > 0 && stopped.seconds > 0, text(stop));
      assert.match(text(stop), /^recorded [\d.]+ s \(\d+ frames\) to /);
      const stat = await Deno.stat(`${dir}/data/recordings/mcp-take.wav`);
      assert.ok(stat.size > 44, "the engine wrote the file in its data directory");
      const again = await call(client, "record", { action: "start", file: "mcp-take.wav" });
      assert.equal(again.isError, true);
      assert.match(text(again), /^\/record\/start: .*exists already/);
      const escape = await call(client, "record", { action: "start", file: "../../x.wav" });
      assert.equal(escape.isError, true, "a name outside recordings/ is the engine's to refuse");
    });

    await t.step("listen: the output's report, structured and in words", async () => {
      await call(client, "command", { line: "gate voice1 on" });
      // The command's answer says the DSP applied it; the output plays it a lead later: listen once it has.
      await new Promise((res) => setTimeout(res, 300));
      const r = await call(client, "listen", { seconds: 0.5 });
      assert.equal(r.isError, undefined, text(r));
      const report = r.structuredContent as { window: { seconds: number }; silent: boolean };
      assert.ok(Math.abs(report.window.seconds - 0.5) < 0.05, `listened ${report.window.seconds} s`);
      assert.equal(report.silent, false, "voice1 plays");
      assert.equal(r.content[0].type, "text");
      const bad = await call(client, "listen", { seconds: 0.5, module: "nosuch" });
      assert.equal(bad.isError, true);
      assert.match(text(bad), /^\/analyze: /);
      const long = await call(client, "listen", { seconds: 3600 });
      assert.equal(long.isError, true, "an hour is past the bound");
    });

    await t.step("preview: a score rendered offline, its report", async () => {
      const score = "0.0 set voice1.freq 440\n0.0 gate voice1 on\n1.0 gate voice1 off\n";
      const r = await call(client, "preview", { score, seconds: 1.5 });
      assert.equal(r.isError, undefined, text(r));
      const report = r.structuredContent as { window: { seconds: number; frames: number }; silent: boolean };
      assert.equal(report.window.frames, 72000);
      assert.equal(report.silent, false);
      const bad = await call(client, "preview", { score: "0.0 set voice1.bogus 3\n" });
      assert.equal(bad.isError, true);
      assert.match(text(bad), /bogus/);
      const big = await call(client, "preview", { score: "0.0 seq start\n".repeat(2000) });
      assert.equal(big.isError, true, "a score past the bound is refused before anything runs");
    });
  } finally {
    await client.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task mcp: no engine gives a tool error that says how to start one", async () => {
  const port = freePort();
  const client = await connect(port);
  try {
    const r = await call(client, "status");
    assert.equal(r.isError, true);
    assert.equal(
      text(r),
      `no engine answered on 127.0.0.1:${port} within 3 s: start it with deno task start`,
    );
    await assert.rejects(client.readResource({ uri: "chronus://patch" }), /no engine answered/);
  } finally {
    await client.close();
  }
});
