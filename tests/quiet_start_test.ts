// A quiet start (ffi/probe_silencer.ts): the README's first command, run as `deno task start` runs it, shows the
// engine's own lines only, not ALSA's probing of cards that are not there nor libjack's search for a server;
// --verbose lets them through. On a machine with a sound card and a running JACK nothing complains anyway, so
// the --verbose half asserts only where ALSA has no card.
import assert from "node:assert/strict";
import { PortAudio } from "../ffi/portaudio.ts";

const root = new URL("../", import.meta.url);
const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
const startArgs = (config.tasks.start.command as string).split(/\s+/).slice(1); // after "deno"
const noCard = (() => {
  try {
    return Deno.readDirSync("/dev/snd").next().done === true;
  } catch {
    return true; // no /dev/snd at all: no sound card
  }
})();
const hasPortAudio = (() => {
  const pa = PortAudio.open();
  if ("error" in pa) return false;
  pa.terminate();
  return true;
})();
const foreign = /^(ALSA lib |Cannot connect to server|jack server is not running|JackShmReadWritePtr)/m;

async function start(extra: string[]): Promise<{ code: number; stderr: string }> {
  const data = await Deno.makeTempDir({ prefix: "chronus-quiet-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...startArgs, "--duration", "1", "--no-osc", "--no-autosave", "--data-dir", data, ...extra],
      cwd: root,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test({
  name: "quiet start: ALSA and JACK say nothing while PortAudio probes, unless --verbose",
  ignore: !hasPortAudio, // no libportaudio2: nothing probes (tests/portaudio_test.ts says so)
  async fn() {
    // The README's first command (the default sink: PortAudio if it can play, else the null sink and a hint).
    const first = await start([]);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, foreign, first.stderr);
    for (const line of first.stderr.trim().split("\n")) assert.match(line, /^(chronus:|\[chronus\])/, line);

    // PortAudio asked for by name: one line says what is wrong, and nothing else speaks.
    const named = await start(["--sink", "portaudio", "--device", "no such device"]);
    assert.equal(named.code, 2, named.stderr);
    assert.deepEqual(named.stderr.trim().split("\n").length, 1, named.stderr);
    assert.match(named.stderr, /Cannot find output device "no such device"/);

    if (!noCard) return console.warn("the --verbose half needs a machine without a sound card: skipped");
    const verbose = await start(["--verbose"]);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /^ALSA lib .*cannot find card/m, "with --verbose ALSA speaks");
  },
});
