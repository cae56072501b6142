// --keep-alive: this process becomes a keeper that runs the engine as a child (the same main.ts and flags)
// and starts it again when it dies abnormally: a signal (SIGKILL, a V8 fatal error's abort, an FFI crash's
// SIGSEGV) or an exit code other than 0 and 2. The new child gets --resume (cli/autosave.ts) once an autosave
// exists, so it plays the patch and sequence the dead one had. A clean exit (Ctrl-C, SIGTERM, `quit`, the end
// of --duration) ends the keeper too, and so does exit code 2 (the command line or the start was refused:
// starting again cannot help). Deaths come in bursts when something is wrong at start: more than
// KEEPER_BURST within KEEPER_WINDOW_MS and the keeper waits before the next start, doubling up to 30 s.
import { existsSync } from "node:fs";
import { autosavePath } from "./autosave.ts";

/** Deaths within KEEPER_WINDOW_MS beyond which the keeper backs off. */
export const KEEPER_BURST = 5;
/** The window of KEEPER_BURST, ms. */
export const KEEPER_WINDOW_MS = 10_000;
/** The longest back-off, ms. */
export const KEEPER_MAX_BACKOFF_MS = 30_000;

/** The child's flags: `args` without --keep-alive (and without a --resume the keeper adds itself). */
export function childArgs(args: readonly string[], resume: boolean): string[] {
  const rest = args.filter((a) => a !== "--keep-alive" && a !== "--resume");
  return resume ? [...rest, "--resume"] : rest;
}

/** Whether a child's end asks for another start: killed by a signal, or an exit code other than 0 and 2. */
export function abnormal(status: Deno.CommandStatus): boolean {
  return status.signal !== null || (status.code !== 0 && status.code !== 2);
}

/** The back-off before the next start, given the times (ms) of the deaths so far; 0: start at once. */
export function backoffMs(deaths: readonly number[], now: number): number {
  const recent = deaths.filter((t) => now - t < KEEPER_WINDOW_MS).length;
  if (recent <= KEEPER_BURST) return 0;
  return Math.min(KEEPER_MAX_BACKOFF_MS, 1000 * 2 ** (recent - KEEPER_BURST - 1));
}

/**
 * Runs main.ts (`mainUrl`) as a child with `args` until it ends normally; resolves with the exit code the
 * keeper should end with. `resume` starts the first child with --resume too (the user asked for it).
 */
export async function keep(
  mainUrl: URL,
  args: readonly string[],
  dataDir: string,
  resume: boolean,
): Promise<number> {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const deaths: number[] = [];
  let child: Deno.ChildProcess | undefined, stopping = false;
  const forward = (signal: Deno.Signal) => () => {
    stopping = true;
    try {
      child?.kill(signal);
    } catch { /* already gone */ }
  };
  const onInt = forward("SIGINT"), onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    for (let first = true;; first = false) {
      const again = !first && existsSync(autosavePath(dataDir));
      const cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "-P=start",
          "--config",
          config,
          mainUrl.pathname,
          ...childArgs(args, resume || again),
        ],
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      });
      child = cmd.spawn();
      console.error(
        `[chronus] keeper: engine started (pid ${child.pid}${again ? ", resuming the autosave" : ""})`,
      );
      const status = await child.status;
      if (stopping || !abnormal(status)) return status.code;
      const now = performance.now();
      deaths.push(now);
      const wait = backoffMs(deaths, now);
      const how = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
      console.error(
        `[chronus] keeper: the engine (pid ${child.pid}) died (${how}); starting it again` +
          (wait ? ` in ${wait} ms (${deaths.length} deaths, backing off)` : ""),
      );
      if (wait) await new Promise((r) => setTimeout(r, wait));
      if (stopping) return 0;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}
