// --exercise BLOCKS: a deterministic pitch pattern for tests and demos, played on the engine tone (module 0):
// a command every N blocks, stamped at exact frames.
import * as L from "../asm/layout.ts";
import { command } from "../core/command.ts";

/** What the pattern needs of the engine (the Engine class has it). */
export interface ExerciseEngine {
  /** False once the engine has stopped. */
  readonly running: boolean;
  /** The block the output is at. */
  readonly outBlock: number;
  /** Frames per block. */
  readonly block: number;
  /** Sends a command (core/command.ts) to apply at an output frame. */
  send(
    cmd: { op: number; target: number; param: number; i0: number; i1: number; f0: number; f1: number },
    frame: number,
  ): unknown;
}

/** Sets the tone's gain, then changes its pitch every `blocks` blocks until the returned function is called. */
export function startExercise(engine: ExerciseEngine, blocks: number): () => void {
  const every = Math.max(1, Math.floor(blocks));
  const scale = [220, 247.5, 275, 293.3, 330, 366.7, 412.5, 440];
  let i = 0;
  let nextBlock = every;
  engine.send(command({ op: L.OP_SET_PARAM, target: L.MOD_VOICE, param: L.P_GAIN, f0: 0.25 }), 0);
  const timer = setInterval(() => {
    while (engine.running && nextBlock < engine.outBlock + 32) {
      const f0 = scale[i++ % scale.length];
      engine.send(
        command({ op: L.OP_SET_PARAM, target: L.MOD_VOICE, param: L.P_FREQ, f0 }),
        nextBlock * engine.block + 17,
      );
      nextBlock += every;
    }
  }, 20);
  return () => clearInterval(timer);
}
