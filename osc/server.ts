// The OSC/UDP surface: a socket, the codec (osc/codec.ts: every OSC 1.0/1.1 type), the router, replies to
// each sender's address and port, bundles with time tags (one frame, one batch), and subscribers for events
// and meters (/notify 1).
// Input can never crash or stall it: every packet is decoded and handled inside a try, bad ones get an
// `/error` reply, and the work per packet is bounded.
// The socket is Deno's own (Deno.listenDatagram, "unstable": ["net"] in deno.json): node:dgram under Deno
// 2.9 delivers datagrams that queue up while the thread is busy in reverse order (measured: a burst of 50
// arrives 49 … 0), which would turn "create, connect, commit" around. It lives in a worker
// (osc/socket_worker.ts) that keeps draining the kernel's buffer while the main thread is paused.
import type { Command } from "../core/command.ts";
import type { Engine } from "../engine/engine.ts";
import type { EngineEvent } from "../engine/supervisor.ts";
import type { SocketEvent, SocketRequest } from "../core/messages.ts";
import { decodePacket, encodeMessage, type PacketBundle, type PacketMessage } from "./codec.ts";
import { meters } from "./meters.ts";
import { type OscReply, OscRouter } from "./router.ts";
import { TimeTagClock } from "./timetag.ts";

/** Where to listen. */
export interface OscServerOptions {
  /** The address to bind the UDP socket to (OSC has no authentication: a loopback one unless told). */
  host: string;
  /** The UDP port to bind (0: any free port; `port` on the server says which). */
  port: number;
  /** The data directory that clients' file names resolve in (core/sandbox.ts; default: chronus-data). */
  dataDir?: string;
}

/** A sender. */
interface Peer {
  address: string;
  port: number;
}

/** Bundles may nest; this deep is plenty and keeps a hostile packet from recursing far. */
const MAX_NESTING = 8;

/** A running OSC server. */
export class OscServer {
  /** The dispatcher every decoded message goes through (its routes send to the engine). */
  readonly router: OscRouter;
  #engine: Engine;
  #worker: Worker;
  #port: number;
  /** The socket's kernel receive buffer in bytes (0 when it could not be read), and a hint when it is small. */
  readonly receiveBuffer: { bytes: number; note?: string };
  #closed?: () => void;
  #subscribers = new Map<string, { address: string; port: number }>();
  #clock = new TimeTagClock();
  #meterTimer?: ReturnType<typeof setInterval>;
  /** Packets handled, error replies sent, and each packet's outcome (for tests and the benchmark). */
  readonly counts = {
    packets: 0,
    messages: 0,
    errors: 0,
    internal: 0,
    rejectedPackets: 0,
    acceptedPackets: 0,
  };

  private constructor(
    engine: Engine,
    worker: Worker,
    listening: Extract<SocketEvent, { type: "listening" }>,
    dataDir?: string,
  ) {
    this.#engine = engine;
    this.#worker = worker;
    this.#port = listening.port;
    this.receiveBuffer = { bytes: listening.receiveBuffer, note: listening.receiveBufferNote };
    // A dialect's clamped values are /events to subscribers (osc/dialects/).
    this.router = new OscRouter(
      engine,
      undefined,
      dataDir,
      undefined,
      (type, message) => this.#broadcast({ address: "/event", args: [type, message] }),
    );
    worker.onmessage = (e: MessageEvent<SocketEvent>) => {
      const m = e.data;
      if (m.type === "packets") {
        for (const p of m.packets) {
          this.#packet(p.bytes, { address: p.hostname, port: p.port });
        }
      } else if (m.type === "closed") this.#closed?.();
    };
  }

  /** Binds the socket (in its worker); rejects with a plain message when it cannot. */
  static start(engine: Engine, options: OscServerOptions): Promise<OscServer> {
    const worker = new Worker(new URL("./socket_worker.ts", import.meta.url), { type: "module" });
    return new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<SocketEvent>) => {
        if (e.data.type === "listening") resolve(new OscServer(engine, worker, e.data, options.dataDir));
        else if (e.data.type === "failed") {
          worker.terminate();
          reject(new Error(`Cannot listen for OSC on ${options.host}:${options.port}: ${e.data.message}`));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        worker.terminate();
        reject(new Error(`Cannot start the OSC socket worker: ${e.message}`));
      };
      worker.postMessage(
        { type: "listen", hostname: options.host, port: options.port } satisfies SocketRequest,
      );
    });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  /** Forwards an engine event to subscribers. */
  event(e: EngineEvent): void {
    this.#broadcast({ address: "/event", args: [e.type, e.message] });
  }

  /** Closes the socket, after the replies already queued are sent. */
  close(): Promise<void> {
    clearInterval(this.#meterTimer);
    const done = new Promise<void>((r) => this.#closed = r);
    this.#worker.postMessage({ type: "close" } satisfies SocketRequest);
    return done;
  }

  #send(r: OscReply, to: { address: string; port: number }): void {
    try {
      const bytes = encodeMessage(r);
      this.#worker.postMessage(
        { type: "send", bytes, hostname: to.address, port: to.port } satisfies SocketRequest,
      );
    } catch (e) {
      console.error(`[chronus] osc: cannot send ${r.address}: ${(e as Error).message}`);
    }
  }

  #broadcast(r: OscReply): void {
    for (const to of this.#subscribers.values()) this.#send(r, to);
  }

  #reply(r: OscReply, to: Peer): void {
    if (r.address === "/error") this.counts.errors++;
    this.#send(r, to);
    for (const s of this.#subscribers.values()) {
      if (s.address === to.address && s.port !== to.port) this.#send(r, s);
    }
  }

  #packet(buf: Uint8Array, rinfo: Peer): void {
    this.counts.packets++;
    const errors = this.counts.errors;
    this.#handlePacket(buf, rinfo);
    if (this.counts.errors > errors) this.counts.rejectedPackets++;
    else this.counts.acceptedPackets++;
  }

  #handlePacket(buf: Uint8Array, rinfo: Peer): void {
    // What an internal error names: the decoded address, or the raw one when decoding itself failed.
    let where: string | undefined;
    try {
      const decoded = decodePacket(buf);
      if (!decoded.ok) {
        this.#reply(
          { address: "/error", args: [addressOf(buf), `cannot decode the packet: ${decoded.error}`] },
          rinfo,
        );
        return;
      }
      const p = decoded.packet;
      where = p.kind === "bundle" ? "#bundle" : p.address;
      if (p.kind === "bundle") this.#bundle(p, rinfo, 0);
      else this.#message(p, rinfo, {});
    } catch (e) {
      // A bug, not bad input: say so to the sender and on stderr, and keep serving.
      this.counts.internal++;
      where ??= addressOf(buf);
      console.error(`[chronus] osc: internal error on ${where}: ${(e as Error).stack}`);
      this.#reply({ address: "/error", args: [where, `internal error: ${(e as Error).message}`] }, rinfo);
    }
  }

  // One message: a value the codec could not use (an int64 past 2^53 …) refuses it alone; otherwise the
  // router reads its arguments by their type tags.
  #message(m: PacketMessage, rinfo: Peer, delivery: { frame?: number; batch?: Command[] }): void {
    this.counts.messages++;
    if (m.error !== undefined) {
      this.#reply({ address: "/error", args: [m.address, m.error] }, rinfo);
      return;
    }
    const peer = { subscribe: (on: boolean, port = rinfo.port) => this.#subscribe(rinfo.address, port, on) };
    const later = (r: OscReply) => this.#reply(r, rinfo);
    for (const r of this.router.handle(m.address, m.args, delivery, later, peer, m.types)) {
      this.#reply(r, rinfo);
    }
  }

  // /notify 1|0 [port] (osc/routes/engine.ts): events, meters and a copy of every reply to this host go to the
  // sender, or to `port` on its host (tools that cannot receive on the port they send from, like liblo's
  // oscsend/oscdump).
  #subscribe(host: string, port: number, on: boolean): void {
    const key = `${host}:${port}`;
    if (on) this.#subscribers.set(key, { address: host, port });
    else this.#subscribers.delete(key);
    this.#meters();
  }

  // A bundle: its time tag maps to one frame; its messages' commands go out as one batch at that frame.
  #bundle(d: PacketBundle, rinfo: Peer, depth: number): void {
    if (depth >= MAX_NESTING) {
      this.#reply(
        { address: "/error", args: ["#bundle", `bundles nested deeper than ${MAX_NESTING}`] },
        rinfo,
      );
      return;
    }
    const e = this.#engine;
    const nowFrame = e.outBlock * e.block;
    const frame = this.#clock.frameFor(d.timetag, Date.now() / 1000, nowFrame, e.sampleRate);
    const batch: Command[] = [];
    for (const el of d.elements) {
      if (el.kind === "bundle") this.#bundle(el, rinfo, depth + 1);
      else this.#message(el, rinfo, { frame, batch });
    }
    if (batch.length === 0) return;
    try {
      e.sendBatch(batch, frame);
      this.router.sentAt(frame);
    } catch (err) {
      this.#reply({ address: "/error", args: ["#bundle", (err as Error).message] }, rinfo);
    }
  }

  // Level meters and an 8-band spectrum at 10 Hz while someone listens.
  #meters(): void {
    if (this.#subscribers.size === 0) {
      clearInterval(this.#meterTimer);
      this.#meterTimer = undefined;
      return;
    }
    this.#meterTimer ??= setInterval(() => {
      if (!this.#engine.running) return;
      const m = meters(this.#engine.recentAudio(2048), this.#engine.sampleRate);
      this.#broadcast({ address: "/viz/levels", args: m.levels });
      this.#broadcast({ address: "/viz/spectrum", args: m.spectrum });
    }, 100);
  }
}

const latin1 = new TextDecoder("latin1");

/** The address at the start of an undecodable packet, for its error reply ("?" when there is none). */
export function addressOf(buf: Uint8Array): string {
  if (buf.length === 0 || buf[0] !== 0x2f) {
    return buf.length >= 7 && latin1.decode(buf.subarray(0, 7)) === "#bundle" ? "#bundle" : "?";
  }
  let end = 0;
  while (end < buf.length && end < 256 && buf[end] !== 0) end++;
  const s = latin1.decode(buf.subarray(0, end));
  return /^[\x20-\x7e]+$/.test(s) ? s : "?";
}
