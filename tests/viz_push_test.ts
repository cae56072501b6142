// --viz-port: /viz/levels (per voice) and /viz/spectrum pushed every 100 ms without a subscription, as the seed
// system's visualizer expects them; the per-voice peaks come from the DSP's meters (asm/peaks.ts).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { decode } from "node-osc";
import * as L from "../asm/layout.ts";
import { DspHost } from "../core/dsp_host.ts";
import { Engine } from "../engine/engine.ts";
import { VIZ_BANDS, VizPush, vizSpectrum, vizVoices } from "../osc/viz_push.ts";
import { Patch } from "../patch/graph.ts";
import { dspModule, TEST_LEAD } from "./helpers.ts";

const voice = { type: "voice", params: { wave: "saw", attack: 0, sustain: 1, gain: 0.5 } };

Deno.test("meters in the DSP: each module's peak over the block, on every output, cleared per block", async () => {
  const host = new DspHost(await dspModule(), { sampleRate: 48000, block: 128, seed: 1 });
  const patch = new Patch();
  patch.load({
    modules: {
      sine: { type: "vco", params: { wave: "sine", freq: 375, level: 0.5 } }, // 128 samples: exactly one cycle
      pan: { type: "mixer", params: { pan1: 1 } }, // hard right: L is 0, R is the sine
      quiet: { type: "voice" }, // never gated
      out1: { type: "out" },
    },
    connections: [["sine", "pan.in1"], ["pan.L", "out1.L"], ["pan.R", "out1.R"]],
  });
  const c = patch.commit();
  c.commands.forEach((cmd, i) => host.push({ ...cmd, frame: 0, seq: i + 1 }));
  const id = (name: string) => patch.modules.get(name)!.id;
  for (let n = 0; n < 4; n++) {
    host.render(n);
    let right = 0;
    for (let i = 0; i < 128; i++) right = Math.max(right, Math.abs(host.out[i * L.CHANNELS + 1]));
    assert.ok(Math.abs(host.peaks[id("sine")] - 0.5) < 1e-3, `sine ${host.peaks[id("sine")]}`);
    assert.equal(host.peaks[id("pan")], right, "the mixer's peak is its loudest output's (R)");
    assert.equal(host.peaks[id("quiet")], 0);
  }
  // The level glides to 0 (5 ms smoothing) and lands exactly on it within 60 blocks (160 ms).
  host.push({ ...patch.setNow("sine", "level", 0), frame: 4 * 128, seq: 100 });
  for (let n = 4; n < 64; n++) host.render(n);
  assert.equal(host.peaks[id("sine")], 0, "a new block starts from 0");
});

Deno.test("vizVoices: voiceN in order of N; vizSpectrum: the seed's band meter", () => {
  assert.deepEqual(vizVoices(["voice10", "lead", "voice2", "voice1", "voicex"]), [
    "voice1",
    "voice2",
    "voice10",
  ]);
  const sr = 48000, n = 2048;
  const sine = (hz: number, a: number) => {
    const x = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) x[2 * i] = x[2 * i + 1] = a * Math.sin((2 * Math.PI * hz * i) / sr);
    return x;
  };
  // A 1 kHz sine of amplitude 0.01: its band passes it whole, mean |x| = 0.01·2/π, × 50 = 0.32.
  const s = vizSpectrum(sine(1000, 0.01), sr);
  assert.equal(s.length, VIZ_BANDS.length);
  assert.ok(Math.abs(s[4] - 0.318) < 0.02, `1 kHz band ${s[4]}`);
  for (const b of [0, 1, 2, 6, 7]) assert.ok(s[b] < 0.05, `band ${VIZ_BANDS[b]} Hz: ${s[b]}`);
  assert.deepEqual(vizSpectrum(sine(1000, 0.5), sr)[4], 1, "clipped to 1, as the seed's");
  assert.ok(vizSpectrum(new Float32Array(2 * n), sr).every((v) => v === 0));
});

Deno.test("--viz-port: /viz/levels (one per voice, the playing one above the silent) and /viz/spectrum", async () => {
  const listener = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (listener.addr as Deno.NetAddr).port;
  const engine = await Engine.start({
    lead: TEST_LEAD,
    patch: {
      modules: { voice1: voice, voice2: voice, voice3: voice, lead: voice, out1: { type: "out" } },
      connections: [["voice1", "out1.L"], ["voice2", "out1.L"], ["voice3", "out1.R"], ["lead", "out1.R"]],
    },
  });
  const viz = VizPush.start(engine, { port });
  engine.gate("voice2", true);
  const got = new Map<string, number[][]>();
  const deadline = performance.now() + 3000;
  try {
    while (performance.now() < deadline && (got.get("/viz/levels")?.length ?? 0) < 6) {
      const [bytes] = await listener.receive();
      const m = decode(Buffer.from(bytes)) as { address: string; args: ({ value: number } | number)[] };
      const values = m.args.map((a) => typeof a === "number" ? a : a.value);
      got.set(m.address, [...(got.get(m.address) ?? []), values]);
    }
  } finally {
    viz.close();
    listener.close();
    await engine.stop();
  }
  const levels = got.get("/viz/levels") ?? [];
  assert.ok(levels.length >= 6, `${levels.length} /viz/levels in 3 s`);
  const last = levels[levels.length - 1];
  assert.equal(last.length, 3, "one value per voiceN (lead is not one)");
  assert.ok(last[1] > 0.3 && last[1] <= 1, `voice2 plays: ${JSON.stringify(levels)}`);
  assert.deepEqual([last[0], last[2]], [0, 0], "voice1 and voice3 are silent");
  const spectrum = got.get("/viz/spectrum") ?? [];
  assert.ok(spectrum.length >= 5);
  for (const s of spectrum) assert.ok(s.length === 8 && s.every((v) => v >= 0 && v <= 1), `${s}`);
  assert.ok(spectrum[spectrum.length - 1].some((v) => v > 0.1), "the saw shows in the spectrum");
});
