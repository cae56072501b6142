// The step sequencer, inside the DSP: tracks of step patterns that set pitch and parameters and gate modules at
// exact frames. It lives in linear memory like the rest of the state, so both workers run the same sequencer,
// a snapshot carries it into a rebuilt standby, and a failover in the middle of a bar changes nothing.
//
// Timing. Step s of a track with spb steps per beat lands at
//   anchorFrame + floor((s − anchorBeat·spb)·F + swing(s) + 0.5),   F = 60·sr / (bpm·spb) frames per step,
// computed from the anchor each time, never accumulated: the steps of the last bar of an hour land exactly
// where the first bar's formula puts them. swing(s) = (swing − 0.5)·2·F on odd steps when spb is even (the
// off-beat of each pair moves; the pairs, hence the tempo, do not). The anchor moves only when the tempo
// changes (at a bar, or at the command's frame with SEQ_NOW). Bars are SEQ_BEATS_PER_BAR beats from the start.
//
// Memory (static data, so part of every snapshot):
//   S (transport) │ track 0 … SEQ_TRACKS-1 (runtime state) │ bank 0,1 of track 0 … (pattern definitions)
// A track plays its active bank; commands write the other one, and a commit flips them at a step or a bar.
import { G } from "./globals";
import { gate, setParam } from "./graph";
import { groupNoteOff, groupNoteOn, nextSeqNoteId } from "./groups";
import { nextUnit } from "./prng";
import {
  OP_SEQ_COMMIT,
  OP_SEQ_EXTRA,
  OP_SEQ_MUTE,
  OP_SEQ_LANE,
  OP_SEQ_NOTE,
  OP_SEQ_REMOVE,
  OP_SEQ_STEPS,
  OP_SEQ_SWING,
  OP_SEQ_TARGET,
  OP_SEQ_TEMPO,
  OP_SEQ_TRACK,
  OP_SEQ_TRANSPORT,
  OP_SEQ_CHORD,
  OP_SEQ_GROUP,
  SEQ_ACCENT,
  SEQ_AT_BAR,
  SEQ_BEATS_PER_BAR,
  SEQ_HIT,
  SEQ_LANES,
  SEQ_NOTES,
  SEQ_NOW,
  SEQ_RESET,
  SEQ_START,
  SEQ_STEPS,
  SEQ_STOP,
  SEQ_TIE,
  SEQ_TRACKS,
  SEQ_VELOCITY_ACCENT,
  SEQ_VELOCITY_HIT,
  SEQ_GROUP_MAX,
  SEQ_CHORD_MAX,
  SEQ_X_LEVEL_MASK,
  SEQ_X_RATCHET_SHIFT,
  SEQ_X_SKIP_SHIFT,
} from "./layout";

const NONE: i64 = -1;
const NEVER: i64 = i64.MAX_VALUE;
const CHANGE_NONE: i32 = 0;
const CHANGE_AT_BAR: i32 = 1;
const CHANGE_NOW: i32 = 2;

@unmanaged
class Transport {
  running: i32;
  pad: i32;
  bpm: f64;
  swing: f64;
  anchorBeat: f64;
  anchorFrame: i64;
  pendingBpm: f64; // 0: none
  pendingFrame: i64; // the bar at which pendingBpm applies
  pendingBeat: f64; // that bar's first beat
  next: i64; // the earliest frame anything is due (NEVER: nothing)
}

@unmanaged
class Track {
  defined: i32; // a committed definition exists
  bank: i32; // the active bank (0 or 1)
  swap: i32; // CHANGE_*: a committed definition waits in the other bank
  remove: i32; // CHANGE_*
  started: i32; // has a step position (the transport ran since it was defined)
  noteIdx: i32;
  rr: i32; // next slot of the voice group
  mute: i32; // its hits stay silent (OP_SEQ_MUTE)
  step: i64; // the next step to play, counted from the transport's start
  origin: i64; // the step at which the pattern's first step played
  stepFrame: i64; // the frame of `step`
  swapBar: i64; // a change at a bar waits for this bar (from 0) or a later one
  removeBar: i64; // likewise for a removal
  // A ratchet in progress: hit rIdx of rN, spread over rSpan frames from rBase, on rTones voices from slot rSlot.
  rLeft: i32;
  rIdx: i32;
  rN: i32;
  rSlot: i32;
  rTones: i32;
  rNote: i32; // the note (index in the list) a ratchet on a group repeats, or −1

  rBase: i64;
  rSpan: i64;
  rNext: i64; // the frame of the next ratchet hit
  rLen: i64; // each ratchet hit's gate length
  rLastOff: i64; // the last hit's gate-off frame (ties hold it)
  rVel: f64;
}

// One pattern definition (bytes from the bank's start).
const B_LEN = 0, B_SPB = 4, B_GROUP = 8, B_NOTES = 12, B_GATE = 16;
const B_ALLOC = 24; // i32: the voice group (asm/groups.ts) + 1 whose allocator plays the track; 0: round robin
const B_TARGETS = 32; // i32 × SEQ_GROUP_MAX
const B_PITCH = B_TARGETS + SEQ_GROUP_MAX * 4; // i32 × SEQ_GROUP_MAX: pitch parameter index or -1
const B_LANE_PARAM = B_PITCH + SEQ_GROUP_MAX * 4; // i32 × SEQ_LANES
const B_LANE_COUNT = B_LANE_PARAM + SEQ_LANES * 4; // i32 × SEQ_LANES
const B_STEPS = B_LANE_COUNT + SEQ_LANES * 4; // u8 × SEQ_STEPS
const B_NOTE_HZ = B_STEPS + SEQ_STEPS; // f64 × SEQ_NOTES
const B_LANE_VALUES = B_NOTE_HZ + SEQ_NOTES * 8; // f64 × SEQ_STEPS per lane
const B_CHORD_N = B_LANE_VALUES + SEQ_LANES * SEQ_STEPS * 8; // u8 × SEQ_NOTES: tones of each note (0 = 1)
const B_CHORD_HZ = B_CHORD_N + SEQ_NOTES; // f64 × SEQ_NOTES × (SEQ_CHORD_MAX − 1): tones 1 … of each note
const B_EXTRA = B_CHORD_HZ + SEQ_NOTES * (SEQ_CHORD_MAX - 1) * 8; // u32 × SEQ_STEPS: SEQ_X_* (velocity, ratchet, chance)
const BANK_BYTES = B_EXTRA + SEQ_STEPS * 4;

// Pending gate-offs, one per voice slot of each track: the frame and the module it closes; on a group track,
// one per chord tone: the frame, the note id it releases, and its group + 1 (OFF_GROUPS, 0 on a plain track).
const OFF_FRAMES = memory.data(SEQ_TRACKS * SEQ_GROUP_MAX * 8, 16);
const OFF_MODULES = memory.data(SEQ_TRACKS * SEQ_GROUP_MAX * 4, 16);
const OFF_GROUPS = memory.data(SEQ_TRACKS * SEQ_GROUP_MAX * 4, 16);

const S = changetype<Transport>(memory.data(offsetof<Transport>(), 16));
const TRACKS = memory.data(SEQ_TRACKS * <i32> offsetof<Track>(), 16);
const BANKS = memory.data(SEQ_TRACKS * 2 * BANK_BYTES, 16);

@inline
function track(t: i32): Track {
  return changetype<Track>(TRACKS + <usize> (t * <i32> offsetof<Track>()));
}

@inline
function bank(t: i32, b: i32): usize {
  return BANKS + <usize> ((t * 2 + b) * BANK_BYTES);
}

@inline
function active(t: i32): usize {
  return bank(t, track(t).bank);
}

@inline
function pending(t: i32): usize {
  return bank(t, track(t).bank ^ 1);
}

@inline
function offFrame(t: i32, v: i32): usize {
  return OFF_FRAMES + <usize> ((t * SEQ_GROUP_MAX + v) << 3);
}

@inline
function offModule(t: i32, v: i32): usize {
  return OFF_MODULES + <usize> ((t * SEQ_GROUP_MAX + v) << 2);
}

@inline
function offGroup(t: i32, v: i32): usize {
  return OFF_GROUPS + <usize> ((t * SEQ_GROUP_MAX + v) << 2);
}

// Closes pending gate-off v of track t now: a module's gate, or a group note's release.
function closeOne(t: i32, v: i32, frame: i64): void {
  const g = load<i32>(offGroup(t, v));
  if (g > 0) groupNoteOff(g - 1, load<i32>(offModule(t, v)), frame);
  else gate(load<i32>(offModule(t, v)), false, 0.0);
  store<i64>(offFrame(t, v), NONE);
}

/** Resets the sequencer: stopped, 120 BPM, straight, no tracks. */
export function seqInit(): void {
  memory.fill(changetype<usize>(S), 0, offsetof<Transport>());
  memory.fill(TRACKS, 0, SEQ_TRACKS * <i32> offsetof<Track>());
  memory.fill(BANKS, 0, SEQ_TRACKS * 2 * BANK_BYTES);
  memory.fill(OFF_GROUPS, 0, SEQ_TRACKS * SEQ_GROUP_MAX * 4);
  for (let i = 0; i < SEQ_TRACKS * SEQ_GROUP_MAX; i++) store<i64>(OFF_FRAMES + <usize> (i << 3), NONE);
  S.bpm = 120.0;
  S.swing = 0.5;
  S.next = NEVER;
}

/** The earliest frame at which the sequencer has something to do (i64.MAX_VALUE: nothing). */
@inline
export function seqNext(): i64 {
  return S.next;
}

@inline
function framesPerStep(spb: i32): f64 {
  return (60.0 * G.sampleRate) / (S.bpm * <f64> spb);
}

function stepFrame(s: i64, spb: i32): i64 {
  const F = framesPerStep(spb);
  let x = (<f64> s - S.anchorBeat * <f64> spb) * F;
  if ((spb & 1) == 0 && (s & 1) == 1) x += (S.swing - 0.5) * 2.0 * F;
  return S.anchorFrame + <i64> Math.floor(x + 0.5);
}

/** The beat position of a frame under the current tempo. */
function beatAt(frame: i64): f64 {
  return S.anchorBeat + (<f64> (frame - S.anchorFrame) * S.bpm) / (60.0 * G.sampleRate);
}

/** The first step of a track's grid that lands at or after `frame`. */
function firstStepFrom(frame: i64, spb: i32): i64 {
  let s = <i64> Math.floor(beatAt(frame) * <f64> spb);
  if (s < 0) s = 0;
  while (stepFrame(s, spb) < frame) s++;
  while (s > 0 && stepFrame(s - 1, spb) >= frame) s--;
  return s;
}

/** The first bar (in beats) whose downbeat lands at or after `frame`. */
function nextBarBeat(frame: i64): i64 {
  const per = <i64> SEQ_BEATS_PER_BAR;
  let b = (<i64> Math.floor(beatAt(frame)) / per) * per;
  if (b < 0) b = 0;
  while (stepFrame(b, 1) < frame) b += per;
  return b;
}

function closeGates(t: i32, frame: i64, all: bool): void {
  track(t).rLeft = 0;
  for (let v = 0; v < SEQ_GROUP_MAX; v++) {
    if (load<i64>(offFrame(t, v)) != NONE) closeOne(t, v, frame);
  }
  if (!all) return;
  const b = active(t);
  // A group track releases only its own notes: the group's other voices may be playing live notes.
  if (load<i32>(b + B_ALLOC) > 0) return;
  const n = load<i32>(b + B_GROUP);
  for (let v = 0; v < n; v++) gate(load<i32>(b + B_TARGETS + <usize> (v << 2)), false, 0.0);
}

/** Places a track with no position yet: at the next bar (or bar atBar from 0, if later), or its next step (`now`). */
function place(t: i32, frame: i64, now: bool, atBar: i64): void {
  const tr = track(t);
  const spb = load<i32>(active(t) + B_SPB);
  const bar = <i64> (SEQ_BEATS_PER_BAR * spb);
  if (now) {
    tr.step = firstStepFrom(frame, spb);
    tr.origin = (tr.step / bar) * bar;
  } else {
    let beat = nextBarBeat(frame);
    if (atBar * <i64> SEQ_BEATS_PER_BAR > beat) beat = atBar * <i64> SEQ_BEATS_PER_BAR;
    tr.step = beat * <i64> spb;
    tr.origin = tr.step;
  }
  tr.stepFrame = stepFrame(tr.step, spb);
  tr.noteIdx = 0;
  tr.rr = 0;
  tr.started = 1;
}

function recompute(): void {
  let next = NEVER;
  if (S.running != 0 && S.pendingBpm > 0.0 && S.pendingFrame < next) next = S.pendingFrame;
  for (let t = 0; t < SEQ_TRACKS; t++) {
    const tr = track(t);
    if (tr.defined == 0) continue;
    if (S.running != 0 && tr.started != 0 && tr.stepFrame < next) next = tr.stepFrame;
    if (tr.rLeft > 0 && tr.rNext < next) next = tr.rNext;
    for (let v = 0; v < SEQ_GROUP_MAX; v++) {
      const f = load<i64>(offFrame(t, v));
      if (f != NONE && f < next) next = f;
    }
  }
  S.next = next;
}

// Re-anchors the grid at `frame` (a tempo change): every placed track's next step moves to the new grid.
function setTempo(bpm: f64, frame: i64): void {
  if (S.running != 0) {
    S.anchorBeat = beatAt(frame);
    S.anchorFrame = frame;
  }
  S.bpm = bpm;
  retime(frame);
}

function retime(frame: i64): void {
  for (let t = 0; t < SEQ_TRACKS; t++) {
    const tr = track(t);
    if (tr.defined == 0 || tr.started == 0) continue;
    const f = stepFrame(tr.step, load<i32>(active(t) + B_SPB));
    tr.stepFrame = f < frame ? frame : f;
  }
}

function start(frame: i64): void {
  S.running = 1;
  S.anchorFrame = frame;
  S.anchorBeat = 0.0;
  if (S.pendingBpm > 0.0) S.bpm = S.pendingBpm;
  S.pendingBpm = 0.0;
  for (let t = 0; t < SEQ_TRACKS; t++) {
    const tr = track(t);
    if (tr.defined == 0) continue;
    tr.step = 0;
    tr.origin = 0;
    tr.stepFrame = frame;
    tr.noteIdx = 0;
    tr.rr = 0;
    tr.started = 1;
  }
}

function stop(frame: i64): void {
  S.running = 0;
  S.pendingBpm = 0.0;
  for (let t = 0; t < SEQ_TRACKS; t++) {
    const tr = track(t);
    if (tr.defined == 0) continue;
    closeGates(t, frame, true);
    tr.started = 0;
    // Changes that waited for a bar take effect now: there is no bar to wait for.
    if (tr.remove != CHANGE_NONE) tr.defined = 0;
    else if (tr.swap != CHANGE_NONE) tr.bank ^= 1;
    tr.remove = CHANGE_NONE;
    tr.swap = CHANGE_NONE;
  }
}

function commit(t: i32, frame: i64, when: i32, bar: i64): void {
  const tr = track(t);
  if (tr.defined == 0 || tr.started == 0 || S.running == 0) {
    // Nothing plays yet: the definition takes over at once (and a new track waits for its bar).
    if (tr.defined != 0) closeGates(t, frame, false);
    else tr.mute = 0;
    tr.bank ^= 1;
    tr.defined = 1;
    tr.swap = CHANGE_NONE;
    tr.remove = CHANGE_NONE;
    tr.started = 0;
    if (S.running != 0) place(t, frame, when == SEQ_NOW, bar);
    return;
  }
  tr.swap = when == SEQ_NOW ? CHANGE_NOW : CHANGE_AT_BAR;
  tr.swapBar = bar;
  // A definition sent after a removal that has not happened yet supersedes it (a track removed and defined
  // again within a bar, an undone scene that would have removed it at a later bar).
  tr.remove = CHANGE_NONE;
}

// The track ends: its gates close and its slot is free.
function undefine(t: i32, frame: i64): void {
  const tr = track(t);
  closeGates(t, frame, true);
  tr.defined = 0;
  tr.started = 0;
  tr.mute = 0;
  tr.swap = CHANGE_NONE;
  tr.remove = CHANGE_NONE;
}

function remove(t: i32, frame: i64, when: i32, bar: i64): void {
  const tr = track(t);
  if (tr.defined == 0) return;
  if (S.running == 0 || tr.started == 0 || when == SEQ_NOW) undefine(t, frame);
  else {
    tr.remove = CHANGE_AT_BAR;
    tr.removeBar = bar;
  }
}

// A bar number from a command (from 1; 0 or less: no bar asked, the next one will do) as a bar index from 0.
@inline
function barOf(i1: i32): i64 {
  return i1 > 0 ? <i64> (i1 - 1) : 0;
}

/** Applies a sequencer command at `frame`. */
export function seqApply(op: i32, target: i32, param: i32, i0: i32, i1: i32, f0: f64, f1: f64, frame: i64): void {
  if (op == OP_SEQ_TRANSPORT) {
    if (i0 == SEQ_START || (i0 == SEQ_RESET && S.running != 0)) start(frame);
    else if (i0 == SEQ_STOP) stop(frame);
  } else if (op == OP_SEQ_TEMPO) {
    if (!(f0 >= 1.0 && f0 <= 1000.0)) return;
    if (S.running == 0 || i0 == SEQ_NOW) {
      S.pendingBpm = 0.0;
      setTempo(f0, frame);
    } else {
      let bar = nextBarBeat(frame);
      const asked = barOf(i1) * <i64> SEQ_BEATS_PER_BAR;
      if (asked > bar) bar = asked;
      S.pendingBpm = f0;
      S.pendingBeat = <f64> bar;
      S.pendingFrame = stepFrame(bar, 1);
    }
  } else if (op == OP_SEQ_SWING) {
    if (!(f0 >= 0.5 && f0 <= 0.75)) return;
    S.swing = f0;
    retime(frame);
  } else {
    if (target < 0 || target >= SEQ_TRACKS) return;
    const b = pending(target);
    if (op == OP_SEQ_TRACK) {
      memory.fill(b, 0, BANK_BYTES);
      store<i32>(b + B_LEN, min(max(i0, 1), SEQ_STEPS));
      store<i32>(b + B_SPB, min(max(i1, 1), 64));
      store<i32>(b + B_GROUP, min(max(param, 0), SEQ_GROUP_MAX));
      store<f64>(b + B_GATE, isFinite(f0) ? Math.max(f0, 0.0) : 0.5);
      for (let v = 0; v < SEQ_GROUP_MAX; v++) store<i32>(b + B_PITCH + <usize> (v << 2), -1);
    } else if (op == OP_SEQ_TARGET) {
      if (i0 < 0 || i0 >= SEQ_GROUP_MAX) return;
      store<i32>(b + B_TARGETS + <usize> (i0 << 2), i1);
      store<i32>(b + B_PITCH + <usize> (i0 << 2), param);
    } else if (op == OP_SEQ_STEPS) {
      for (let k = 0; k < 16; k++) {
        const i = i0 + k;
        if (i >= 0 && i < SEQ_STEPS) store<u8>(b + B_STEPS + <usize> i, <u8> ((i1 >>> (k << 1)) & 3));
      }
    } else if (op == OP_SEQ_NOTE) {
      if (i0 < 0 || i0 >= SEQ_NOTES || !isFinite(f0)) return;
      store<f64>(b + B_NOTE_HZ + <usize> (i0 << 3), f0);
      store<i32>(b + B_NOTES, min(max(i1, 0), SEQ_NOTES));
    } else if (op == OP_SEQ_CHORD) {
      if (i0 < 0 || i0 >= SEQ_NOTES || param < 1 || param >= SEQ_CHORD_MAX || !isFinite(f0)) return;
      store<f64>(b + B_CHORD_HZ + <usize> ((i0 * (SEQ_CHORD_MAX - 1) + param - 1) << 3), f0);
      store<u8>(b + B_CHORD_N + <usize> i0, <u8> min(max(i1, 1), SEQ_CHORD_MAX));
    } else if (op == OP_SEQ_LANE) {
      if (param < 0 || param >= SEQ_LANES || i0 < 0 || i0 >= SEQ_STEPS || !isFinite(f0)) return;
      store<i32>(b + B_LANE_PARAM + <usize> (param << 2), i1);
      store<i32>(b + B_LANE_COUNT + <usize> (param << 2), min(max(<i32> f1, 0), SEQ_STEPS));
      store<f64>(b + B_LANE_VALUES + <usize> ((param * SEQ_STEPS + i0) << 3), f0);
    } else if (op == OP_SEQ_EXTRA) {
      if (i0 >= 0 && i0 < SEQ_STEPS) store<u32>(b + B_EXTRA + <usize> (i0 << 2), <u32> i1);
    } else if (op == OP_SEQ_GROUP) {
      store<i32>(b + B_ALLOC, i0 >= 0 ? i0 + 1 : 0);
    } else if (op == OP_SEQ_MUTE) {
      track(target).mute = i0 != 0 ? 1 : 0;
    } else if (op == OP_SEQ_COMMIT) {
      commit(target, frame, i0, barOf(i1));
    } else if (op == OP_SEQ_REMOVE) {
      remove(target, frame, i0, barOf(i1));
    }
  }
  recompute();
}

// Plays step `tr.step` of track t at `frame` and moves to the next step.
function playStep(t: i32, frame: i64): void {
  const tr = track(t);
  let s = tr.step;
  let b = active(t);
  tr.rLeft = 0;
  const perBar = <i64> (SEQ_BEATS_PER_BAR * load<i32>(b + B_SPB));
  const barStart = s % perBar == 0;
  const barIndex = s / perBar;
  if (tr.remove == CHANGE_NOW || (tr.remove == CHANGE_AT_BAR && barStart && barIndex >= tr.removeBar)) {
    undefine(t, frame);
    return;
  }
  if (tr.swap == CHANGE_NOW || (tr.swap == CHANGE_AT_BAR && barStart && barIndex >= tr.swapBar)) {
    const oldSpb = load<i32>(b + B_SPB);
    tr.bank ^= 1;
    b = active(t);
    const spb = load<i32>(b + B_SPB);
    if (tr.swap == CHANGE_AT_BAR) {
      // The new pattern starts from its first step on this downbeat.
      s = (s / <i64> oldSpb) * <i64> spb;
      tr.origin = s;
      tr.noteIdx = 0;
      tr.rr = 0;
    } else if (spb != oldSpb) {
      s = firstStepFrom(frame, spb);
      tr.origin = (s / <i64> (SEQ_BEATS_PER_BAR * spb)) * <i64> (SEQ_BEATS_PER_BAR * spb);
    }
    tr.swap = CHANGE_NONE;
    tr.step = s;
    tr.stepFrame = stepFrame(s, spb);
    if (tr.stepFrame != frame) {
      if (tr.stepFrame < frame) tr.stepFrame = frame;
      return; // the new grid's next step is later
    }
  }
  const spb = load<i32>(b + B_SPB);
  const len = <i64> load<i32>(b + B_LEN);
  const pos = <i32> ((((s - tr.origin) % len) + len) % len);
  const voices = load<i32>(b + B_GROUP);
  for (let l = 0; l < SEQ_LANES; l++) {
    const n = load<i32>(b + B_LANE_COUNT + <usize> (l << 2));
    if (n == 0) continue;
    const p = load<i32>(b + B_LANE_PARAM + <usize> (l << 2));
    // A lane cycles over its own length, counted from the pattern's start (a lane shorter than the pattern
    // makes a polymeter, as the note list does).
    const li = <i32> ((s - tr.origin) % <i64> n);
    const v = load<f64>(b + B_LANE_VALUES + <usize> ((l * SEQ_STEPS + li) << 3));
    for (let k = 0; k < voices; k++) setParam(load<i32>(b + B_TARGETS + <usize> (k << 2)), p, v);
  }
  const code = <i32> load<u8>(b + B_STEPS + <usize> pos);
  const extra = load<u32>(b + B_EXTRA + <usize> (pos << 2));
  // A chance step draws one number from the seeded PRNG at its frame, muted or not, so that muting a track
  // never changes which steps the others play.
  const skip = <i32> ((extra >>> SEQ_X_SKIP_SHIFT) & 127);
  const plays = skip == 0 || nextUnit() * 100.0 < <f64> (100 - skip);
  if ((code == SEQ_HIT || code == SEQ_ACCENT) && voices > 0 && plays) {
    const notes = load<i32>(b + B_NOTES);
    const n = notes > 0 ? tr.noteIdx % notes : 0;
    if (notes > 0) tr.noteIdx = (tr.noteIdx + 1) % notes;
    // A chord's tones take the group's next voices, one each (the group's size caps them).
    let tones = notes > 0 ? max(<i32> load<u8>(b + B_CHORD_N + <usize> n), 1) : 1;
    if (tones > voices) tones = voices;
    const alloc = load<i32>(b + B_ALLOC);
    const first = alloc > 0 ? 0 : tr.rr % voices;
    if (alloc == 0) tr.rr = (first + tones) % voices;
    const level = <i32> (extra & SEQ_X_LEVEL_MASK);
    const vel = level > 0 ? <f64> level / 9.0 : code == SEQ_ACCENT ? SEQ_VELOCITY_ACCENT : SEQ_VELOCITY_HIT;
    // Ties hold the note: it closes `gate` steps after the start of its last tied step.
    let k: i64 = 0;
    while (k + 1 < len && <i32> load<u8>(b + B_STEPS + <usize> ((<i64> pos + k + 1) % len)) == SEQ_TIE) k++;
    let len1 = <i64> Math.floor(load<f64>(b + B_GATE) * framesPerStep(spb) + 0.5);
    if (len1 < 1) len1 = 1;
    const off = stepFrame(s + k, spb) + len1;
    const ratchet = <i32> ((extra >>> SEQ_X_RATCHET_SHIFT) & 7) + 1;
    if (ratchet > 1 && tr.mute == 0) {
      // A ratchet: n hits evenly over the step, each gated for its share of the gate; ties hold the last.
      tr.rN = ratchet;
      tr.rIdx = 1;
      tr.rLeft = ratchet - 1;
      tr.rSlot = first;
      tr.rTones = tones;
      tr.rNote = notes > 0 ? n : -1;
      tr.rVel = vel;
      tr.rBase = frame;
      tr.rSpan = stepFrame(s + 1, spb) - frame;
      tr.rLen = <i64> Math.floor(load<f64>(b + B_GATE) * framesPerStep(spb) / <f64> ratchet + 0.5);
      if (tr.rLen < 1) tr.rLen = 1;
      tr.rLastOff = k > 0 ? off : NONE;
      tr.rNext = ratchetFrame(tr, 1);
    }
    if (alloc > 0) {
      // On a group: each tone takes a voice through the group's allocator (asm/groups.ts), as a live note does.
      if (tr.mute == 0) {
        for (let c = 0; c < tones; c++) {
          groupHit(t, c, alloc - 1, toneHz(b, notes > 0 ? n : -1, c), vel, ratchet > 1 ? frame + tr.rLen : off, frame);
        }
      }
      tr.step = s + 1;
      tr.stepFrame = stepFrame(s + 1, spb);
      return;
    }
    for (let c = 0; c < tones; c++) {
      const slot = (first + c) % voices;
      const id = load<i32>(b + B_TARGETS + <usize> (slot << 2));
      const pitch = load<i32>(b + B_PITCH + <usize> (slot << 2));
      if (notes > 0 && pitch >= 0 && tr.mute == 0) {
        const hz = c == 0
          ? load<f64>(b + B_NOTE_HZ + <usize> (n << 3))
          : load<f64>(b + B_CHORD_HZ + <usize> ((n * (SEQ_CHORD_MAX - 1) + c - 1) << 3));
        setParam(id, pitch, hz);
      }
      if (tr.mute == 0) hit(t, slot, id, vel, ratchet > 1 ? frame + tr.rLen : off, frame);
    }
  }
  tr.step = s + 1;
  tr.stepFrame = stepFrame(s + 1, spb);
}

// Tone c of note n of a bank (0: no note, the voice keeps its pitch).
function toneHz(b: usize, n: i32, c: i32): f64 {
  if (n < 0) return 0.0;
  return c == 0
    ? load<f64>(b + B_NOTE_HZ + <usize> (n << 3))
    : load<f64>(b + B_CHORD_HZ + <usize> ((n * (SEQ_CHORD_MAX - 1) + c - 1) << 3));
}

// Tone c of a group track's step: the tone's previous note releases, then a new note (an id of the
// sequencer's range) takes a voice of group g, and its release is scheduled.
function groupHit(t: i32, c: i32, g: i32, hz: f64, vel: f64, off: i64, frame: i64): void {
  if (load<i64>(offFrame(t, c)) != NONE) closeOne(t, c, frame);
  const id = nextSeqNoteId();
  if (groupNoteOn(g, id, hz, vel, frame) < 0) return;
  store<i64>(offFrame(t, c), off);
  store<i32>(offModule(t, c), id);
  store<i32>(offGroup(t, c), g + 1);
}

// Opens voice `slot`'s gate now and schedules its close. A gate already open on it closes first, so the hit
// retriggers.
function hit(t: i32, slot: i32, id: i32, vel: f64, off: i64, frame: i64): void {
  if (load<i64>(offFrame(t, slot)) != NONE) closeOne(t, slot, frame);
  gate(id, true, vel);
  store<i64>(offFrame(t, slot), off);
  store<i32>(offModule(t, slot), id);
  store<i32>(offGroup(t, slot), 0);
}

@inline
function ratchetFrame(tr: Track, i: i32): i64 {
  return tr.rBase + <i64> Math.floor((<f64> tr.rSpan * <f64> i) / <f64> tr.rN + 0.5);
}

// The next hit of a ratchet in progress.
function ratchetHit(t: i32, frame: i64): void {
  const tr = track(t);
  const last = tr.rIdx == tr.rN - 1;
  const off = last && tr.rLastOff != NONE ? tr.rLastOff : frame + tr.rLen;
  // The step's voices: a ratchet ends before the next step, where a new bank could take over.
  const b = active(t), voices = load<i32>(b + B_GROUP);
  const alloc = load<i32>(b + B_ALLOC);
  if (alloc > 0) {
    for (let c = 0; c < tr.rTones; c++) groupHit(t, c, alloc - 1, toneHz(b, tr.rNote, c), tr.rVel, off, frame);
    tr.rIdx++;
    tr.rLeft--;
    if (tr.rLeft > 0) tr.rNext = ratchetFrame(tr, tr.rIdx);
    return;
  }
  for (let c = 0; c < tr.rTones; c++) {
    const slot = (tr.rSlot + c) % voices;
    hit(t, slot, load<i32>(b + B_TARGETS + <usize> (slot << 2)), tr.rVel, off, frame);
  }
  tr.rIdx++;
  tr.rLeft--;
  if (tr.rLeft > 0) tr.rNext = ratchetFrame(tr, tr.rIdx);
}

/** Does everything due at `frame` (the render loop calls it when seqNext() == frame). */
export function seqFire(frame: i64): void {
  if (S.running != 0 && S.pendingBpm > 0.0 && S.pendingFrame == frame) {
    // Exactly on the bar's beat (beatAt would carry the old tempo's rounding into the new grid).
    S.anchorBeat = S.pendingBeat;
    S.anchorFrame = frame;
    S.bpm = S.pendingBpm;
    S.pendingBpm = 0.0;
    retime(frame);
  }
  for (let t = 0; t < SEQ_TRACKS; t++) {
    const tr = track(t);
    if (tr.defined == 0) continue;
    for (let v = 0; v < SEQ_GROUP_MAX; v++) {
      if (load<i64>(offFrame(t, v)) == frame) closeOne(t, v, frame);
    }
    if (tr.rLeft > 0 && tr.rNext == frame) ratchetHit(t, frame);
    if (S.running != 0 && tr.started != 0 && tr.stepFrame == frame) playStep(t, frame);
  }
  recompute();
}

/** The transport's position in beats at `frame` (−1 while stopped), for status displays. */
export function seqBeatAt(frame: i64): f64 {
  return S.running != 0 ? beatAt(frame) : -1.0;
}

/** The tempo in BPM. */
export function seqBpm(): f64 {
  return S.bpm;
}
