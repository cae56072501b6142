// The file sandbox (core/sandbox.ts, issue 16 item 1): each of the file reproductions ends in a clear
// /error with no file touched outside the data directory, and a FIFO never blocks the engine.
import assert from "node:assert/strict";
import { checkName, SANDBOX_LIMITS } from "../core/sandbox.ts";
import { Engine } from "../engine/engine.ts";
import { type OscReply, OscRouter } from "../osc/router.ts";
import { OscServer } from "../osc/server.ts";
import { scoreCommands, ScoreEngine } from "../cli/score.ts";
import { localFiles, MAX_SENT_PATCH_BYTES } from "../cli/chronus.ts";
import { translate } from "../cli/language.ts";
import { defaultPatch } from "./dialect_helpers.ts";
import { TEST_LEAD } from "./helpers.ts";
import { OscTestClient } from "./osc_helpers.ts";

const SENTINEL = "sentinel: do not touch\n";

/** A temp directory with a data directory inside and a sentinel file outside it. */
async function place() {
  const dir = await Deno.makeTempDir({ prefix: "chronus-sandbox-" });
  const data = `${dir}/data`;
  const outside = `${dir}/outside`;
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/secret.txt`, "TOKEN=hunter2\n");
  await Deno.writeTextFile(`${outside}/sentinel.json`, SENTINEL);
  const e = new ScoreEngine(48000, 128);
  e.patch.load(defaultPatch(2));
  e.commit(0);
  const r = new OscRouter(e, undefined, data);
  const say = (address: string, ...args: (string | number)[]): OscReply[] => r.handle(address, args);
  /** The one /error `address` answers with (fails when it answers anything else). */
  const refused = (address: string, ...args: (string | number)[]): string => {
    const replies = say(address, ...args);
    assert.equal(replies.length, 1, JSON.stringify(replies));
    assert.equal(replies[0].address, "/error", JSON.stringify(replies));
    return String(replies[0].args[1]);
  };
  const untouched = () => assert.equal(Deno.readTextFileSync(`${outside}/sentinel.json`), SENTINEL);
  return { dir, data, outside, e, say, refused, untouched };
}

Deno.test("names: relative only, no '..', NUL or backslash, bounded", () => {
  assert.equal(checkName("live/./set.json"), "live/set.json");
  for (
    const [name, why] of [
      ["/etc/passwd", /absolute paths are refused/],
      ["../../../elsewhere/x.json", /"\.\." is refused/],
      ["a/../../x.json", /"\.\." is refused/],
      ["x\0.json", /NUL/],
      ["a\\b.json", /backslash/],
      ["", /empty/],
      ["./", /names no file/],
      ["x".repeat(600), /600 characters long \(at most 512\)/],
      ["~/x.json", /absolute/],
    ] as const
  ) assert.throws(() => checkName(name), why, name);
});

Deno.test("/patch/save outside the data directory is refused and nothing is written", async () => {
  const { dir, data, outside, refused, untouched } = await place();
  assert.match(refused("/patch/save", "../../../elsewhere/x.json"), /"\.\." is refused/);
  assert.match(refused("/patch/save", "../outside/sentinel.json"), /"\.\." is refused/);
  assert.match(refused("/patch/save", `${outside}/sentinel.json`), /absolute paths are refused/);
  assert.match(refused("/patch/save", `${outside}/sentinel.json`, "overwrite"), /absolute paths are refused/);
  untouched();
  assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name).sort(), ["secret.txt", "sentinel.json"]);
  assert.throws(() => Deno.statSync(`${dir}/elsewhere`));
  assert.throws(() => Deno.statSync(data), "a refused name creates no data directory");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("/patch/save x.json twice: the second is refused unless it says overwrite", async () => {
  const { dir, data, say, refused } = await place();
  assert.deepEqual(say("/patch/save", "x.json"), [{
    address: "/patch/save.reply",
    args: ["patches/x.json"],
  }]);
  const first = Deno.readTextFileSync(`${data}/patches/x.json`);
  assert.ok(JSON.parse(first).modules.voice1, "the patch was written in patches/");
  Deno.writeTextFileSync(`${data}/patches/x.json`, "mine\n");
  assert.equal(
    refused("/patch/save", "x.json"),
    "patches/x.json exists already (add overwrite to replace it)",
  );
  assert.equal(Deno.readTextFileSync(`${data}/patches/x.json`), "mine\n", "the file is untouched");
  assert.match(refused("/patch/save", "x.json", "replace"), /overwrite "replace" is not one of overwrite/);
  assert.deepEqual(say("/patch/save", "x.json", "overwrite"), [{
    address: "/patch/save.reply",
    args: ["patches/x.json"],
  }]);
  assert.equal(Deno.readTextFileSync(`${data}/patches/x.json`), first);
  // The patch saved loads back by name; the seed's slot saves still replace their file.
  assert.equal(say("/patch/load", "x.json")[0].address, "/patch/commit.reply");
  assert.equal(say("/pattern/save", 1)[0].address, "/pattern/save.reply");
  assert.deepEqual(say("/pattern/save", 1), [{
    address: "/pattern/save.reply",
    args: ["patterns/slot-1.json"],
  }]);
  assert.deepEqual(say("/pattern/list"), [{ address: "/pattern/list.reply", args: ["slot-1"] }]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("/patch/load of a secret, /dev/zero, a directory or a symlink out: refused, no content echoed", async () => {
  const { dir, data, outside, refused, say } = await place();
  const secret = refused("/patch/load", `${outside}/secret.txt`);
  assert.match(secret, /absolute paths are refused/);
  assert.match(refused("/patch/load", "/dev/zero"), /absolute paths are refused/);
  assert.match(refused("/patch/load", "../outside/secret.txt"), /"\.\." is refused/);
  assert.equal(refused("/patch/load", "nothing.json"), "cannot read patches/nothing.json: no such file");
  Deno.mkdirSync(`${data}/patches/sub`, { recursive: true });
  Deno.symlinkSync(`${outside}/secret.txt`, `${data}/patches/link.json`);
  Deno.symlinkSync("/dev/zero", `${data}/patches/zero.json`);
  Deno.symlinkSync(outside, `${data}/patches/out`);
  assert.equal(
    refused("/patch/load", "link.json"),
    "patches/link.json: a symlink leads out of the data directory",
  );
  assert.equal(
    refused("/patch/load", "zero.json"),
    "patches/zero.json: a symlink leads out of the data directory",
  );
  assert.equal(
    refused("/patch/load", "out/secret.txt"),
    "patches/out/secret.txt: a symlink leads out of the data directory",
  );
  assert.equal(
    refused("/patch/save", "out/new.json"),
    "patches/out/new.json: a symlink leads out of the data directory",
  );
  assert.equal(refused("/patch/load", "sub"), "patches/sub: a directory, refused");
  // A file inside that is not JSON: named, its text never quoted.
  Deno.writeTextFileSync(`${data}/patches/secret.json`, "TOKEN=hunter2\n");
  assert.equal(refused("/patch/load", "secret.json"), "patches/secret.json is not valid JSON");
  // A symlink that stays inside is followed.
  Deno.writeTextFileSync(`${data}/patches/real.json`, JSON.stringify({ modules: { v: { type: "voice" } } }));
  Deno.symlinkSync(`${data}/patches/real.json`, `${data}/patches/alias.json`);
  assert.equal(say("/patch/load", "alias.json")[0].address, "/patch/commit.reply");
  for (const r of ["out", "link.json", "zero.json"]) {
    assert.ok(Deno.lstatSync(`${data}/patches/${r}`).isSymlink);
  }
  assert.equal(Deno.readTextFileSync(`${outside}/secret.txt`), "TOKEN=hunter2\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a 5 MiB patch file is refused by the 4 MiB cap; /patch/load/json takes a patch as text", async () => {
  const { dir, data, refused, say, e } = await place();
  Deno.mkdirSync(`${data}/patches`, { recursive: true });
  Deno.writeFileSync(`${data}/patches/big.json`, new Uint8Array(5 * 1024 * 1024).fill(32));
  assert.equal(
    refused("/patch/load", "big.json"),
    `patches/big.json: ${5 * 1024 * 1024} bytes, over the cap of ${SANDBOX_LIMITS.patchFileBytes}`,
  );
  assert.equal(refused("/patch/load/json", "TOKEN=hunter2"), "the patch is not valid JSON");
  assert.equal(refused("/patch/load/json", "[1]"), "a patch file is a JSON object");
  const reply = say("/patch/load/json", JSON.stringify({ modules: { solo: { type: "vco" } } }));
  assert.equal(reply[0].address, "/patch/commit.reply");
  assert.deepEqual([...e.patch.modules.keys()], ["solo"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a score's save, load and pattern save resolve in the data directory (deno task render)", async () => {
  const { dir, data, outside, untouched } = await place();
  const patch = defaultPatch(2);
  assert.throws(
    () => scoreCommands(patch, `0 save ${outside}/sentinel.json`, 48000, 128, data),
    /score line 1: \/patch\/save: ".*sentinel.json": absolute paths are refused/,
  );
  assert.throws(() => scoreCommands(patch, "0 save ../x.json", 48000, 128, data), /"\.\." is refused/);
  untouched();
  scoreCommands(patch, "0 save mine.json\n1 pattern save groove", 48000, 128, data);
  assert.ok(Deno.statSync(`${data}/patches/mine.json`).isFile);
  assert.ok(Deno.statSync(`${data}/patterns/groove.json`).isFile);
  // The render task itself: exit code 2, the message, no file.
  await Deno.writeTextFile(`${dir}/s.txt`, `0 save ${outside}/new.json\n`);
  const again = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/render.ts", import.meta.url).pathname,
      "--score",
      `${dir}/s.txt`,
      "--out",
      `${dir}/o.wav`,
      "--data-dir",
      data,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(again.code, 2);
  assert.match(new TextDecoder().decode(again.stderr), /absolute paths are refused/);
  assert.throws(() => Deno.statSync(`${outside}/new.json`), "no file written");
  assert.throws(() => Deno.statSync(`${dir}/o.wav`), "nothing rendered");
  await Deno.remove(dir, { recursive: true });
});

/** The messages a client line sends (not a local save). */
const sent = (line: string, dataDir?: string) => {
  const t = localFiles(translate(line), dataDir);
  assert.ok("messages" in t, "sends messages");
  return t.messages;
};

Deno.test("chronus client: load sends a file of its own directory as text, save writes here, record names inside", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/mine.json`;
  Deno.writeTextFileSync(file, JSON.stringify({ modules: { v: { type: "voice" } } }));
  assert.deepEqual(sent(`load ${file}`), [[
    "/patch/load/json",
    Deno.readTextFileSync(file),
  ]]);
  assert.deepEqual(sent("load groove.json"), [["/patch/load", "groove.json"]]);
  Deno.writeFileSync(`${dir}/big.json`, new Uint8Array(MAX_SENT_PATCH_BYTES + 1));
  assert.throws(
    () => localFiles(translate(`load ${dir}/big.json`)),
    /more than the 60000 one OSC message carries/,
  );
  assert.throws(() => localFiles(translate(`load ${dir}`)), /not a regular file/);
  assert.deepEqual(localFiles(translate(`save ${dir}/x.json overwrite`)), {
    save: `${dir}/x.json`,
    overwrite: true,
  });
  assert.deepEqual(sent("record start ./take.wav 24"), [[
    "/record/start",
    "take.wav",
    "24",
  ]]);
  assert.deepEqual(
    sent(`record start ${dir}/data/recordings/a/b.wav`, `${dir}/data`),
    [
      ["/record/start", "a/b.wav"],
    ],
  );
  assert.deepEqual(sent("record start 24"), [["/record/start", "24"]]);
  assert.throws(
    () => localFiles(translate("record start /tmp/elsewhere/take.wav")),
    /outside the engine's data directory: the engine records into its --data-dir's recordings\//,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a live engine: /record/start of a path outside is refused, a FIFO is refused at once", async () => {
  const { dir, data, outside } = await place();
  const engine = await Engine.start({
    patch: defaultPatch(2),
    lead: TEST_LEAD,
    seconds: 30,
    sink: { kind: "null" },
  });
  const osc = await OscServer.start(engine, { host: "127.0.0.1", port: 0, dataDir: data });
  const client = new OscTestClient(osc.port);
  const error = async (address: string, ...args: (string | number)[]) => {
    const n = client.received.length;
    await client.send(address, ...args);
    const r = await client.waitFor((r) => r[0] === "/error" && client.received.indexOf(r) >= n);
    return String(r[2]);
  };
  try {
    assert.match(await error("/record/start", `${outside}/sentinel.json`), /absolute paths are refused/);
    assert.match(await error("/record/start", "../outside/sentinel.json", "24"), /"\.\." is refused/);
    assert.equal(Deno.readTextFileSync(`${outside}/sentinel.json`), SENTINEL, "the file is untouched");
    // A FIFO in the data directory: refused before it is opened, and the engine answers at once after.
    Deno.mkdirSync(`${data}/patches`, { recursive: true });
    const mk = await new Deno.Command("mkfifo", { args: [`${data}/patches/fifo.json`] }).output();
    assert.equal(mk.code, 0);
    assert.equal(await error("/patch/load", "fifo.json"), "patches/fifo.json: not a regular file, refused");
    const t0 = performance.now();
    await client.send("/engine/status");
    await client.waitFor((r) => r[0] === "/engine/status.reply", 1000);
    const ms = performance.now() - t0;
    assert.ok(ms < 100, `/engine/status answered in ${ms.toFixed(1)} ms`);
    // A recording by name lands in recordings/, and a second one of that name is refused.
    const n = client.received.length;
    await client.send("/record/start", "take.wav");
    const started = await client.waitFor((r) =>
      (r[0] === "/record/start.reply" || r[0] === "/error") && client.received.indexOf(r) >= n
    );
    assert.deepEqual(started.slice(0, 2), ["/record/start.reply", "recordings/take.wav"], started.join(" "));
    await client.send("/record/stop");
    await client.waitFor((r) => r[0] === "/record/stop.reply", 5000);
    assert.equal(
      await error("/record/start", "take.wav"),
      "recordings/take.wav exists already (add overwrite to replace it)",
    );
    assert.equal(engine.recordingStatus().recording, false);
  } finally {
    await client.close();
    await osc.close();
    await engine.stop();
    await engine.finished;
    await Deno.remove(dir, { recursive: true });
  }
});
