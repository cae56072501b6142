// Whole sessions: the patch, the sequence with its scenes, the voice groups, the scale and the edit history
// saved and loaded by name as one file in the data directory's sessions/ (osc/session_file.ts). A load is one
// patch transaction at one frame and one undoable entry; the loaded history replaces the engine's, with that
// entry on top (undoing it brings the patch and sequence back; the history before the load is not kept).
import { ClientError } from "../../core/errors.ts";
import { readJson, writeJson } from "../files.ts";
import { checkSession, SESSION_AREA, SESSION_FILE_BYTES, sessionFile } from "../session_file.ts";
import { loadPatchFile, overwriteWord } from "./patch.ts";
import { answerLater, type Route, route, str } from "./route.ts";
import { playingFile } from "../../engine/state.ts";
import type { PatchFile } from "../../core/files.ts";
import type { OscReply } from "../types.ts";

const SESSION = { family: "patch", dialect: "chronus" } as const;

/** A session's name: letters, digits, _ and - (so it stays one file of sessions/ and reads as no file name). */
export const SESSION_NAME: RegExp = /^[A-Za-z0-9_-]{1,64}$/;

const name = () => str("name", { doc: "letters, digits, _ and - (up to 64)" });

// sessions/NAME.json, or a ClientError that says what a name may be.
function pathOf(n: string): string {
  if (!SESSION_NAME.test(n)) {
    throw new ClientError(
      `${JSON.stringify(n.slice(0, 80))} is not a session name: letters, digits, _ and - (up to 64)`,
    );
  }
  return `${SESSION_AREA}/${n}.json`;
}

/** /session/*. */
export const SESSION_ROUTES: readonly Route[] = [
  route({
    ...SESSION,
    address: "/session/save",
    args: [name(), overwriteWord()],
    summary:
      "writes the whole session (the patch as the DSP plays it, the sequence with scenes, voice groups, scale and the edit history) to a new file in the data directory's sessions/ (an existing one only with overwrite)",
    reply: "/session/save.reply <file, relative to the data directory> <history entries>",
    text: {
      form: "save NAME [overwrite]",
      examples: ["save set1", "save set1 overwrite"],
      note: "a bare NAME (no . or /): the whole session, in the engine's sessions/",
    },
    handle: ({ engine, files, history }, [n, overwrite], { address, later }) => {
      const path = pathOf(n);
      // The history is taken now, the patch as the DSP plays it (one read at a block boundary, as /patch/save).
      const entries = history.toFile();
      const write = (patch?: PatchFile): OscReply => {
        const file = sessionFile(engine, entries, patch);
        writeJson(files, path, file, overwrite === "overwrite");
        return { address: "/session/save.reply", args: [path, file.history.entries.length] };
      };
      if (!engine.readModules) return [write()];
      answerLater(address, playingFile(engine), later, write);
      return [];
    },
  }),
  route({
    ...SESSION,
    address: "/session/load",
    edit: ([n]) => `session ${n} loaded`,
    args: [name()],
    summary:
      "replaces the patch, sequence, scenes, voice groups, scale and edit history with a saved session, at one frame (one undoable entry)",
    reply: "/session/load.reply <file> <history entries>",
    text: {
      form: "load NAME",
      examples: ["load set1"],
      note: "a bare NAME: a whole session from the engine's sessions/",
    },
    handle: (ctx, [n], call) => {
      const path = pathOf(n);
      const file = checkSession(readJson(ctx.files, path, SESSION_FILE_BYTES), path);
      // The patch first: a file it refuses changes nothing, the history included. Samples still to decode:
      // the message comes again once they are in (loadPatchFile).
      if (!loadPatchFile(ctx, file.patch, call)) return [];
      ctx.history.restore(file.history);
      return [{ address: "/session/load.reply", args: [path, file.history.entries.length] }];
    },
  }),
];
