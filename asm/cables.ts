// Cables: connections from a module's output to another's input or parameter, with a depth. The cables into
// one input (or one parameter) form a linked list whose head is in the destination (Inst.heads, Param.modHead),
// so preparing a module walks only its own cables. Connection records live in a static table indexed by the
// id the control side chose, so a command names a cable without a search.
//
// Before a module renders a span, prepareInputs resolves each input to one block: ZERO when unconnected, the
// source's own output block for one cable at depth 1 (no copy), else the sum of depth·source into the
// module's scratch. Parameter cables are smoothing.ts's.
import { G } from "./globals";
import { CONN_PARAM, MAX_CONNS, MAX_MODULES } from "./layout";
import { Inst, outp, Param, prm, ZERO } from "./module_abi";
import { inst } from "./arena";

@unmanaged
export class Conn {
  src: i32;
  srcPort: i32;
  dst: i32;
  isParam: i32;
  index: i32;
  next: i32;
  active: i32;
  pad: i32;
  depth: f64;
}

const CONN_BYTES: i32 = 48;
const CONNS = memory.data(MAX_CONNS * CONN_BYTES, 16);

/** Connection `id`'s record. */
@inline
export function conn(id: i32): Conn {
  return changetype<Conn>(CONNS + <usize> id * <usize> CONN_BYTES);
}

/** Removes every connection. */
export function cablesInit(): void {
  memory.fill(CONNS, 0, <usize> (MAX_CONNS * CONN_BYTES));
}

function listHead(k: Conn): usize {
  const m = inst(k.dst);
  return k.isParam ? changetype<usize>(prm(m, k.index)) + offsetof<Param>("modHead") : m.heads + (<usize> k.index << 2);
}

/** Connects output `srcPort` of `src` to an input (or, with CONN_PARAM, a parameter) of `dst`. */
export function connect(c: i32, src: i32, srcPortAndKind: i32, dst: i32, index: i32, depth: f64): void {
  if (c < 0 || c >= MAX_CONNS || conn(c).active) return;
  if (src <= 0 || src >= MAX_MODULES || dst <= 0 || dst >= MAX_MODULES) return;
  const s = inst(src), d = inst(dst);
  const srcPort = srcPortAndKind & 0xffff;
  const isParam = (srcPortAndKind & CONN_PARAM) != 0;
  if (!s.active || !d.active || srcPort >= s.nOut || index < 0 || index >= (isParam ? d.nParam : d.nIn)) return;
  if (!isFinite(depth)) return;
  const k = conn(c);
  k.src = src;
  k.srcPort = srcPort;
  k.dst = dst;
  k.isParam = isParam ? 1 : 0;
  k.index = index;
  k.depth = depth;
  k.active = 1;
  const head = listHead(k);
  k.next = load<i32>(head);
  store<i32>(head, c);
  d.still = 0;
  if (isParam) d.mods++;
}

/** Removes connection c. */
export function disconnect(c: i32): void {
  if (c < 0 || c >= MAX_CONNS) return;
  const k = conn(c);
  if (!k.active) return;
  let at = listHead(k);
  while (load<i32>(at) >= 0) {
    const cur = load<i32>(at);
    if (cur == c) {
      store<i32>(at, k.next);
      break;
    }
    at = changetype<usize>(conn(cur)) + offsetof<Conn>("next");
  }
  k.active = 0;
  inst(k.dst).still = 0;
  if (k.isParam) inst(k.dst).mods--;
  if (!k.isParam) store<usize>(inst(k.dst).ins + (<usize> k.index << 2), ZERO);
}

/** Removes every connection into or out of module `id`. */
export function disconnectModule(id: i32): void {
  for (let c = 0; c < MAX_CONNS; c++) {
    const k = conn(c);
    if (k.active && (k.src == id || k.dst == id)) disconnect(c);
  }
}

/** Changes a connection's depth. */
export function setDepth(c: i32, depth: f64): void {
  if (c >= 0 && c < MAX_CONNS && conn(c).active && isFinite(depth)) conn(c).depth = depth;
}

/**
 * Resolves module m's inputs for [from, to): nothing = zeros, one cable at depth 1 = the source's buffer itself,
 * else a sum.
 */
export function prepareInputs(m: Inst, from: i32, to: i32): void {
  const B = <usize> G.block * 4;
  for (let j = 0; j < m.nIn; j++) {
    let c = load<i32>(m.heads + (<usize> j << 2));
    let ptr = ZERO;
    if (c >= 0) {
      const k = conn(c);
      if (k.next < 0 && k.depth == 1.0) {
        ptr = outp(inst(k.src), k.srcPort);
      } else {
        // The first cable writes the sum, the others add (a cable at depth 1 skips the multiply).
        ptr = m.scratch + <usize> j * B;
        let first = true;
        while (c >= 0) {
          const q = conn(c);
          const src = outp(inst(q.src), q.srcPort);
          const d = <f32> q.depth;
          mix(ptr, src, d, from, to, first);
          first = false;
          c = q.next;
        }
      }
    }
    store<usize>(m.ins + (<usize> j << 2), ptr);
  }
}

// dst[i] = src[i]·d (first) or dst[i] + src[i]·d over [from, to); four lanes at a time, lane-wise the same
// IEEE operations as one at a time, so the sums do not depend on alignment or span length.
function mix(dst: usize, src: usize, d: f32, from: i32, to: i32, first: bool): void {
  let i = from;
  const dv = f32x4.splat(d);
  if (first) {
    for (; i + 4 <= to; i += 4) {
      const o = <usize> i << 2;
      v128.store(dst + o, f32x4.mul(v128.load(src + o), dv));
    }
    for (; i < to; i++) store<f32>(dst + (<usize> i << 2), load<f32>(src + (<usize> i << 2)) * d);
  } else if (d == 1) {
    for (; i + 4 <= to; i += 4) {
      const o = <usize> i << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; i < to; i++) {
      const a = dst + (<usize> i << 2);
      store<f32>(a, load<f32>(a) + load<f32>(src + (<usize> i << 2)));
    }
  } else {
    for (; i + 4 <= to; i += 4) {
      const o = <usize> i << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(src + o), dv)));
    }
    for (; i < to; i++) {
      const a = dst + (<usize> i << 2);
      store<f32>(a, load<f32>(a) + load<f32>(src + (<usize> i << 2)) * d);
    }
  }
}

/** True when no cable from module `src` reaches module m (its inputs or its parameters). */
export function independent(m: Inst, src: i32): bool {
  for (let j = 0; j < m.nIn; j++) {
    for (let c = load<i32>(m.heads + (<usize> j << 2)); c >= 0; c = conn(c).next) if (conn(c).src == src) return false;
  }
  if (m.mods == 0) return true;
  for (let p = 0; p < m.nParam; p++) {
    for (let c = prm(m, p).modHead; c >= 0; c = conn(c).next) if (conn(c).src == src) return false;
  }
  return true;
}
