// The DSP entry point: the WASM exports that a DSP worker and the offline renderer call, and nothing else.
// Rendering is deterministic: it reads only its own linear memory and the events pushed into it, uses no
// clock (the imported clock serves fault injection only) and draws randomness from the seeded PRNG.
import { G } from "./globals";
import { seqApply, seqBeatAt, seqBpm, seqFire, seqInit, seqNext } from "./sequencer";
import { seedPrng } from "./prng";
import { groupDeclare, groupNoteOff, groupNoteOn, groupsInit, groupVoice } from "./groups";
import { clearQueue, peek, pop } from "./queue";
import {
  createModule,
  deleteModule,
  gate,
  graphInit,
  graphUsedBytes,
  noteOff,
  noteOn,
  renderGraph,
  setParam,
  setPlan,
  setPlanLength,
} from "./graph";
import { connect, disconnect, setDepth } from "./cables";
import { peaksClear } from "./peaks";
import { probeBlockEnd, probeBlockStart, probeSelect } from "./probe";
import { readBlockEnd, readBlockStart, readRequest } from "./readback";
import { arenaBase as base, blockBytes } from "./arena";
import { TYPE_COUNT } from "./gen/defs";
import {
  CHANNELS,
  FAULT_HANG,
  FAULT_HANG_FOREVER,
  FAULT_NAN,
  FAULT_SLOW,
  FAULT_TRAP,
  HANG_MS,
  SLOW_MS,
  MAX_BLOCK,
  OP_CONNECT,
  OP_CREATE,
  OP_DELETE,
  OP_DISCONNECT,
  OP_GATE,
  OP_PLAN,
  OP_PLAN_LEN,
  OP_POISON,
  OP_RESEED,
  OP_SET_DEPTH,
  OP_SET_PARAM,
  OP_SEQ_SWING,
  OP_SEQ_EXTRA,
  OP_SEQ_MUTE,
  OP_SEQ_TRACK,
  OP_OUTPUT_GAIN,
  OP_PROBE,
  OP_READ,
  OP_NOTE_ON,
  OP_NOTE_OFF,
  OP_SEQ_CHORD,
  OP_SEQ_GROUP,
  OP_GROUP,
  OP_GROUP_VOICE,
  OP_GROUP_NOTE_ON,
  OP_GROUP_NOTE_OFF,
} from "./layout";

@external("env", "clock")
declare function clock(): f64;

const OUT = memory.data(MAX_BLOCK * CHANNELS * 4, 16);
const SPIN = memory.data(8, 8);

/** Resets the whole DSP state. Returns 0, or 1 when the block size is out of range. */
export function init(sampleRate: f64, block: i32, seed: u32): i32 {
  if (block < 1 || block > MAX_BLOCK) return 1;
  G.sampleRate = sampleRate;
  G.block = block;
  G.smoothCoef = 1.0 - Math.exp(-1.0 / (0.005 * sampleRate));
  clearQueue();
  G.hash = 0;
  seedPrng(seed);
  G.seed = seed;
  G.outBus = OUT;
  G.sanitized = 0;
  G.outGain = G.outGainTarget = 1.0;
  G.outGainStep = 0;
  G.outGainLeft = 0;
  G.createFailed = 0;
  G.limiterMin = 1.0;
  probeSelect(0, 0, 0);
  G.probed = 0;
  G.readCount = 0;
  graphInit();
  groupsInit();
  seqInit();
  G.initialised = 1;
  return 0;
}

export { enqueue as push } from "./queue";

function apply(op: i32, target: i32, param: i32, i0: i32, i1: i32, f0: f64, f1: f64, frame: i64): void {
  if (
    (op >= OP_SEQ_TRACK && op <= OP_SEQ_SWING) || op == OP_SEQ_CHORD || op == OP_SEQ_EXTRA || op == OP_SEQ_MUTE ||
    op == OP_SEQ_GROUP
  ) {
    seqApply(op, target, param, i0, i1, f0, f1, frame);
  } else if (op == OP_SET_PARAM) {
    setParam(target, param, f0);
  } else if (op == OP_GATE) {
    gate(target, i0 != 0, f0);
  } else if (op == OP_NOTE_ON) {
    noteOn(target, i0, i1 != 0, Math.min(Math.max(f0, 0.0), 1.0));
  } else if (op == OP_NOTE_OFF) {
    noteOff(target, i0);
  } else if (op == OP_GROUP_NOTE_ON) {
    if (i0 > 0) groupNoteOn(target, i0, f0, f1, frame);
  } else if (op == OP_GROUP_NOTE_OFF) {
    if (i0 > 0) groupNoteOff(target, i0, frame);
  } else if (op == OP_GROUP) {
    groupDeclare(target, i0, i1);
  } else if (op == OP_GROUP_VOICE) {
    groupVoice(target, i0, i1, param);
  } else if (op == OP_CREATE) {
    if (!createModule(target, i0, <u32> i1)) G.createFailed++;
  } else if (op == OP_CONNECT) {
    connect(<i32> f1, i0, i1, target, param, f0);
  } else if (op == OP_DISCONNECT) {
    disconnect(i0);
  } else if (op == OP_SET_DEPTH) {
    setDepth(i0, f0);
  } else if (op == OP_PLAN) {
    setPlan(i0, target);
  } else if (op == OP_PLAN_LEN) {
    setPlanLength(i0);
  } else if (op == OP_DELETE) {
    deleteModule(target);
  } else if (op == OP_POISON) {
    unreachable();
  } else if (op == OP_RESEED) {
    seedPrng(<u32> i0);
  } else if (op == OP_OUTPUT_GAIN) {
    outputGain(f0, i0);
  } else if (op == OP_PROBE) {
    probeSelect(target, i0, i1);
  }
}

// A ramp to `gain` over `frames` (0: at once). A ramp that is cut short by a new one starts from where it got.
function outputGain(gain: f64, frames: i32): void {
  if (!isFinite(gain)) return;
  const g = Math.min(Math.max(gain, 0.0), 1.0);
  G.outGainTarget = g;
  if (frames <= 0) {
    G.outGain = g;
    G.outGainLeft = 0;
  } else {
    G.outGainLeft = frames;
    G.outGainStep = (g - G.outGain) / <f64> frames;
  }
}

// The master gain over [from, to) of the output bus. At 1 with no ramp it is not applied at all (the output
// is exactly the patch's); at 0 the bus is exactly silent.
function applyOutputGain(from: i32, to: i32): void {
  if (G.outGain == 1.0 && G.outGainLeft == 0) return;
  for (let i = from; i < to; i++) {
    if (G.outGainLeft > 0) {
      G.outGainLeft--;
      G.outGain = G.outGainLeft == 0 ? G.outGainTarget : G.outGain + G.outGainStep;
    }
    const p = OUT + (<usize> (i * CHANNELS) << 2);
    if (G.outGain == 0.0) {
      store<f32>(p, 0);
      store<f32>(p, 0, 4);
    } else {
      const g = <f32> G.outGain;
      store<f32>(p, load<f32>(p) * g);
      store<f32>(p, load<f32>(p, 4) * g, 4);
    }
  }
}

// The patch's out modules add into the output bus, so each span starts from silence.
function renderSpan(from: i32, to: i32): void {
  memory.fill(OUT + <usize>(from * CHANNELS * 4), 0, <usize>((to - from) * CHANNELS * 4));
  renderGraph(from, to);
  applyOutputGain(from, to);
}

function injectFault(fault: i32): void {
  if (fault == FAULT_TRAP) unreachable();
  if (fault == FAULT_HANG || fault == FAULT_SLOW) {
    const until = clock() + <f64>(fault == FAULT_HANG ? HANG_MS : SLOW_MS);
    while (clock() < until) store<i64>(SPIN, load<i64>(SPIN) + 1);
  }
  if (fault == FAULT_HANG_FOREVER) {
    while (load<i64>(SPIN) >= 0) store<i64>(SPIN, (load<i64>(SPIN) + 1) & 0xffffff);
  }
}

/**
 * Renders block `block` (frames [block·B, (block+1)·B)) into the output buffer, applying each queued event
 * and each sequencer step at its exact frame by splitting the block there (commands first at a shared frame).
 * Returns 0, or 1 when a sample is NaN or infinite.
 */
export function render(block: f64, fault: i32): i32 {
  if (fault != 0) injectFault(fault);
  const B = G.block;
  const start = <i64> block * <i64> B;
  const end = start + <i64> B;
  let pos: i32 = 0;
  peaksClear();
  probeBlockStart();
  readBlockStart();
  for (;;) {
    const e = peek();
    const eventFrame = e != null ? e.frame : i64.MAX_VALUE;
    const seqFrame = seqNext();
    const next = eventFrame <= seqFrame ? eventFrame : seqFrame;
    if (next >= end) break;
    // A read acts after the block whatever its frame: it must not split a span (that would change samples).
    if (e != null && eventFrame <= seqFrame && e.op == OP_READ) {
      readRequest(e.target, e.i0, e.i1);
      pop();
      continue;
    }
    let off = <i32> (next - start);
    if (off < 0) off = 0; // cannot happen with stamped commands; kept safe
    if (off > pos) {
      renderSpan(pos, off);
      pos = off;
    }
    if (e != null && eventFrame <= seqFrame) {
      const op = e.op, target = e.target, param = e.param, i0 = e.i0, i1 = e.i1, f0 = e.f0, f1 = e.f1;
      pop();
      apply(op, target, param, i0, i1, f0, f1, start + <i64> off);
    } else {
      seqFire(next);
    }
  }
  if (pos < B) renderSpan(pos, B);
  probeBlockEnd(B);
  readBlockEnd(B);
  G.lastEnd = end;
  if (fault == FAULT_NAN) store<f32>(OUT, NaN);
  return checkBlock(B);
}

// FNV-1a over the sample bits (for the supervisor's divergence check) and a finite check, in one pass.
function checkBlock(B: i32): i32 {
  let h: u32 = 2166136261;
  let bad: u32 = 0;
  const n = B * CHANNELS;
  for (let i = 0; i < n; i++) {
    const bits = load<u32>(OUT + (<usize> i << 2));
    bad |= u32((bits & 0x7f800000) == 0x7f800000);
    h = (h ^ bits) * 16777619;
  }
  G.hash = h;
  return <i32> bad;
}

export { peaksPtr } from "./peaks";
export { limiterGain, probedModule, probePtr } from "./probe";
export { readCount, readoutPtr, readsPtr } from "./readback";

/** Address of the interleaved stereo output of the last rendered block. */
export function outPtr(): usize {
  return OUT;
}

/** FNV-1a hash of the last rendered block. */
export function blockHash(): u32 {
  return G.hash;
}

/** Bytes of linear memory that hold state: a snapshot copies this prefix. */
export function usedBytes(): usize {
  return graphUsedBytes();
}

/** Non-finite samples the out modules replaced by 0 since init. */
export function sanitized(): i32 {
  return G.sanitized;
}

// A replacement restored from a snapshot forgets the queued commands: they were not yet applied, so they reach
// it through the supervisor's gate like any other (a poison among them never does).
export { clearQueue };

/** The sequencer's position in beats at the end of the last rendered block (−1 while stopped). */
export function seqBeat(): f64 {
  return seqBeatAt(G.lastEnd);
}

/** The sequencer's tempo in BPM. */
export function seqTempo(): f64 {
  return seqBpm();
}

/** Commands waiting for their frame. */
export function pending(): i32 {
  return G.queueCount;
}

/** OP_CREATEs that failed since init (no room, a bad id or type): the worker reports a change (never silent). */
export function createFailures(): i32 {
  return G.createFailed;
}

/**
 * Bytes of arena a module of `type` takes at this instance's block size (−1 for no such type). It only
 * computes: the control side asks a throwaway instance, so a commit that would not fit is refused before any
 * worker sees it (patch/graph.ts).
 */
export function moduleBytes(type: i32): i32 {
  if (type < 0 || type >= TYPE_COUNT) return -1;
  return <i32> blockBytes(type);
}

/** Where the arena starts in linear memory; it ends at the end of memory (WASM_PAGES, fixed). */
export function arenaBase(): i32 {
  return <i32> base();
}
