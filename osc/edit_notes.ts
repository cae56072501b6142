// What each sender's edits changed since its last /sync, as the history's one-line descriptions with when they
// were made (sequencer/history.ts describeChange): /synced carries them back so that a client can say what
// its line did ("voice3.cutoff 320 → 1000 Hz at bar 12.3") without a second describer. Bounded: a sender that
// never syncs (a knob controller) keeps at most MAX_NOTED lines and a count, and the oldest sender is
// forgotten past MAX_SENDERS.

/** Lines kept per sender between two /syncs; past it the rest are counted ("… and 12 more edits"). */
export const MAX_NOTED = 64;
/** Senders remembered at once; past it the one noted least recently is forgotten. */
export const MAX_SENDERS = 256;

/** The senders' edits since their last /sync. */
export class EditNotes {
  #by = new Map<string, { lines: string[]; more: number }>();

  /** Notes one line for `sender` ("127.0.0.1:9001"). */
  note(sender: string, line: string): void {
    let n = this.#by.get(sender);
    if (n) this.#by.delete(sender); // re-inserted: the Map's order is the senders' recency
    else n = { lines: [], more: 0 };
    this.#by.set(sender, n);
    if (n.lines.length < MAX_NOTED) n.lines.push(line);
    else n.more++;
    if (this.#by.size > MAX_SENDERS) this.#by.delete(this.#by.keys().next().value!);
  }

  /** The lines noted for `sender` since the last take, oldest first, and forgets them. */
  take(sender: string | undefined): string[] {
    if (sender === undefined) return [];
    const n = this.#by.get(sender);
    if (!n) return [];
    this.#by.delete(sender);
    return n.more ? [...n.lines, `… and ${n.more} more edit${n.more === 1 ? "" : "s"}`] : n.lines;
  }
}
