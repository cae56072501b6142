// A UDP socket's kernel receive buffer, enlarged through libc. The default (212,992 bytes on Debian) holds
// about 270 small datagrams, since each costs ~770 bytes of kernel memory: 13 ms of a 20,000 msg/s stream,
// less than the pauses a busy 2-vCPU machine gives any thread (10–25 ms of hypervisor steal, measured). Deno
// does not expose setsockopt or a socket's file descriptor, so this finds the descriptor bound to the
// socket's address (getsockname on each open descriptor) and sets SO_RCVBUF on it.
//
// The kernel caps SO_RCVBUF at net.core.rmem_max; SO_RCVBUFFORCE passes the cap with CAP_NET_ADMIN (root)
// and is tried first. Either way the kernel doubles the value for its bookkeeping, and getsockopt reports
// the doubled figure, which is what `enlargeReceiveBuffer` returns.
//
//   struct sockaddr_in  { u16 family @0 (host order); u16 port @2 (network order); u8 addr[4] @4; … }  16 B
//   struct sockaddr_in6 { u16 family @0; u16 port @2; u32 flowinfo @4; u8 addr[16] @8; u32 scope @24 } 28 B

/** The receive buffer the OSC socket asks for: ~5,400 small datagrams, 270 ms of a 20,000 msg/s stream. */
export const RECEIVE_BUFFER_BYTES = 4 << 20;

const AF_INET = 2, AF_INET6 = 10;
const MAX_FD = 4096; // far above what the engine opens (sockets, workers, the log, a recording)
const SOL_SOCKET = 1, SO_RCVBUF = 8, SO_RCVBUFFORCE = 33;

import { openLibc } from "./libc.ts";

const symbols = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

/** What the kernel gave: the receive buffer in bytes (as getsockopt reports it) and how it was set. */
export interface ReceiveBuffer {
  /** Its size in bytes as getsockopt reports it: double what the kernel granted (its bookkeeping). */
  bytes: number;
  /** True when SO_RCVBUFFORCE set it (root: past net.core.rmem_max); false when SO_RCVBUF did, capped. */
  forced: boolean;
}

/** Sets the receive buffer of the UDP socket bound to `addr` to `bytes`; returns what the kernel gave. */
export function enlargeReceiveBuffer(addr: Deno.NetAddr, bytes: number): ReceiveBuffer {
  const libc = openLibc(symbols);
  try {
    const fd = findSocket(libc.symbols, addr);
    const value = new Int32Array([bytes]);
    const forced = libc.symbols.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, u8(value), 4) === 0;
    if (!forced && libc.symbols.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, u8(value), 4) !== 0) {
      throw new Error("setsockopt(SO_RCVBUF) failed");
    }
    const got = new Int32Array(1), len = new Uint32Array([4]);
    if (libc.symbols.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, u8(got), u8(len)) !== 0) {
      throw new Error("getsockopt(SO_RCVBUF) failed");
    }
    return { bytes: got[0], forced };
  } finally {
    libc.close();
  }
}

function findSocket(libc: Deno.DynamicLibrary<typeof symbols>["symbols"], addr: Deno.NetAddr): number {
  const want = addressBytes(addr.hostname);
  // Every descriptor is asked rather than /proc/self/fd listed: Deno grants /proc/self only with
  // --allow-all, and getsockname on a closed or non-socket descriptor just fails (EBADF, ENOTSOCK).
  for (let fd = 0; fd < MAX_FD; fd++) {
    const sa = new Uint8Array(128), len = new Uint32Array([sa.length]);
    if (libc.getsockname(fd, sa, u8(len)) !== 0) continue;
    const family = sa[0] | (sa[1] << 8), port = (sa[2] << 8) | sa[3];
    if (port !== addr.port) continue;
    const bytes = family === AF_INET ? sa.subarray(4, 8) : family === AF_INET6 ? sa.subarray(8, 24) : null;
    if (bytes && bytes.length === want.length && bytes.every((b, i) => b === want[i])) return fd;
  }
  throw new Error(`no socket bound to ${addr.hostname}:${addr.port} in this process`);
}

/** The address as the kernel stores it: 4 bytes for IPv4, 16 for IPv6. */
function addressBytes(hostname: string): Uint8Array {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hostname)) return new Uint8Array(hostname.split(".").map(Number));
  const h = hostname.replace(/^\[|\]$/g, "");
  const [head, tail = ""] = h.includes("::") ? h.split("::") : [h, ""];
  const groups = (s: string) => s ? s.split(":").map((g) => parseInt(g, 16)) : [];
  const a = groups(head), b = groups(tail);
  const all = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  return new Uint8Array(all.flatMap((g) => [g >> 8, g & 0xff]));
}

function u8(a: Int32Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer);
}
