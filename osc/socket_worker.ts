// The OSC socket, in a worker of its own. The kernel keeps about 256 datagrams for a socket; at 20,000
// messages a second that is 13 ms, less than the main thread's longest pauses (worker spawns, collections,
// VM steal: 15–36 ms measured). This worker only receives and forwards, so it drains the kernel's buffer
// even while the main thread is paused; what arrives meanwhile waits in the message queue, in order. It also
// sends the replies, from the same port. Its kernel buffer is enlarged to 4 MiB (ffi/socket_buffer.ts), so
// that a pause of the worker itself (hypervisor steal) costs latency, not datagrams.
/// <reference lib="deno.worker" />
import { enlargeReceiveBuffer, RECEIVE_BUFFER_BYTES } from "../ffi/socket_buffer.ts";
import type { SocketEvent, SocketRequest } from "../core/messages.ts";

let sock: Deno.DatagramConn | null = null;
let sending: Promise<unknown> = Promise.resolve();

// Packets go to the main thread one by one while they are sparse (a reply is then as quick as it can be),
// in batches while they stream (more than one every 0.2 ms on average): one message per datagram would
// cost the main thread more than the datagram itself at 20,000 a second. A batch leaves after 64 packets
// or 1 ms, whichever comes first.
let batch: { bytes: Uint8Array; hostname: string; port: number }[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let lastArrival = 0;
let meanGapMs = 1;

function flush(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (batch.length === 0) return;
  const packets = batch;
  batch = [];
  self.postMessage(
    { type: "packets", packets } satisfies SocketEvent,
    packets.map((p) => p.bytes.buffer as ArrayBuffer),
  );
}

async function receive(s: Deno.DatagramConn): Promise<void> {
  for (;;) {
    let got: [Uint8Array, Deno.Addr];
    try {
      got = await s.receive();
    } catch {
      flush();
      return; // closed
    }
    const from = got[1] as Deno.NetAddr;
    batch.push({ bytes: got[0], hostname: from.hostname, port: from.port });
    const now = performance.now();
    meanGapMs += (Math.min(now - lastArrival, 10) - meanGapMs) * 0.1;
    lastArrival = now;
    if (batch.length >= 64 || meanGapMs > 0.2) flush();
    else timer ??= setTimeout(flush, 1);
  }
}

self.onmessage = (e: MessageEvent<SocketRequest>) => {
  const m = e.data;
  if (m.type === "listen") {
    try {
      sock = Deno.listenDatagram({ hostname: m.hostname, port: m.port, transport: "udp" });
    } catch (err) {
      self.postMessage({ type: "failed", message: (err as Error).message } satisfies SocketEvent);
      return;
    }
    const addr = sock.addr as Deno.NetAddr;
    let receiveBuffer = 0, receiveBufferNote: string | undefined;
    try {
      receiveBuffer = enlargeReceiveBuffer(addr, RECEIVE_BUFFER_BYTES).bytes;
      // The kernel reports twice what it was asked for, or twice net.core.rmem_max when that is lower.
      if (receiveBuffer < 2 * RECEIVE_BUFFER_BYTES) {
        receiveBufferNote = `OSC receive buffer is ${receiveBuffer >> 10} KiB (asked ${
          RECEIVE_BUFFER_BYTES >> 10
        } KiB): bursts may drop; raise it with sysctl net.core.rmem_max=${RECEIVE_BUFFER_BYTES}`;
      }
    } catch (err) {
      receiveBufferNote = `cannot enlarge the OSC receive buffer (${
        (err as Error).message
      }): bursts may drop`;
    }
    self.postMessage(
      { type: "listening", port: addr.port, receiveBuffer, receiveBufferNote } satisfies SocketEvent,
    );
    receive(sock);
  } else if (m.type === "send" && sock) {
    const s = sock, addr: Deno.NetAddr = { transport: "udp", hostname: m.hostname, port: m.port };
    sending = sending.then(() => s.send(m.bytes, addr)).catch((err) => {
      console.error(`[chronus] osc: cannot send to ${m.hostname}:${m.port}: ${(err as Error).message}`);
    });
  } else if (m.type === "close") {
    sending.then(() => {
      sock?.close();
      self.postMessage({ type: "closed" } satisfies SocketEvent);
      self.close();
    });
  }
};
