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
import { ClientError } from "../core/errors.ts";
import { decodePacket, encodeMessage, type PacketBundle, type PacketMessage } from "./codec.ts";
import { isLoopback, isSelf, parseCidr } from "./allow.ts";
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
  /**
   * Who may send (--osc-allow: CIDRs and addresses) besides this machine (127.0.0.1, ::1); packets from
   * anyone else are dropped unanswered. Undefined: everyone who can reach the socket (a loopback one).
   */
  allow?: readonly string[];
  /** How long a /notify subscription lasts without renewal (default SUBSCRIPTION_MS; tests shorten it). */
  subscriptionMs?: number;
}

/** A sender, and the size of the packet being answered (a reply much larger goes only to a trusted peer). */
interface Peer {
  address: string;
  port: number;
  request?: number;
  /** The packet being answered: whether it was refused (an /error went back for it, at once or later). */
  packet?: { rejected: boolean };
}

/** Bundles may nest; this deep is plenty and keeps a hostile packet from recursing far. */
export const MAX_NESTING = 8;
/** Messages one packet may carry, bundles included (a 64 KB datagram holds up to ~5,000 tiny ones). */
export const MAX_PACKET_MESSAGES = 1024;
/** /notify subscribers at most (one per sender address; a new port from the same address replaces it). */
export const MAX_SUBSCRIBERS = 16;
/** A subscription lapses after this long without a renewal (/notify 1 again). */
export const SUBSCRIPTION_MS = 60_000;
/** Error replies per second to one sender (a token bucket of this size), then counted and told once a second. */
export const ERRORS_PER_SECOND = 50;
/** A reply larger than this many times its request (plus REPLY_SLACK bytes) goes only to a trusted peer. */
export const REPLY_FACTOR = 4;
const REPLY_SLACK = 512;
/** An error's text is cut to this many characters: a reply stays bounded whatever the input. */
export const ERROR_TEXT_MAX = 400;

/** An error reply's text, bounded. */
function clip(text: unknown): string {
  const s = String(text);
  return s.length > ERROR_TEXT_MAX ? `${s.slice(0, ERROR_TEXT_MAX - 1)}…` : s;
}

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
  // One subscriber per sender address (the key), with the time it last subscribed.
  #subscribers = new Map<string, { address: string; port: number; since: number }>();
  #allow?: ((address: string) => boolean)[];
  #subscriptionMs: number;
  // Per sender address: error tokens left, when they were last refilled, errors suppressed since the last word.
  #buckets = new Map<string, { tokens: number; at: number; suppressed: number; port: number }>();
  #bucketTimer?: ReturnType<typeof setInterval>;
  // The errors of the packet being handled: one reply per packet at most (a bundle's are summarized).
  #packetErrors?: { first?: OscReply; count: number };
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
    /** Packets from senders outside the allow-list, dropped unanswered. */
    dropped: 0,
    /** Error replies not sent because their sender passed ERRORS_PER_SECOND (each told as a count). */
    suppressed: 0,
    /** Replies not sent because they were larger than REPLY_FACTOR × the request to an untrusted peer. */
    oversized: 0,
    /** Later /error replies not sent because their packet had its one /error already. */
    repeated: 0,
  };

  private constructor(
    engine: Engine,
    worker: Worker,
    listening: Extract<SocketEvent, { type: "listening" }>,
    options: OscServerOptions,
  ) {
    this.#allow = options.allow?.map(parseCidr);
    this.#subscriptionMs = options.subscriptionMs ?? SUBSCRIPTION_MS;
    this.#engine = engine;
    this.#worker = worker;
    this.#port = listening.port;
    this.receiveBuffer = { bytes: listening.receiveBuffer, note: listening.receiveBufferNote };
    // A dialect's clamped values are /events to subscribers (osc/dialects/).
    this.router = new OscRouter(
      engine,
      undefined,
      options.dataDir,
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
    options.allow?.forEach(parseCidr); // a bad entry is refused before anything starts
    const worker = new Worker(new URL("./socket_worker.ts", import.meta.url), { type: "module" });
    return new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<SocketEvent>) => {
        if (e.data.type === "listening") {
          resolve(new OscServer(engine, worker, e.data, options));
        } else if (e.data.type === "failed") {
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
    this.router.recent.note(e.type, e.message);
    this.#broadcast({ address: "/event", args: [e.type, e.message] });
  }

  /** Closes the socket, after the replies already queued are sent. */
  close(): Promise<void> {
    clearInterval(this.#meterTimer);
    clearInterval(this.#bucketTimer);
    const done = new Promise<void>((r) => this.#closed = r);
    this.#worker.postMessage({ type: "close" } satisfies SocketRequest);
    return done;
  }

  #send(r: OscReply, to: Peer): void {
    try {
      let bytes = encodeMessage(r);
      // No reflection: a reply much larger than its request goes only to this machine or an allow-listed peer.
      if (
        to.request !== undefined && bytes.length > REPLY_FACTOR * to.request + REPLY_SLACK &&
        !this.#trusted(to.address)
      ) {
        this.counts.oversized++;
        bytes = encodeMessage({
          address: "/error",
          args: [r.address, `the reply (${bytes.length} bytes) goes only to loopback or --osc-allow peers`],
        });
      }
      this.#worker.postMessage(
        { type: "send", bytes, hostname: to.address, port: to.port } satisfies SocketRequest,
      );
    } catch (e) {
      console.error(`[chronus] osc: cannot send ${r.address}: ${(e as Error).message}`);
    }
  }

  // Loopback, or allow-listed: a peer large replies may go to.
  #trusted(address: string): boolean {
    return isLoopback(address) || (this.#allow?.some((m) => m(address)) ?? false);
  }

  // Who may send at all: everyone without an allow-list (a loopback socket), else this machine and the list.
  #allowed(address: string): boolean {
    return this.#allow === undefined || isSelf(address) || this.#allow.some((m) => m(address));
  }

  #broadcast(r: OscReply): void {
    for (const to of this.#subscribers.values()) this.#send(r, to);
  }

  #reply(r: OscReply, to: Peer): void {
    if (r.address === "/error") {
      r = { address: "/error", args: [clip(r.args[0]), clip(r.args[1])] };
      if (this.#packetErrors) {
        // Collected: the packet's end sends one.
        this.#packetErrors.count++;
        this.#packetErrors.first ??= r;
        return;
      }
      this.counts.errors++;
      if (!this.#token(to)) return;
    }
    this.#send(r, to);
    const s = this.#subscribers.get(to.address);
    if (s && s.port !== to.port) this.#send(r, { ...s, request: to.request });
  }

  // The sender's error budget: ERRORS_PER_SECOND, refilled continuously; this machine has no limit. What is
  // suppressed is told once a second as one /error.
  #token(to: Peer): boolean {
    if (isSelf(to.address)) return true;
    const now = Date.now();
    let b = this.#buckets.get(to.address);
    if (!b) {
      if (this.#buckets.size >= 1024) this.#buckets.clear(); // bounded: forgetting only forgives
      b = { tokens: ERRORS_PER_SECOND, at: now, suppressed: 0, port: to.port };
      this.#buckets.set(to.address, b);
    }
    b.tokens = Math.min(ERRORS_PER_SECOND, b.tokens + ((now - b.at) / 1000) * ERRORS_PER_SECOND);
    b.at = now;
    b.port = to.port;
    if (b.tokens >= 1) {
      b.tokens--;
      return true;
    }
    b.suppressed++;
    this.counts.suppressed++;
    this.#bucketTimer ??= setInterval(() => this.#tellSuppressed(), 1000);
    return false;
  }

  #tellSuppressed(): void {
    for (const [address, b] of this.#buckets) {
      if (b.suppressed > 0) {
        this.#send({ address: "/error", args: ["/error", `${b.suppressed} more errors suppressed`] }, {
          address,
          port: b.port,
        });
        b.suppressed = 0;
      } else if (Date.now() - b.at > 1000) this.#buckets.delete(address);
    }
    if (this.#buckets.size === 0) {
      clearInterval(this.#bucketTimer);
      this.#bucketTimer = undefined;
    }
  }

  #packet(buf: Uint8Array, from: Peer): void {
    if (!this.#allowed(from.address)) {
      this.counts.dropped++; // unanswered: not even an error goes to a sender outside the allow-list
      return;
    }
    const rinfo = { ...from, request: buf.length, packet: { rejected: false } };
    this.counts.packets++;
    this.#packetErrors = { count: 0 };
    this.#engine.client = rinfo.address;
    try {
      this.#handlePacket(buf, rinfo);
    } finally {
      this.#engine.client = "";
      const { first, count } = this.#packetErrors;
      this.#packetErrors = undefined;
      if (first) {
        const many = count > 1
          ? `${count} of ${this.#messages} messages refused; first: ${first.args[0]}: `
          : "";
        this.#reply(many ? { address: "/error", args: ["#bundle", many + first.args[1]] } : first, rinfo);
        this.counts.rejectedPackets++;
        rinfo.packet.rejected = true;
      } else this.counts.acceptedPackets++;
    }
  }

  #messages = 0;

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
      this.#messages = p.kind === "bundle" ? countMessages(p, 0) : 1;
      if (this.#messages > MAX_PACKET_MESSAGES) {
        const n = this.#messages === Infinity ? "bundles nested too deep" : `it holds ${this.#messages}`;
        this.#reply(
          {
            address: "/error",
            args: ["#bundle", `a packet carries at most ${MAX_PACKET_MESSAGES} messages (${n})`],
          },
          rinfo,
        );
        return;
      }
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
    const peer = {
      subscribe: (on: boolean, port = rinfo.port) => this.#subscribe(rinfo.address, port, on),
      trusted: this.#trusted(rinfo.address),
      name: `${rinfo.address}:${rinfo.port}`,
    };
    const later = (r: OscReply) => this.#later(r, rinfo);
    for (const r of this.router.handle(m.address, m.args, delivery, later, peer, m.types)) {
      this.#reply(r, rinfo);
    }
  }

  // A reply that comes after its packet was handled (an analysis, a read, a recording). An /error then refuses
  // the packet: it was counted accepted, and is counted refused instead; a packet gets one /error, as at once.
  #later(r: OscReply, rinfo: Peer): void {
    const packet = rinfo.packet;
    if (r.address === "/error" && packet) {
      if (packet.rejected) {
        this.counts.repeated++;
        return;
      }
      packet.rejected = true;
      this.counts.acceptedPackets--;
      this.counts.rejectedPackets++;
    }
    this.#reply(r, rinfo);
  }

  // /notify 1|0 [port] (osc/routes/engine.ts): events, meters and a copy of every reply to this host go to the
  // sender, or to `port` on its host (tools that cannot receive on the port they send from, like liblo's
  // oscsend/oscdump).
  #subscribe(host: string, port: number, on: boolean): void {
    this.#expire();
    if (!on) this.#subscribers.delete(host);
    else if (this.#subscribers.has(host) || this.#subscribers.size < MAX_SUBSCRIBERS) {
      this.#subscribers.set(host, { address: host, port, since: Date.now() });
    } else {
      throw new ClientError(
        `${MAX_SUBSCRIBERS} addresses subscribe already (each lapses ${
          this.#subscriptionMs / 1000
        } s after its last /notify 1)`,
      );
    }
    this.#meters();
  }

  /** Subscribers now (one per address). */
  get subscribers(): number {
    this.#expire();
    return this.#subscribers.size;
  }

  #expire(): void {
    const now = Date.now();
    for (const [k, s] of this.#subscribers) {
      if (now - s.since > this.#subscriptionMs) this.#subscribers.delete(k);
    }
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
      this.#expire();
      if (this.#subscribers.size === 0) return this.#meters();
      if (!this.#engine.running) return;
      const m = meters(this.#engine.recentAudio(2048), this.#engine.sampleRate);
      this.#broadcast({ address: "/viz/levels", args: m.levels });
      this.#broadcast({ address: "/viz/spectrum", args: m.spectrum });
    }, 100);
  }
}

// Messages in a bundle, nested ones included (Infinity past MAX_NESTING: refused whole).
function countMessages(b: PacketBundle, depth: number): number {
  if (depth >= MAX_NESTING) return Infinity;
  let n = 0;
  for (const el of b.elements) n += el.kind === "bundle" ? countMessages(el, depth + 1) : 1;
  return n;
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
