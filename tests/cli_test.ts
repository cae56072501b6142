// The command line as a person uses it: signals, help, bad flags, and the render task.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { moduleDef, paramIndex } from "../patch/schema.ts";
import { readWav } from "../core/wav.ts";
import {
  firstDifference,
  firstDifferenceOutside,
  replayLog,
  signalWhilePlaying,
  stallsAtMost,
  TEST_LEAD,
} from "./helpers.ts";

const mainTs = new URL("../main.ts", import.meta.url).pathname;
const renderTs = new URL("../cli/render.ts", import.meta.url).pathname;

function deno(args: string[], stdin: "null" | "piped" = "null") {
  return new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped", stdin });
}

/** The engine with a WAV and a session log in `dir`, plus `extra` flags. */
function engine(dir: string, extra: string[], stdin: "null" | "piped" = "null") {
  return deno(
    [
      "run",
      "--allow-all",
      mainTs,
      "--lead",
      String(TEST_LEAD),
      "--out",
      `${dir}/o.wav`,
      "--log",
      `${dir}/s.jsonl`,
      ...extra,
    ],
    stdin,
  );
}

Deno.test("SIGTERM stops cleanly: exit 0, WAV header and session log finalized, replay equal", async () => {
  const dir = await Deno.makeTempDir();
  const child = engine(dir, ["--set", "gain=0.3", "--exercise", "9"]).spawn();
  const { status, stderr: err } = await signalWhilePlaying(child, "SIGTERM", 400);
  await child.stdout.cancel();
  assert.equal(status.code, 0, err);
  assert.match(err, /stopped after/);
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const wav = readWav(await Deno.readFile(`${dir}/o.wav`));
  assert.equal(wav.frames, log.frames, "the WAV header counts every frame the log says played");
  assert.ok(wav.frames > 0.3 * 48000);
  const replay = await replayLog(`${dir}/s.jsonl`);
  // This test has no summary file to locate a VM-steal underrun, so it compares the first 0.3 s exactly and
  // the rest outside silent blocks.
  const n = 2 * 0.3 * 48000;
  assert.equal(firstDifference(wav.samples.subarray(0, n), replay.samples.subarray(0, n)), -1);
  const silent: number[] = [];
  for (let b = 0; b * 256 < wav.samples.length; b++) {
    const live = wav.samples.subarray(b * 256, b * 256 + 256),
      ref = replay.samples.subarray(b * 256, b * 256 + 256);
    if (live.every((x) => x === 0) && ref.some((x) => x !== 0)) silent.push(b); // silent live, not in the replay
  }
  assert.ok(stallsAtMost(silent), `silent blocks ${silent}`);
  assert.equal(firstDifferenceOutside(wav.samples, replay.samples, silent), -1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("stdin: the engine tone's commands reach voice1; bad ones get a plain-words error and change nothing", async () => {
  const dir = await Deno.makeTempDir();
  const child = engine(dir, ["--duration", "1", "--stdin"], "piped").spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("gain 0.4\nfreq 99999\nwobble 3\nfreq 330\n"));
  await w.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  assert.match(err, /error: Cannot set freq: 99999 is out of range \(0.1 … 20000 Hz\)/);
  assert.match(err, /error: "wobble" is not a command/);
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const live = log.commands.filter((c) => c.frame > 0); // the patch itself is the frame-0 transaction
  const voice = moduleDef("voice")!;
  assert.deepEqual(live.map((c) => [c.op, c.target, c.param, c.f0]), [
    [L.OP_SET_PARAM, 1, paramIndex(voice, "gain"), 0.4],
    [L.OP_SET_PARAM, 1, paramIndex(voice, "freq"), 330],
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("stdin drives the default patch: set MODULE.PARAM, gate; bad ones are errors that change nothing", async () => {
  const dir = await Deno.makeTempDir();
  const child = engine(dir, ["--duration", "1.5", "--stdin"], "piped").spawn();
  const w = child.stdin.getWriter();
  const lines =
    "set voice1.freq 220\ngate voice1 on 0.8\nset voice1.cutoff 99999\nset voice9.freq 1\ngate lfo1 on\n";
  await w.write(new TextEncoder().encode(lines));
  await w.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  assert.match(err, /error: Cannot set cutoff: 99999 is out of range \(20 … 20000 Hz\)/);
  assert.match(
    err,
    /error: No module "voice9" in the patch; did you mean "voice1"\? \(modules: voice1, voice2/,
  );
  assert.match(err, /error: Cannot gate lfo1: a lfo has no gate/);
  const log = parseSessionLog(await Deno.readTextFile(`${dir}/s.jsonl`));
  const live = log.commands.filter((c) => c.frame > 0); // the patch itself is the frame-0 transaction
  assert.deepEqual(live.map((c) => [c.op, c.target, c.f0]), [[1, 1, 220], [10, 1, 0.8]]);
  const wav = readWav(await Deno.readFile(`${dir}/o.wav`));
  assert.ok(wav.samples.some((x) => x !== 0), "the note sounds");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--help, bad flags and a missing replay answer in plain words", async () => {
  const help = await deno(["run", "--allow-all", mainTs, "--help"]).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--inject SPEC/);
  const bad = await deno(["run", "--allow-all", mainTs, "--block", "9999"]).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /--block 9999 is outside 16…1024/);
  const voices = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--sink", "null"],
    env: { CHRONUS_NUM_VOICES: "17" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  assert.equal(voices.code, 2);
  assert.match(
    new TextDecoder().decode(voices.stderr),
    /^chronus: \$CHRONUS_NUM_VOICES "17": the default patch has 1…16/,
  );
  const inj = await deno(["run", "--allow-all", mainTs, "--inject", "trap@primary:5"]).output();
  assert.equal(inj.code, 2);
  assert.match(new TextDecoder().decode(inj.stderr), /--inject needs --allow-fault-injection/);
  const render = await deno([
    "run",
    "--allow-all",
    renderTs,
    "--replay",
    "/nonexistent.jsonl",
    "--out",
    "/tmp/x.wav",
  ])
    .output();
  assert.equal(render.code, 2);
  assert.match(new TextDecoder().decode(render.stderr), /render: .*No such file/);
});
