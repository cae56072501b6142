// The patch graph inside the DSP: which modules exist and the order they run in. The control side
// (patch/graph.ts) decides the order, breaking cycles, and sends it as the plan; this file runs it, span by
// span. Where modules live is arena.ts's, their cables cables.ts's, their parameters smoothing.ts's, and
// which kernel a type runs the generated dispatch's (asm/gen/dispatch.ts, from the kernels' hooks).
//
// Buffers are indexed by the frame inside the block, so a span [from, to) reads and writes [from, to) and a
// module processed before its source (a cycle) reads the source's previous block: a one-block delay.
import { G } from "./globals";
import { MAX_MODULES } from "./layout";
import { Inst } from "./module_abi";
import { TYPE_COUNT } from "./gen/defs";
import { arenaInit, arenaUsedBytes, freeModule, inst, placeModule } from "./arena";
import { cablesInit, disconnectModule, independent, prepareInputs } from "./cables";
import { paramsInit, prepareParams, setTarget } from "./smoothing";
import { gateModule, initModule, paramChanged, processModule, processQuad, rendersInFours } from "./gen/dispatch";
import { notePeak } from "./peaks";

const PLAN = memory.data(MAX_MODULES * 4, 16);
// The note that owns each module (0: none): OP_NOTE_ON sets it, OP_NOTE_OFF closes the gate only for it.
const OWNER = memory.data(MAX_MODULES * 4, 16);

/** Resets the graph (no modules, no connections, empty plan) and the arena. */
export function graphInit(): void {
  arenaInit();
  cablesInit();
  memory.fill(OWNER, 0, MAX_MODULES * 4);
  G.planLen = 0;
}

/** Bytes from the start of memory that hold state (static data plus the used arena). */
export function graphUsedBytes(): usize {
  return arenaUsedBytes();
}

/** Creates module `id` of `type`; returns false (and changes nothing) when the id, type or memory is bad. */
export function createModule(id: i32, type: i32, seed: u32): bool {
  if (id <= 0 || id >= MAX_MODULES || type < 0 || type >= TYPE_COUNT) return false;
  const m = inst(id);
  if (m.active) return false;
  if (!placeModule(m, type)) return false;
  const mixed = (seed ^ G.seed) * 0x9e3779b1;
  m.seed = mixed == 0 ? 0x9e3779b9 : mixed;
  paramsInit(m, type);
  m.active = 1;
  store<i32>(OWNER + (<usize> id << 2), 0);
  initModule(m);
  return true;
}

/** Deletes module `id` and every connection into or out of it. */
export function deleteModule(id: i32): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  const m = inst(id);
  if (!m.active) return;
  disconnectModule(id);
  for (let i = 0; i < G.planLen; i++) {
    if (load<i32>(PLAN + (<usize> i << 2)) == id) store<i32>(PLAN + (<usize> i << 2), 0);
  }
  freeModule(m);
}

/** Sets a parameter's target (clamped to its range). */
export function setParam(id: i32, p: i32, v: f64): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  const m = inst(id);
  if (!m.active || p < 0 || p >= m.nParam || !isFinite(v)) return;
  setTarget(m, p, v);
  paramChanged(m, p);
}

/** Gate on/off at this frame (modules that take no gate ignore it). */
export function gate(id: i32, on: bool, velocity: f64): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  const m = inst(id);
  if (m.active) gateModule(m, on, Math.min(Math.max(velocity, 0.0), 1.0));
}

/** A group note starts on module `id`: it owns it from now; `open` gates it (false: legato, the gate stays). */
export function noteOn(id: i32, note: i32, open: bool, velocity: f64): void {
  if (id <= 0 || id >= MAX_MODULES) return;
  store<i32>(OWNER + (<usize> id << 2), note);
  if (open) gate(id, true, velocity);
}

/** A group note ends: module `id`'s gate closes if that note still owns it (a stolen voice plays on). */
export function noteOff(id: i32, note: i32): void {
  if (id <= 0 || id >= MAX_MODULES || note == 0) return;
  if (load<i32>(OWNER + (<usize> id << 2)) != note) return;
  store<i32>(OWNER + (<usize> id << 2), 0);
  gate(id, false, 0.0);
}

/** Sets position i of the processing order. */
export function setPlan(i: i32, id: i32): void {
  if (i >= 0 && i < MAX_MODULES) store<i32>(PLAN + (<usize> i << 2), id);
}

/** Sets the number of modules in the processing order. */
export function setPlanLength(n: i32): void {
  G.planLen = n < 0 ? 0 : n > MAX_MODULES ? MAX_MODULES : n;
}

// True when plan entries i … i+3 are active modules of `type` and none feeds a later one.
function quad(i: i32, type: i32): bool {
  for (let j = 1; j < 4; j++) {
    const id = load<i32>(PLAN + (<usize> (i + j) << 2));
    if (id <= 0) return false;
    const q = inst(id);
    if (!q.active || q.type != type) return false;
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
    // Four adjacent modules of a type that has a four-at-once kernel (the voice's f32x4 one; vco, vcf and
    // adsr in f64x2 pairs), none feeding another, render together: the same samples as one by one, in a
    // quarter of the loops. The plan puts modules of a type side by side (patch/graph.ts plan).
    if (rendersInFours(m.type) && i + 3 < n && quad(i, m.type)) {
      const m1 = inst(load<i32>(PLAN + (<usize> (i + 1) << 2)));
      const m2 = inst(load<i32>(PLAN + (<usize> (i + 2) << 2)));
      const m3 = inst(load<i32>(PLAN + (<usize> (i + 3) << 2)));
      prepareInputs(m1, from, to);
      prepareParams(m1, from, to);
      prepareInputs(m2, from, to);
      prepareParams(m2, from, to);
      prepareInputs(m3, from, to);
      prepareParams(m3, from, to);
      processQuad(m, m1, m2, m3, from, to);
      m.rendered = m1.rendered = m2.rendered = m3.rendered = 1;
      wrote(m);
      wrote(m1);
      wrote(m2);
      wrote(m3);
      notePeak(id, m, from, to);
      for (let j = 1; j < 4; j++) {
        const idj = load<i32>(PLAN + (<usize> (i + j) << 2));
        notePeak(idj, inst(idj), from, to);
      }
      i += 3;
      continue;
    }
    processModule(m, from, to);
    m.rendered = 1;
    wrote(m);
    notePeak(id, m, from, to);
  }
}

// A module just wrote its outputs: a cached scan of one of them (voice.ts nextGateEdge; a reader behind a
// cycle scanned it before) is stale now.
@inline
function wrote(m: Inst): void {
  const b = G.edgeBuf;
  if (b >= m.outs && b < m.outs + <usize> (m.nOut * G.block) * 4) G.span++;
}
