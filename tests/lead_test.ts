// The `auto` lead (engine/lead.ts, docs/latency.md): where it starts, how it widens after a late block, and
// that a lead widened mid-session changes no sample of the replay.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import {
  AUTO_LEAD_MAX,
  AUTO_LEAD_START,
  initialLead,
  LeadWidener,
  parseLead,
  WIDEN_QUIET_MS,
} from "../engine/lead.ts";
import { firstDifferenceOutside, replayLog, runCli } from "./helpers.ts";
import { TONE_PATCH_PATH } from "./tone.ts";
import { Engine } from "../engine/engine.ts";

const BLOCK_MS = (128 * 1000) / 48000; // as the engine computes it

Deno.test("lead: parsed as a number of blocks or auto", () => {
  assert.equal(parseLead("auto"), "auto");
  assert.equal(parseLead("4"), 4);
  assert.throws(() => parseLead("2.5"), /expected a number of blocks or "auto"/);
  assert.throws(() => parseLead(""), /expected a number of blocks or "auto"/);
  assert.equal(initialLead(5), 5);
  assert.equal(initialLead("auto"), AUTO_LEAD_START);
  assert.ok(AUTO_LEAD_START < AUTO_LEAD_MAX);
});

Deno.test("lead: one block wider after a late block, once per quiet span, never past the widest", () => {
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * 64));
  ctrl[L.CTRL_LEAD] = 2;
  const said: string[] = [];
  const w = new LeadWidener(ctrl, 4, BLOCK_MS, (m) => said.push(m));
  w.tick();
  assert.equal(ctrl[L.CTRL_LEAD], 2, "no late block, no change");
  ctrl[L.CTRL_OUT_BLOCK] = 1000;
  ctrl[L.CTRL_LATE] = 1;
  w.tick();
  assert.equal(ctrl[L.CTRL_LEAD], 3);
  assert.match(said[0], /^widened to 3 blocks \(8\.0 ms, at most 4\) after a late block near block 1000/);
  // A run of late blocks (one pause, one rebuild) inside the quiet span: no further widening.
  const quietBlocks = Math.ceil(WIDEN_QUIET_MS / BLOCK_MS);
  ctrl[L.CTRL_OUT_BLOCK] = 1000 + quietBlocks - 1;
  ctrl[L.CTRL_LATE] = 5;
  w.tick();
  assert.equal(ctrl[L.CTRL_LEAD], 3);
  ctrl[L.CTRL_OUT_BLOCK] = 1000 + quietBlocks;
  ctrl[L.CTRL_LATE] = 6;
  w.tick();
  assert.equal(ctrl[L.CTRL_LEAD], 4);
  assert.match(said[1], /widened to 4 blocks \(10\.7 ms, its widest\)/);
  ctrl[L.CTRL_OUT_BLOCK] = 1000 + 3 * quietBlocks;
  ctrl[L.CTRL_LATE] = 7;
  w.tick();
  assert.equal(ctrl[L.CTRL_LEAD], 4, "never past the widest");
  assert.equal(said.length, 2);
});

Deno.test("lead: an engine reports its lead, auto or fixed, and auto starts where engine/lead.ts says", async () => {
  const auto = await Engine.start({ lead: "auto", seconds: 0.2 });
  assert.deepEqual(auto.status().lead, {
    blocks: AUTO_LEAD_START,
    ms: (AUTO_LEAD_START * 128 * 1000) / 48000,
    auto: true,
  });
  await auto.finished;
  const fixed = await Engine.start({ lead: 5, seconds: 0.1 });
  assert.deepEqual(fixed.status().lead, { blocks: 5, ms: (5 * 128 * 1000) / 48000, auto: false });
  await fixed.finished;
});

Deno.test("lead: a primary stalled 12 ms, then its successor before a standby is back: late blocks at lead 3; auto widens to 4, says so, and the output still equals the replay", async () => {
  const run = await runCli([
    "--lead",
    "auto",
    "--realtime",
    "off",
    "--duration",
    "2.5",
    "--exercise",
    "7",
    "--no-osc",
    "--patch",
    TONE_PATCH_PATH,
    "--allow-fault-injection",
    "--inject",
    "slow@primary:600",
    "--inject",
    "slow@primary:601",
  ]);
  const context = run.stderr;
  assert.equal(run.code, 0, context);
  const late: number[] = run.summary.output.lateAt;
  assert.ok(
    late.some((b) => b >= 598 && b <= 610),
    `the stall played late blocks: ${JSON.stringify(late)}: ${context}`,
  );
  assert.match(
    run.stderr,
    /\[chronus\] lead: widened to 4 blocks \(10\.7 ms, at most 6\) after a late block/,
  );
  const replay = await replayLog(run.logPath);
  assert.equal(replay.frames, run.wavFrames);
  const diff = firstDifferenceOutside(run.wav, replay.samples, late);
  assert.equal(diff, -1, `live output differs from the replay at frame ${diff / 2}: ${context}`);
  await Deno.remove(run.dir, { recursive: true });
});
