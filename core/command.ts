// Commands as plain data. Their fixed-size binary records are core/command_record.ts.

/** One change to the sound, applied at one frame. */
export interface Command {
  /** What the command does: one of the OP_* codes in asm/layout.ts (which says what each one reads). */
  op: number;
  /** The module id it acts on (1 … MAX_MODULES−1), or the track of an OP_SEQ_* code; 0 when unused. */
  target: number;
  /** A parameter or input index of the target (a lane for OP_SEQ_LANE); 0 when unused. */
  param: number;
  /** First integer argument; its meaning depends on `op` (a seed, a type code, a connection id). */
  i0: number;
  /** Second integer argument; its meaning depends on `op`. */
  i1: number;
  /** First float argument: a parameter value, a depth, a velocity 0–1, a note in Hz, a tempo in BPM … */
  f0: number;
  /** Second float argument, by `op`: OP_CONNECT's connection id, OP_SEQ_LANE's count of values … */
  f1: number;
}

/** A command with its sequence number and frame. */
export interface StampedCommand extends Command {
  /** Global sequence number: orders commands stamped with the same frame. */
  seq: number;
  /** The frame it applies at, on the output's frame counter; the primary may apply it later, not earlier. */
  frame: number;
}

/** A command with every field defaulted to 0 except those given. */
export function command(fields: Partial<Command> & { op: number }): Command {
  return { target: 0, param: 0, i0: 0, i1: 0, f0: 0, f1: 0, ...fields };
}
