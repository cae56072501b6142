// How many spare DSP workers the spawner keeps, and when it loads the next (workers/spawner_worker.ts): plain
// bookkeeping with an injected clock, so the policy is tested without threads (tests/spare_supply_test.ts).
// docs/design.md §5 has the measurements behind the defaults.

/** The spare supply's settings. */
export interface SpareSupplyOptions {
  /** Spares kept while faults are rare (one parked, one waiting for the mailbox). Default 2. */
  base?: number;
  /** The most kept while faults come fast. Default 4. */
  max?: number;
  /** A claim this soon after the previous one (ms) raises the number kept by one, up to `max`. Default 2000. */
  fastMs?: number;
  /** No claim for this long (ms) lowers it to `base` again (spares already loaded stay until claimed). */
  calmMs?: number;
  /** Spares loading at once while audio plays (all of `base` load together at start). Default 1. */
  loadingMax?: number;
  /** How long after a claim the next spare may start loading (ms), to let the rebuild have the CPU. Default 0. */
  refillDelayMs?: number;
}

/** What the spawner should do about spares now: start one, wait this many ms and ask again, or nothing. */
export type SpareStep = "now" | number | "none";

/** Counts spares created, loaded, claimed and lost, and says when to load the next. */
export class SpareSupply {
  readonly #base: number;
  readonly #max: number;
  readonly #fastMs: number;
  readonly #calmMs: number;
  readonly #loadingMax: number;
  readonly #refillDelayMs: number;
  #target: number;
  #created = 0;
  #claims = 0;
  #lost = 0;
  #lastClaim = Number.NEGATIVE_INFINITY;
  #started = false;

  /** A supply that wants nothing until start(). */
  constructor(o: SpareSupplyOptions = {}) {
    this.#base = o.base ?? 2;
    this.#max = Math.max(this.#base, o.max ?? 4);
    this.#fastMs = o.fastMs ?? 2000;
    this.#calmMs = o.calmMs ?? 30_000;
    this.#loadingMax = Math.max(1, o.loadingMax ?? 1);
    this.#refillDelayMs = o.refillDelayMs ?? 0;
    this.#target = this.#base;
  }

  /** How many unclaimed spares (loaded or loading) the supply wants now. */
  get target(): number {
    return this.#target;
  }

  /** Spares created and neither claimed nor lost: loaded (parked or waiting) or still loading. */
  get unclaimed(): number {
    return this.#created - this.#claims - this.#lost;
  }

  /** The engine starts: `base` spares load at once, before the first block plays. */
  start(_now: number): void {
    this.#started = true;
  }

  /** A spare was created (it starts loading). */
  created(): void {
    this.#created++;
  }

  /** A spare ended without being claimed (it failed). */
  lost(): void {
    this.#lost++;
  }

  /** The supervisor claimed a spare at `now` (ms): after a claim soon after the last, one more is kept. */
  claimed(now: number): void {
    this.#claims++;
    const since = now - this.#lastClaim;
    if (since <= this.#fastMs) this.#target = Math.min(this.#max, this.#target + 1);
    else if (since >= this.#calmMs) this.#target = this.#base;
    this.#lastClaim = now;
  }

  /**
   * Whether to start loading a spare at `now` (ms), given how many spares have counted themselves loaded
   * (CTRL_SPARES_LOADED). Call again after acting on "now", and after the wait it returns.
   */
  next(now: number, loaded: number): SpareStep {
    if (!this.#started || this.unclaimed >= this.#target) return "none";
    const loading = Math.max(0, this.#created - loaded - this.#lost);
    // The first `base` load together, before audio plays; afterwards one at a time (loadingMax).
    const atOnce = this.#created < this.#base ? this.#base : this.#loadingMax;
    if (loading >= atOnce) return "none"; // the next load finishing asks again
    const wait = this.#lastClaim + this.#refillDelayMs - now;
    return wait > 0 ? wait : "now";
  }
}
