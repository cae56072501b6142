// Samples: loading a file from the samples directory into the engine's sample pool, listing and freeing
// (patch/samples.ts does the work; core/sample_pool.ts holds the pool; a live engine's sample worker reads,
// decodes and writes the file: engine/sample_decoder.ts). A load answers once the sample is in the pool, so
// any command sent after the reply may name it; a load that cannot be done changes nothing.
import { ClientError } from "../../core/errors.ts";
import type { SampleInfo } from "../../core/sample_pool.ts";
import type { SampleLibrary } from "../../patch/samples.ts";
import type { OscEngine } from "../types.ts";
import { answerLater, choice, opt, type Route, route, str } from "./route.ts";

const SAMPLE = { family: "sample", dialect: "chronus" } as const;

function library(engine: OscEngine): SampleLibrary {
  if (!engine.samples) throw new ClientError("this engine has no sample pool");
  return engine.samples;
}

/** A sample's facts as /sample/load and /sample/list reply them: name frames channels rate seconds slices. */
function facts(s: SampleInfo, sampleRate: number): (string | number)[] {
  return [
    s.name,
    s.frames,
    s.channels,
    s.sourceRate,
    Math.round((s.frames / sampleRate) * 1000) / 1000,
    s.slices,
  ];
}

/** /sample/*. */
export const SAMPLE_ROUTES: readonly Route[] = [
  route({
    ...SAMPLE,
    address: "/sample/load",
    args: [
      str("name", {
        doc: "what `set MODULE.sample NAME` calls it: a letter then letters, digits or _ (≤ 32)",
      }),
      str("file", {
        doc:
          "a WAV, FLAC, MP3 or Ogg Vorbis file (told by its content) in the data directory's samples/ (or the --samples directory)",
      }),
      opt(choice("onsets", ["onsets"], { doc: "find its attacks and store them as its slices" })),
    ],
    summary:
      'reads and decodes a sample file off the control thread (WAV 16/24/32-bit integer or float, FLAC, MP3 or Ogg Vorbis, told by its content; mono or stereo), resamples it to the engine\'s rate and writes it into the sample pool under a name; refused, changing nothing, for a taken name, a missing, cut, damaged or unsupported file (`"FILE" is not a sample this engine reads: …`), or a full pool (with the numbers)',
    reply:
      "/sample/load.reply <name> <frames> <channels> <file's rate> <seconds> <slices>: frames and seconds at the engine's rate; slices: the onset slices found (0 without onsets: the sampler's slices parameter then cuts equal parts)",
    text: {
      form: "sample load NAME FILE [onsets]",
      examples: ["sample load break1 amen.wav", "sample load break2 break174.wav onsets"],
    },
    handle: ({ engine }, [name, file, onsets], { address, later }) => {
      const options = { onsets: onsets === "onsets" };
      const reply = (s: SampleInfo) => ({ address: "/sample/load.reply", args: facts(s, engine.sampleRate) });
      // A live engine decodes in its sample worker and answers when the sample is in the pool; a score here.
      if (!engine.decodeSample) return [reply(library(engine).load(name, file, options))];
      answerLater(address, library(engine).loadAsync(name, file, engine.decodeSample, options), later, reply);
      return [];
    },
  }),
  route({
    ...SAMPLE,
    address: "/sample/list",
    args: [],
    summary: "the loaded samples and the pool's use",
    reply:
      "/sample/list.reply <used MB> <capacity MB> then per sample <name> <frames> <channels> <file's rate> <seconds> <slices>",
    text: { form: "sample list", examples: ["sample list"] },
    handle: ({ engine }) => {
      const lib = library(engine);
      const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
      const { used } = lib.pool.usage();
      return [{
        address: "/sample/list.reply",
        args: [mb(used), mb(lib.pool.capacity), ...lib.list().flatMap((s) => facts(s, engine.sampleRate))],
      }];
    },
  }),
  route({
    ...SAMPLE,
    address: "/sample/free",
    args: [str("name", { doc: "a loaded sample" })],
    summary:
      "frees a sample: refused while a module's `sample` parameter names it; its pool space returns to use a moment later (once no block in flight can read it)",
    reply: "/sample/free.reply <name>",
    text: { form: "sample free NAME", examples: ["sample free break1"] },
    handle: ({ engine }, [name]) => {
      library(engine).free(name);
      return [{ address: "/sample/free.reply", args: [name] }];
    },
  }),
];
