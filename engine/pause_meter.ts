// How long the supervising (main) thread was held off a CPU, from its own thread clock at each tick: the
// evidence that separates a slow failover caused by the machine (hypervisor steal, other processes, the
// engine's own threads on two vCPUs) from one the engine caused. Between two ticks the thread runs (its CPU
// clock advances) or sleeps for at most the loop's wait (engine/engine.ts waits 1 ms for progress); time that
// is neither was time it wanted a CPU and had none. Allocates only at construction.

/** Samples kept: at one tick a millisecond, about half a second, more than any detection needs. */
const SAMPLES = 512;

/** Measures the main thread's pauses from tick to tick. */
export class PauseMeter {
  #wall = new Float64Array(SAMPLES);
  #run = new Float64Array(SAMPLES);
  /** The pauses counted up to each sample (ms). */
  #paused = new Float64Array(SAMPLES);
  #count = 0;
  #readRunMs: () => number | undefined;
  #sleepMs: number;

  /** `readRunMs`: the thread's CPU time in ms (undefined where the platform cannot say); `sleepMs`: the longest
   * wait between ticks that is not a pause. */
  constructor(readRunMs: () => number | undefined, sleepMs = 2) {
    this.#readRunMs = readRunMs;
    this.#sleepMs = sleepMs;
  }

  /** Records a tick at `now` (ms). */
  tick(now: number): void {
    const run = this.#readRunMs();
    if (run === undefined) return;
    const i = this.#count % SAMPLES;
    const paused = this.#count === 0
      ? 0
      : this.#paused[(i + SAMPLES - 1) % SAMPLES] + this.#gapPause(now, run, true);
    this.#wall[i] = now;
    this.#run[i] = run;
    this.#paused[i] = paused;
    this.#count++;
  }

  /** The ms between `since` and `now` the thread was held off a CPU (0 where it cannot be measured). */
  pausedSince(since: number, now: number): number {
    if (this.#count === 0) return 0;
    const run = this.#readRunMs();
    if (run === undefined) return 0;
    const last = (this.#count - 1) % SAMPLES;
    // The current stretch (since the last tick) is all work: no sleep is allowed for in it.
    let total = this.#gapPause(now, run, false, last);
    const oldest = Math.max(0, this.#count - SAMPLES);
    for (let k = this.#count - 1; k > oldest; k--) {
      const i = k % SAMPLES, prev = (k - 1) % SAMPLES;
      const start = this.#wall[prev], end = this.#wall[i];
      if (end <= since) break;
      const pause = this.#paused[i] - this.#paused[prev];
      // A gap that began before `since` counts for the part after it.
      total += start >= since ? pause : pause * (end - since) / Math.max(end - start, 1e-9);
    }
    return total;
  }

  #gapPause(now: number, run: number, sleeps: boolean, last = (this.#count - 1) % SAMPLES): number {
    const gap = now - this.#wall[last];
    const ran = run - this.#run[last];
    return Math.max(0, gap - ran - (sleeps ? this.#sleepMs : 0));
  }
}
