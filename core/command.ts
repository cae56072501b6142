// Commands as plain data. Their fixed-size binary records are core/command_record.ts.

/** One change to the sound, applied at one frame. */
export interface Command {
  op: number;
  target: number;
  param: number;
  i0: number;
  i1: number;
  f0: number;
  f1: number;
}

/** A command with its sequence number and frame. */
export interface StampedCommand extends Command {
  seq: number;
  frame: number;
}

/** A command with every field defaulted to 0 except those given. */
export function command(fields: Partial<Command> & { op: number }): Command {
  return { target: 0, param: 0, i0: 0, i1: 0, f0: 0, f1: 0, ...fields };
}
