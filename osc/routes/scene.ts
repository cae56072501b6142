// Scenes: the whole sequence (tracks, tempo, swing) saved under a name in the session, switched to at a bar line
// as one, and chained into a song. Scenes live in the sequence, so /patch/save, pattern files, autosave and
// --resume carry them (sequencer/sequencer.ts).
import { ClientError } from "../../core/errors.ts";
import { CHAIN_MAX, sceneBars } from "../../sequencer/sequencer.ts";
import { num, opt, rest, type Route, route, str } from "./route.ts";

const SCENE = { family: "scene", dialect: "chronus" } as const;

const name = () => str("scene", { doc: "a letter, then letters, digits, _ or -" });

/** /scene/*. */
export const SCENE_ROUTES: readonly Route[] = [
  route({
    ...SCENE,
    address: "/scene/save",
    edit: true,
    now: "ignored",
    args: [name()],
    summary: "saves the current tracks, tempo and swing as a scene (replacing one of that name)",
    reply: "/scene/save.reply <scene> <bars>",
    text: { form: "scene save NAME", examples: ["scene save verse"] },
    handle: ({ engine }, [scene], { address }) => [
      { address: `${address}.reply`, args: [scene, sceneBars(engine.sequencer.saveScene(scene))] },
    ],
  }),
  route({
    ...SCENE,
    address: "/scene/play",
    edit: ([scene, bar]) => `scene ${scene} played${bar ? ` at bar ${bar}` : ""}`,
    now: "applies",
    args: [
      name(),
      opt(num("bar", { min: 1, max: 1_000_000, integer: true, doc: "the bar (from 1) to switch at" }), 0),
    ],
    summary:
      "switches every track, the tempo and the swing to a scene at a bar line (the next, or the bar given; a bar already played means the next)",
    reply: "/scene/play.reply <scene> <bar>|bar|now",
    text: {
      form: "scene play NAME [at BAR] [now]",
      examples: ["scene play chorus", "scene play drop at 17"],
    },
    handle: ({ engine, out }, [scene, bar], { address, when, delivery }) => {
      out.deliver(engine.sequencer.playScene(scene, bar, when), delivery);
      return [{ address: `${address}.reply`, args: [scene, when === "now" ? "now" : bar || "bar"] }];
    },
  }),
  route({
    ...SCENE,
    address: "/scene/chain",
    edit: ([words]) => `chain ${(words as string[]).join(" ")}`,
    now: "ignored",
    args: [rest(str("scenes", { doc: "scene names in order, then `loop` to start again after the last" }))],
    summary:
      "plays scenes one after another from the next bar, each for its length in bars (its longest track); the last keeps playing unless `loop`",
    reply: "/scene/chain.reply <first bar> <bars in all>",
    text: { form: "scene chain NAME… [loop]", examples: ["scene chain intro verse verse drop loop"] },
    handle: ({ engine, out }, [words], { address, delivery }) => {
      const loop = words[words.length - 1]?.toLowerCase() === "loop";
      const names = loop ? words.slice(0, -1) : words;
      if (names.length === 0 || names.length > CHAIN_MAX) {
        throw new ClientError(`a chain names 1 … ${CHAIN_MAX} scenes`);
      }
      const pos = engine.sequencePosition();
      // Near a bar's end the workers may already be past it: start a bar later rather than miss the first.
      const position = pos ? pos.bar + (pos.beats % 4 >= 3.5 ? 1 : 0) : null;
      const seq = engine.sequencer;
      out.deliver(seq.chain(names, loop, 0, position), delivery);
      const lengths = new Map(seq.scenes().map((s) => [s.name, s.bars]));
      const total = names.reduce((sum, n) => sum + lengths.get(n)!, 0);
      return [{ address: `${address}.reply`, args: [seq.chainState!.startBar, total] }];
    },
  }),
  route({
    ...SCENE,
    address: "/scene/list",
    now: "ignored",
    args: [],
    summary: "the saved scenes with their lengths in bars",
    reply: "/scene/list.reply <name:bars>…",
    text: { form: "scene list", examples: ["scene list"] },
    handle: ({ engine }, _, { address }) => [
      { address: `${address}.reply`, args: engine.sequencer.scenes().map((s) => `${s.name}:${s.bars}`) },
    ],
  }),
];
