// The process itself (issue 16, part 5): an exception on the main thread is reported and the sound goes on;
// the autosave brings a killed engine's patch and sequence back with --resume; the keeper restarts a killed
// engine and the new one plays the same session.
import assert from "node:assert/strict";
import { readWav } from "../core/wav.ts";
import { OscTestClient } from "./osc_helpers.ts";
import { TEST_LEAD } from "./helpers.ts";
import { abnormal, backoffMs, childArgs, KEEPER_BURST } from "../cli/keeper.ts";

const mainTs = new URL("../main.ts", import.meta.url).pathname;

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--lead", String(TEST_LEAD), ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Collects a child's stderr as text; `until` resolves when the text matches a pattern. */
function watch(child: Deno.ChildProcess) {
  let text = "";
  const waiters: [RegExp, (m: RegExpMatchArray) => void][] = [];
  const done = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const [i, [re, r]] of [...waiters.entries()].reverse()) {
        const m = text.match(re);
        if (m) waiters.splice(i, 1), r(m);
      }
    }
  })();
  return {
    get text() {
      return text;
    },
    done,
    until(re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
      const m = text.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms in:\n${text}`)), ms);
        waiters.push([re, (m) => (clearTimeout(t), resolve(m))]);
      });
    },
  };
}

Deno.test("an exception in a timer, a rejected promise and a bad supervision tick are reported; the sound goes on", async () => {
  const dir = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      mainTs,
      "--lead",
      String(TEST_LEAD),
      "--out",
      `${dir}/o.wav`,
      "--duration",
      "2",
      "--no-osc",
      "--data-dir",
      dir,
      "--allow-fault-injection",
      "--debug-throw-in-timer",
      "500",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  assert.match(err, /\[chronus\] internal: uncaught injected exception in a timer/);
  assert.match(err, /\[chronus\] internal: unhandled rejection injected rejection/);
  assert.match(err, /\[chronus\] internal: supervision tick: injected exception in the supervision loop/);
  assert.match(err, /failovers 0, late blocks 0/);
  const wav = readWav(await Deno.readFile(`${dir}/o.wav`));
  assert.equal(wav.frames, 2 * 48000); // every block of the 2 s, the ones after the exceptions included
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--debug-throw-in-timer needs --allow-fault-injection", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--debug-throw-in-timer", "5"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /--debug-throw-in-timer needs --allow-fault-injection/);
});

/** Sets a parameter (committed) and one immediately, and a sequence; returns what /engine/list and
 * /seq/status then say. */
async function changeSession(osc: OscTestClient) {
  await osc.send("/patch/set", "voice1", "cutoff", 777);
  await osc.send("/patch/commit");
  await osc.send("/mod/voice2/res", 0.5);
  await osc.send("/seq/bpm", 133);
  await osc.send("/seq/add", "bass", "voice1", "x.x.x...", "C2", "G1");
  return await lists(osc);
}

async function lists(osc: OscTestClient) {
  osc.received.length = 0;
  await osc.send("/engine/list");
  await osc.send("/seq/status");
  const patch = JSON.parse((await osc.waitFor((r) => r[0] === "/engine/list.reply"))[1] as string);
  const seq = JSON.parse((await osc.waitFor((r) => r[0] === "/seq/status.reply"))[1] as string);
  return { patch, tracks: seq.tracks, bpm: seq.bpm, swing: seq.swing };
}

Deno.test("--autosave: after a SIGKILL, --resume plays the patch and the sequence that were set", async () => {
  const dir = await Deno.makeTempDir();
  const first = spawn(["--sink", "null", "--osc-port", "0", "--data-dir", dir]);
  const w1 = watch(first);
  const port = Number((await w1.until(/OSC on 127\.0\.0\.1:(\d+)/))[1]);
  const osc = new OscTestClient(port);
  const before = await changeSession(osc);
  assert.equal(before.patch.modules.voice1.params.cutoff, 777);
  assert.equal(before.patch.modules.voice2.params.res, 0.5);
  assert.equal(before.bpm, 133);
  await new Promise((r) => setTimeout(r, 1600)); // the autosave's next check (at most once a second)
  first.kill("SIGKILL");
  assert.equal((await first.status).signal, "SIGKILL");
  await w1.done;
  await osc.close();

  const second = spawn(["--sink", "null", "--osc-port", "0", "--data-dir", dir, "--resume"]);
  const w2 = watch(second);
  const osc2 = new OscTestClient(Number((await w2.until(/OSC on 127\.0\.0\.1:(\d+)/))[1]));
  const after = await lists(osc2);
  assert.deepEqual(after, before);
  second.kill("SIGTERM");
  assert.equal((await second.status).code, 0);
  await w2.done;
  await osc2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--resume without an autosave is a plain error", async () => {
  const dir = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--sink", "null", "--no-osc", "--data-dir", dir, "--resume"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /--resume: cannot read .*autosave\/patch\.json: there is no autosave/,
  );
  await Deno.mkdir(`${dir}/autosave`);
  await Deno.writeTextFile(`${dir}/autosave/patch.json`, "[1,");
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--sink", "null", "--no-osc", "--data-dir", dir, "--resume"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /is not a patch file/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("keeper: the child's flags, what counts as a death, the back-off", () => {
  assert.deepEqual(childArgs(["--keep-alive", "--sink", "null", "--resume"], false), ["--sink", "null"]);
  assert.deepEqual(childArgs(["--keep-alive", "--quiet"], true), ["--quiet", "--resume"]);
  assert.equal(abnormal({ success: false, code: 137, signal: "SIGKILL" }), true);
  assert.equal(abnormal({ success: false, code: 1, signal: null }), true);
  assert.equal(abnormal({ success: true, code: 0, signal: null }), false);
  assert.equal(abnormal({ success: false, code: 2, signal: null }), false);
  const burst = Array.from({ length: KEEPER_BURST }, (_, i) => i * 100);
  assert.equal(backoffMs(burst, 1000), 0);
  assert.equal(backoffMs([...burst, 600], 1000), 1000);
  assert.equal(backoffMs([...burst, 600, 700], 1000), 2000);
  assert.equal(backoffMs([...burst, 600], 20_000), 0); // long ago: no back-off
});

/** The nearest-rank percentile of `xs`. */
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

Deno.test("--keep-alive: a SIGKILLed engine is started again with the autosave; time from kill to sound", async () => {
  const dir = await Deno.makeTempDir();
  const keeper = spawn(["--keep-alive", "--sink", "null", "--osc-port", "0", "--data-dir", dir]);
  const w = watch(keeper);
  let seen = 0;
  const nextChild = async () => {
    const all = [
      ...(await w.until(new RegExp(`(?:engine started \\(pid \\d+[^)]*\\)[^]*){${seen + 1}}`))).input!
        .matchAll(/engine started \(pid (\d+)/g),
    ];
    seen = all.length;
    return Number(all[all.length - 1][1]);
  };
  let pid = await nextChild();
  const port = Number((await w.until(/OSC on 127\.0\.0\.1:(\d+)/))[1]);
  const osc = new OscTestClient(port);
  const before = await changeSession(osc);
  await osc.close();
  await new Promise((r) => setTimeout(r, 1600));
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const blocksBefore = w.text.split("· block").length;
    await w.until(/· block \d+/); // playing
    const t0 = performance.now();
    Deno.kill(pid, "SIGKILL");
    pid = await nextChild();
    // Sound again: the new child's first status line (it prints once its output runs).
    const offset = w.text.length;
    for (;;) {
      if (w.text.slice(offset).includes("· block") && w.text.split("· block").length > blocksBefore) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    times.push(performance.now() - t0);
  }
  const port2 = Number([...w.text.matchAll(/OSC on 127\.0\.0\.1:(\d+)/g)].at(-1)![1]);
  const osc2 = new OscTestClient(port2);
  assert.deepEqual(await lists(osc2), before);
  await osc2.close();
  console.log(
    `keeper: kill → status line of the new engine, 5 kills: p50 ${pct(times, 0.5).toFixed(0)} ms, max ${
      Math.max(...times).toFixed(0)
    } ms (${times.map((t) => t.toFixed(0)).join(", ")})`,
  );
  assert.match(w.text, /died \(signal SIGKILL\); starting it again/);
  assert.ok(Math.max(...times) < 10_000, `a restart took ${Math.max(...times)} ms`);
  keeper.kill("SIGTERM");
  assert.equal((await keeper.status).code, 0);
  await w.done;
  await Deno.remove(dir, { recursive: true });
});
