// What the machine did beside a benchmark, second by second: the hypervisor's steal and the CPU every other
// process used, from /proc. A late block in a second the machine stalled is the machine's evidence, not the
// engine's (docs/performance.md); bench:soak (bench/soak/scenarios.ts) and bench:latency (bench/latency.ts)
// share this.

/** What the machine did in one second: hypervisor steal and other processes' CPU, in ms (of all CPUs). */
export interface MachineSecond {
  /** Seconds since the run began. */
  s: number;
  /** Time the hypervisor gave this VM's CPUs to others (/proc/stat steal), ms. */
  stealMs: number;
  /** CPU time every other process used (busy time less the watched processes'), ms. */
  othersMs: number;
}

/** One process's CPU time (utime + stime) in ms; undefined once it has ended. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return (fields[11] + fields[12]) * 10; // utime, stime (fields 14 and 15 of proc(5)), in jiffies of 10 ms
  } catch {
    return undefined;
  }
}

/**
 * Cumulative machine counters: /proc/stat's first line (jiffies of 10 ms) and the watched processes' CPU. A
 * process that has ended keeps the CPU time `last` last saw for it (so its end is not read as others' work).
 */
export function machineCounters(
  pids: readonly number[],
  last: Map<number, number> = new Map(),
): { busyMs: number; stealMs: number; ownMs: number } {
  const cpu = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  let own = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid) ?? last.get(pid) ?? 0;
    last.set(pid, ms);
    own += ms;
  }
  return { busyMs: (user + nice + system + irq + softirq) * 10, stealMs: steal * 10, ownMs: own };
}

/** A second counts as a machine stall when the hypervisor took 10 ms or more, or others used half a CPU. */
export function machineStalled(m: MachineSecond): boolean {
  return m.stealMs >= 10 || m.othersMs >= 500;
}

/** Samples the machine once a second against the processes it watches (their CPU is not "others'"). */
export class MachineClock {
  #pids: number[];
  #cpu = new Map<number, number>();
  #last: { busyMs: number; stealMs: number; ownMs: number };
  #next = 1;
  /** When the clock started (performance.now()): second s is [t0 + s·1000, t0 + (s+1)·1000). */
  readonly t0: number = performance.now();
  /** The seconds sampled so far. */
  readonly seconds: MachineSecond[] = [];

  /** Starts the clock now, watching `pids` (this process, an engine child, a CPU hog …). */
  constructor(pids: readonly number[]) {
    this.#pids = [...pids];
    this.#last = machineCounters(this.#pids, this.#cpu);
  }

  /** Watches one more process from now on (its CPU until now stays in the current second's "others"). */
  watch(pid: number): void {
    this.#pids.push(pid);
    const ms = processCpuMs(pid) ?? 0;
    this.#cpu.set(pid, ms);
    this.#last = { ...this.#last, ownMs: this.#last.ownMs + ms };
  }

  /** Records every whole second that has passed since the last call. */
  tick(): void {
    const s = (performance.now() - this.t0) / 1000;
    while (s >= this.#next) {
      const now = machineCounters(this.#pids, this.#cpu);
      this.seconds.push({
        s: this.#next - 1,
        stealMs: now.stealMs - this.#last.stealMs,
        othersMs: Math.max(0, now.busyMs - this.#last.busyMs - (now.ownMs - this.#last.ownMs)),
      });
      this.#last = now;
      this.#next++;
    }
  }
}
