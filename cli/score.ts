// Scores: the text command language (cli/language.ts) with a time in seconds in front of each line
// ("0.000 set voice1.freq 220", "0.5 note voice1 C3 0.8 0.25", "# comment"). Offline, each line goes through
// the same OSC router as live messages, against an engine stand-in that stamps commands at the line's frame:
// a score renders exactly what `deno task chronus play` would send.
import type { Command, StampedCommand } from "../core/command.ts";
import type { CommandReply } from "../engine/supervisor.ts";
import { type EngineStatus, outputGainCommand } from "../engine/engine.ts";
import { ClientError } from "../core/errors.ts";
import { type Commit, Patch } from "../patch/graph.ts";
import type { PatchFile } from "../core/files.ts";
import { type OscEngine, OscRouter } from "../osc/router.ts";
import { Sequencer } from "../sequencer/sequencer.ts";
import { History } from "../sequencer/history.ts";
import { Instrument } from "../patch/instrument.ts";
import { translate } from "./language.ts";
import { SampleLibrary, type SampleSource } from "../patch/samples.ts";
import type { DecodedSample, SamplePool } from "../core/sample_pool.ts";

/** A score's sample pool, where its files come from, and the files decoded ahead (SampleLibrary.decodeAhead). */
export interface ScorePool {
  /** The pool the offline render plays. */
  pool: SamplePool;
  /** Where `sample load` reads. */
  source: SampleSource;
  /** Files decoded ahead by their content's SHA-256 (any format); the rest decode at their line (WAV). */
  decoded?: Map<string, DecodedSample>;
}

/** Stamps what the router sends at the current line's frame (also the router's stand-in engine in tests). */
export class ScoreEngine implements OscEngine {
  /** The patch the score's lines stage and commit, as a live engine's. */
  readonly patch = new Patch();
  /** Voice groups and the scale, as a live engine's. */
  readonly instrument: Instrument;
  /** The sequencer's control side over that patch. */
  readonly sequencer: Sequencer;
  /** The score's edits, for undo, redo and history. */
  readonly history: History = new History();
  /** Everything sent so far, stamped, in sending order: what the offline render plays. */
  readonly commands: StampedCommand[] = [];
  /** The frame of the line being handled: what a command sent without a frame is stamped with. */
  frame = 0;
  /** The samples a score loads (`sample load …`), when it renders with a pool. */
  readonly samples?: SampleLibrary;
  #seq = 0;
  /**
   * A stand-in at `sampleRate` Hz with blocks of `block` frames, at frame 0 with nothing sent; with `pool`,
   * `sample load` reads from `source` into it (the offline render plays that pool).
   */
  constructor(
    readonly sampleRate: number,
    readonly block: number,
    pool?: ScorePool,
  ) {
    this.instrument = new Instrument(this.patch, sampleRate);
    this.sequencer = new Sequencer(this.patch, this.instrument);
    if (pool) this.samples = new SampleLibrary(pool.pool, pool.source, this.patch, sampleRate, pool.decoded);
  }

  /** Stamps a command at `frame` (default: the current line's) with the next sequence number; returns it. */
  send(cmd: Command, frame?: number): number {
    this.commands.push({ ...cmd, seq: ++this.#seq, frame: frame ?? this.frame });
    return this.#seq;
  }

  /** Stamps commands at one frame and accepts them at once (nothing fails offline); returns the first seq. */
  sendBatch(cmds: readonly Command[], frame?: number, reply?: CommandReply): number {
    const first = this.#seq + 1;
    for (const c of cmds) this.send(c, frame);
    reply?.accepted?.(frame ?? this.frame);
    return first;
  }

  /** /engine/stop in a score: the output fades to silence and the sequencer stops, as a live engine's. */
  pauseOutput(): void {
    this.sendBatch([outputGainCommand(0, this.sampleRate), ...this.sequencer.stop()]);
  }

  /** /engine/start in a score: the output fades back in (the sequencer stays stopped). */
  resumeOutput(): void {
    this.send(outputGainCommand(1, this.sampleRate));
  }

  /** Commits the patch's staged transaction and stamps its commands at one frame. */
  commit(frame?: number): Commit {
    const c = this.patch.commit();
    this.sendBatch([...c.commands, ...this.instrument.declare()], frame);
    return c;
  }

  /** Always throws ClientError: a score has no live status. */
  status(): EngineStatus {
    throw new ClientError("status, list and schema answer a live engine, not a score");
  }

  /** Always null: a score has no position to report. */
  sequencePosition(): null {
    return null; // a score has no "now"
  }

  /** The current line's frame: offline, "as soon as possible" is the line's own time. */
  asap(): number {
    return this.frame;
  }

  #noRecording(): never {
    throw new ClientError("recording records a live engine; a score renders to a file already");
  }

  /** Always throws ClientError: a score renders to a file already. */
  startRecording(): never {
    this.#noRecording();
  }

  /** Always throws ClientError: a score renders to a file already. */
  stopRecording(): never {
    this.#noRecording();
  }

  /** Always throws ClientError: a score renders to a file already. */
  stopRecordings(): never {
    this.#noRecording();
  }

  /** Always throws ClientError: a score renders to a file already. */
  checkRecording(): never {
    this.#noRecording();
  }

  /** Always throws ClientError: a score renders to a file already. */
  recordingStatus(): never {
    this.#noRecording();
  }
}

/**
 * The stamped commands of a patch (and its sequence) loaded at frame 0 and a score; throws ClientError naming
 * the line. The score's file names (load, save, pattern …) resolve in the data directory `dataDir`
 * (core/sandbox.ts), as a live engine's clients' do; `sample load` lines and the patch's `samples` load into
 * `pool` when given (WAV: a patch's samples of other formats must be in the pool already, as cli/render.ts
 * loads them).
 */
export function scoreCommands(
  file: PatchFile,
  text: string,
  sampleRate: number,
  block: number,
  dataDir?: string,
  pool?: ScorePool,
): StampedCommand[] {
  const e = new ScoreEngine(sampleRate, block, pool);
  if (Object.keys(file.samples ?? {}).length > 0) {
    if (!e.samples) throw new ClientError("the patch names samples, but this render has no sample pool");
    e.samples.loadFileSamples(file); // those already in the pool (cli/render.ts loads them first) stay
  }
  e.patch.load(file);
  e.instrument.load(file);
  e.commit(0);
  if (file.sequence) e.sendBatch(e.sequencer.load(file.sequence), 0);
  const router = new OscRouter(e, undefined, dataDir);
  router.author = "score";
  const lines = text.split("\n").map((raw, i) => ({ raw, n: i + 1 }));
  const timed = lines.flatMap(({ raw, n }) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return [];
    const m = /^(\d+(?:\.\d*)?|\.\d+)\s+(.+)$/.exec(line);
    if (!m) throw new ClientError(`score line ${n}: expected "SECONDS COMMAND", got "${raw.trim()}"`);
    return [{ t: Number(m[1]), command: m[2], n }];
  });
  timed.sort((a, b) => a.t - b.t || a.n - b.n);
  for (const { t, command, n } of timed) {
    e.frame = Math.round(t * sampleRate);
    let messages;
    try {
      messages = translate(command).messages;
    } catch (err) {
      throw new ClientError(`score line ${n}: ${(err as Error).message}`);
    }
    for (const [address, ...args] of messages) {
      for (const r of router.handle(address, args, { frame: e.frame })) {
        if (r.address === "/error") throw new ClientError(`score line ${n}: ${r.args[0]}: ${r.args[1]}`);
      }
    }
  }
  return e.commands;
}
