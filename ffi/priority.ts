// A background thread's place in the Linux scheduler: setpriority(PRIO_PROCESS, tid, nice) on the calling
// thread alone (Linux applies a nice value per thread). The analysis worker lowers itself to nice 19, so on a
// machine with fewer CPUs than busy threads the DSP workers and the output worker run first (docs/performance.md).

import { openLibc } from "./libc.ts";

const symbols = {
  gettid: { parameters: [], result: "i32" },
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
} as const;

/** Sets the calling thread's nice value (0 … 19 without privileges); false where it cannot (no libc, no FFI). */
export function niceThisThread(nice: number): boolean {
  try {
    const libc = openLibc(symbols);
    const ok = libc.symbols.setpriority(
      0, /* PRIO_PROCESS: a tid names one thread */
      libc.symbols.gettid(),
      nice,
    );
    libc.close();
    return ok === 0;
  } catch {
    return false;
  }
}
