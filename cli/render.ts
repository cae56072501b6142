// deno task render: renders a session log (--replay), or a patch with an optional score (--patch, --score),
// offline and as fast as possible, through the same WASM as the live engine.
import { parseArgs } from "node:util";
import * as L from "../asm/layout.ts";
import { compileDsp } from "../core/dsp_host.ts";
import { renderOffline } from "../core/render.ts";
import { parseSessionLog } from "../engine/session_log.ts";
import { WavWriter } from "../core/wav.ts";
import type { StampedCommand } from "../core/command.ts";
import type { PatchFile } from "../core/files.ts";
import { DEFAULT_PATCH_URL, readPatchFile } from "../patch/default_patch.ts";
import { DEFAULT_DATA_DIR } from "../core/sandbox.ts";
import { envVoices, voiceCount } from "./flags.ts";
import { scoreCommands } from "./score.ts";
import { SamplePool } from "../core/sample_pool.ts";
import { decodeHere, SampleLibrary, sampleSource } from "../patch/samples.ts";
import { Patch } from "../patch/graph.ts";
import { writePlot } from "./render_plot.ts";
import { checkReadable } from "./permission_error.ts";
import { analyze } from "../analysis/analyze.ts";
import { describe } from "../analysis/describe.ts";

const HELP = `Usage: deno task render --replay LOG.jsonl --out OUT.wav [--seconds T]
       deno task render [--patch PATCH.json | --voices N] [--score SCORE] --out OUT.wav [--seconds T]
                        [--sample-rate HZ] [--block FRAMES] [--seed N] [--data-dir DIR]
                        [--samples DIR] [--sample-memory MB]
       … [--plot OUT.png] [--analyze [--json]]

--replay renders a session log written by "deno task start --log LOG.jsonl"; without --seconds it renders
as many frames as the live session played.
--patch loads a patch at frame 0 (default: patches/default.json when a score is given, with --voices N
or $CHRONUS_NUM_VOICES voices, 1…16, as "deno task start" has it) and --score plays a
score: the text command language of "deno task chronus", one command a line, prefixed by its time in
seconds ("0.0 set voice1.freq 220", "0.0 note voice1 C3 0.8 0.5", "1.5 patch lfo1 -> voice2.cutoff 1",
"# comment"). Without --seconds it renders until 2 s after the last event, or eight bars (and 2 s) of a
patch whose sequence is "playing". File names in a score (load, save, pattern save …) resolve in the data
directory (--data-dir, default ${DEFAULT_DATA_DIR}; docs/security.md), as a live engine's clients' do.
"sample load NAME FILE" in a score, a patch's "samples" and a replayed session's samples read FILE from the data directory's samples/,
or from --samples DIR; the sample pool holds at most --sample-memory MB (default 256).
--plot also writes a PNG of the whole render (waveform, spectrogram, loudness; docs/view.md), where --out may.
--analyze prints the listening report of the whole render after writing the WAV (docs/listening-live.md):
a few sentences, or with --json the report as JSON and nothing else on stdout.`;

// A score line that loads a sample (`0.5 sample load NAME FILE [onsets]`): its FILE is decoded ahead.
const SAMPLE_LOAD_LINE = /^\s*\S+\s+sample\s+load\s+\S+\s+(\S+)/gm;

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
        patch: { type: "string" },
        voices: { type: "string" },
        score: { type: "string" },
        "sample-rate": { type: "string", default: "48000" },
        block: { type: "string", default: "128" },
        seed: { type: "string", default: "1" },
        out: { type: "string" },
        plot: { type: "string" },
        seconds: { type: "string" },
        "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
        samples: { type: "string" },
        "sample-memory": { type: "string", default: "256" },
        help: { type: "boolean", default: false },
        analyze: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (a.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  if (
    !a.out || (a.replay && (a.patch || a.score)) ||
    (!a.replay && !a.patch && !a.score && a.voices === undefined)
  ) {
    fail("give --out OUT.wav and either --replay LOG or --patch FILE / --score FILE (see --help)");
  }
  let settings: { sampleRate: number; block: number; seed: number };
  let commands: StampedCommand[];
  let frames: number;
  let sequencerBpm: number | undefined; // the tempo of a patch's playing sequence, for --analyze
  let pool: SamplePool | undefined;
  try {
    if (a.samples !== undefined) checkReadable("--samples", a.samples);
    // Offline, every load happens before the first block renders: freed space is never reused (Infinity).
    pool = new SamplePool(Number(a["sample-memory"]), Infinity);
    if (a.replay) {
      const log = parseSessionLog(Deno.readTextFileSync(a.replay));
      const { sampleRate, block, seed } = log.settings;
      settings = { sampleRate, block, seed };
      commands = log.commands;
      // The session's samples, at the ids its commands carry, from --samples or the data directory's samples/.
      const samples = new SampleLibrary(
        pool,
        sampleSource(a["data-dir"], a.samples),
        new Patch(),
        sampleRate,
      );
      const names = new Set<string>();
      for (const [k, s] of log.samples.entries()) {
        // A name freed and loaded again is logged twice, at two ids: the replay needs only the ids, so the
        // second goes under a name of its own.
        let name = s.name;
        for (let n = 0; names.has(name); n++) name = `r${s.id}_${n}`;
        names.add(name);
        const got = await samples.loadAsync(name, s.file, decodeHere(pool.memory), {
          id: s.id,
          onsets: s.onsets,
        }).catch((e: Error) => {
          if (log.samples.findIndex((o) => o.id === s.id) < k) {
            fail(
              `sample ${s.name}: the session loaded it at id ${s.id} after freeing another sample there (255 loads later); a replay loads every sample up front and cannot render that session`,
            );
          }
          throw e;
        });
        if (got.hash !== s.hash) {
          fail(`sample ${s.name}: ${s.file} is not the file the session loaded (its hash differs)`);
        }
      }
      const f = a.seconds !== undefined ? Math.round(Number(a.seconds) * sampleRate) : log.frames;
      if (f === undefined) {
        fail("the log has no end record (the session did not stop cleanly): give --seconds");
      }
      frames = f;
    } else {
      settings = { sampleRate: Number(a["sample-rate"]), block: Number(a.block), seed: Number(a.seed) };
      if (a.patch && a.voices !== undefined) fail("--voices sizes the default patch: leave out --patch");
      const file: PatchFile = a.patch
        ? readPatchFile({ file: a.patch })
        : readPatchFile({ file: DEFAULT_PATCH_URL, voices: voiceCount(a.voices, envVoices()) });
      const score = a.score ? Deno.readTextFileSync(a.score) : "";
      // The patch's samples first, and the files the score's `sample load` lines name decoded ahead: the
      // score runs synchronously, the decoders of FLAC, MP3 and Ogg do not (core/sample_formats.ts).
      const source = sampleSource(a["data-dir"], a.samples), decoded = new Map();
      const ahead = new SampleLibrary(pool, source, new Patch(), settings.sampleRate, decoded);
      await ahead.loadFileSamplesAsync(file, decodeHere(pool.memory));
      await ahead.decodeAhead([...score.matchAll(SAMPLE_LOAD_LINE)].map((m) => m[1]));
      commands = scoreCommands(file, score, settings.sampleRate, settings.block, a["data-dir"], {
        pool,
        source,
        decoded,
      });
      const last = commands.reduce((m, c) => Math.max(m, c.frame), 0);
      // A playing sequence renders eight bars (and the tail), unless --seconds says otherwise.
      const seq = file.sequence?.playing ? file.sequence : undefined;
      if (seq) sequencerBpm = seq.bpm ?? 120;
      const bars = seq ? Math.round((8 * 4 * 60 * settings.sampleRate) / (seq.bpm ?? 120)) : 0;
      frames = a.seconds !== undefined
        ? Math.round(Number(a.seconds) * settings.sampleRate)
        : Math.max(last, bars) + 2 * settings.sampleRate;
    }
  } catch (e) {
    fail((e as Error).message);
  }
  const { sampleRate } = settings;
  if (!Number.isFinite(frames) || frames < 0) fail(`--seconds ${a.seconds} is not a duration`);
  const module = await compileDsp();
  const t0 = performance.now();
  let samples: Float32Array;
  try {
    samples = renderOffline(module, settings, commands, frames, pool?.memory);
  } catch (e) {
    fail((e as Error).message);
  }
  const ms = performance.now() - t0;
  const wav = new WavWriter(a.out, sampleRate, L.CHANNELS);
  wav.write(samples);
  wav.close();
  if (a.plot) writePlot(a.plot, samples, sampleRate, a.out, fail);
  const seconds = frames / sampleRate;
  console.error(
    `render: ${seconds.toFixed(2)} s of audio, ${commands.length} commands, in ${ms.toFixed(1)} ms ` +
      `(${(seconds * 1000 / ms).toFixed(0)}× real time) → ${a.out}`,
  );
  if (a.analyze) {
    const report = analyze(samples, { sampleRate, ...(sequencerBpm !== undefined ? { sequencerBpm } : {}) });
    console.log(a.json ? JSON.stringify(report) : describe(report));
  }
}
