// PortAudio through Deno FFI on JACK's dummy driver (a real-time device clock on a machine without a sound
// card). The test starts and stops jackd itself; without libportaudio2 or jackd2 it says so and skips, except
// under CI, where .ci/run installs both and a skip is a failure.
import assert from "node:assert/strict";
import { readWav } from "../core/wav.ts";
import { chooseDevice, type PaDevice, PortAudio } from "../ffi/portaudio.ts";
import {
  firstDifferenceOutside,
  replayLog,
  signalWhilePlaying,
  stallsAtMost,
  startLogged,
  TEST_LEAD,
} from "./helpers.ts";
import { testTonePatch } from "./tone.ts";

const mainTs = new URL("../main.ts", import.meta.url).pathname;
const inCI = Deno.env.get("CI") === "true";

function which(cmd: string): boolean {
  return ["/usr/bin", "/usr/local/bin", "/bin"].some((d) => {
    try {
      return Deno.statSync(`${d}/${cmd}`).isFile;
    } catch {
      return false;
    }
  });
}

function paDevices(): PaDevice[] | string {
  const pa = PortAudio.open();
  if ("error" in pa) return pa.error;
  const d = pa.devices();
  pa.terminate();
  return d;
}

const dev = (name: string, index: number, out: number, def = false): PaDevice => ({
  index,
  name,
  hostApi: "JACK Audio Connection Kit",
  maxInputChannels: 0,
  maxOutputChannels: out,
  defaultLowOutputLatency: 0.005,
  defaultHighOutputLatency: 0.02,
  defaultSampleRate: 48000,
  isDefaultOutput: def,
});

Deno.test("device choice: index, exact name, substring, host default when PortAudio's is -1; clear errors", () => {
  const list = [dev("capture only", 0, 0), dev("system", 1, 2), dev("Speakers (USB)", 2, 6)];
  assert.equal(chooseDevice(list, [1], undefined, 2).index, 1, "the host API's default output");
  assert.equal(chooseDevice(list, [-1], "2", 2).name, "Speakers (USB)");
  assert.equal(chooseDevice(list, [-1], "usb", 2).index, 2);
  assert.equal(chooseDevice(list, [-1], "system", 2).index, 1);
  assert.throws(
    () => chooseDevice(list, [-1], "hdmi", 2),
    /Cannot find output device "hdmi": the output devices are 1: "system"/,
  );
  assert.throws(() => chooseDevice([dev("mono", 0, 1)], [-1], undefined, 2), /with 2 channels/);
});

Deno.test("a missing library falls back to the null sink with a one-line hint", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--duration", "0.3"],
    env: { CHRONUS_PORTAUDIO_LIB: "/nonexistent/libportaudio.so.2" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  assert.match(
    err,
    /chronus: PortAudio not found \(install the Debian package libportaudio2.*\): playing into the null sink/,
  );
  const forced = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", mainTs, "--sink", "portaudio", "--duration", "0.3"],
    env: { CHRONUS_PORTAUDIO_LIB: "/nonexistent/libportaudio.so.2" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(forced.code, 2, "asking for PortAudio explicitly without it is an error");
});

Deno.test("PortAudio on the JACK dummy clock", async (t) => {
  const devices = paDevices();
  if (typeof devices === "string" || !which("jackd")) {
    const why = typeof devices === "string" ? devices : "jackd not found (Debian package jackd2)";
    if (inCI) throw new Error(`PortAudio tests cannot run in CI: ${why}`);
    console.warn(`SKIPPED PortAudio tests: ${why}`);
    return;
  }
  let jack: Deno.ChildProcess | undefined;
  if (!devices.some((d) => d.hostApi.includes("JACK"))) {
    jack = new Deno.Command("jackd", {
      args: ["-d", "dummy", "-r", "48000", "-p", "128"],
      env: { JACK_NO_AUDIO_RESERVATION: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const until = performance.now() + 5000;
    while (performance.now() < until) {
      const d = paDevices();
      if (typeof d !== "string" && d.some((x) => x.hostApi.includes("JACK"))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    await t.step("the device list parses: JACK's system output with 2 channels at 48 kHz", () => {
      const d = paDevices();
      assert.ok(typeof d !== "string");
      const jackOut = d.find((x) => x.hostApi === "JACK Audio Connection Kit" && x.maxOutputChannels >= 2);
      assert.ok(jackOut, JSON.stringify(d));
      assert.equal(jackOut.defaultSampleRate, 48000);
      assert.ok(jackOut.defaultLowOutputLatency > 0 && jackOut.defaultLowOutputLatency < 0.1);
    });

    await t.step("a bad device name is a clear error naming the devices", async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", mainTs, "--sink", "portaudio", "--device", "no such device"],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 2);
      assert.match(
        new TextDecoder().decode(out.stderr),
        /Cannot find output device "no such device": .*"system"/,
      );
    });

    await t.step(
      "10 s, busy main thread, a command every 4 ms, a failover: no underflow, tap = replay",
      async () => {
        const dir = await Deno.makeTempDir();
        const engine = await startLogged(dir, {
          seconds: 10,
          lead: TEST_LEAD,
          sink: { kind: "portaudio", tapPath: `${dir}/tap.wav` },
          allowFaultInjection: true,
          injections: [{ kind: "trap", role: "primary", block: 2000 }],
          patch: testTonePatch("vco", { wave: "saw" }),
        });
        // docs/design.md §4's load: a 20 ms synchronous task on the main thread every 100 ms.
        const busy = setInterval(() => {
          const t0 = performance.now();
          while (performance.now() - t0 < 20) { /* busy */ }
        }, 100);
        let i = 0;
        engine.set("tone", "level", 0.3);
        const traffic = setInterval(() => {
          if (engine.running) {
            engine.set("tone", "freq", 200 + (i++ % 12) * 30);
          }
        }, 4);
        const summary = await engine.finished;
        clearInterval(busy);
        clearInterval(traffic);
        // The busy main thread must cost nothing. A hypervisor stall of this VM (steal time, see docs/latency.md) can
        // still starve the device once: one located event is tolerated, as in failover_test.ts.
        assert.ok(summary.output.underflows <= 1, `device underflows: ${summary.output.underflows}`);
        assert.ok(stallsAtMost(summary.output.lateAt), `late blocks ${summary.output.lateAt}`);
        // The injected trap, plus at most one spurious hang detection (VM steal), as in failover_test.ts.
        assert.ok([1, 2].includes(summary.metrics.failovers), `failovers ${JSON.stringify(summary.metrics)}`);
        assert.ok(summary.output.deviceLatencyMs > 0 && summary.output.deviceLatencyMs < 50);
        const tap = readWav(await Deno.readFile(`${dir}/tap.wav`));
        const replay = await replayLog(`${dir}/s.jsonl`);
        assert.equal(tap.frames, summary.frames);
        assert.equal(firstDifferenceOutside(tap.samples, replay.samples, summary.output.lateAt), -1);
        await Deno.remove(dir, { recursive: true });
      },
    );
    await t.step(
      "Ctrl-C during PortAudio output: fades out, closes the stream, exits 0 with no thread left",
      async () => {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", mainTs, "--sink", "portaudio", "--set", "gain=0.2"],
          stdout: "null",
          stderr: "piped",
          stdin: "null",
        }).spawn();
        const { status, stderr: err, stopMs } = await signalWhilePlaying(child, "SIGINT", 500);
        assert.equal(status.code, 0, err);
        assert.match(err, /stopped after/);
        assert.ok(stopMs < 5000, `it stopped promptly (${stopMs} ms)`);
      },
    );
  } finally {
    if (jack) {
      jack.kill("SIGTERM");
      await jack.status;
    }
  }
});
