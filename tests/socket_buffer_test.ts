// The OSC socket's kernel receive buffer: the default one drops a burst that the enlarged one keeps whole.
import assert from "node:assert/strict";
import { enlargeReceiveBuffer, RECEIVE_BUFFER_BYTES } from "../ffi/socket_buffer.ts";

const BURST = 3000;

/** Sends BURST small datagrams to a socket that does not read, then counts what it kept. */
async function burstKept(enlarge: boolean): Promise<{ kept: number; bytes: number }> {
  const rx = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const tx = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const bytes = enlarge ? enlargeReceiveBuffer(rx.addr as Deno.NetAddr, RECEIVE_BUFFER_BYTES).bytes : 0;
  const packet = new TextEncoder().encode("/mod/voice1/cutoff\0\0,f\0\0\x44\x7a\0\0");
  for (let i = 0; i < BURST; i++) await tx.send(packet, rx.addr);
  let kept = 0;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const got = await Promise.race([
      rx.receive().then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), 200)),
    ]);
    clearTimeout(timer);
    if (!got) break;
    kept++;
  }
  rx.close();
  tx.close();
  return { kept, bytes };
}

Deno.test("socket buffer: the enlarged receive buffer keeps a 3,000-datagram burst the default one drops", async () => {
  const rmemMax = Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max"));
  const plain = await burstKept(false);
  const big = await burstKept(true);
  // The kernel doubles what it is given; SO_RCVBUFFORCE (root) passes net.core.rmem_max.
  const root = Deno.uid() === 0;
  assert.equal(big.bytes, 2 * (root ? RECEIVE_BUFFER_BYTES : Math.min(RECEIVE_BUFFER_BYTES, rmemMax)));
  assert.ok(plain.kept < BURST, `the default buffer kept all ${BURST}: the burst does not test anything`);
  if (big.bytes === 2 * RECEIVE_BUFFER_BYTES) assert.equal(big.kept, BURST);
  else assert.ok(big.kept > plain.kept, `enlarged kept ${big.kept}, default ${plain.kept}`);
  console.log(`default buffer kept ${plain.kept}, ${big.bytes >> 10} KiB kept ${big.kept} of ${BURST}`);
});

Deno.test("socket buffer: an address no socket of this process is bound to is an error", () => {
  assert.throws(
    () => enlargeReceiveBuffer({ transport: "udp", hostname: "127.0.0.1", port: 9 }, 1 << 20),
    /no socket bound to 127\.0\.0\.1:9/,
  );
});
