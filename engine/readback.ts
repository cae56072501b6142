// Read-back of the DSP's parameter values: a read is a stamped OP_READ that the primary (and the standby, which
// gets the same command) answers after the block that applies it, in its slot's read-back area (asm/layout.ts).
// The main thread waits for the request id in the entry of whichever slot feeds the output, so a read sent
// before a failover is still answered by the successor. It never touches the audio path: the workers copy a
// few hundred f64 after a block, and the request changes no sample (asm/readback.ts).
//
// Admission: each client may have READS_PER_CLIENT reads waiting, all together READS_IN_FLIGHT; a read of
// many modules queues here for free entries (READ_ENTRIES), so no client can fill the area or the DSP queue.
import * as L from "../asm/layout.ts";
import { type Command, command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import { slotViews } from "../core/shared.ts";
import type { ClientKey } from "./admission.ts";

/** Reads one client may have waiting for the DSP's answer. */
export const READS_PER_CLIENT = 4;

/** Reads all clients (and the engine's own: autosave, /patch/save, list) may have waiting together. */
export const READS_IN_FLIGHT = 32;

/** How long a read waits for the DSP's answer before it fails, ms. */
export const READ_TIMEOUT_MS = 2000;

/** One parameter as the DSP has it at the end of a block. */
export interface ParamValue {
  /** The base value after smoothing (a glide or smoothing moves it toward the target). */
  value: number;
  /** The target: what the last command, sequencer note or lane set. */
  target: number;
  /** What the kernel read last in the block: the base with its cables' modulation, clamped. */
  now: number;
}

/** One module's parameters as the DSP had them after `block`, in schema order; null: no such module there. */
export interface ModuleValues {
  /** The block after which they were taken. */
  block: number;
  /** Its parameters in the schema's order (empty when the DSP has no such module). */
  params: ParamValue[];
}

/** What ReadBack needs of the engine. */
export interface ReadBackHost {
  /** The shared memory of the engine. */
  sab: SharedArrayBuffer;
  /**
   * Sends a command as soon as possible, counted as the engine's own (throws ClientError when full);
   * `rejected` hears that it was quarantined (the DSP failed in its block, so no worker applies it).
   */
  send(c: Command, rejected: (message: string) => void): void;
  /** The slot that feeds the output (−1: none). */
  selected(): number;
}

interface Waiting {
  id: number;
  /** Times it was sent and quarantined. */
  tries: number;
  resolve: (v: ModuleValues) => void;
  reject: (e: Error) => void;
}

interface Sent extends Waiting {
  entry: number;
  request: number;
  sentAt: number;
}

/** Reads parameter values back from the DSP; see the file's comment. */
export class ReadBack {
  #host: ReadBackHost;
  #queue: Waiting[] = [];
  #sent: Sent[] = [];
  #free: number[] = Array.from({ length: L.READ_ENTRIES }, (_, i) => L.READ_ENTRIES - 1 - i);
  #request = 0;
  #byClient = new Map<ClientKey, number>();
  #reads = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #views: { readHdr: Int32Array; readValues: Float64Array }[] = [];

  /** A read-back over the engine `host`. */
  constructor(host: ReadBackHost) {
    this.#host = host;
  }

  /** Reads waiting for an answer, in all. */
  get pending(): number {
    return this.#reads;
  }

  /**
   * Each module id's parameters as the DSP has them after the block the read applies in (the first beyond
   * the lead). Throws ClientError when `client` (or all clients) have too many reads waiting; rejects with
   * ClientError when the DSP does not answer within READ_TIMEOUT_MS.
   */
  async read(ids: readonly number[], client: ClientKey = ""): Promise<ModuleValues[]> {
    const mine = this.#byClient.get(client) ?? 0;
    if (client !== "" && mine >= READS_PER_CLIENT) {
      throw new ClientError(
        `too many reads in flight (${mine}): a client may have ${READS_PER_CLIENT} waiting; wait for their answers`,
      );
    }
    if (this.#reads >= READS_IN_FLIGHT) {
      throw new ClientError(
        `too many reads in flight (${this.#reads}): all clients together may have ${READS_IN_FLIGHT} waiting`,
      );
    }
    this.#byClient.set(client, mine + 1);
    this.#reads++;
    try {
      const all = ids.map((id) =>
        new Promise<ModuleValues>((resolve, reject) => this.#queue.push({ id, tries: 0, resolve, reject }))
      );
      this.#pump();
      return await Promise.all(all);
    } finally {
      this.#reads--;
      const left = (this.#byClient.get(client) ?? 1) - 1;
      if (left > 0) this.#byClient.set(client, left);
      else this.#byClient.delete(client);
    }
  }

  /** Fails every waiting read (the engine stops). */
  close(): void {
    const err = new ClientError("the engine stopped before the DSP answered the read");
    for (const w of [...this.#queue, ...this.#sent]) w.reject(err);
    this.#queue = [];
    this.#sent = [];
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  // Sends queued reads while entries are free.
  #pump(): void {
    while (this.#queue.length && this.#free.length) {
      const w = this.#queue.shift()!;
      const entry = this.#free.pop()!;
      this.#request = this.#request >= 0x7fffffff ? 1 : this.#request + 1;
      const s: Sent = { ...w, entry, request: this.#request, sentAt: performance.now() };
      try {
        this.#host.send(
          command({ op: L.OP_READ, target: w.id, i0: s.request, i1: entry }),
          (message) => this.#quarantined(s, message),
        );
      } catch (e) {
        this.#free.push(entry);
        w.reject(e as Error);
        continue;
      }
      this.#sent.push(s);
    }
    if (this.#sent.length && this.#timer === undefined) this.#timer = setInterval(() => this.#poll(), 2);
  }

  // Answers the reads whose entry carries their request id in the selected slot.
  #poll(): void {
    const slot = this.#host.selected();
    const now = performance.now();
    if (slot >= 0) {
      const v = this.#views[slot] ??= slotViews(this.#host.sab, slot);
      this.#sent = this.#sent.filter((s) => {
        const h = s.entry * L.READ_HDR_WORDS;
        if (Atomics.load(v.readHdr, h + L.RH_TAG) !== s.request) return !this.#expired(s, now);
        const count = v.readHdr[h + L.RH_COUNT];
        const params: ParamValue[] = [];
        const base = s.entry * L.READ_PARAMS * L.READ_VALUES;
        for (let p = 0; p < count; p++) {
          const o = base + p * L.READ_VALUES;
          params.push({
            value: v.readValues[o + L.RV_BASE],
            target: v.readValues[o + L.RV_TARGET],
            now: v.readValues[o + L.RV_NOW],
          });
        }
        this.#free.push(s.entry);
        s.resolve({ block: v.readHdr[h + L.RH_BLOCK], params: count < 0 ? [] : params });
        return false;
      });
    } else this.#sent = this.#sent.filter((s) => !this.#expired(s, now));
    if (this.#sent.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    this.#pump();
  }

  // A read in the block the primary failed in is quarantined with the block's other commands: no worker
  // applies it, so it never answers. A read changes no sample, so it goes again (to the promoted standby);
  // twice quarantined, it fails.
  #quarantined(s: Sent, message: string): void {
    const i = this.#sent.indexOf(s);
    if (i < 0) return;
    this.#sent.splice(i, 1);
    this.#free.push(s.entry); // no worker writes it: the request was never applied
    if (s.tries >= 1) s.reject(new ClientError(`the read was ${message}`));
    else this.#queue.unshift({ id: s.id, tries: s.tries + 1, resolve: s.resolve, reject: s.reject });
    queueMicrotask(() => this.#pump()); // after the supervision step that quarantined it, not inside it
  }

  #expired(s: Sent, now: number): boolean {
    if (now - s.sentAt < READ_TIMEOUT_MS) return false;
    // The entry goes back: a late answer carries this request id, which no later read waits for.
    this.#free.push(s.entry);
    s.reject(new ClientError(`the DSP did not answer the read within ${READ_TIMEOUT_MS} ms`));
    return true;
  }
}
