// deno task render --replay LOG --out OUT.wav [--seconds T]: renders a session log offline, as fast as
// possible, through the same WASM as the live engine.
import { parseArgs } from "node:util";
import * as L from "../asm/layout.ts";
import { compileDsp } from "../engine/dsp_host.ts";
import { renderOffline } from "../engine/render.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { WavWriter } from "../engine/wav.ts";

const HELP = `Usage: deno task render --replay LOG.jsonl --out OUT.wav [--seconds T]

Renders a session log written by "deno task start --log LOG.jsonl" offline. Without --seconds it renders as
many frames as the live session played.`;

function fail(message: string): never {
  console.error(`render: ${message}`);
  Deno.exit(2);
}

if (import.meta.main) {
  let a;
  try {
    a = parseArgs({
      args: Deno.args,
      options: {
        replay: { type: "string" },
        out: { type: "string" },
        seconds: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (a.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  if (!a.replay || !a.out) fail("--replay LOG and --out OUT.wav are required (see --help)");
  let log;
  try {
    log = parseSessionLog(Deno.readTextFileSync(a.replay));
  } catch (e) {
    fail((e as Error).message);
  }
  const { sampleRate, block, seed } = log.settings;
  const frames = a.seconds !== undefined ? Math.round(Number(a.seconds) * sampleRate) : log.frames;
  if (frames === undefined || !Number.isFinite(frames) || frames < 0) {
    fail("the log has no end record (the session did not stop cleanly): give --seconds");
  }
  const module = await compileDsp();
  const t0 = performance.now();
  const samples = renderOffline(module, { sampleRate, block, seed }, log.commands, frames);
  const ms = performance.now() - t0;
  const wav = new WavWriter(a.out, sampleRate, L.CHANNELS);
  wav.write(samples);
  wav.close();
  const seconds = frames / sampleRate;
  console.error(
    `render: ${seconds.toFixed(2)} s of audio, ${log.commands.length} commands, in ${ms.toFixed(1)} ms ` +
      `(${(seconds * 1000 / ms).toFixed(0)}× real time) → ${a.out}`,
  );
}
