// How the supervisor starts and ends DSP workers, as an interface the engine injects: the spawner worker in
// production (engine/spawner_host.ts), an in-process fake in tests.
import type { DspStart } from "../core/messages.ts";

/** Starts and ends DSP workers; errors come back through onError. */
export interface WorkerHost {
  /**
   * Starts a worker; true when a warm (parked) spare was used. `msg.snapshot` may be a view of shared memory
   * that changes after the call: a host copies it before it returns.
   */
  start(id: number, msg: DspStart): boolean;
  /** Ends worker `id` (one hung in synchronous code keeps its thread: docs/design.md §4b). */
  terminate(id: number): void;
  /** Called with a worker's id and message when it reports an error (the supervisor sets it). */
  onError: ((id: number, message: string) => void) | null;
  /** Ends every worker it started. */
  shutdown(): Promise<void>;
}
