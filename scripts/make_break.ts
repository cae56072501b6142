// Writes the break that examples/break-174.json chops: two bars at 174 BPM played by the engine's own kick,
// snare and hat through the same WASM the live engine runs (never a third-party recording), rendered offline
// to a mono 24-bit WAV in the data directory's samples/ (default chronus-data/samples/break174.wav).
//   deno run -A scripts/make_break.ts [--data-dir DIR]
import { parseArgs } from "node:util";
import { compileDsp } from "../core/dsp_host.ts";
import type { PatchFile } from "../core/files.ts";
import { renderOffline } from "../core/render.ts";
import { DEFAULT_DATA_DIR } from "../core/sandbox.ts";
import { WavWriter } from "../core/wav.ts";
import { scoreCommands } from "../cli/score.ts";

/** The tempo the break is played at, and the bars it lasts (the example slices it into 16 steps a bar). */
export const BREAK_BPM = 174;
/** Bars in the break. */
export const BREAK_BARS = 2;

/** The drum kit and the two bars it plays. */
export const BREAK_PATCH: PatchFile = {
  modules: {
    kick1: { type: "kick", params: { freq: 52, decay: 260, click: 0.7, drive: 0.4, level: 0.95 } },
    snare1: { type: "snare", params: { freq: 200, decay: 120, snappy: 0.9, noisedecay: 170, level: 0.85 } },
    hat1: { type: "hat", params: { level: 0.5 } },
    drums: { type: "mixer", params: { level1: 1, level2: 0.9, level3: 0.6, master: 1 } },
    out1: { type: "out" },
  },
  connections: [["kick1", "drums.in1"], ["snare1", "drums.in2"], ["hat1", "drums.in3"], [
    "drums.L",
    "out1.L",
  ]],
  sequence: {
    bpm: BREAK_BPM,
    playing: true,
    tracks: {
      kick: { modules: ["kick1"], pattern: "x.x.......x..... ..x.......x....." },
      snare: { modules: ["snare1"], pattern: "....X..x.x..X..x .x..X..x.x..X..." },
      hat: { modules: ["hat1"], pattern: "x.x.x.x.x.x.x.x. x.x.x.x.x.x.x.xx" },
    },
  },
};

if (import.meta.main) {
  const a =
    parseArgs({ args: Deno.args, options: { "data-dir": { type: "string", default: DEFAULT_DATA_DIR } } })
      .values;
  const sampleRate = 48000;
  const frames = Math.round((BREAK_BARS * 4 * 60 * sampleRate) / BREAK_BPM);
  const commands = scoreCommands(BREAK_PATCH, "", sampleRate, 128);
  const stereo = renderOffline(await compileDsp(), { sampleRate, block: 128, seed: 1 }, commands, frames);
  const mono = new Float32Array(frames).map((_, i) => stereo[2 * i]);
  const dir = `${a["data-dir"]}/samples`;
  Deno.mkdirSync(dir, { recursive: true });
  const w = new WavWriter(`${dir}/break174.wav`, sampleRate, 1, { format: "pcm24" });
  w.write(mono);
  w.close();
  console.error(
    `make_break: ${frames} frames (${BREAK_BARS} bars at ${BREAK_BPM} BPM) → ${dir}/break174.wav`,
  );
}
