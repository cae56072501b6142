// The command flow that keeps two workers in lockstep (docs/design.md §2). A command goes to the primary's
// ring first. The primary applies it at max(stamped frame, the block it renders next) and writes that effective
// frame back into the record. Once the primary has published the block that contains the frame (so the block
// passed the finite check), the command is *accepted*: logged, answered, and forwarded with its effective
// frame to the standby, whose gate then opens up to that block. A command whose block makes the primary fail
// never reaches the standby: it is quarantined (engine/recovery.ts).
import * as L from "../asm/layout.ts";
import type { Command, StampedCommand } from "../core/command.ts";
import { ringDoorbell } from "../core/command_ring.ts";
import { type CommandReply, done, type Entry, type Live } from "./live.ts";

/** Commands from their sending to their acceptance: stamping, the backlog, accepting and forwarding. */
export class Lockstep {
  #block: number;
  #onAccept?: (c: StampedCommand) => void;
  #seq = 0;
  /** Stamped commands not in the primary's ring yet (it was full, or there was no primary). */
  #backlog: Entry[] = [];
  #history: StampedCommand[] = [];

  /** `onAccept` gets every accepted command, in acceptance order (the session log). */
  constructor(block: number, onAccept?: (c: StampedCommand) => void) {
    this.#block = block;
    this.#onAccept = onAccept;
  }

  /** Accepted commands so far, with their effective frames. */
  get history(): readonly StampedCommand[] {
    return this.#history;
  }

  /** Commands sent to `p` (the primary) or waiting for it, not yet accepted or rejected. */
  inFlight(p: Live | null): number {
    let n = this.#backlog.length;
    for (const e of p?.commands.entries ?? []) if (!e.accepted) n++;
    return n;
  }

  /**
   * Stamps commands that must apply at one frame (a patch transaction: one sequence run, one publish) and
   * queues them for the primary; `reply` goes with the last. Returns the first sequence number (the last one
   * given when there are none). Throws RangeError when the batch cannot fit one command ring.
   */
  stamp(cmds: readonly Command[], frame: number, reply?: CommandReply): number {
    if (cmds.length > L.CMD_CAP) {
      throw new RangeError(`Cannot send ${cmds.length} commands at once (max ${L.CMD_CAP})`);
    }
    if (cmds.length === 0) return this.#seq;
    const first = this.#seq + 1;
    cmds.forEach((cmd, i) => {
      this.#backlog.push({
        ...cmd,
        seq: ++this.#seq,
        frame,
        effective: -1,
        accepted: false,
        inStandby: false,
        reply: i === cmds.length - 1 ? reply : undefined,
        batch: i === 0 && cmds.length > 1 ? cmds.length : undefined,
      });
    });
    return first;
  }

  /** Moves whole batches from the backlog into the primary's ring while they fit, and publishes them. */
  flush(p: Live | null): void {
    if (!p) return;
    const backlog = this.#backlog;
    let i = 0;
    while (i < backlog.length) {
      const n = Math.min(backlog[i].batch ?? 1, backlog.length - i);
      if (!p.commands.fits(n)) break;
      for (let k = 0; k < n; k++) p.commands.write(backlog[i + k]);
      i += n;
    }
    if (i > 0) {
      backlog.splice(0, i);
      p.commands.publish();
    }
  }

  /**
   * Accepts what the primary rendered cleanly, forwards it to the standby (unless it failed) and opens the
   * standby's gate as far as the forwarded commands reach. Then prunes what both have applied, unless
   * `keep` (a snapshot is pending: its standby will need the entries).
   */
  pump(p: Live, standby: Live | null, keep: boolean): void {
    // Load DONE before READ: every record drained for a published block is then visible (docs/design.md §2).
    const published = done(p);
    p.commands.readBack();
    const limit = published * this.#block;
    const s = standby && !standby.failed ? standby : null;
    const forward: Entry[] = [];
    for (const e of p.commands.entries) {
      if (e.effective < 0 || e.effective >= limit) continue;
      if (!e.accepted) this.#accept(e);
      if (s && !e.inStandby) forward.push(e);
    }
    if (s) {
      forward.sort((a, b) => a.effective - b.effective || a.seq - b.seq);
      let sent = 0;
      for (const e of forward) {
        if (!s.commands.write({ ...e, frame: e.effective, accepted: true, inStandby: false })) break;
        e.inStandby = true;
        sent++;
      }
      if (sent) s.commands.publish();
      // Open the gate only as far as every forwarded command reaches.
      const gate = sent === forward.length ? published : Math.floor(forward[sent].effective / this.#block);
      if (gate > Atomics.load(s.views.hdr, L.H_GATE)) {
        Atomics.store(s.views.hdr, L.H_GATE, gate);
        ringDoorbell(s.views.hdr);
      }
      s.commands.readBack();
    }
    if (!keep) this.#prune(p, s);
  }

  #accept(e: Entry): void {
    e.accepted = true;
    const c: StampedCommand = {
      seq: e.seq,
      frame: e.effective,
      op: e.op,
      target: e.target,
      param: e.param,
      i0: e.i0,
      i1: e.i1,
      f0: e.f0,
      f1: e.f1,
    };
    this.#history.push(c);
    this.#onAccept?.(c);
    e.reply?.accepted?.(e.effective);
  }

  // Drops entries both workers have applied.
  #prune(p: Live, s: Live | null): void {
    const keepFrom = (s ? Math.min(done(p), done(s)) : done(p)) * this.#block;
    p.commands.prune((e) => e.accepted && e.effective < keepFrom && (!s || e.inStandby));
    s?.commands.prune((e) => e.frame < keepFrom);
  }

  /**
   * At a failover: gives the standby what the failed primary had and it had not, except `suspect` commands.
   * Drained commands keep their effective frames; undrained ones are stamped by the new primary.
   */
  handOver(p: Live, s: Live, suspect: (e: Entry) => boolean): void {
    for (const e of p.commands.entries) {
      if (suspect(e) || e.inStandby) continue;
      if (e.effective >= 0) e.frame = e.effective;
      e.effective = -1;
      s.commands.write(e);
    }
    s.commands.publish();
    for (const e of s.commands.entries) e.inStandby = false; // it is the primary now: no standby has them
  }

  /** When both workers are lost: what the primary had not accepted, except `suspect`, waits for the next. */
  carry(p: Live, suspect: (e: Entry) => boolean): void {
    const carry = p.commands.entries.filter((e) => !e.accepted && !suspect(e));
    this.#backlog.unshift(...carry.map((e) => ({ ...e, effective: -1, inStandby: false })));
  }

  /**
   * A standby starts from the primary's snapshot taken before `block`: it holds every command applied before
   * that block and none queued for later (restore drops the queue); those are forwarded when the primary has
   * rendered their block cleanly, like any other.
   */
  inSnapshot(p: Live, block: number): void {
    p.commands.readBack();
    const cut = block * this.#block;
    for (const e of p.commands.entries) e.inStandby = e.effective >= 0 && e.effective < cut;
  }

  /**
   * For a primary rebuilt after both were lost: every accepted command in the order it applied (the caller
   * keeps those after its checkpoint). Commands still waiting apply from `resume` on, not during the catch-up
   * through blocks that were heard without them.
   */
  replay(resume: number): StampedCommand[] {
    const replay = [...this.#history].sort((a, b) => a.frame - b.frame || a.seq - b.seq);
    for (const e of this.#backlog) e.frame = Math.max(e.frame, resume);
    return replay;
  }
}
