// A whole session as one file: the patch with its sequence (tracks, scenes, mutes), voice groups and scale, as
// /patch/save writes it, and the edit history (sequencer/history.ts). /session/save and /session/load
// (osc/routes/session.ts) keep it in the data directory's sessions/; the autosave (cli/autosave.ts) writes the
// same two parts for --resume through the same functions.
import { patchFile } from "../engine/state.ts";
import { ClientError } from "../core/errors.ts";
import type { PatchFile } from "../core/files.ts";
import { History, type HistoryFile } from "../sequencer/history.ts";
import type { OscEngine } from "./types.ts";

/** Where /session/save and /session/load keep their files, inside the data directory. */
export const SESSION_AREA = "sessions";

/** The most a saved history holds: beyond it the oldest entries are left out (they cannot be undone then). */
export const HISTORY_BYTES = 4 * 1024 * 1024;

/** The most a session file may be for /session/load to read it: the patch's cap and the history's. */
export const SESSION_FILE_BYTES = 8 * 1024 * 1024;

/** A session file: what `save NAME` writes to sessions/NAME.json. */
export interface SessionFile {
  /** The file's format, so that a patch file is not taken for a session (1). */
  chronusSession: 1;
  /** The patch with its sequence, groups and scale, as /patch/save writes it. */
  patch: PatchFile;
  /** The edit history. */
  history: HistoryFile;
}

/** The history with its oldest entries left out until its JSON fits `maxBytes`. */
export function boundedHistory(history: HistoryFile, maxBytes: number = HISTORY_BYTES): HistoryFile {
  let file = history;
  while (JSON.stringify(file).length > maxBytes && file.entries.length) {
    const drop = Math.max(1, Math.ceil(file.entries.length / 4));
    file = { ...file, entries: file.entries.slice(drop), done: Math.max(0, file.done - drop) };
  }
  return file;
}

/** The whole session of `engine` with `history`, as a session file; `patch` in place of the control side's. */
export function sessionFile(
  engine: Pick<OscEngine, "patch" | "sequencer" | "instrument">,
  history: HistoryFile,
  patch: PatchFile = patchFile(engine),
): SessionFile {
  return { chronusSession: 1, patch, history: boundedHistory(history) };
}

/** Checks parsed JSON as a session file (its history restores into a scratch History); throws ClientError. */
export function checkSession(data: unknown, what: string): SessionFile {
  const s = data as SessionFile;
  if (typeof s !== "object" || s === null || Array.isArray(s) || s.chronusSession !== 1) {
    throw new ClientError(`${what} is not a session file (save one with /session/save)`);
  }
  if (typeof s.patch !== "object" || s.patch === null || Array.isArray(s.patch)) {
    throw new ClientError(`${what}: its patch is not a JSON object`);
  }
  try {
    new History().restore(s.history);
  } catch (e) {
    throw new ClientError(`${what}: its history is ${(e as Error).message}`);
  }
  return s;
}
