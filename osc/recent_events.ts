// The last few things worth a glance, for /view: the engine's events (failovers, rebuilds, recorder trouble),
// a dialect's clamped values and the /error replies the router gave. A fixed-size ring: a flood of bad
// packets replaces old entries and never grows it.

/** One remembered event. */
export interface RecentEvent {
  /** Wall-clock time it was noted (epoch ms). */
  timeMs: number;
  /** Its kind: an EngineEvent type (engine/metrics.ts), "clamp" or "error". */
  type: string;
  /** What happened, cut to RECENT_TEXT_MAX characters. */
  message: string;
}

/** Events kept. */
export const RECENT_EVENTS: number = 16;
/** An event's text is cut to this many characters. */
export const RECENT_TEXT_MAX: number = 120;

/** A ring of the latest RECENT_EVENTS events. */
export class RecentEvents {
  #ring: RecentEvent[] = [];
  #next = 0;
  #now: () => number;

  /** An empty ring; `now` is the clock (tests inject one). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Remembers an event, forgetting the oldest when full. */
  note(type: string, message: string): void {
    const text = message.length > RECENT_TEXT_MAX ? `${message.slice(0, RECENT_TEXT_MAX - 1)}…` : message;
    const e = { timeMs: this.#now(), type: type.slice(0, 24), message: text };
    if (this.#ring.length < RECENT_EVENTS) this.#ring.push(e);
    else this.#ring[this.#next] = e;
    this.#next = (this.#next + 1) % RECENT_EVENTS;
  }

  /** The newest `n` events, newest first. */
  latest(n: number): RecentEvent[] {
    const out: RecentEvent[] = [];
    for (let i = 1; i <= Math.min(n, this.#ring.length); i++) {
      out.push(this.#ring[(this.#next - i + RECENT_EVENTS) % RECENT_EVENTS]);
    }
    return out;
  }
}
