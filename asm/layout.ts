// The one protocol of Chronus, declared once. AssemblyScript (asm/) and Deno (engine/, workers/) both import
// this file, so it holds plain integer constants only: no types, no functions.
// Numbers are never reused: a retired code keeps its slot and gets a comment.
//
// ── Shared memory (one SharedArrayBuffer, Int32/Float32/Float64 views over it) ─────────────────────────────
//
//   byte 0                CTRL_BYTES            + SLOT_BYTES · s        SNAP_OFFSET          HANDOFF_OFFSET
//   ┌─────────────────────┬─────────────────────────────────────────┬────────────────────┬────────────────────┐
//   │ control (i32 words) │ slot 0 │ slot 1 │ … │ slot MAX_SLOTS-1    │ snapshot (a WASM   │ handoff (snapshot  │
//   │                     │                                         │ memory, written by │ copy for the parked│
//   │                     │                                         │ the primary)       │ spare)             │
//   └─────────────────────┴─────────────────────────────────────────┴────────────────────┴────────────────────┘
//     TAP_OFFSET                                                                               SHARED_BYTES
//   ┌──────────────────────┬───────────────────────────────────────────────────────────────────┐
//   │ record tap header    │ record tap audio: TAP_CAP blocks × block × CHANNELS f32           │
//   │ TAP_HDR_WORDS i32    │ (TAP_FRAMES frames at most); block n in tap slot n % TAP_CAP      │
//   └──────────────────────┴───────────────────────────────────────────────────────────────────┘
//
//   control: CTRL_* words, then the fault-injection table (INJECT_MAX rows of INJECT_WORDS).
//
//   one slot (a DSP worker owns one slot while it lives; a slot is never shared by two live workers):
//   ┌──────────────────┬──────────────────────────┬──────────────────────────────┬───────────────────────────┬──────────────────┐
//   │ header           │ block tags + hashes      │ command ring                 │ audio ring                │ peaks            │
//   │ HDR_WORDS i32    │ RING_BLOCKS i32 each     │ CMD_CAP records × CMD_WORDS  │ RING_BLOCKS × MAX_BLOCK   │ MAX_MODULES f32  │
//   │ (f64 at HDR_F64) │ tag[k] = block in slot k │ i32 (f64 args overlaid)      │   × CHANNELS f32          │ (by module id)   │
//   └──────────────────┴──────────────────────────┴──────────────────────────────┴───────────────────────────┴──────────────────┘
//   then, for the listener (workers/analysis_worker.ts), and the read-back area (OP_READ) last:
//   ┌──────────────────────────────┬────────────────────────────────────────┬───────────────────────────────────┐
//   │ probe tags + module ids      │ probe ring: PROBE_BLOCKS × MAX_BLOCK   │ limiter gain: tags + min gain     │
//   │ PROBE_BLOCKS i32 each        │   × CHANNELS f32                       │ GAIN_BLOCKS i32 + GAIN_BLOCKS f32 │
//   └──────────────────────────────┴────────────────────────────────────────┴───────────────────────────────────┘
//
//   The probe (OP_PROBE) copies one module's main output, after each block, into probe slot n % PROBE_BLOCKS
//   (interleaved L, R; a mono output in both): probe id[k] = the module id probed in block n (0: none), and
//   probe tag[k] = n is stored last, as for the audio ring. The gain ring holds, for block n in slot
//   n % GAIN_BLOCKS, the smallest gain any limiter applied in it (1: none limited). Both are pure functions of
//   the block and the stamped commands, so both workers write the same values and a reader may take them from
//   whichever slot feeds the output; neither changes a sample.
//
//   Audio slot k holds block n when tag[k] == n (k = n % RING_BLOCKS); the tag is stored after the samples,
//   so a reader that sees the tag sees the whole block. Samples are interleaved (L, R).
//
//   Peaks are meters, not audio: peak[id] is the largest |sample| module `id` wrote (any output) in the blocks
//   the worker rendered since the meter window began. The DSP measures each block (asm/peaks.ts); the worker
//   folds it in after each block. A reader (the primary's slot) reads the peaks, then bumps CTRL_PEAK_WINDOW;
//   each worker, seeing it changed, starts its peaks afresh from the next block. A block rendered between the
//   read and the bump is lost to the meters, never to the audio.
//
//   The read-back area answers OP_READ (asm/readback.ts): READ_ENTRIES entries, each a header of
//   READ_HDR_WORDS i32 (tag = the request id, module id, parameter count (−1: no such module), block) and
//   READ_PARAMS × READ_VALUES f64 (per parameter: its base value after smoothing, its target, and what the
//   kernel read last, modulation included). After the block that applied an OP_READ naming entry e, the
//   worker stores tag[e] = −1, fills the entry, then stores tag[e] = the request id: a reader that sees its id
//   sees the whole entry. Both workers fill it alike (the values are a pure function of the block and the
//   stamped commands); the engine reads the entry in whichever slot feeds the output. It changes no sample.
//
//   The record tap holds what the output emitted, for the recorder (workers/recorder_worker.ts): the output
//   worker copies each block it hands to the sink (silence for a late block) into tap slot n % TAP_CAP, then
//   stores TAP_WRITTEN = n + 1. It never waits for the recorder. Slot n % TAP_CAP is overwritten only while
//   the output writes block n + TAP_CAP, which starts after TAP_WRITTEN reached n + TAP_CAP: so a reader of
//   block m checks TAP_WRITTEN − m < TAP_CAP before and after its copy, and counts the block lost otherwise.
//
// ── Command record (CMD_WORDS × i32 = 64 bytes) ───────────────────────────────────────────────────────────
//   word 0 seq        global sequence number (orders commands at the same frame)
//   word 1 frameLo    frame at which it applies (u32 low half); the primary writes back the effective frame
//   word 2 frameHi    (high half; frames are i64 in WASM)
//   word 3 op         OP_* below
//   word 4 target     module id
//   word 5 param      parameter index
//   word 6..7 i0, i1  integer arguments
//   word 8..15        f64 arguments f0..f3 (Float64 index = record byte offset / 8 + 4 + k)

// ── Sizes ──
export const CHANNELS = 2;
export const MAX_MODULES = 1024; // module ids 1 … MAX_MODULES-1
export const MAX_CONNS = 4096;
export const MAX_BLOCK = 1024;
export const RING_BLOCKS = 16; // power of two; must exceed the largest lead
export const MAX_SLOTS = 8; // two live workers + replacements + capped zombies
export const CMD_WORDS = 16;
export const CMD_CAP = 4096; // power of two; also the largest patch transaction
export const QUEUE_CAP = 16384; // the DSP's pending events (asm/queue.ts, 1 MiB): a full transaction plus later frames
export const WASM_PAGES = 256; // 16 MiB, fixed: memory never grows, so views never detach

// ── Control words ──
export const CTRL_SELECTOR = 0; // slot the output reads (the atomic ring switch)
export const CTRL_OTHER = 1; // slot of the standby, or -1
export const CTRL_OUT_BLOCK = 2; // next block the output will emit
export const CTRL_END_BLOCK = 3; // the output stops before this block (i32 max = run on)
export const CTRL_MERGED = 4; // blocks the output took from the other ring
export const CTRL_LATE = 5; // blocks the output played as silence (no ring had them in time)
export const CTRL_PROGRESS = 6; // bumped and notified by any worker after each block or fault
export const CTRL_OUT_STATE = 7; // OUT_* below
export const CTRL_SLEEP = 8; // never written: the output worker sleeps on it
export const CTRL_LEAD = 9; // blocks a worker may render ahead of the output
export const CTRL_SPARE_ID = 10; // which spare is parked (the spawner's number for it)
// The parked spare's mailbox: a DSP worker that is loaded and instantiated waits here to become a standby.
export const CTRL_SPARE_STATE = 11; // SPARE_* below
export const CTRL_SPARE_SLOT = 12;
export const CTRL_SPARE_EPOCH = 13;
export const CTRL_SPARE_START = 14; // first block to render
export const CTRL_SPARE_SNAP_BYTES = 15; // snapshot bytes in the handoff area (0 = initial state)
export const CTRL_UNDERFLOWS = 16; // device underflows so far (PortAudio)
export const CTRL_SPARES_LOADED = 17; // spares that have loaded and instantiated (engine start waits for them)
export const CTRL_PEAK_WINDOW = 18; // bumped by the meter reader: each worker starts its peaks afresh
export const CTRL_OUT_TID = 19; // the output worker's Linux thread id (0: unknown): benchmarks read its CPU time
// Real-time threads (docs/realtime.md), set before any worker starts: the Linux policy (0: none, 1 SCHED_FIFO,
// 2 SCHED_RR) and the priority the output and each DSP worker raise their own thread to. A worker reports what
// it got (the priority, or minus the errno; 0: not asked): the output in CTRL_RT_OUT_GOT, a DSP worker in its
// slot's H_RT.
export const CTRL_RT_POLICY = 20;
export const CTRL_RT_OUT_PRIO = 21;
export const CTRL_RT_DSP_PRIO = 22;
export const CTRL_RT_OUT_GOT = 23;
export const CTRL_COVERS = 24; // blocks the output had the standby cover for a late primary (H_COMMIT below)
export const LATE_AT_MAX = 4096; // late blocks the output locates (its run summary's lateAt); it counts them all
export const INJECT_BASE = 32; // CTRL_* above must stay below this
export const INJECT_MAX = 1024; // bench/soak.ts injects 1,000 in one engine; a worker scans the filled rows per block
export const INJECT_WORDS = 4; // block, role, kind, fired
export const CTRL_WORDS = INJECT_BASE + INJECT_MAX * INJECT_WORDS;
export const CTRL_BYTES = CTRL_WORDS * 4;

export const SPARE_NONE = 0;
export const SPARE_PARKED = 1;
export const SPARE_CLAIMED = 2;
export const SPARE_STARTING_PARK = 3; // a spare is writing its id

export const OUT_STARTING = 0;
export const OUT_RUNNING = 1;
export const OUT_DONE = 2;

// ── Record tap header words (i32 from TAP_OFFSET) ──
export const TAP_FRAMES = 1 << 18; // 5.5 s at 48 kHz: how long the recorder may stall before it loses audio
export const TAP_CAP = 0; // tap capacity in blocks (≤ TAP_FRAMES / block), set before the output starts
export const TAP_WRITTEN = 1; // blocks the output has copied into the tap: the next block it will copy
// Written by the recorder, read by the engine for /record/status (values of the current recording):
export const REC_NEXT = 2; // the next block the recorder takes from the tap
export const REC_FLUSHED = 3; // frames in the file with a header that counts them (what a crash leaves)
export const REC_OVERRUNS = 4; // times the recorder fell more than TAP_CAP blocks behind
export const REC_LOST = 5; // blocks recorded as silence because the tap had overwritten them
export const REC_MAX_LAG = 6; // the most blocks the recorder has been behind the output
export const TAP_HDR_WORDS = 16;

// ── Slot header words ──
export const H_EPOCH = 0; // identity of the worker allowed to write this slot; changed to fence it out
export const H_STATE = 1; // W_* below
export const H_DONE = 2; // blocks rendered and published (the heartbeat): next block to render
export const H_CLAIMED = 3; // block being rendered
export const H_GATE = 4; // a standby renders block n only if n < gate (the primary: i32 max)
export const H_DOORBELL = 5; // bumped and notified to wake the worker
export const H_ERROR = 6; // ERR_* below
export const H_ERROR_BLOCK = 7;
export const H_CMD_WRITE = 8; // command ring: records written (supervisor)
export const H_CMD_READ = 9; // command ring: records drained into WASM (worker)
export const H_SNAP_REQ = 10; // SNAP_* below
export const H_SNAP_BLOCK = 11; // snapshot taken before rendering this block
export const H_SNAP_READ = 12; // command records drained when the snapshot was taken
export const H_SNAP_BYTES = 13;
export const H_RENDER_COUNT = 14; // blocks rendered by this worker (with catch-up)
export const H_TID = 15; // the worker thread's Linux thread id (0: unknown): the hang check asks if it ran
export const HDR_F64 = 16; // f64 fields start at this i32 word (byte HDR_F64*4)
export const HF_FAULT_AT = 0; // epoch ms when a fault started (injected or caught)
export const HF_RENDER_START = 1; // epoch ms when the current/last render started
export const HF_RENDER_MS = 2; // duration of the last render
export const HF_RENDER_MS_SUM = 3; // sum of render durations (CPU load)
export const HF_SEQ_BEAT = 4; // the sequencer's position in beats at the end of block H_DONE−1 (−1: stopped)
export const HF_SEQ_BPM = 5; // its tempo there
export const HF_CREATE_FAILED = 6; // OP_CREATEs that found no room so far (the engine reports a change)
// f64 field 7 is not used as one: its two i32 words hold H_COMMIT and H_RT.
// A worker commits each block before it publishes anything of it: compareExchange(H_COMMIT, n, n + 1). The
// output worker, when block n is due and the primary has not committed it, takes it away with
// compareExchange(H_COMMIT, n, ~n): then the primary can publish nothing more, and the standby covers from
// block n on (docs/design.md §2, "A late primary is covered"). Exactly one of the two exchanges succeeds.
export const H_COMMIT = 30; // the next block this worker may publish; ~n (negative) once block n was covered
export const H_RT = 31; // the worker's real-time priority, or minus the errno of its refusal (0: not asked)
export const HDR_WORDS = 32;
export const PROBE_BLOCKS = 64; // power of two: 171 ms at 128 frames, read every 20 ms by the listener
export const GAIN_BLOCKS = 4096; // power of two: ≥ TAP_FRAMES / 64, the tap's length at blocks of 64 or more
// The read-back area (OP_READ): entries in flight engine-wide, the parameters one entry holds (the most any
// module type has is 18: patch/schema.ts), and the words of an entry.
export const READ_ENTRIES = 64;
export const READ_PARAMS = 32;
export const READ_VALUES = 3; // f64 per parameter: RV_* below
export const RV_BASE = 0; // the base value, smoothed (a glide or smoothing moves it toward the target)
export const RV_TARGET = 1; // the target: what the last command, note or lane set
export const RV_NOW = 2; // what the kernel read last in the block: the base with modulation, clamped
export const READ_HDR_WORDS = 4;
export const RH_TAG = 0; // the request id once the entry is filled (−1 while filling, 0: never)
export const RH_MODULE = 1;
export const RH_COUNT = 2; // parameters filled; −1: the module does not exist in the DSP
export const RH_BLOCK = 3; // the block after which the values were taken

export const W_STARTING = 0;
export const W_IDLE = 1;
export const W_RENDERING = 2;
export const W_FAULT = 3;
export const W_STOPPED = 4;

export const SNAP_NONE = 0;
export const SNAP_REQUESTED = 1;
export const SNAP_READY = 2;

export const ERR_NONE = 0;
export const ERR_TRAP = 1;
export const ERR_THROW = 2;
export const ERR_NONFINITE = 3;
export const ERR_QUEUE_FULL = 4;

// ── Slot offsets (bytes from the slot start) ──
export const SLOT_TAGS = HDR_WORDS * 4;
export const SLOT_HASHES = SLOT_TAGS + RING_BLOCKS * 4;
export const SLOT_CMDS = SLOT_HASHES + RING_BLOCKS * 4;
export const SLOT_AUDIO = SLOT_CMDS + CMD_CAP * CMD_WORDS * 4;
export const SLOT_PEAKS = SLOT_AUDIO + RING_BLOCKS * MAX_BLOCK * CHANNELS * 4;
export const SLOT_PROBE_TAGS = SLOT_PEAKS + MAX_MODULES * 4;
export const SLOT_PROBE_IDS = SLOT_PROBE_TAGS + PROBE_BLOCKS * 4;
export const SLOT_PROBE = SLOT_PROBE_IDS + PROBE_BLOCKS * 4;
export const SLOT_GAIN_TAGS = SLOT_PROBE + PROBE_BLOCKS * MAX_BLOCK * CHANNELS * 4;
export const SLOT_GAINS = SLOT_GAIN_TAGS + GAIN_BLOCKS * 4;
export const SLOT_READ_HDR = SLOT_GAINS + GAIN_BLOCKS * 4;
export const SLOT_READ_VALUES = SLOT_READ_HDR + READ_ENTRIES * READ_HDR_WORDS * 4; // 8-byte aligned (f64)
export const SLOT_BYTES = SLOT_READ_VALUES + READ_ENTRIES * READ_PARAMS * READ_VALUES * 8;
export const SNAP_OFFSET = CTRL_BYTES + MAX_SLOTS * SLOT_BYTES;
export const HANDOFF_OFFSET = SNAP_OFFSET + WASM_PAGES * 65536;
export const TAP_OFFSET = HANDOFF_OFFSET + WASM_PAGES * 65536;
export const TAP_AUDIO = TAP_OFFSET + TAP_HDR_WORDS * 4;
export const SHARED_BYTES = TAP_AUDIO + TAP_FRAMES * CHANNELS * 4;

// ── Command record fields ──
export const C_SEQ = 0;
export const C_FRAME_LO = 1;
export const C_FRAME_HI = 2;
export const C_OP = 3;
export const C_TARGET = 4;
export const C_PARAM = 5;
export const C_I0 = 6;
export const C_I1 = 7;
export const C_F64 = 4; // f64 index of f0 inside a record (word 8)

// ── Ops ──
export const OP_NOP = 0;
export const OP_SET_PARAM = 1; // target, param, f0 = value
export const OP_POISON = 2; // traps the DSP when applied: exercises the quarantine path
export const OP_RESEED = 3; // i0 = new PRNG seed
// Patch graph (module ids 1 … MAX_MODULES-1; 0 was the engine tone and stays unused). The control side
// validates and computes the plan; a transaction is a run of records stamped with one frame, published to the
// worker at once.
export const OP_CREATE = 4; // target = module id, i0 = type code (asm/gen/defs.ts), i1 = seed
export const OP_DELETE = 5; // target = module id (its connections go with it)
export const OP_CONNECT = 6; // target = dst module, param = dst index, i0 = src module,
//                              i1 = src output | CONN_PARAM when the dst is a parameter, f0 = depth, f1 = conn id
export const OP_DISCONNECT = 7; // i0 = conn id
export const OP_PLAN = 8; // i0 = position, target = module: the processing order
export const OP_PLAN_LEN = 9; // i0 = modules in the plan
export const OP_GATE = 10; // target = module, i0 = 1 on / 0 off, f0 = velocity 0 … 1
export const OP_SET_DEPTH = 11; // i0 = conn id, f0 = depth
export const CONN_PARAM = 0x10000;

// Sequencer (asm/sequencer.ts). A track's definition goes into its pending bank (OP_SEQ_TRACK resets the bank,
// then TARGET, STEPS, NOTE and LANE fill it) and takes effect with OP_SEQ_COMMIT: at the track's next bar, or at
// its next step with SEQ_NOW. A whole definition is one transaction: one batch, one frame.
export const OP_SEQ_TRACK = 12; // target = track, i0 = steps in the pattern, i1 = steps per beat,
//                                 param = modules (voice group size), f0 = gate length in steps
export const OP_SEQ_TARGET = 13; // target = track, i0 = slot, i1 = module id, param = its pitch parameter or -1
export const OP_SEQ_STEPS = 14; // target = track, i0 = first step, i1 = 16 steps × 2 bits (SEQ_REST …), low first
export const OP_SEQ_NOTE = 15; // target = track, i0 = index, i1 = notes in the list, f0 = Hz
export const OP_SEQ_LANE = 16; // target = track, param = lane, i0 = index, i1 = parameter index,
//                                f0 = value, f1 = values in the lane
export const OP_SEQ_COMMIT = 17; // target = track, i0 = SEQ_AT_BAR | SEQ_NOW, i1 = bar (from 1; 0: the next)
export const OP_SEQ_REMOVE = 18; // target = track, i0 = SEQ_AT_BAR | SEQ_NOW (its gates close), i1 = bar
export const OP_SEQ_TRANSPORT = 19; // i0 = SEQ_STOP | SEQ_START | SEQ_RESET
export const OP_SEQ_TEMPO = 20; // f0 = BPM, i0 = SEQ_AT_BAR | SEQ_NOW, i1 = bar (from 1; 0: the next)
export const OP_SEQ_SWING = 21; // f0 = where the off-beat step sits in its pair: 0.5 straight … 0.75
// The output's master gain, after the patch (asm/engine.ts): the engine's pause and resume fade with it.
export const OP_OUTPUT_GAIN = 22; // f0 = the gain to reach, 0 … 1; i0 = frames to get there (a linear ramp)
// The listener's probe (asm/probe.ts): which module's main output the workers copy into their probe ring.
export const OP_PROBE = 23; // target = module id (0: off), i0 = its left output, i1 = its right output
// Note ownership (asm/graph.ts; the group allocator, asm/groups.ts, uses it): a note owns the voice it plays on, so that the
// stamped gate-off of a note whose voice was stolen (or taken over legato) leaves the new note sounding.
export const OP_NOTE_ON = 24; // target = module, i0 = note id (> 0), i1 = 1 opens the gate / 0 legato (only
//                               the owner changes), f0 = velocity 0 … 1
export const OP_NOTE_OFF = 25; // target = module, i0 = note id: closes the gate while that note owns it
// A chord on a sequencer note (asm/sequencer.ts): tone 0 is OP_SEQ_NOTE's Hz, these are the others.
export const OP_SEQ_CHORD = 26; // target = track, i0 = note index, param = tone 1 … SEQ_CHORD_MAX-1,
//                                 i1 = tones in the chord (1 … SEQ_CHORD_MAX), f0 = Hz
// Voice groups and their allocator, in the DSP (asm/groups.ts; docs/instrument.md): live group notes and the
// sequencer's group tracks choose voices through one function. The control side declares each group when the
// patch is committed (patch/instrument.ts) and assigns live note ids; the DSP chooses the voice.
export const OP_GROUP = 27; // target = group 0 … GROUPS_MAX-1, i0 = voices (0: none), i1 = GROUP_* flags
export const OP_GROUP_VOICE = 28; // target = group, i0 = slot, i1 = module id, param = its pitch parameter or -1
export const OP_GROUP_NOTE_ON = 29; // target = group, i0 = note id (> 0), f0 = Hz, f1 = velocity 0 … 1
export const OP_GROUP_NOTE_OFF = 36; // target = group, i0 = note id: releases it while it owns a voice
export const OP_SEQ_GROUP = 37; // target = track, i0 = group (−1: plain modules, round robin)
export const GROUPS_MAX = 16;
export const GROUP_VOICES_MAX = 16;
export const GROUP_LEGATO = 1;
export const GROUP_QUIETEST = 2;
// Patterns that grow (sequencer/grammar.ts). OP codes 24 … 29 are taken by voices and chords; these use 30 … 35.
// A step's extras go into its bank beside its 2-bit code; a step without extras (every step of a pattern of
// x X . - only) sends none, so such a pattern plays exactly as before.
export const OP_SEQ_EXTRA = 30; // target = track, i0 = step, i1 = SEQ_X_* fields below (0: none)
export const OP_SEQ_MUTE = 31; // target = track, i0 = 1 muted (its hits stay silent from its next step) / 0
export const SEQ_X_LEVEL_MASK = 0xf; // velocity level 1 … 9 (level/9); 0: the code's (x 0.75, X 1.0)
export const SEQ_X_RATCHET_SHIFT = 4; // ratchet − 1, 3 bits: 1 … SEQ_RATCHET_MAX hits evenly in the step
export const SEQ_X_SKIP_SHIFT = 8; // 100 − chance in percent, 7 bits (0: always plays)
export const SEQ_RATCHET_MAX = 8;
export const SEQ_TRACKS = 16;
export const SEQ_STEPS = 256;
export const SEQ_NOTES = 64;
export const SEQ_LANES = 4;
export const SEQ_GROUP_MAX = 8; // the most modules in a track's group (played round robin)
export const SEQ_CHORD_MAX = 8; // the most tones of one sequencer note (each takes the group's next voice)
export const SEQ_BEATS_PER_BAR = 4;
export const SEQ_REST = 0;
export const SEQ_HIT = 1;
export const SEQ_ACCENT = 2;
export const SEQ_TIE = 3;
export const SEQ_AT_BAR = 0;
export const SEQ_NOW = 1;
export const SEQ_STOP = 0;
export const SEQ_START = 1;
export const SEQ_RESET = 2;
export const SEQ_VELOCITY_HIT = 0.75; // `x`
export const SEQ_VELOCITY_ACCENT = 1.0; // `X` (acid's accent needs more than 0.8)

// Read-back (asm/readback.ts; the area is drawn above). OP codes up to 39 are taken; these use 40 … 43.
export const OP_READ = 40; // target = module id, i0 = request id (> 0), i1 = entry 0 … READ_ENTRIES-1: after
//                            the block that applies it, that entry holds the module's parameters. Applied
//                            without splitting the block's span, so it changes no sample.

// ── Fault injection (kinds; role 0 = primary, 1 = standby) ──
export const FAULT_NONE = 0;
export const FAULT_TRAP = 1; // WASM unreachable inside render
export const FAULT_NAN = 2; // render writes NaN
export const FAULT_HANG = 3; // render spins 2 s, then returns
export const FAULT_HANG_FOREVER = 4; // render never returns
export const FAULT_THROW = 5; // worker JavaScript throws
export const FAULT_EXIT = 6; // worker closes itself without a word
export const FAULT_SLOW = 7; // render stalls SLOW_MS, then carries on (what a VM steal pause looks like)
export const ROLE_PRIMARY = 0;
export const ROLE_STANDBY = 1;
export const HANG_MS = 2000;
export const SLOW_MS = 12;

// ── Retired: the engine tone (module 0) ──
// A minimal oscillator that proved the engine before the patch existed (MOD_VOICE = 0 with parameters
// P_FREQ 0, P_GAIN 1, P_WAVE 2). It is gone: module id 0 stays unused, and the legacy /engine/freq, gain, amp
// and wave addresses act on the patch's voice1 (osc/routes/engine.ts).

// ── Sample pool (a second, shared WASM memory: core/sample_pool.ts writes it, asm/pool.ts reads it) ──
// One pool per engine, imported by every DSP instance as "pool" "mem" (scripts/build_wasm.ts adds it); no
// snapshot copies it. It starts with the table: POOL_SAMPLES entries of POOL_ENTRY_WORDS i32, entry k for
// sample id k (id 0 means "no sample" and stays empty). An entry is written whole, POOL_E_READY last, before
// any command naming its id is sent, and never changes while a module may play it. Sample data follows the
// table: each mip level is interleaved f32 frames (channels 1 or 2) at the engine's rate.
export const POOL_SAMPLES = 256;
export const POOL_ENTRY_WORDS = 16;
// Nine levels: the sampler's largest step, rate 16 × pitch +48 semitones = 256 = 2^8, reads level 8.
export const POOL_MIPS = 9; // level 0 = the sample, level k = decimated by 2^k with a low-pass
export const POOL_E_READY = 0; // 1 while the entry may be played
export const POOL_E_FRAMES = 1; // frames of level 0
export const POOL_E_CHANNELS = 2; // 1 or 2
export const POOL_E_MIPS = 3; // levels stored, 1 … POOL_MIPS
export const POOL_E_SLICES = 4; // onset slices stored (0: the sampler's `slices` cuts equal parts)
export const POOL_E_SLICE_AT = 5; // byte offset of the slice starts: POOL_E_SLICES i32 frames
export const POOL_E_LEVEL_AT = 6; // POOL_MIPS words (6 … 14): byte offset of each level's data
export const POOL_TABLE_BYTES = POOL_SAMPLES * POOL_ENTRY_WORDS * 4;
