// Pattern files: the whole sequence (tempo, swing, tracks) saved and loaded by name or slot number, as JSON
// files in the data directory's patterns/ (core/sandbox.ts). A save replaces the pattern of the same name, as
// the seed's /pattern/save <slot> did: a pattern name cannot reach another kind of file.
import type { SequenceFile } from "../../core/files.ts";
import { patternFileName } from "../../sequencer/pattern.ts";
import { listJson, PATTERN_AREA, readJson, writeJson } from "../files.ts";
import { type Route, route, value } from "./route.ts";

const PATTERN = { family: "pattern", dialect: "chronus" } as const;

const nameOrSlot = () =>
  value("name", { shown: "name|slot", doc: "letters, digits, _ and - (up to 64), or a slot number" });

// patternFileName allows letters, digits, _ and - only, so the path stays in patterns/.
const pathOf = (name: string | number) => `${PATTERN_AREA}/${patternFileName(name)}`;

/** /pattern/*. */
export const PATTERN_ROUTES: readonly Route[] = [
  route({
    ...PATTERN,
    address: "/pattern/save",
    now: "ignored",
    args: [nameOrSlot()],
    summary:
      "writes the whole sequence to the data directory's patterns/ (name.json, or slot-N.json), replacing a saved one",
    reply: "/pattern/save.reply <file>",
    text: { form: "pattern save NAME|SLOT", examples: ["pattern save groove", "pattern save 3"] },
    handle: (ctx, [name]) => {
      const path = pathOf(name);
      writeJson(ctx.files, path, ctx.engine.sequencer.toFile(), true);
      return [{ address: "/pattern/save.reply", args: [path] }];
    },
  }),
  route({
    ...PATTERN,
    address: "/pattern/load",
    edit: ([name]) => `pattern ${name} loaded`,
    now: "applies",
    args: [nameOrSlot()],
    summary: "replaces the sequence with a saved one",
    reply: "/pattern/load.reply <file> bar|now",
    text: { form: "pattern load NAME|SLOT [now]", examples: ["pattern load groove now"] },
    handle: (ctx, [name], { when, delivery }) => {
      const path = pathOf(name);
      ctx.out.deliver(ctx.engine.sequencer.load(readJson<SequenceFile>(ctx.files, path), when), delivery);
      return [{ address: "/pattern/load.reply", args: [path, when] }];
    },
  }),
  route({
    ...PATTERN,
    address: "/pattern/list",
    now: "ignored",
    args: [],
    summary: "the saved patterns",
    reply: "/pattern/list.reply <name>…",
    text: { form: "pattern list", examples: ["pattern list"] },
    handle: (ctx) => [{ address: "/pattern/list.reply", args: listJson(ctx.files, PATTERN_AREA) }],
  }),
];
