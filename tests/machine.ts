// Evidence of what the machine did while a real-time engine ran, for tests that must tell machine noise from
// a failure of the engine without loosening their bounds: the hypervisor's steal (/proc/stat) and how long
// each of the engine's worker threads waited for a CPU (/proc/PID/task/TID/schedstat, its second field). A late block
// is the engine's fault unless, around it, the machine kept the engine's threads off a CPU for longer than the
// lead could cover (bench/soak/scenarios.ts judges whole seconds the same way).

/** One look at the machine: when (epoch ms), the steal so far (ms), and each worker thread's CPU wait so far. */
export interface MachineLook {
  atMs: number;
  stealMs: number;
  /** Run-queue wait so far by thread id (ms), for the engine's worker threads. */
  waitMs: Map<number, number>;
}

/** What the machine took from the engine in a window: steal, and the most any one of its threads waited. */
export interface MachineWindow {
  stealMs: number;
  maxWaitMs: number;
}

function stealMs(): number {
  const cpu = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/);
  return Number(cpu[8] ?? 0) * 10; // jiffies of 10 ms (USER_HZ = 100)
}

function threadWaits(pid: number): Map<number, number> {
  const waits = new Map<number, number>();
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        // Deno's worker threads (the output, DSP, recorder, spawner … workers) are named worker-N; the main
        // thread and V8's helpers are not: a late block must be explained without the main thread (§2).
        if (!Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/comm`).startsWith("worker-")) continue;
        const f = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`).trim().split(/\s+/);
        waits.set(Number(t.name), Number(f[1]) / 1e6);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    // the process ended
  }
  return waits;
}

/** Looks at the machine every `everyMs` until stop(), which returns the looks. */
export function watchMachine(pid: number, everyMs = 20): { stop(): MachineLook[] } {
  const looks: MachineLook[] = [];
  const look = () => looks.push({ atMs: Date.now(), stealMs: stealMs(), waitMs: threadWaits(pid) });
  look();
  const timer = setInterval(look, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return looks;
    },
  };
}

/**
 * The steal and the longest thread wait between the last look before `fromMs` and the first after `toMs` (the
 * last look, when the engine ended before `toMs`; then at least the two last looks).
 */
export function machineWindow(looks: readonly MachineLook[], fromMs: number, toMs: number): MachineWindow {
  let a = 0, b = looks.length - 1;
  for (let i = 0; i < looks.length; i++) if (looks[i].atMs <= fromMs) a = i;
  for (let i = looks.length - 1; i >= 0; i--) if (looks[i].atMs >= toMs) b = i;
  if (b <= a) a = Math.max(0, b - 1);
  if (b <= a) return { stealMs: 0, maxWaitMs: 0 };
  let maxWaitMs = 0;
  for (const [tid, w] of looks[b].waitMs) {
    const before = looks[a].waitMs.get(tid) ?? 0;
    maxWaitMs = Math.max(maxWaitMs, w - before);
  }
  return { stealMs: looks[b].stealMs - looks[a].stealMs, maxWaitMs };
}

/**
 * True when the machine, not the engine, explains a late block in the window: the hypervisor took `budgetMs`
 * or more, or one of the engine's threads waited that long for a CPU (the lead's worth of audio at most).
 */
export function machineStalled(w: MachineWindow, budgetMs: number): boolean {
  return w.stealMs >= budgetMs || w.maxWaitMs >= budgetMs;
}
