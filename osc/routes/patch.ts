// The patch: a transaction staged by create/connect/disconnect/delete/set and applied at one frame by
// commit; load and save go through a patch file in the data directory's patches/ (core/sandbox.ts), or a
// patch sent as text (/patch/load/json: how `deno task chronus load` sends a file of the client's own).
import { ClientError } from "../../core/errors.ts";
import type { PatchFile } from "../../core/files.ts";
import { dataPath, SANDBOX_LIMITS } from "../../core/sandbox.ts";
import { checkSequence } from "../../sequencer/sequencer.ts";
import { checkInstrument } from "../../patch/instrument.ts";
import { parseJson, readJson, writeJson } from "../files.ts";
import type { Delivery, OscReply } from "../types.ts";
import { patchFile, playingFile } from "../../engine/state.ts";
import {
  answerLater,
  type Call,
  choice,
  num,
  opt,
  type Route,
  route,
  type RouteContext,
  type Shape,
  str,
  value,
} from "./route.ts";

const PATCH = { family: "patch", dialect: "chronus" } as const;

const STAGED = "none (it applies at /patch/commit)";
const COMMITTED = "/patch/commit.reply <commands> <delayed cables as JSON>";

// The staged patch, then tracks left without their modules, then a loaded file's sequence: one batch, one
// frame.
function commit({ engine, out }: RouteContext, delivery: Delivery, file?: PatchFile): OscReply[] {
  const seq = engine.sequencer, sequence = file?.sequence;
  if (file) checkSequence(file); // a bad sequence changes nothing, the patch included
  if (file) checkInstrument(file); // nor bad groups or a bad scale
  const c = engine.patch.commit();
  if (file) engine.instrument.load(file);
  const groups = engine.instrument.declare(); // the DSP's allocator learns the groups (asm/groups.ts)
  out.deliver([...c.commands, ...groups, ...seq.prune(), ...(sequence ? seq.load(sequence) : [])], delivery);
  return [{ address: "/patch/commit.reply", args: [c.commands.length, JSON.stringify(c.delayed)] }];
}

/** The optional last word of a message that may replace a file. */
export function overwriteWord(): Shape<string | undefined> {
  return opt(
    choice("overwrite", ["overwrite"], { doc: "replace the file when it exists (else it is refused)" }),
  );
}

/**
 * Replaces the patch with `file` (and its sequence, groups and scale) at one frame; throws ClientError. When
 * the file names samples that are not loaded and the engine decodes in a worker (Engine.decodeSample), they
 * load there first, all or none, and the message is handled again once they are in the pool (`call.again`):
 * then it returns undefined, and the replies go through `call.later`.
 */
export function loadPatchFile(ctx: RouteContext, file: PatchFile, call: Call): OscReply[] | undefined {
  if (typeof file !== "object" || file === null || Array.isArray(file)) {
    throw new ClientError("a patch file is a JSON object");
  }
  const samples = ctx.engine.samples;
  if (file.samples && !samples) {
    throw new ClientError("this engine has no sample pool for the file's samples");
  }
  const loader = ctx.engine.decodeSample;
  if (samples && loader && call.again && samples.missing(file).length > 0) {
    const again = call.again;
    const failure = (e: unknown): OscReply => {
      if (!(e instanceof ClientError)) {
        console.error(`[chronus] ${call.address}: internal error: ${(e as Error).stack}`);
      }
      const text = e instanceof ClientError ? e.message : `internal error: ${(e as Error).message}`;
      return { address: "/error", args: [call.address, text] };
    };
    samples.loadFileSamplesAsync(file, loader).then((loaded) => {
      let replies: OscReply[];
      try {
        replies = again();
      } catch (e) {
        replies = [failure(e)];
      }
      // A file refused once its samples were in (a bad module, a bad sequence) changed nothing: no module can
      // name the samples it brought, which go too.
      if (replies.some((r) => r.address === "/error")) samples.unload(loaded);
      for (const r of replies) call.later?.(r);
    }, (e) => call.later?.(failure(e)));
    return undefined;
  }
  // The file's samples first (decoded here: an offline score, WAV), so its modules may name them.
  const loaded = samples?.loadFileSamples(file) ?? [];
  try {
    ctx.engine.patch.abort();
    ctx.engine.patch.load(file);
    return commit(ctx, call.delivery, file);
  } catch (e) {
    samples?.unload(loaded); // a refused file changes nothing
    throw e;
  }
}

/** /patch/*. */
export const PATCH_ROUTES: readonly Route[] = [
  route({
    ...PATCH,
    address: "/patch/create",
    args: [str("id"), str("type", { doc: "a module type (docs/modules.md)" })],
    summary: "stages a new module",
    reply: "/patch/create.reply <id>",
    text: {
      form: "create ID TYPE",
      examples: ["create bass vco"],
      note: "commits at once",
    },
    handle: ({ engine }, [id, type]) => {
      engine.patch.create(id, type);
      return [{ address: "/patch/create.reply", args: [id] }];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/connect",
    args: [
      str("source", { shown: "src[.port]" }),
      str("destination", { shown: "dst[.port|.param]" }),
      opt(num("depth", { doc: "how far the signal moves a parameter (in its unit, or octaves)" }), 1),
    ],
    summary: "stages a cable from an output to an input, or to a parameter (modulation)",
    reply: STAGED,
    text: {
      form: "patch SRC -> DST [DEPTH]",
      examples: ["patch lfo1 -> voice2.cutoff 0.5"],
      note: "commits at once; 'to' works for '->'",
    },
    handle: ({ engine }, [from, to, depth]) => {
      engine.patch.connect(from, to, depth);
      return [];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/disconnect",
    args: [
      str("source", { shown: "src[.port]|*", doc: "* is any module" }),
      opt(str("destination", { shown: "dst[.port|.param]|*", doc: "* is any module; default *" }), "*"),
    ],
    summary:
      "stages removing cables: src → dst (without ports: every cable between the two), every cable out of src (src alone, or dst *), or every cable into dst (src *)",
    reply: STAGED,
    text: {
      form: "unpatch SRC|* [-> DST|*]",
      examples: ["unpatch lfo1 to voice2.cutoff", "unpatch voice1", "unpatch * to reverb1"],
      note: "commits at once",
    },
    handle: ({ engine }, [from, to]) => {
      if (from === "*" || to === "*") engine.patch.unplug(from, to);
      else engine.patch.disconnect(from, to);
      return [];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/clone",
    args: [str("module", { doc: "a module of the patch" }), str("new", { doc: "the copy's id" })],
    summary:
      "stages a new module of the same type with the same parameters and the same cables into and out of it",
    reply: STAGED,
    text: { form: "clone MODULE NEW", examples: ["clone voice1 voice5"], note: "commits at once" },
    handle: ({ engine }, [module, copy]) => {
      engine.patch.clone(module, copy);
      return [];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/delete",
    args: [str("id")],
    summary: "stages removing a module, its cables and the sequencer tracks that play it",
    reply: STAGED,
    text: { form: "delete ID", examples: ["delete bass"], note: "commits at once" },
    handle: ({ engine }, [id]) => {
      engine.patch.delete(id);
      return [];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/set",
    args: [str("id"), str("param"), value("value")],
    summary: "stages a parameter value (applies with the rest of the transaction)",
    reply: STAGED,
    handle: ({ engine }, [id, param, v]) => {
      engine.patch.set(id, param, v);
      return [];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/commit",
    edit: true,
    args: [],
    summary: "applies the staged transaction at one frame",
    reply: COMMITTED,
    handle: (ctx, _, { delivery }) => commit(ctx, delivery),
  }),
  route({
    ...PATCH,
    address: "/patch/abort",
    args: [],
    summary: "drops the staged transaction",
    reply: "/patch/abort.reply",
    handle: ({ engine }) => {
      engine.patch.abort();
      return [{ address: "/patch/abort.reply", args: [] }];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/load",
    edit: ([name]) => `patch ${name} loaded`,
    args: [str("file", { doc: "a patch file (JSON) in the data directory's patches/" })],
    summary:
      'replaces the patch (and the sequence, when the file has one) at one frame; the file\'s "samples" not loaded yet are decoded in the sample worker first, all or none, and the reply comes once they are in the pool',
    reply: COMMITTED,
    text: {
      form: "load FILE",
      examples: ["load examples/dnb-175.json"],
      note: "a JSON patch file; chronus sends a file of its own directory as text",
    },
    handle: (ctx, [name], call) =>
      loadPatchFile(ctx, readJson<PatchFile>(ctx.files, dataPath("patches", name, "patch file")), call) ?? [],
  }),
  route({
    ...PATCH,
    address: "/patch/load/json",
    edit: () => "patch loaded",
    args: [str("json", { doc: "a whole patch file's text" })],
    summary: "as /patch/load, from a patch sent as text (what `deno task chronus load` sends)",
    reply: COMMITTED,
    handle: (ctx, [text], call) => {
      if (text.length > SANDBOX_LIMITS.patchFileBytes) throw new ClientError("the patch is over the cap");
      return loadPatchFile(ctx, parseJson<PatchFile>(text, "the patch"), call) ?? [];
    },
  }),
  route({
    ...PATCH,
    address: "/patch/save",
    args: [str("file", { doc: "a name in the data directory's patches/" }), overwriteWord()],
    summary:
      "writes the patch as the DSP plays it (each parameter's target, read back at a block boundary: what lanes and sequencer notes set; a cable's modulation left out), with groups and the sequence when it has tracks, to a new file in the data directory's patches/ (an existing one only with overwrite); answers after the read",
    reply: "/patch/save.reply <file, relative to the data directory>",
    text: {
      form: "save FILE [overwrite]",
      examples: ["save mine.json", "save mine.json overwrite"],
      note: "chronus writes FILE where it runs; the engine's console: in patches/",
    },
    handle: ({ engine, files }, [name, overwrite], { address, later }) => {
      const path = dataPath("patches", name, "patch file");
      const write = (file: PatchFile): OscReply => {
        writeJson(files, path, file, overwrite === "overwrite");
        return { address: "/patch/save.reply", args: [path] };
      };
      // What really plays: the DSP's values, read once at a block boundary (engine/state.ts playingFile).
      if (!engine.readModules) return [write(patchFile(engine))];
      answerLater(address, playingFile(engine), later, write);
      return [];
    },
  }),
];
