// The patch graph inside the DSP: module instances, connections, parameters and the processing plan.
// Everything lives in linear memory (static tables plus an arena), so a snapshot is still the whole state.
//
// One module's arena block (sizes fixed per type once the sample rate and block size are known):
//   ┌──────────────────┬────────────────────────┬───────────────────┬─────────┬──────────┬────────────────┬───────┐
//   │ Param × nParam   │ per-sample buffer per  │ outputs           │ input   │ input    │ input scratch  │ state │
//   │ (64 B each)      │ audio-rate param (B f32)│ nOut × B f32      │ ptrs    │ list     │ nIn × B f32    │       │
//   └──────────────────┴────────────────────────┴───────────────────┴─────────┴──────────┴────────────────┴───────┘
// Buffers are indexed by the frame inside the block, so a span [from, to) reads and writes [from, to) and a
// module processed before its source (a cycle) reads the source's previous block: a one-block delay.
import { G } from "./globals";
import { CONN_PARAM, MAX_CONNS, MAX_MODULES } from "./layout";
import { at, connected, exp2f, Inst, outp, Param, PARAM_BYTES, prm, smoothingCoef, ZERO } from "./module_abi";
import {
  P_AUDIO,
  P_DEFAULT,
  P_MAX,
  P_MIN,
  P_MOD_EXP,
  P_SMOOTH_MS,
  T_NIN,
  T_NOUT,
  T_NPARAM,
  T_PBASE,
  T_VOICE,
  TYPE_COUNT,
} from "./gen/defs";
import { voiceQuadProcess } from "./modules/voice";
import { gateModule, initModule, paramChanged, processModule, stateBytes } from "./modules/index";

@unmanaged
class Conn {
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

const INST_BYTES: i32 = 64; // offsetof<Inst>() = 64
const CONN_BYTES: i32 = 48;
const INSTS = memory.data(MAX_MODULES * INST_BYTES, 16);
const CONNS = memory.data(MAX_CONNS * CONN_BYTES, 16);
const PLAN = memory.data(MAX_MODULES * 4, 16);
const FREE = memory.data(64 * 4, 16); // free list head per type (0 = empty); TYPE_COUNT ≤ 64

@inline
export function inst(id: i32): Inst {
  return changetype<Inst>(INSTS + <usize> id * <usize> INST_BYTES);
}

@inline
function conn(id: i32): Conn {
  return changetype<Conn>(CONNS + <usize> id * <usize> CONN_BYTES);
}

@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize> 15);
}

/** Resets the graph (no modules, no connections, empty plan) and the arena. */
export function graphInit(): void {
  memory.fill(INSTS, 0, <usize> (MAX_MODULES * INST_BYTES));
  memory.fill(CONNS, 0, <usize> (MAX_CONNS * CONN_BYTES));
  memory.fill(FREE, 0, 64 * 4);
  G.planLen = 0;
  G.arenaTop = align16(__heap_base);
}

/** Bytes from the start of memory that hold state (static data plus the used arena). */
export function graphUsedBytes(): usize {
  return G.arenaTop;
}

function audioParams(type: i32): i32 {
  const base = load<i32>(T_PBASE + (<usize> type << 2));
  const n = load<i32>(T_NPARAM + (<usize> type << 2));
  let c = 0;
  for (let p = 0; p < n; p++) c += load<i32>(P_AUDIO + (<usize> (base + p) << 2));
  return c;
}

function blockBytes(type: i32): usize {
  const B = <usize> G.block * 4;
  const nIn = <usize> load<i32>(T_NIN + (<usize> type << 2));
  const nOut = <usize> load<i32>(T_NOUT + (<usize> type << 2));
  const nP = <usize> load<i32>(T_NPARAM + (<usize> type << 2));
  return align16(nP * PARAM_BYTES + <usize> audioParams(type) * B + nOut * B + align16(nIn * 8) + nIn * B) +
    align16(<usize> stateBytes(type));
}

/** Creates module `id` of `type`; returns false (and changes nothing) when the id, type or memory is bad. */
export function createModule(id: i32, type: i32, seed: u32): bool {
  if (id <= 0 || id >= MAX_MODULES || type < 0 || type >= TYPE_COUNT) return false;
  const m = inst(id);
  if (m.active) return false;
  const size = blockBytes(type);
  let mem = load<usize>(FREE + (<usize> type << 2));
  if (mem != 0) {
    store<usize>(FREE + (<usize> type << 2), load<usize>(mem)); // pop the free list
  } else {
    if (G.arenaTop + size > (<usize> memory.size() << 16)) return false;
    mem = G.arenaTop;
    G.arenaTop += size;
  }
  memory.fill(mem, 0, size);
  const B = <usize> G.block * 4;
  const nIn = load<i32>(T_NIN + (<usize> type << 2));
  const nOut = load<i32>(T_NOUT + (<usize> type << 2));
  const nP = load<i32>(T_NPARAM + (<usize> type << 2));
  const base = load<i32>(T_PBASE + (<usize> type << 2));
  m.type = type;
  m.nIn = nIn;
  m.nOut = nOut;
  m.nParam = nP;
  const mixed = (seed ^ G.seed) * 0x9e3779b1;
  m.seed = mixed == 0 ? 0x9e3779b9 : mixed;
  m.size = <i32> size;
  m.params = mem;
  let cursor = mem + <usize> nP * PARAM_BYTES;
  for (let p = 0; p < nP; p++) {
    const q = prm(m, p);
    const k = base + p;
    q.min = load<f64>(P_MIN + (<usize> k << 3));
    q.max = load<f64>(P_MAX + (<usize> k << 3));
    q.value = q.target = load<f64>(P_DEFAULT + (<usize> k << 3));
    q.coef = smoothingCoef(load<f64>(P_SMOOTH_MS + (<usize> k << 3)));
    q.modHead = -1;
    q.modExp = load<i32>(P_MOD_EXP + (<usize> k << 2));
    q.constant = <f32> q.value;
    q.ptr = changetype<usize>(q) + offsetof<Param>("constant");
    q.step = 0;
    if (load<i32>(P_AUDIO + (<usize> k << 2))) {
      q.buf = cursor;
      cursor += B;
    }
  }
  m.outs = cursor;
  cursor += <usize> nOut * B;
  m.ins = cursor;
  m.heads = cursor + <usize> nIn * 4;
  cursor += align16(<usize> nIn * 8);
  for (let j = 0; j < nIn; j++) {
    store<usize>(m.ins + (<usize> j << 2), ZERO);
    store<i32>(m.heads + (<usize> j << 2), -1);
  }
  m.scratch = cursor;
  cursor += <usize> nIn * B;
  m.state = align16(cursor);
  m.active = 1;
  initModule(m);
  return true;
}

/** Deletes module `id` and every connection into or out of it. */
export function deleteModule(id: i32): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  const m = inst(id);
  if (!m.active) return;
  for (let c = 0; c < MAX_CONNS; c++) {
    const k = conn(c);
    if (k.active && (k.src == id || k.dst == id)) disconnect(c);
  }
  for (let i = 0; i < G.planLen; i++) {
    if (load<i32>(PLAN + (<usize> i << 2)) == id) store<i32>(PLAN + (<usize> i << 2), 0);
  }
  const mem = m.params;
  store<usize>(mem, load<usize>(FREE + (<usize> m.type << 2)));
  store<usize>(FREE + (<usize> m.type << 2), mem);
  memory.fill(changetype<usize>(m), 0, <usize> INST_BYTES);
}

/** Sets a parameter's target (clamped to its range). */
export function setParam(id: i32, p: i32, v: f64): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  const m = inst(id);
  if (!m.active || p < 0 || p >= m.nParam || !isFinite(v)) return;
  const q = prm(m, p);
  q.target = Math.min(Math.max(v, q.min), q.max);
  m.still = 0;
  // A module's initial values (set in the transaction that creates it) must not glide from the defaults.
  if (q.coef >= 1.0 || !m.rendered) q.value = q.target;
  paramChanged(m, p);
}

/** Gate on/off at this frame (modules that take no gate ignore it). */
export function gate(id: i32, on: bool, velocity: f64): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  const m = inst(id);
  if (m.active) gateModule(m, on, Math.min(Math.max(velocity, 0.0), 1.0));
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

/** Changes a connection's depth. */
export function setDepth(c: i32, depth: f64): void {
  if (c >= 0 && c < MAX_CONNS && conn(c).active && isFinite(depth)) conn(c).depth = depth;
}

/** Sets position i of the processing order. */
export function setPlan(i: i32, id: i32): void {
  if (i >= 0 && i < MAX_MODULES) store<i32>(PLAN + (<usize> i << 2), id);
}

/** Sets the number of modules in the processing order. */
export function setPlanLength(n: i32): void {
  G.planLen = n < 0 ? 0 : n > MAX_MODULES ? MAX_MODULES : n;
}

// Resolves inputs for [from, to): nothing = zeros, one cable at depth 1 = the source buffer itself, else a sum.
function prepareInputs(m: Inst, from: i32, to: i32): void {
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

// Smooths and modulates audio-rate parameters into per-sample buffers (or a constant when nothing moves).
function prepareParams(m: Inst, from: i32, to: i32): void {
  if (m.still) return; // every pointer still points at a constant that has not changed
  let still = 1;
  for (let p = 0; p < m.nParam; p++) {
    const q = prm(m, p);
    if (q.buf == 0) {
      if (q.modHead < 0) q.value = q.target;
      else {
        q.value = control(q, from);
        still = 0;
      }
      continue;
    }
    if (q.modHead < 0 && q.value == q.target) {
      q.constant = <f32> q.value;
      q.ptr = changetype<usize>(q) + offsetof<Param>("constant");
      q.step = 0;
      continue;
    }
    still = 0;
    const buf = q.buf;
    let v = q.value;
    const t = q.target, k = q.coef;
    if (v == t) {
      const c = <f32> v;
      for (let i = from; i < to; i++) store<f32>(buf + (<usize> i << 2), c);
    } else {
      for (let i = from; i < to; i++) {
        v += (t - v) * k;
        store<f32>(buf + (<usize> i << 2), <f32> v);
      }
      // Land exactly on the target once closer than the f32 resolution: later spans take the constant path.
      if (Math.abs(t - v) <= Math.abs(t) * 1e-7 + 1e-12) v = t;
      q.value = v;
    }
    if (q.modHead >= 0) {
      let c = q.modHead;
      while (c >= 0) {
        const k2 = conn(c);
        const src = outp(inst(k2.src), k2.srcPort);
        const d = <f32> k2.depth;
        if (q.modExp) {
          for (let i = from; i < to; i++) {
            const a = buf + (<usize> i << 2);
            store<f32>(a, load<f32>(a) * exp2f(load<f32>(src + (<usize> i << 2)) * d));
          }
        } else {
          for (let i = from; i < to; i++) {
            const a = buf + (<usize> i << 2);
            store<f32>(a, load<f32>(a) + load<f32>(src + (<usize> i << 2)) * d);
          }
        }
        c = k2.next;
      }
      const lo = <f32> q.min, hi = <f32> q.max;
      for (let i = from; i < to; i++) {
        const a = buf + (<usize> i << 2);
        store<f32>(a, min<f32>(max<f32>(load<f32>(a), lo), hi));
      }
    }
    q.ptr = buf;
    q.step = 4;
  }
  m.still = still;
}

// A control-rate parameter with modulation: sampled at the span's first frame.
function control(q: Param, from: i32): f64 {
  let v = q.target;
  let c = q.modHead;
  while (c >= 0) {
    const k = conn(c);
    const s = <f64> load<f32>(outp(inst(k.src), k.srcPort) + (<usize> from << 2)) * k.depth;
    v = q.modExp ? v * Math.exp(s * Math.LN2) : v + s; // not Math.pow: it keeps a mutable global
    c = k.next;
  }
  return Math.min(Math.max(v, q.min), q.max);
}

// True when nothing of module `src` reaches module m (inputs or parameter modulation).
function independent(m: Inst, src: i32): bool {
  for (let j = 0; j < m.nIn; j++) {
    for (let c = load<i32>(m.heads + (<usize> j << 2)); c >= 0; c = conn(c).next) if (conn(c).src == src) return false;
  }
  if (m.mods == 0) return true;
  for (let p = 0; p < m.nParam; p++) {
    for (let c = prm(m, p).modHead; c >= 0; c = conn(c).next) if (conn(c).src == src) return false;
  }
  return true;
}

// True when plan entries i … i+3 are active voices and none feeds a later one.
function quad(i: i32): bool {
  for (let j = 1; j < 4; j++) {
    const id = load<i32>(PLAN + (<usize> (i + j) << 2));
    if (id <= 0) return false;
    const q = inst(id);
    if (!q.active || q.type != T_VOICE) return false;
    for (let k = 0; k < j; k++) if (!independent(q, load<i32>(PLAN + (<usize> (i + k) << 2)))) return false;
  }
  return true;
}

/** Runs the plan over frames [from, to). */
export function renderGraph(from: i32, to: i32): void {
  const n = G.planLen;
  G.span++;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(PLAN + (<usize> i << 2));
    if (id <= 0) continue;
    const m = inst(id);
    if (!m.active) continue;
    prepareInputs(m, from, to);
    prepareParams(m, from, to);
    // Four adjacent voices that do not feed each other render together (f32x4; the same samples as one by one).
    if (m.type == T_VOICE && i + 3 < n && quad(i)) {
      const m1 = inst(load<i32>(PLAN + (<usize> (i + 1) << 2)));
      const m2 = inst(load<i32>(PLAN + (<usize> (i + 2) << 2)));
      const m3 = inst(load<i32>(PLAN + (<usize> (i + 3) << 2)));
      prepareInputs(m1, from, to);
      prepareParams(m1, from, to);
      prepareInputs(m2, from, to);
      prepareParams(m2, from, to);
      prepareInputs(m3, from, to);
      prepareParams(m3, from, to);
      voiceQuadProcess(m, m1, m2, m3, from, to);
      m.rendered = m1.rendered = m2.rendered = m3.rendered = 1;
      wrote(m);
      wrote(m1);
      wrote(m2);
      wrote(m3);
      i += 3;
      continue;
    }
    processModule(m, from, to);
    m.rendered = 1;
    wrote(m);
  }
}

// A module just wrote its outputs: a cached scan of one of them (a reader behind a cycle scanned it before)
// is stale now.
@inline
function wrote(m: Inst): void {
  const b = G.edgeBuf;
  if (b >= m.outs && b < m.outs + <usize> (m.nOut * G.block) * 4) G.span++;
}
