// The calling thread's nice value, read and set through libc (Linux applies nice per thread, and a new thread
// starts with its creator's), and whether this process may set a lower value again once it has raised one.
// The spawner loads spares at a higher nice value, so on two CPUs a loading spare gives way to the audio
// threads and the supervisor; a claimed spare returns to its creator's value before it renders
// (workers/spawner_worker.ts, docs/design.md §5). Raising nice is always allowed; lowering it again needs
// CAP_SYS_NICE or an RLIMIT_NICE of at least 20 − value (setpriority(2)), so without either no spare is niced.
//
//   struct rlimit { u64 rlim_cur @0; u64 rlim_max @8 }                                        16 B
//   struct __user_cap_header_struct { u32 version @0; i32 pid @4 }                             8 B
//   struct __user_cap_data_struct { u32 effective, permitted, inheritable } × 2 (version 3)   24 B

import { openLibc } from "./libc.ts";

const symbols = {
  gettid: { parameters: [], result: "i32" },
  getpriority: { parameters: ["i32", "u32"], result: "i32" },
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  capget: { parameters: ["buffer", "buffer"], result: "i32" },
} as const;

const PRIO_PROCESS = 0; // with a tid: that one thread
const RLIMIT_NICE = 13;
const CAP_SYS_NICE = 23;
const CAPABILITY_VERSION_3 = 0x20080522;

/** The calling thread's nice value, held open so that setting it costs one system call. */
export interface ThreadNice {
  /** The thread's nice value now (−20 … 19). */
  get(): number;
  /** Sets it; false when the system refused (a lower value without the right, see mayLowerTo). */
  set(nice: number): boolean;
  /** True when this process may set `nice` after raising the value above it: CAP_SYS_NICE or RLIMIT_NICE. */
  mayLowerTo(nice: number): boolean;
  /** Closes libc. */
  close(): void;
}

/**
 * Opens the calling thread's nice value; null where it cannot (no libc, no FFI permission).
 *
 * @example
 * ```ts
 * const nice = threadNice();
 * const was = nice?.get() ?? 0;
 * if (nice?.mayLowerTo(was)) nice.set(was + 10); // and later nice.set(was)
 * ```
 */
export function threadNice(): ThreadNice | null {
  let libc: Deno.DynamicLibrary<typeof symbols>;
  try {
    libc = openLibc(symbols);
  } catch {
    return null;
  }
  const tid = libc.symbols.gettid();
  return {
    get: () => libc.symbols.getpriority(PRIO_PROCESS, tid),
    set: (nice) => libc.symbols.setpriority(PRIO_PROCESS, tid, nice) === 0,
    mayLowerTo: (nice) => hasCapSysNice(libc) || niceLimit(libc) >= 20 - nice,
    close: () => libc.close(),
  };
}

// RLIMIT_NICE's soft limit (RLIM_INFINITY reads as a huge number); 0 when it cannot be read.
function niceLimit(libc: Deno.DynamicLibrary<typeof symbols>): number {
  const rlimit = new BigUint64Array(2);
  if (libc.symbols.getrlimit(RLIMIT_NICE, new Uint8Array(rlimit.buffer)) !== 0) return 0;
  return Number(rlimit[0]);
}

// Whether CAP_SYS_NICE is in the process's effective set (root in a container often lacks it).
function hasCapSysNice(libc: Deno.DynamicLibrary<typeof symbols>): boolean {
  const header = new Uint32Array([CAPABILITY_VERSION_3, 0]);
  const data = new Uint32Array(6);
  if (libc.symbols.capget(new Uint8Array(header.buffer), new Uint8Array(data.buffer)) !== 0) return false;
  return (data[0] & (1 << CAP_SYS_NICE)) !== 0;
}
