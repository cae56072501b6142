// deno task mcp [--host H] [--port P]: a Model Context Protocol server on stdio that lets an agent host (any
// MCP client) play a running engine: the tools of mcp/tools.ts and the resources of mcp/resources.ts, over
// the engine's OSC port. Built on the official SDK (@modelcontextprotocol/sdk, MIT): it speaks the protocol
// (initialize, tools/list, tools/call, resources/*) and validates tool inputs with zod (MIT).
// stdout is the protocol's channel: everything else this process says goes to stderr. The SDK's package maps
// its subpaths' types to "*.js.d.ts" files it does not ship, hence the @ts-types lines naming the real ones.
import { parseArgs } from "node:util";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { EngineLink } from "./link.ts";
import { RESOURCES } from "./resources.ts";
import { TOOLS } from "./tools.ts";
// @ts-types="@modelcontextprotocol/sdk/server/zod-compat"
import type { AnySchema, ZodRawShapeCompat } from "@modelcontextprotocol/sdk/server/zod-compat.js";

/** The server's name and version, as initialize reports them. */
export const SERVER_INFO: { name: string; version: string } = { name: "chronus", version: "0.1.0" };

const HELP = `Usage: deno task mcp [--host H] [--port P]

A Model Context Protocol server on stdin/stdout for an agent host: it plays the engine running at H:P
(default 127.0.0.1:5005, the engine's OSC port; start it with deno task start). docs/mcp.md has the tools,
the resources and how to register the server with a host.`;

// A server with every tool and resource, playing the engine through `link` (not yet connected).
function chronusServer(link: EngineLink): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions:
      "Chronus is a modular synthesizer playing live. Use patch and schema to see what is there, " +
      "command to play it (one line of its text language), listen to hear the result, preview to try a " +
      "score offline first, record to capture the output.",
  });
  for (const t of TOOLS) {
    server.registerTool(t.name, {
      title: t.title,
      description: t.description,
      inputSchema: t.input as ZodRawShapeCompat,
      outputSchema: t.output as AnySchema | undefined,
      annotations: t.annotations,
    }, (args: Record<string, unknown>) => t.run(args, link));
  }
  for (const r of RESOURCES) {
    server.registerResource(r.name, r.uri, {
      title: r.title,
      description: r.description,
      mimeType: "application/json",
    }, async (uri: URL) => ({
      contents: [{
        uri: uri.href,
        mimeType: "application/json",
        text: JSON.stringify(await r.read(link), null, 2),
      }],
    }));
  }
  return server;
}

if (import.meta.main) {
  // A stray console.log would corrupt the protocol on stdout: route the console's chatter to stderr.
  console.log = console.info = console.debug = console.error;
  let a;
  try {
    a = parseArgs({
      args: Deno.args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5005" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    console.error(`mcp: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (a.values.help) {
    console.error(HELP);
    Deno.exit(0);
  }
  const port = Number(a.values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`mcp: --port ${a.values.port} is not a port (1 … 65535)`);
    Deno.exit(2);
  }
  // Whatever escapes a handler is reported and the server stays up for the next call.
  globalThis.addEventListener("unhandledrejection", (e) => {
    console.error(`[chronus mcp] unhandled: ${(e.reason as Error)?.stack ?? e.reason}`);
    e.preventDefault();
  });
  const link = new EngineLink(a.values.host, port);
  const server = chronusServer(link);
  const transport = new StdioServerTransport();
  transport.onclose = () => {
    link.close().finally(() => Deno.exit(0));
  };
  await server.connect(transport);
  console.error(`[chronus mcp] serving on stdio, engine at ${link.target}`);
}
