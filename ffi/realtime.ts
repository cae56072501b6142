// Linux real-time scheduling through libc (docs/realtime.md): a thread raises itself to SCHED_FIFO or
// SCHED_RR by its own thread id, the supervisor lowers a thread it gave up on back to SCHED_OTHER, the engine
// locks its shared memory, and the limits that decide what is permitted are read without /proc (the engine's
// permission set reads only its own tree).
//
//   struct sched_param { i32 sched_priority }                                      4 B
//   struct rlimit      { u64 rlim_cur @0; u64 rlim_max @8 }                        16 B
//   capget header      { u32 version @0; i32 pid @4 }; data [2] { u32 effective, permitted, inheritable }
//
// The numbers below are Linux's on x86-64 and arm64 (the generic ABI): <sched.h>, <sys/resource.h>,
// <sys/mman.h>, <linux/capability.h>.

import { lazyLibc } from "./libc.ts";

/** SCHED_OTHER: the normal, time-shared policy. */
export const SCHED_OTHER = 0;
/** SCHED_FIFO: runs until it blocks or a higher priority wants the CPU. */
export const SCHED_FIFO = 1;
/** SCHED_RR: SCHED_FIFO with a time slice among threads of equal priority. */
export const SCHED_RR = 2;
// Threads this one creates start as SCHED_OTHER: Deno starts blocking-pool threads (a nonblocking FFI call,
// file I/O) from whichever thread asks first, and such a thread must not inherit the output's priority.
const SCHED_RESET_ON_FORK = 0x40000000;
const RLIMIT_MEMLOCK = 8, RLIMIT_RTPRIO = 14, RLIMIT_RTTIME = 15;
const CAP_IPC_LOCK = 14, CAP_SYS_NICE = 23;
const CAPABILITY_VERSION_3 = 0x20080522;

/** errno values the engine names (asm-generic/errno-base.h). */
export const EPERM = 1, EINVAL = 22, ENOMEM = 12, EAGAIN = 11;
/** The result of a raise when libc or FFI is not available at all (not an errno). */
export const NO_LIBC = 1000;

const symbols = {
  gettid: { parameters: [], result: "i32" },
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  sched_getscheduler: { parameters: ["i32"], result: "i32" },
  sched_getparam: { parameters: ["i32", "buffer"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  mlock: { parameters: ["pointer", "u64"], result: "i32" },
  capget: { parameters: ["buffer", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

// No libc or no FFI permission: nothing is raised, and the caller says so.
const lib = lazyLibc(symbols);

// errno of the call just made on this thread (glibc keeps it per thread; nothing runs in between).
function errno(l: Deno.DynamicLibrary<typeof symbols>): number {
  const p = l.symbols.__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

const param = new Int32Array(1);
const paramBytes = new Uint8Array(param.buffer);

/**
 * Sets the calling thread's policy (SCHED_FIFO or SCHED_RR) and priority (1 … 99), threads it creates reset
 * to SCHED_OTHER. Returns the priority it got, or minus the errno (−EPERM: not permitted; −NO_LIBC: no libc).
 */
export function raiseThisThread(policy: number, priority: number): number {
  const l = lib();
  if (!l) return -NO_LIBC;
  param[0] = priority;
  if (l.symbols.sched_setscheduler(l.symbols.gettid(), policy | SCHED_RESET_ON_FORK, paramBytes) !== 0) {
    return -errno(l);
  }
  return priority;
}

/**
 * Puts thread `tid` back to SCHED_OTHER (lowering is always permitted for one's own threads): the supervisor
 * does so to a worker it gave up on, so that a render spinning in a real-time thread cannot hold a CPU from
 * the rest of the machine. True when it did.
 */
export function demoteThread(tid: number): boolean {
  const l = lib();
  if (!l || !(tid > 0)) return false; // tid 0 would name the calling thread
  param[0] = 0;
  return l.symbols.sched_setscheduler(tid, SCHED_OTHER, paramBytes) === 0;
}

/** Thread `tid`'s policy (SCHED_*, without the reset-on-fork flag) and priority; undefined when it cannot say. */
export function threadPolicy(tid: number): { policy: number; priority: number } | undefined {
  const l = lib();
  if (!l || !(tid > 0)) return undefined;
  const policy = l.symbols.sched_getscheduler(tid);
  if (policy < 0 || l.symbols.sched_getparam(tid, paramBytes) !== 0) return undefined;
  return { policy: policy & ~SCHED_RESET_ON_FORK, priority: param[0] };
}

/**
 * Locks the pages of `view` in RAM (mlock): the engine's shared memory, which every block crosses. Not the whole
 * process: with mlockall (MCL_FUTURE, with or without MCL_ONFAULT) V8 aborts as soon as it gives pages back
 * ("Check failed: 0 == ret", measured in Deno 2.9.6; most likely its madvise(MADV_DONTNEED), which the kernel
 * refuses on locked pages).
 * Returns 0, or the errno.
 */
export function lockRange(view: ArrayBufferView): number {
  const l = lib();
  if (!l) return NO_LIBC;
  const p = Deno.UnsafePointer.of(view);
  return l.symbols.mlock(p, BigInt(view.byteLength)) === 0 ? 0 : errno(l);
}

/** What decides the real-time permissions of this process. */
export interface RealtimeLimits {
  /** RLIMIT_RTPRIO's soft limit: the highest priority a thread without CAP_SYS_NICE may take (0: none). */
  rtprio: number;
  /** RLIMIT_MEMLOCK's soft limit in bytes (Infinity: unlimited). */
  memlockBytes: number;
  /** RLIMIT_RTTIME's soft limit in µs (Infinity: unlimited): real-time CPU time without blocking. */
  rttimeUs: number;
  /** The process holds CAP_SYS_NICE (any priority, whatever RLIMIT_RTPRIO says). */
  sysNice: boolean;
  /** The process holds CAP_IPC_LOCK (any amount locked, whatever RLIMIT_MEMLOCK says). */
  ipcLock: boolean;
}

/** This process's real-time limits and capabilities; undefined without libc. */
export function realtimeLimits(): RealtimeLimits | undefined {
  const l = lib();
  if (!l) return undefined;
  const r = new BigUint64Array(2);
  const soft = (resource: number) => {
    if (l.symbols.getrlimit(resource, new Uint8Array(r.buffer)) !== 0) return 0;
    return r[0] === 0xffffffffffffffffn ? Infinity : Number(r[0]);
  };
  const header = new Uint32Array([CAPABILITY_VERSION_3, 0]);
  const data = new Uint32Array(6);
  const ok = l.symbols.capget(new Uint8Array(header.buffer), new Uint8Array(data.buffer)) === 0;
  const has = (cap: number) => ok && (data[0] & (1 << cap)) !== 0; // effective set, first word (caps 0–31)
  return {
    rtprio: soft(RLIMIT_RTPRIO),
    memlockBytes: soft(RLIMIT_MEMLOCK),
    rttimeUs: soft(RLIMIT_RTTIME),
    sysNice: has(CAP_SYS_NICE),
    ipcLock: has(CAP_IPC_LOCK),
  };
}
