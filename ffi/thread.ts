// Linux scheduling facts about threads: a thread's id (gettid) and how long it has run on a CPU (its CPU-time
// clock, read with clock_gettime from any thread of the process), through libc. The supervisor uses them to
// tell a hung render (a thread spinning on a CPU) from a preempted one (a thread waiting for a CPU: on two
// vCPUs shared by the engine's own threads, a 40 µs render now and then waits 6–17 ms; it is not hung, and
// replacing it only adds a rebuild to the contention). /proc/self/task/<tid>/schedstat holds the same figure, but for a
// thread that is running it lags by up to a scheduler tick (4 ms here); the clock brings it up to date.
//
//   struct timespec { i64 tv_sec @0; i64 tv_nsec @8 }   16 B
//   a thread's CPU clock id: (~tid << 3) | CPUCLOCK_PERTHREAD (4) | CPUCLOCK_SCHED (2)

import { lazyLibc } from "./libc.ts";

const symbols = {
  gettid: { parameters: [], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

// No libc or no FFI permission: callers fall back to wall time alone.
const lib = lazyLibc(symbols);

const timespec = new BigInt64Array(2);
const timespecBytes = new Uint8Array(timespec.buffer);

/** The calling thread's Linux thread id, or 0 where it cannot be had. */
export function threadId(): number {
  return lib()?.symbols.gettid() ?? 0;
}

/** How long thread `tid` of this process has run on a CPU, in ns; undefined when it has ended (or no libc). */
export function threadRunNs(tid: number): number | undefined {
  const l = lib();
  if (!l || !(tid > 0) || l.symbols.clock_gettime((~tid << 3) | 6, timespecBytes) !== 0) return undefined;
  return Number(timespec[0]) * 1e9 + Number(timespec[1]);
}
