// The engine's samples, control side: names → pool ids, loading a file from the samples directory into the
// pool (core/sample_pool.ts) and freeing one that no module names. The patch resolves a sampler's `sample`
// parameter through it (`set smp.sample break1`). A live engine decodes in its sample worker, which also
// writes the data into a range of the pool reserved here (a SampleLoader: engine/sample_decoder.ts); this
// thread then only writes the table entry and hands out the id. An offline score decodes WAV here (load). The
// DSP and output workers meet a sample only as bytes that were in the pool before any command named it
// (design §2: a command reaches a worker only through its ring, after the load returned).
import { ClientError } from "../core/errors.ts";
import { checkName } from "../core/sandbox.ts";
import { decodeSample, decodeSampleAsync, readSampleFile, type SampleJob } from "../core/sample_decode.ts";
import {
  type DecodedSample,
  mipLevels,
  type Range,
  sampleBytes,
  type SampleInfo,
  type SamplePool,
  writeSampleData,
  type WrittenSample,
} from "../core/sample_pool.ts";
import type { Patch } from "./graph.ts";
import type { PatchFile, SampleFileEntry } from "../core/files.ts";
import { moduleDef } from "./schema.ts";
import { onsetSlices } from "../analysis/sample_slices.ts";

const NAME = /^[a-z][a-z0-9_]{0,31}$/i;

/** Sample loads a live engine decodes at once (the rest are refused: each holds its file in memory). */
export const MAX_LOADS_IN_FLIGHT = 2;

/**
 * Reads a sample file (core/sample_decode.ts readSampleFile), decodes it and writes its data into the pool at
 * a range `reserve` gives for the bytes it needs (SamplePool.reserve); answers with the file's hash: the
 * engine's sample worker (Engine.decodeSample), or decodeHere.
 */
export type SampleLoader = (
  job: SampleJob,
  reserve: (bytes: number) => Range,
) => Promise<{ sample: WrittenSample; hash: string }>;

/**
 * A SampleLoader on this thread, for `memory` (the pool's): any format (core/sample_decode.ts
 * decodeSampleAsync), the copy here. What an engine's start and an offline render use, before anything plays.
 */
export function decodeHere(memory: WebAssembly.Memory): SampleLoader {
  return async (job, reserve) => {
    const { bytes, hash } = readSampleFile(job);
    const s = await decodeSampleAsync(bytes, job.file, job.sampleRate, job.room);
    const onsets = job.onsets ? onsetSlices(s, job.sampleRate) : [];
    const levels = mipLevels(s);
    const range = reserve(sampleBytes(levels, onsets));
    return { sample: writeSampleData(memory, range, s, levels, onsets), hash };
  };
}

/** A patch file's sample entry read: its file and whether it loads with onset slices; ClientError when malformed. */
export function sampleEntry(name: string, entry: SampleFileEntry): { file: string; onsets: boolean } {
  if (typeof entry === "string") return { file: entry, onsets: false };
  if (
    typeof entry === "object" && entry !== null && !Array.isArray(entry) && typeof entry.file === "string" &&
    (entry.onsets === undefined || typeof entry.onsets === "boolean")
  ) {
    return { file: entry.file, onsets: entry.onsets ?? false };
  }
  throw new ClientError(
    `sample "${name}": give a file name, or {"file": NAME, "onsets": true} (its attacks as its slices)`,
  );
}

/** A sample decoded and written into the pool, waiting to be published under its name (or discarded). */
export interface PreparedSample {
  /** Its name (held while it waits). */
  name: string;
  /** Its file, relative to the samples directory. */
  file: string;
  /** SHA-256 of the file's bytes. */
  hash: string;
  /** Its data in the pool. */
  written: WrittenSample;
  /** The id it must take (a replay). */
  id?: number;
}

/** How a sample loads besides its name and file. */
export interface LoadOptions {
  /** The pool id it must take (a replay gives the session's). */
  id?: number;
  /** Find its onsets and store them as its slices (analysis/sample_slices.ts). */
  onsets?: boolean;
}

/** Where sample files come from: the data directory's samples/, or the directory --samples names. */
export interface SampleSource {
  /** The directory names resolve in (the sandbox's root). */
  root: string;
  /** "samples" when root is the data directory; "" when root is a --samples directory itself. */
  area: "samples" | "";
}

/** The sample source of a data directory, or of `--samples DIR` when given. */
export function sampleSource(dataDir: string, samplesDir?: string): SampleSource {
  return samplesDir !== undefined ? { root: samplesDir, area: "" } : { root: dataDir, area: "samples" };
}

/** The samples of one engine (or score). */
export class SampleLibrary {
  /** The pool every DSP instance imports. */
  readonly pool: SamplePool;
  #root: string;
  #area: "samples" | "";
  #patch: Patch;
  #sampleRate: number;
  #loading = new Set<string>(); // names whose decoding is under way or that wait to be published
  #decoding = 0; // loads in their loader
  #decoded: Map<string, DecodedSample>; // SHA-256 of a file → its decoding, made ahead (decodeAhead)
  /** Told of every sample loaded (the engine writes it to the session log). */
  onLoad?: (info: SampleInfo) => void;

  /**
   * Loads into `pool` from `source` at the engine's `sampleRate`; resolves names for `patch`. `decoded`: files
   * decoded ahead (decodeAhead), which the synchronous load takes instead of decoding WAV only.
   */
  constructor(
    pool: SamplePool,
    source: SampleSource,
    patch: Patch,
    sampleRate: number,
    decoded: Map<string, DecodedSample> = new Map(),
  ) {
    this.#decoded = decoded;
    this.pool = pool;
    this.#root = source.root;
    this.#area = source.area;
    this.#patch = patch;
    this.#sampleRate = sampleRate;
    patch.sampleId = (name) => pool.idOf(name);
  }

  /**
   * Reads, decodes and places a WAV `file` (a name in the samples directory) as `name` on this thread (at pool
   * id `options.id` when given: a replay; with onset slices when `options.onsets`): an offline score's
   * synchronous path. Throws ClientError with nothing changed for a bad name, a missing, unreadable or
   * unsupported file, or a full pool.
   */
  load(name: string, file: string, options: LoadOptions = {}): SampleInfo {
    const { rel, path } = this.#check(name, file);
    const { bytes, hash } = readSampleFile({ root: this.#root, path, room: this.#room() });
    const ahead = this.#decoded.get(hash);
    const decoded = ahead ? { ...ahead } : decodeSample(bytes, rel, this.#sampleRate);
    if (options.onsets) decoded.onsets = onsetSlices(decoded, this.#sampleRate);
    const info = this.pool.place(name, rel, hash, decoded, undefined, options.id);
    this.onLoad?.(info);
    return info;
  }

  /**
   * As load, any format, with the decoding and the copy in `loader` (the engine's sample worker,
   * engine/sample_decoder.ts; decodeHere): the file is read and checked here, decoded and written there, and
   * published here when it comes back. The name is held meanwhile.
   */
  async loadAsync(
    name: string,
    file: string,
    loader: SampleLoader,
    options: LoadOptions = {},
  ): Promise<SampleInfo> {
    return this.publish(await this.prepare(name, file, loader, options));
  }

  /**
   * The first half of loadAsync: the file decoded and written into a reserved range of the pool, its name
   * held, no id yet; publish or discard it. Rejects with ClientError, nothing changed, when it cannot be.
   */
  async prepare(
    name: string,
    file: string,
    loader: SampleLoader,
    options: LoadOptions = {},
  ): Promise<PreparedSample> {
    // Each load in flight holds its file and its decoding in memory: a client cannot queue more.
    if (this.#decoding >= MAX_LOADS_IN_FLIGHT) {
      throw new ClientError(
        `busy: ${this.#decoding} samples are loading (try again when one has answered)`,
      );
    }
    const { rel, path } = this.#check(name, file);
    this.#loading.add(name);
    this.#decoding++;
    let range: Range | undefined;
    try {
      const job: SampleJob = {
        root: this.#root,
        path,
        file: rel,
        sampleRate: this.#sampleRate,
        onsets: options.onsets ?? false,
        room: this.#room(),
      };
      const { sample, hash } = await loader(job, (n) => range = this.pool.reserve(n));
      return {
        name,
        file: rel,
        hash,
        written: sample,
        ...(options.id !== undefined ? { id: options.id } : {}),
      };
    } catch (e) {
      this.#loading.delete(name);
      // The loader failed after the pool gave it a range: nothing names it, and the worker that had it has
      // stopped writing (it answered, or was ended: engine/sample_decoder.ts), so it is free at once.
      if (range) this.pool.release(range);
      throw e;
    } finally {
      this.#decoding--;
    }
  }

  /** Publishes a prepared sample under its name (its table entry, then its id); ClientError, discarded, if it cannot. */
  publish(p: PreparedSample): SampleInfo {
    this.#loading.delete(p.name);
    let info: SampleInfo;
    try {
      info = this.pool.publish(p.name, p.file, p.hash, p.written, p.id);
    } catch (e) {
      this.pool.release(p.written.range);
      throw e;
    }
    this.onLoad?.(info);
    return info;
  }

  /** Drops a prepared sample: its range returns to the pool, its name is free again. */
  discard(p: PreparedSample): void {
    this.#loading.delete(p.name);
    this.pool.release(p.written.range);
  }

  // The checks every load makes before its file is read (where: load here, a SampleLoader for prepare).
  #check(name: string, file: string): { rel: string; path: string } {
    if (!NAME.test(name)) {
      throw new ClientError(
        `Cannot load "${name}": a sample name is a letter then letters, digits or _ (≤ 32)`,
      );
    }
    if (this.pool.get(name) || this.#loading.has(name)) {
      throw new ClientError(`a sample "${name}" is loaded already (free it first)`);
    }
    const rel = checkName(file, "sample file");
    return { rel, path: this.#area ? `${this.#area}/${rel}` : rel };
  }

  // The pool's room now: a file is read up to its free bytes, a compressed one decoded up to them.
  #room(): { free: number; capacity: number } {
    return { free: Math.max(this.pool.usage().free, 0), capacity: this.pool.capacity };
  }

  /** Frees `name`; refused (ClientError) while a module's `sample` parameter names it. */
  free(name: string): SampleInfo {
    const info = this.pool.get(name);
    if (!info) this.pool.idOf(name); // throws, naming the loaded ones
    const users = [...this.#patch.modules.values()].filter((m) =>
      m.type === "sampler" && m.params.sample === info!.id
    );
    if (users.length > 0) {
      throw new ClientError(
        `Cannot free "${name}": ${users.map((m) => m.name).join(", ")} play${
          users.length > 1 ? "" : "s"
        } it ` +
          `(set their sample to another first)`,
      );
    }
    return this.pool.free(name);
  }

  /** Every loaded sample, by id. */
  list(): SampleInfo[] {
    return this.pool.list();
  }

  /** The name of a pool id, for saving a patch ("" for none). */
  nameOf(id: number): string {
    return this.pool.list().find((s) => s.id === id)?.name ?? "";
  }

  /**
   * `file` as a saved patch should name its samples: each `sample` parameter as the sample's name (an id no
   * sample has is left out: it plays nothing), and a "samples" section with the file of each one named
   * (`{"file": …, "onsets": true}` for one loaded with onset slices, so a reload finds the same slices).
   */
  named(file: PatchFile): PatchFile {
    const used: Record<string, SampleFileEntry> = {};
    const modules: PatchFile["modules"] = {};
    for (const [name, spec] of Object.entries(file.modules)) {
      const def = moduleDef(spec.type);
      const params = { ...spec.params };
      for (const p of def?.params ?? []) {
        if (p.unit !== "sample" || typeof params[p.name] !== "number") continue;
        const info = this.pool.list().find((s) => s.id === params[p.name]);
        if (info) {
          params[p.name] = info.name;
          used[info.name] = info.slices > 0 ? { file: info.file, onsets: true } : info.file;
        } else delete params[p.name];
      }
      modules[name] = spec.params ? { ...spec, params } : spec;
    }
    return Object.keys(used).length ? { ...file, samples: used, modules } : { ...file, modules };
  }

  /**
   * The samples a patch file names that are not loaded yet, read ([name, file, onsets]); throws ClientError
   * for a malformed entry or a name loaded from another file (free it first).
   */
  missing(file: PatchFile): [string, string, boolean][] {
    const out: [string, string, boolean][] = [];
    for (const [name, entry] of Object.entries(file.samples ?? {})) {
      const { file: f, onsets } = sampleEntry(name, entry);
      const have = this.pool.get(name);
      if (have && have.file !== checkName(f, "sample file")) {
        throw new ClientError(`sample "${name}" is loaded from ${have.file}, not ${f} (free it first)`);
      }
      if (!have) out.push([name, f, onsets]);
    }
    return out;
  }

  /**
   * Loads the samples a patch file names that are not loaded yet, on this thread (WAV: an offline score), and
   * returns their names; throws ClientError, having loaded none, when one cannot be.
   */
  loadFileSamples(file: PatchFile): string[] {
    const loaded: string[] = [];
    try {
      for (const [name, f, onsets] of this.missing(file)) {
        this.load(name, f, { onsets });
        loaded.push(name);
      }
    } catch (e) {
      this.unload(loaded);
      throw e;
    }
    return loaded;
  }

  /**
   * As loadFileSamples, any format, each decoded and written by `loader` one after the other, then all
   * published at once: until then no name is visible, and when one is refused none is (all or nothing).
   */
  async loadFileSamplesAsync(file: PatchFile, loader: SampleLoader): Promise<string[]> {
    const prepared: PreparedSample[] = [];
    try {
      for (const [name, f, onsets] of this.missing(file)) {
        prepared.push(await this.prepare(name, f, loader, { onsets }));
      }
    } catch (e) {
      for (const p of prepared) this.discard(p);
      throw e;
    }
    const loaded: string[] = [];
    try {
      for (const p of prepared.splice(0)) {
        loaded.push(this.publish(p).name);
      }
    } catch (e) {
      for (const p of prepared) this.discard(p);
      this.unload(loaded);
      throw e;
    }
    return loaded;
  }

  /** Frees samples just loaded for something that was then refused (no module can name them yet). */
  unload(names: readonly string[]): void {
    for (const name of names) this.pool.free(name);
  }

  /**
   * Decodes `files` (names in the samples directory; any format) ahead, into the map the synchronous load
   * takes them from by their content's hash: how an offline score's `sample load` lines read FLAC, MP3 and
   * Ogg (cli/render.ts). A file that cannot be read is left for its load to refuse.
   */
  async decodeAhead(files: readonly string[]): Promise<void> {
    for (const file of files) {
      let read;
      try {
        const rel = checkName(file, "sample file");
        read = readSampleFile({
          root: this.#root,
          path: this.#area ? `${this.#area}/${rel}` : rel,
          room: this.#room(),
        });
      } catch {
        continue; // its load says why, at its line
      }
      if (this.#decoded.has(read.hash)) continue;
      try {
        this.#decoded.set(
          read.hash,
          await decodeSampleAsync(read.bytes, file, this.#sampleRate, this.#room()),
        );
      } catch {
        continue; // as above: decodeSample refuses it, naming the file, when the line loads it
      }
    }
  }

  /** The engine's rate, which samples are resampled to. */
  get sampleRate(): number {
    return this.#sampleRate;
  }
}
