// Batches (cli/chronus.ts): `chronus < moves.txt` and `chronus --batch FILE` send every line as one bundle
// that applies at one frame; a line that does not translate refuses the whole batch, nothing sent. The client
// runs as its own process against a real engine over UDP.
import assert from "node:assert/strict";
import { batchMessages, MAX_BATCH_LINES } from "../cli/chronus.ts";
import { withTextRig } from "./osc_helpers.ts";

const root = new URL("../", import.meta.url).pathname;

// chronus with `args`, stdin redirected from `file` (a shell's `<`) when given.
async function chronus(args: string[], stdinFile?: string) {
  const cmd = [Deno.execPath(), "run", "-A", `${root}cli/chronus.ts`, ...args].map((a) => `'${a}'`).join(" ");
  const o = await new Deno.Command("sh", {
    args: ["-c", stdinFile ? `${cmd} < '${stdinFile}'` : `${cmd} < /dev/null`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err: new TextDecoder().decode(o.stderr) };
}

Deno.test("batchMessages: every line's messages in order; a bad line or too many lines refuse the batch", () => {
  const m = batchMessages("set voice1.cutoff 900\n# a comment\n\npatch lfo1 -> voice2.cutoff 0.25\n", "t");
  assert.deepEqual(m, [
    ["/mod/voice1/cutoff", 900],
    ["/patch/connect", "lfo1", "voice2.cutoff", 0.25],
    ["/patch/commit"],
  ]);
  assert.throws(
    () => batchMessages("set voice1.cutoff 900\nlevels\n", "moves.txt"),
    /moves\.txt:2: "levels" is not a command; did you mean "listen"\?[\s\S]*nothing was sent$/,
  );
  assert.throws(() => batchMessages("save here.json\n", "m"), /m:1: save FILE writes here/);
  const many = Array.from({ length: MAX_BATCH_LINES + 1 }, () => "set voice1.cutoff 900").join("\n");
  assert.throws(() => batchMessages(many, "m"), /m: 1001 lines; a batch holds at most 1000/);
  const big = Array.from({ length: 900 }, (_, i) => `set voice1.cutoff ${i + 100}.123456789012`).join("\n");
  assert.ok(batchMessages(big, "m").length === 900, "900 sets fit one packet");
});

Deno.test("chronus < moves.txt and --batch FILE: one bundle, one frame; a bad line sends nothing", async () => {
  await withTextRig(async ({ engine, osc, dataDir: dir }) => {
    const p = ["--port", String(osc.port)];
    const moves = `${dir}/moves.txt`;
    await Deno.writeTextFile(
      moves,
      "set voice1.cutoff 900\nset voice2.cutoff 1800\nseq bpm 150\npatch lfo1 -> voice3.cutoff 0.25\n",
    );
    const r = await chronus(p, moves);
    assert.equal(r.code, 0, r.err);
    const out = r.out.trim().split("\n");
    assert.equal(out.length, 4, r.out);
    assert.match(out[0], /^voice1\.cutoff \S+ → 900 Hz at frame (\d+)$/);
    assert.match(out[2], /^bpm 120 → 150 at frame \d+$/);
    // One frame for all of them: the history stamps each edit at its bundle's frame.
    const frames = new Set(out.map((l) => /at frame (\d+)$/.exec(l)?.[1]));
    assert.equal(frames.size, 1, r.out);
    const entries = engine.history.list(10);
    assert.equal(entries.length, 4);
    assert.equal(new Set(entries.map((e) => e.frame)).size, 1);
    assert.equal(engine.patch.module("voice2").params.cutoff, 1800);
    // --batch FILE: the same, from a file named on the command line.
    await Deno.writeTextFile(moves, "set voice1.cutoff 950\nset voice1.cutoff 950\n");
    const named = await chronus([...p, "--batch", moves]);
    assert.equal(named.code, 0, named.err);
    assert.match(
      named.out,
      /^voice1\.cutoff 900 → 950 Hz at frame \d+\nvoice1\.cutoff was already 950 Hz\n$/,
    );
    // A bad line: refused with its number, nothing sent.
    await Deno.writeTextFile(moves, "set voice1.cutoff 111\nmeter\nset voice2.cutoff 222\n");
    const bad = await chronus(p, moves);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /error: stdin:2: "meter" is not a command; did you mean "listen"\?/);
    assert.equal(bad.out, "");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(engine.patch.module("voice1").params.cutoff, 950, "nothing of the batch applied");
    assert.equal(engine.history.list(10).length, 5);
    // An engine refusal inside the batch: its /error, the exit code 1.
    await Deno.writeTextFile(moves, "set voice1.cutoff 1000\nset voice1.cutof 5\n");
    const refused = await chronus(p, moves);
    assert.equal(refused.code, 1);
    assert.match(
      refused.err,
      /error: \/mod\/voice1\/cutof: voice has no parameter "cutof"; did you mean "cutoff"\?/,
    );
  }, "chronus-batch-");
});
