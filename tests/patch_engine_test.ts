// The patch in the live engine: both workers render the full default patch bit for bit alike, and a patch
// transaction applies at one frame in both (the frame the output then starts to differ from a replay without it).
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { readWav } from "../core/wav.ts";
import { renderOffline } from "../core/render.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import type { PatchFile } from "../core/files.ts";
import {
  dspModule,
  firstDifference,
  firstDifferenceOutside,
  replayLog,
  stallsAtMost,
  startLogged,
  TEST_LEAD,
} from "./helpers.ts";

const defaultPatch: PatchFile = JSON.parse(
  await Deno.readTextFile(new URL("../patches/default.json", import.meta.url)),
);

Deno.test("default patch: both workers bit-identical while notes play; a transaction lands at one frame", async () => {
  const dir = await Deno.makeTempDir();
  const seconds = 5;
  const engine = await startLogged(dir, { seconds, lead: TEST_LEAD, patch: defaultPatch });
  const B = engine.block;
  const at = (s: number) => Math.round(s * 48000);
  const start = (engine.outBlock + 40) * B;
  // A little tune on every voice and the acid line, stamped at exact frames.
  const voices = ["voice1", "voice2", "voice3", "voice4"];
  for (let k = 0; k < 16; k++) {
    const v = voices[k % 4], f = start + k * at(0.2) + (k * 37) % B;
    engine.set(v, "freq", 110 * 2 ** ((k * 5) % 12 / 12) * (1 + (k % 3)), f);
    engine.gate(v, true, 0.6 + (k % 4) * 0.1, f);
    engine.gate(v, false, 1, f + at(0.15));
    engine.gate("acid1", true, k % 3 === 0 ? 1 : 0.5, f + 11);
    engine.gate("acid1", false, 1, f + at(0.1));
  }
  // A transaction mid-run: a noise source into a second out bus, all at one frame.
  const txFrame = start + at(1.5) + 55;
  engine.patch.create("n9", "noise", { level: 0.05 });
  engine.patch.create("o9", "out");
  engine.patch.connect("n9", "o9.L");
  engine.patch.connect("n9", "o9.R");
  engine.patch.set("voice4", "cutoff", 900);
  engine.commit(txFrame);
  const summary = await engine.finished;
  assert.equal(summary.metrics.divergences, 0, "the workers' block hashes always agreed");
  const blocks = Math.ceil((seconds * 48000) / B);
  assert.ok(
    summary.metrics.blocksCompared > blocks * 0.8,
    `${summary.metrics.blocksCompared} of ${blocks} compared: ${JSON.stringify(summary.metrics)}`,
  );
  assert.ok(stallsAtMost(summary.output.lateAt), `late blocks ${summary.output.lateAt}`);

  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const initial = log.commands.filter((c) => c.op === L.OP_CREATE && c.frame === 0);
  assert.equal(
    initial.length,
    Object.keys(defaultPatch.modules).length,
    "the patch itself plays from frame 0",
  );
  const tx = log.commands.filter((c) =>
    c.op === L.OP_CREATE || c.op === L.OP_CONNECT || c.op === L.OP_PLAN || c.op === L.OP_PLAN_LEN ||
    (c.op === L.OP_SET_PARAM && c.f0 === 900)
  ).filter((c) => c.frame > 0);
  assert.ok(tx.length >= 9, `${tx.length} transaction commands logged`);
  assert.deepEqual(
    new Set(tx.map((c) => c.frame)),
    new Set([txFrame]),
    `every command of it at one frame: ${JSON.stringify(tx.map((c) => [c.op, c.frame]))}`,
  );

  const live = readWav(await Deno.readFile(`${dir}/out.wav`));
  const replay = await replayLog(`${dir}/s.jsonl`);
  assert.equal(firstDifferenceOutside(live.samples, replay.samples, summary.output.lateAt), -1);
  assert.ok(live.samples.some((x) => x !== 0), "the patch sounds");
  // Without the transaction the output is the same up to its frame, and differs from exactly that frame.
  const txSeqs = new Set(tx.map((c) => c.seq));
  const without = renderOffline(
    await dspModule(),
    log.settings,
    log.commands.filter((c) => !txSeqs.has(c.seq)),
    live.frames,
  );
  assert.equal(Math.floor(firstDifference(replay.samples, without) / L.CHANNELS), txFrame);
  await Deno.remove(dir, { recursive: true });
});
