// A real OSC/UDP client for tests: node-osc's encoder (not the server's codec) over Deno's datagram socket;
// replies decoded by osc/codec.ts (they carry int64 past 2^31, which node-osc cannot read), kept in order.
import { encode } from "node-osc";
import { decodePacket } from "../osc/codec.ts";
import { enlargeReceiveBuffer, RECEIVE_BUFFER_BYTES } from "../ffi/socket_buffer.ts";
import { Engine } from "../engine/engine.ts";
import { OscServer } from "../osc/server.ts";
import { Connection } from "../cli/session.ts";
import { defaultPatch } from "../patch/default_patch.ts";
import { TEST_LEAD } from "./helpers.ts";

/** A decoded reply: address and argument values. */
export type Received = [string, ...(string | number | boolean | null)[]];

/** A UDP client talking to one OSC server. */
export class OscTestClient {
  readonly received: Received[] = [];
  #sock: Deno.DatagramConn;
  #to: Deno.NetAddr;
  #loop: Promise<void>;
  #waiters: (() => void)[] = [];

  /** A client of the server at `host`:`port`, sending from `from` (another loopback address tests an allow-list). */
  constructor(port: number, host = "127.0.0.1", from = "127.0.0.1") {
    const sock = Deno.listenDatagram({ port: 0, hostname: from, transport: "udp" });
    // The same kernel buffer as the server's: the fuzz test's ~9,500 error replies arrive while this thread
    // (shared with the engine's main thread) is busy, and 256 datagrams of default buffer lost 13 % once in CI.
    enlargeReceiveBuffer(sock.addr as Deno.NetAddr, RECEIVE_BUFFER_BYTES);
    this.#sock = sock;
    this.#to = { transport: "udp", hostname: host, port };
    this.#loop = (async () => {
      for (;;) {
        let b: Uint8Array;
        try {
          [b] = await sock.receive();
        } catch {
          return;
        }
        const d = decodePacket(b);
        if (!d.ok || d.packet.kind !== "message") throw new Error(`the server sent no OSC message: ${b}`);
        this.received.push([d.packet.address, ...(d.packet.args as Received[1][])]);
        for (const w of this.#waiters.splice(0)) w();
      }
    })();
  }

  /** This client's port (where replies come back). */
  get port(): number {
    return (this.#sock.addr as Deno.NetAddr).port;
  }

  /** Sends one message. */
  send(address: string, ...args: (string | number)[]): Promise<number> {
    return this.raw(encode({ oscType: "message", address, args }));
  }

  /** Sends a bundle with a time tag (Unix seconds; 0 = immediately). */
  sendBundle(timetag: number, ...messages: [string, ...(string | number)[]][]): Promise<number> {
    const elements = messages.map(([address, ...args]) => ({ oscType: "message", address, args }));
    return this.raw(encode({ oscType: "bundle", timetag, elements }));
  }

  /** Sends raw bytes. */
  raw(bytes: Uint8Array): Promise<number> {
    return this.#sock.send(bytes, this.#to);
  }

  /** Waits until a received message satisfies `pred` (or fails after `ms`). */
  async waitFor(pred: (r: Received) => boolean, ms = 3000): Promise<Received> {
    const deadline = performance.now() + ms;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `no matching OSC message within ${ms} ms; got ${JSON.stringify(this.received.slice(-5))}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Closes the socket. */
  async close(): Promise<void> {
    this.#sock.close();
    await this.#loop;
  }
}

/** A live engine in this process (null sink, default patch) with its OSC server and a text-language client. */
export interface TextRig {
  /** The engine. */
  engine: Engine;
  /** Its OSC server on a free loopback port. */
  osc: OscServer;
  /** A text-language connection to it (cli/session.ts). */
  c: Connection;
  /** The data directory, a fresh temporary one. */
  dataDir: string;
}

/** Runs `fn` against a fresh TextRig for up to `seconds` of engine time, then stops and removes everything. */
export async function withTextRig(
  fn: (rig: TextRig) => Promise<void>,
  prefix: string,
  seconds = 60,
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix });
  const engine = await Engine.start({
    sink: { kind: "null" },
    seconds,
    lead: TEST_LEAD,
    patch: defaultPatch(),
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir });
  const c = new Connection("127.0.0.1", osc.port);
  try {
    await fn({ engine, osc, c, dataDir });
  } finally {
    await c.close();
    await osc.close();
    engine.stop();
    await engine.finished;
    await Deno.remove(dataDir, { recursive: true });
  }
}
