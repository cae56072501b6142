// Who may send to the OSC server (--osc-allow): this machine always, then the allow-list's addresses and
// CIDRs, IPv4 and IPv6. Checked on every packet before it is decoded (osc/server.ts).

/** This machine: always allowed to send, never rate-limited, sent replies of any size. */
export function isSelf(address: string): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

/** True for 127.0.0.0/8 and ::1: loopback peers are this machine's processes. */
export function isLoopback(address: string): boolean {
  return isSelf(address) || /^(::ffff:)?127\./.test(address);
}

/** Parses an allow-list entry (an IPv4 or IPv6 address, optionally /prefix) into a matcher; throws for a bad one. */
export function parseCidr(spec: string): (address: string) => boolean {
  const [addr, bitsText, more] = spec.trim().split("/");
  const bytes = ipBytes(addr);
  const bits = bitsText === undefined ? bytes?.length! * 8 : Number(bitsText);
  if (!bytes || more !== undefined || !Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) {
    throw new Error(`"${spec}" is not an address or CIDR (like 192.168.1.0/24 or 10.0.0.5)`);
  }
  return (address: string) => {
    const b = ipBytes(address.replace(/^::ffff:(?=\d+\.)/, ""));
    if (!b || b.length !== bytes.length) return false;
    for (let i = 0; i < bits; i++) {
      const m = 0x80 >> (i & 7);
      if ((b[i >> 3] & m) !== (bytes[i >> 3] & m)) return false;
    }
    return true;
  };
}

function ipBytes(a: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) {
    const p = a.split(".").map(Number);
    return p.every((x) => x <= 255) ? p : undefined;
  }
  if (!a.includes(":") || !/^[0-9a-f:]+$/i.test(a)) return undefined;
  const [head, tail, extra] = a.split("::");
  if (extra !== undefined) return undefined;
  const h = head ? head.split(":") : [], t = tail ? tail.split(":") : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const words = [...h, ...Array(fill).fill("0"), ...t];
  if (words.some((w) => !/^[0-9a-f]{1,4}$/i.test(w))) return undefined;
  return words.flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 255]);
}
