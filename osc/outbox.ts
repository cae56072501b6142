// Where the routes' commands leave: sent to the engine at once, or appended to the bundle being collected.
// It remembers the latest frame anything was stamped with, because /sync must wait for future-stamped
// commands too.
import type { Command } from "../core/command.ts";
import type { Delivery, OscEngine } from "./types.ts";

/** Sends commands for the routes and keeps the latest stamped frame. */
export class Outbox {
  #e: OscEngine;
  #lastFrame = 0;

  /** An outbox that sends to `engine`, with nothing stamped yet. */
  constructor(engine: OscEngine) {
    this.#e = engine;
  }

  /** The latest frame any command was stamped with (0 when none was). */
  get lastFrame(): number {
    return this.#lastFrame;
  }

  /** Sends commands now (at `frame` when given), or adds them to the bundle being collected at its frame. */
  deliver(cmds: Command[], delivery: Delivery, frame = delivery.frame): void {
    if (delivery.batch && frame === delivery.frame) {
      delivery.batch.push(...cmds);
      return;
    }
    this.stamped(frame);
    if (cmds.length === 1) this.#e.send(cmds[0], frame);
    else this.#e.sendBatch(cmds, frame);
  }

  /** Notes that something was (or will be) sent stamped at `frame`. */
  stamped(frame: number | undefined): void {
    if (frame !== undefined) this.#lastFrame = Math.max(this.#lastFrame, frame);
  }
}
