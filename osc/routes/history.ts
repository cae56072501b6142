// Undo, redo and the history of edits (docs/instrument-history.md). An undo or a redo is an ordinary change:
// its commands go out as one batch stamped at one frame (the bundle's, else the earliest exact one), through
// the same outbox as a client's own, so the session log records it and a replay reproduces it.
import type { Command } from "../../core/command.ts";
import { ClientError } from "../../core/errors.ts";
import { applyChange, HISTORY_LIMIT, type HistoryEntry } from "../../sequencer/history.ts";
import type { OscReply } from "../types.ts";
import { type Call, num, opt, type Route, route, type RouteContext } from "./route.ts";

const HISTORY = { family: "history", dialect: "chronus" } as const;

/** How many entries /history lists when not told. */
export const HISTORY_SHOWN = 10;

const count = (doc: string) => opt(num("n", { min: 1, max: HISTORY_LIMIT, integer: true, doc }), 1);

// Undoes (or redoes) entries in order, all their commands in one batch at one frame. A change that no longer
// fits the patch stops it there: what was already applied is sent (the control side holds it) and the error
// names the entry.
function step(ctx: RouteContext, verb: "undo" | "redo", n: number, call: Call): OscReply[] {
  const { engine, out, history } = ctx;
  const entries = verb === "undo" ? history.toUndo(n) : history.toRedo(n);
  const cmds: Command[] = [];
  let applied = 0;
  let failed: unknown;
  for (const e of entries) {
    try {
      applyChange(
        e.change,
        verb === "undo" ? "before" : "after",
        engine.patch,
        engine.sequencer,
        call.when,
        cmds,
        engine.instrument,
      );
      applied++;
    } catch (err) {
      failed = err;
      break;
    }
  }
  if (cmds.length) out.deliver(cmds, call.delivery, call.delivery.frame ?? engine.asap());
  if (verb === "undo") history.undone(applied);
  else history.redone(applied);
  if (failed) {
    if (!(failed instanceof ClientError)) throw failed;
    const done = applied ? ` (${applied} ${verb}ne before it)` : "";
    throw new ClientError(`cannot ${verb} #${entries[applied].index}: ${failed.message}${done}`);
  }
  return [{ address: `${call.address}.reply`, args: [JSON.stringify(entries.map(brief))] }];
}

const brief = (e: HistoryEntry) => ({
  index: e.index,
  frame: e.frame,
  author: e.author,
  description: e.description,
});

/** /undo, /redo, /history. */
export const HISTORY_ROUTES: readonly Route[] = [
  route({
    ...HISTORY,
    address: "/undo",
    now: "applies",
    args: [count("how many entries to undo (fewer when there are fewer)")],
    summary:
      "undoes the last n edits (parameter sets, patch transactions and loads, sequence changes, pattern loads, mutes and solos, scenes, the scale) in one batch at one frame; tracks change at the next bar unless now",
    reply: "/undo.reply <JSON: the entries undone, newest first: index, frame, author, description>",
    text: { form: "undo [N] [now]", examples: ["undo", "undo 3"] },
    handle: (ctx, [n], call) => step(ctx, "undo", n, call),
  }),
  route({
    ...HISTORY,
    address: "/redo",
    now: "applies",
    args: [count("how many undone entries to apply again")],
    summary: "applies again the last n undone edits, oldest first; a new edit after an undo drops them",
    reply: "/redo.reply <JSON: the entries redone, oldest first: index, frame, author, description>",
    text: { form: "redo [N] [now]", examples: ["redo", "redo 2"] },
    handle: (ctx, [n], call) => step(ctx, "redo", n, call),
  }),
  route({
    ...HISTORY,
    address: "/history",
    args: [
      opt(num("n", { min: 1, max: HISTORY_LIMIT, integer: true, doc: "how many entries" }), HISTORY_SHOWN),
    ],
    summary: `the last n edits (${HISTORY_SHOWN} when not told), oldest first, undone ones included`,
    reply:
      "/history.reply <JSON: [{index, frame, at (bar.beat, when the transport ran), author, description, undone}]>",
    text: { form: "history [N]", examples: ["history", "history 50"] },
    handle: ({ history }, [n]) => [{ address: "/history.reply", args: [JSON.stringify(history.list(n))] }],
  }),
];
