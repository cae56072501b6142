// Admission control for the DSP's event queue (asm/queue.ts, QUEUE_CAP events): the control side knows every
// command it stamped and its frame, so it refuses a send that could fill the queue instead of letting a worker
// fail with queue-full (which the standby, holding the same events, then repeats: a failover cannot help).
//
// An event counts from its send until the output has passed its frame (then every worker has applied it): a
// little longer than the queue holds it, never shorter. The counts live in a binary min-heap by frame over
// parallel arrays, grown by doubling: no allocation per block on the main thread.
import * as L from "../asm/layout.ts";
import { ClientError } from "../core/errors.ts";

/**
 * Events all clients together may have pending: QUEUE_CAP less a full patch transaction (CMD_CAP, so a commit
 * always fits) less 1024 for the engine's own commands (a sequence load, the pause fade and stop, /sync).
 */
export const CLIENTS_QUEUE_CAP = L.QUEUE_CAP - L.CMD_CAP - 1024;

/**
 * Events one sender (an OSC peer's address) may have pending: under three quarters of the clients' share, so
 * one sender cannot starve the rest, with room for bursts of sequence definitions, each waiting for its next
 * bar (a replay of the seed system's client session, 476 messages sent at once with seven pattern loads in
 * one bar, had 3,447 pending at its peak).
 */
export const CLIENT_QUEUE_CAP = 8192;

/** Who a send is counted for: an OSC peer's address, or "" for the engine's own (the console, a patch file). */
export type ClientKey = string;

/** Pending events by frame, per sender and in all; see the file's comment. */
export class QueueBudget {
  #frames: number[] = [];
  #counts: number[] = [];
  #keys: ClientKey[] = [];
  #size = 0;
  #total = 0;
  #byClient = new Map<ClientKey, number>();

  /** Events counted as pending in all. */
  get pending(): number {
    return this.#total;
  }

  /** Events counted as pending for `key`. */
  pendingFor(key: ClientKey): number {
    return this.#byClient.get(key) ?? 0;
  }

  /**
   * Throws ClientError ("queue full (N pending) …") when `n` more events for `key` would pass a cap: the
   * clients' caps for a sender's commands, the whole queue for a patch transaction (`transaction`).
   */
  admit(n: number, key: ClientKey, transaction = false): void {
    if (transaction) {
      if (this.#total + n > L.QUEUE_CAP) {
        throw new ClientError(
          `queue full (${this.#total} pending): the transaction's ${n} commands do not fit in the DSP's ${L.QUEUE_CAP}-event queue`,
        );
      }
      return;
    }
    const mine = this.pendingFor(key);
    if (key !== "" && mine + n > CLIENT_QUEUE_CAP) {
      throw new ClientError(
        `queue full (${mine} pending): a client may have ${CLIENT_QUEUE_CAP} events waiting for their frame; wait until some have played`,
      );
    }
    if (this.#total + n > CLIENTS_QUEUE_CAP + (key === "" ? 1024 : 0)) {
      throw new ClientError(
        `queue full (${this.#total} pending): all clients together may have ${CLIENTS_QUEUE_CAP} events waiting for their frame`,
      );
    }
  }

  /** Counts `n` events for `key` as pending until the output passes `frame`. */
  add(n: number, frame: number, key: ClientKey): void {
    if (n <= 0) return;
    let i = this.#size++;
    this.#frames[i] = frame;
    this.#counts[i] = n;
    this.#keys[i] = key;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (this.#frames[up] <= frame) break;
      this.#swap(i, up);
      i = up;
    }
    this.#total += n;
    this.#byClient.set(key, this.pendingFor(key) + n);
  }

  /** Releases every event whose frame is below `frame` (the output has passed it). */
  release(frame: number): void {
    while (this.#size > 0 && this.#frames[0] < frame) {
      const n = this.#counts[0], key = this.#keys[0];
      this.#total -= n;
      const left = this.pendingFor(key) - n;
      if (left > 0) this.#byClient.set(key, left);
      else this.#byClient.delete(key);
      const last = --this.#size;
      this.#swap(0, last);
      this.#keys[last] = "";
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < last && this.#frames[l] < this.#frames[m]) m = l;
        if (r < last && this.#frames[r] < this.#frames[m]) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
  }

  #swap(a: number, b: number): void {
    const f = this.#frames[a], c = this.#counts[a], k = this.#keys[a];
    this.#frames[a] = this.#frames[b];
    this.#counts[a] = this.#counts[b];
    this.#keys[a] = this.#keys[b];
    this.#frames[b] = f;
    this.#counts[b] = c;
    this.#keys[b] = k;
  }
}
