// --autosave and --resume: the patch and its sequence, as /patch/save writes them (osc/routes/patch.ts), kept
// in the data directory's autosave/patch.json so that a process that died (and the keeper, cli/keeper.ts, that
// restarts it) can come back where it was. Written from the main thread's timer, never the audio path: the
// file is rebuilt once a second, its parameters read back from the DSP (what lanes and notes set), and written only when it changed (a commit, a set, a sequence edit), and every
// 10 s whatever happened; atomically (a temporary file renamed over the old), so a kill mid-write leaves the
// previous file whole. The edit history (sequencer/history.ts) goes beside it, in autosave/history.json, on
// the same timer and the same terms, so that --resume can still undo what was done before the restart. Both
// parts are built by osc/session_file.ts, as /session/save builds a saved session.
import { join } from "node:path";
import type { PatchFile } from "../core/files.ts";
import type { Engine } from "../engine/engine.ts";
import type { HistoryFile } from "../sequencer/history.ts";
import { boundedHistory, HISTORY_BYTES } from "../osc/session_file.ts";
import { patchFile, playingFile } from "../engine/state.ts";

/** The autosave file, relative to the data directory. */
export const AUTOSAVE_FILE = "autosave/patch.json";
/** How often the file is rebuilt and, when it changed, written: never more than this. */
export const AUTOSAVE_CHECK_MS = 1000;
/** How often it is written even when nothing changed. */
export const AUTOSAVE_EVERY_MS = 10_000;

/** The autosaved history, relative to the data directory. */
export const AUTOSAVE_HISTORY_FILE = "autosave/history.json";
/** The most the history file holds: beyond it the oldest entries are left out (they cannot be undone then). */
export const AUTOSAVE_HISTORY_BYTES: number = HISTORY_BYTES;

/** The history's autosave path on the disk for the data directory `dataDir`. */
export function historyPath(dataDir: string): string {
  return join(dataDir, AUTOSAVE_HISTORY_FILE);
}

/** The history as the autosave writes it: its JSON, the oldest entries left out until it fits the bound. */
export function historyText(history: HistoryFile, maxBytes = AUTOSAVE_HISTORY_BYTES): string {
  return JSON.stringify(boundedHistory(history, maxBytes)) + "\n";
}

/** The autosave file's path on the disk for the data directory `dataDir`. */
export function autosavePath(dataDir: string): string {
  return join(dataDir, AUTOSAVE_FILE);
}

/** The engine's committed patch with its sequence (when it has tracks), from the control side (engine/state.ts). */
export const sessionFile: typeof patchFile = patchFile;

/** Writes `text` to `path` atomically: a temporary file beside it, then a rename. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/**
 * Starts autosaving `engine` into `dataDir`; `report` hears a failed write or read (once until one succeeds).
 * Each check reads every module back from the DSP once (engine/state.ts playingFile: what lanes and notes
 * set, not the control side's mirror), asynchronously: the main thread never waits for it, and a check that
 * comes while the last one still reads or writes is skipped. Returns a function that writes a last time and
 * stops.
 */
export function startAutosave(
  engine: Pick<Engine, "patch" | "sequencer" | "instrument" | "running" | "history" | "readModules">,
  dataDir: string,
  report: (message: string) => void,
): () => Promise<void> {
  const path = autosavePath(dataDir), hpath = historyPath(dataDir);
  let last = "", lastHistory = "", lastWrite = 0, writing = false, failing = false;
  // The last file read from the DSP and the control side's file it was read over: when the engine has
  // stopped (the last save) or a read fails, the last read still holds while the control side is unchanged.
  let played: PatchFile | undefined, playedOver = "", unread = false;
  const file = async (): Promise<PatchFile> => {
    const mirror = sessionFile(engine), mirrorText = JSON.stringify(mirror);
    if (engine.running) {
      try {
        played = await playingFile(engine);
        playedOver = mirrorText;
        unread = false;
        return played;
      } catch (e) {
        if (!unread) report(`autosave: cannot read the DSP's values: ${(e as Error).message}`);
        unread = true;
      }
    }
    return played && playedOver === mirrorText ? played : mirror;
  };
  const save = async (force: boolean) => {
    if (writing) return;
    writing = true;
    try {
      const text = JSON.stringify(await file(), null, 2) + "\n";
      const history = historyText(engine.history.toFile());
      const stale = performance.now() - lastWrite >= AUTOSAVE_EVERY_MS;
      if (!force && text === last && history === lastHistory && !stale) return;
      await writeAtomically(path, text);
      last = text;
      if (force || stale || history !== lastHistory) await writeAtomically(hpath, history);
      lastHistory = history;
      lastWrite = performance.now();
      failing = false;
    } catch (e) {
      if (!failing) report(`autosave: cannot write ${path}: ${(e as Error).message}`);
      failing = true;
    } finally {
      writing = false;
    }
  };
  save(true);
  const timer = setInterval(() => {
    if (engine.running) save(false).catch((e) => report(`autosave: ${(e as Error).message}`));
  }, AUTOSAVE_CHECK_MS);
  return async () => {
    clearInterval(timer);
    await save(false);
  };
}

/** --resume: the autosaved patch file in `dataDir`; throws a plain Error when it is absent or not a patch. */
export function readAutosave(dataDir: string): PatchFile {
  const path = autosavePath(dataDir);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "there is no autosave" : (e as Error).message;
    throw new Error(`--resume: cannot read ${path}: ${why}`);
  }
  try {
    const file = JSON.parse(text);
    if (typeof file !== "object" || file === null || Array.isArray(file)) throw new Error();
    return file as PatchFile;
  } catch {
    throw new Error(`--resume: ${path} is not a patch file (not a JSON object)`);
  }
}

/** --resume: the autosaved history in `dataDir`, or undefined when there is none; throws when it is not one. */
export function readAutosaveHistory(dataDir: string): HistoryFile | undefined {
  const path = historyPath(dataDir);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`--resume: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as HistoryFile;
  } catch {
    throw new Error(`--resume: ${path} is not a history (not JSON)`);
  }
}
