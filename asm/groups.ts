// Voice groups and their allocator, inside the DSP: one implementation for live group notes (OP_GROUP_NOTE_ON
// from patch/instrument.ts) and for the sequencer's tracks on a group (asm/sequencer.ts calls groupNoteOn), so
// both share the voices and the policy reads the voices' real envelope levels. Its table lives in static data,
// so both workers hold the same one, a snapshot carries it, and a replay chooses the same voices.
//
// The policy (docs/instrument.md, design §7b), for a note of pitch hz at `frame`:
//   1. the same pitch (within 1 cent) still sounding in the group retriggers its own voice;
//   2. else a free voice: never played, else released and silent (its level 0), the one released longest ago;
//   3. else steal: `oldest` takes the voice released longest ago, else the one held longest; `quietest` the
//      lowest level (envelope × velocity, read from the module: the Level hook, asm/module_abi.ts).
// A voice a note took at this same frame is taken only when nothing else is left, so a chord (its tones share
// one frame) never steals from itself. A legato group plays its first voice: a note while it is held moves
// the pitch (the voice's glide) and takes the note over without retriggering.
import { GROUPS_MAX, GROUP_LEGATO, GROUP_QUIETEST, GROUP_VOICES_MAX, MAX_MODULES } from "./layout";
import { inst } from "./arena";
import { levelOf } from "./gen/dispatch";
import { noteOff, noteOn, setParam } from "./graph";

const NEVER: i64 = i64.MAX_VALUE;
// 1 cent as a frequency ratio: 2^(1/1200).
const CENT: f64 = 1.0005777895065548;

@unmanaged
class Head {
  n: i32;
  flags: i32;
}

@unmanaged
class Slot {
  module: i32;
  pitch: i32; // the module's pitch parameter, or −1
  note: i32; // the note that holds or held it last (0: never played)
  pad: i32;
  hz: f64;
  on: i64; // the frame its envelope was last opened
  off: i64; // the frame its note was released (NEVER while held)
}

const HEAD_BYTES: i32 = <i32> offsetof<Head>();
const SLOT_BYTES: i32 = <i32> offsetof<Slot>();
const HEADS = memory.data(GROUPS_MAX * HEAD_BYTES, 16);
const SLOTS = memory.data(GROUPS_MAX * GROUP_VOICES_MAX * SLOT_BYTES, 16);
// The sequencer's note ids count down from −1 (live ids, from the control side, are positive).
const SEQ_ID = memory.data(8, 8);

@inline
function head(g: i32): Head {
  return changetype<Head>(HEADS + <usize> (g * HEAD_BYTES));
}

@inline
function slot(g: i32, k: i32): Slot {
  return changetype<Slot>(SLOTS + <usize> ((g * GROUP_VOICES_MAX + k) * SLOT_BYTES));
}

/** Resets every group to none. */
export function groupsInit(): void {
  memory.fill(HEADS, 0, GROUPS_MAX * HEAD_BYTES);
  memory.fill(SLOTS, 0, GROUPS_MAX * GROUP_VOICES_MAX * SLOT_BYTES);
  store<i32>(SEQ_ID, 0);
}

/** Declares group g with n voices (0: none) and GROUP_* flags; its voices start fresh (groupVoice fills them). */
export function groupDeclare(g: i32, n: i32, flags: i32): void {
  if (g < 0 || g >= GROUPS_MAX) return;
  const h = head(g);
  h.n = min(max(n, 0), GROUP_VOICES_MAX);
  h.flags = flags;
  memory.fill(SLOTS + <usize> (g * GROUP_VOICES_MAX * SLOT_BYTES), 0, GROUP_VOICES_MAX * SLOT_BYTES);
  for (let k = 0; k < GROUP_VOICES_MAX; k++) slot(g, k).pitch = -1;
}

/** Voice k of group g is module `id`, whose pitch parameter is `pitch` (−1: none). */
export function groupVoice(g: i32, k: i32, id: i32, pitch: i32): void {
  if (g < 0 || g >= GROUPS_MAX || k < 0 || k >= head(g).n || id <= 0 || id >= MAX_MODULES) return;
  const s = slot(g, k);
  s.module = id;
  s.pitch = pitch;
}

/** Voices of group g (0: no such group). */
export function groupSize(g: i32): i32 {
  return g >= 0 && g < GROUPS_MAX ? head(g).n : 0;
}

/** The next note id of the sequencer's own range (negative, so never a live note's). */
export function nextSeqNoteId(): i32 {
  const c = load<i32>(SEQ_ID);
  store<i32>(SEQ_ID, (c + 1) & 0x3fffffff);
  return -1 - c;
}

@inline
function held(s: Slot): bool {
  return s.note != 0 && s.off == NEVER;
}

// The voice's level; a type that does not say counts as loud while held and silent once released.
function level(s: Slot): f64 {
  const m = inst(s.module);
  const l = m.active ? levelOf(m) : 0.0;
  if (l >= 0.0) return l;
  return held(s) ? 1.0 : 0.0;
}

@inline
function sounding(s: Slot): bool {
  return s.note != 0 && (held(s) || level(s) > 0.0);
}

@inline
function samePitch(a: f64, b: f64): bool {
  return a > 0.0 && b > 0.0 ? a < b * CENT && b < a * CENT : a == b;
}

// The voice a note of `hz` takes at `frame`. `fresh` = 0 leaves out voices opened at this frame (a chord's
// other tones); 1 admits them, when nothing else is left.
function choose(g: i32, hz: f64, frame: i64, fresh: i32): i32 {
  const n = head(g).n;
  for (let k = 0; k < n; k++) {
    const s = slot(g, k);
    if ((fresh != 0 || s.on != frame || !held(s)) && sounding(s) && samePitch(s.hz, hz)) return k;
  }
  let best = -1;
  for (let k = 0; k < n; k++) {
    const s = slot(g, k);
    if (s.note == 0) return k;
    if (held(s) || level(s) > 0.0) continue;
    if (best < 0 || s.off < slot(g, best).off) best = k;
  }
  if (best >= 0) return best;
  const quietest = (head(g).flags & GROUP_QUIETEST) != 0;
  let bestLevel = 0.0;
  for (let k = 0; k < n; k++) {
    const s = slot(g, k);
    if (fresh == 0 && s.on == frame && held(s)) continue;
    if (quietest) {
      const l = level(s);
      if (best < 0 || l < bestLevel) {
        best = k;
        bestLevel = l;
      }
    } else if (best < 0) best = k;
    else {
      const b = slot(g, best);
      // Released before held; among released the earliest release; among held the earliest start.
      if (held(b) ? !held(s) || s.on < b.on : !held(s) && s.off < b.off) best = k;
    }
  }
  return best;
}

/**
 * Note `note` (≠ 0) of `hz` (0: the voice keeps its pitch) at `velocity` starts on group g at `frame`: it takes
 * a voice by the group's policy and owns it. Returns the voice's slot, or −1 when the group has none.
 */
export function groupNoteOn(g: i32, note: i32, hz: f64, velocity: f64, frame: i64): i32 {
  if (g < 0 || g >= GROUPS_MAX || note == 0 || !isFinite(hz) || hz < 0.0 || !isFinite(velocity)) return -1;
  const h = head(g);
  if (h.n == 0) return -1;
  let k = 0;
  let open = true;
  if ((h.flags & GROUP_LEGATO) != 0) open = !held(slot(g, 0));
  else {
    k = choose(g, hz, frame, 0);
    if (k < 0) k = choose(g, hz, frame, 1);
  }
  const s = slot(g, k);
  if (s.module == 0) return -1;
  if (hz > 0.0 && s.pitch >= 0) setParam(s.module, s.pitch, hz);
  noteOn(s.module, note, open, Math.min(Math.max(velocity, 0.0), 1.0));
  s.note = note;
  s.hz = hz;
  s.off = NEVER;
  if (open) s.on = frame;
  return k;
}

/** Note `note` of group g ends at `frame`: its voice releases, if the note still holds it (else nothing). */
export function groupNoteOff(g: i32, note: i32, frame: i64): void {
  if (g < 0 || g >= GROUPS_MAX || note == 0) return;
  const n = head(g).n;
  for (let k = 0; k < n; k++) {
    const s = slot(g, k);
    if (s.note == note && s.off == NEVER) {
      s.off = frame;
      noteOff(s.module, note);
      return;
    }
  }
}
