// --exercise BLOCKS: a deterministic pitch pattern for tests and demos, played on voice1 (patches/tone.json
// has nothing else): its gate held open from frame 0, a new pitch every N blocks, stamped at exact frames.

/** What the pattern needs of the engine (the Engine class has it). */
export interface ExerciseEngine {
  /** False once the engine has stopped. */
  readonly running: boolean;
  /** The block the output is at. */
  readonly outBlock: number;
  /** Frames per block. */
  readonly block: number;
  /** Sets a patch module's parameter at an output frame; throws ClientError when the patch has no such one. */
  set(module: string, param: string, value: number, frame: number): unknown;
  /** Opens or closes a patch module's gate at an output frame; throws ClientError likewise. */
  gate(module: string, on: boolean, velocity: number, frame: number): unknown;
}

/**
 * Opens voice1's gate, then changes its pitch every `blocks` blocks until the returned function is called.
 * When the patch has no playable voice1 it says why through `report` and plays nothing.
 */
export function startExercise(
  engine: ExerciseEngine,
  blocks: number,
  report: (message: string) => void,
): () => void {
  const every = Math.max(1, Math.floor(blocks));
  const scale = [220, 247.5, 275, 293.3, 330, 366.7, 412.5, 440];
  let i = 0;
  let nextBlock = every;
  try {
    engine.gate("voice1", true, 1, 0);
  } catch (e) {
    report(`--exercise plays voice1: ${(e as Error).message}`);
    return () => {};
  }
  const timer = setInterval(() => {
    while (engine.running && nextBlock < engine.outBlock + 32) {
      engine.set("voice1", "freq", scale[i++ % scale.length], nextBlock * engine.block + 17);
      nextBlock += every;
    }
  }, 20);
  return () => clearInterval(timer);
}
