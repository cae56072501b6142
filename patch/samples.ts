// The engine's samples, control side: names → pool ids, loading a file from the samples directory into the
// pool (core/sample_pool.ts) and freeing one that no module names. The patch resolves a sampler's `sample`
// parameter through it (`set smp.sample break1`). Decoding runs here, on the control thread, never on the
// audio path: the DSP and output workers meet a sample only as bytes that were in the pool before any
// command named it (design §2: a command reaches a worker only through its ring, after the load returned).
import { createHash } from "node:crypto";
import { ClientError } from "../core/errors.ts";
import { checkName, DataDir } from "../core/sandbox.ts";
import { decodeSample } from "../core/sample_decode.ts";
import type { DecodedSample, SampleInfo, SamplePool } from "../core/sample_pool.ts";
import type { Patch } from "./graph.ts";
import type { PatchFile } from "../core/files.ts";
import { moduleDef } from "./schema.ts";
import { onsetSlices } from "../analysis/sample_slices.ts";

const NAME = /^[a-z][a-z0-9_]{0,31}$/i;

/** Sample loads a live engine decodes at once (the rest are refused: each holds its file in memory). */
export const MAX_LOADS_IN_FLIGHT = 2;

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
  #dir: DataDir;
  #area: "samples" | "";
  #patch: Patch;
  #sampleRate: number;
  #loading = new Set<string>(); // names whose decoding is under way
  /** Told of every sample loaded (the engine writes it to the session log). */
  onLoad?: (info: SampleInfo) => void;

  /** Loads into `pool` from `source` at the engine's `sampleRate`; resolves names for `patch`. */
  constructor(pool: SamplePool, source: SampleSource, patch: Patch, sampleRate: number) {
    this.pool = pool;
    this.#dir = new DataDir(source.root);
    this.#area = source.area;
    this.#patch = patch;
    this.#sampleRate = sampleRate;
    patch.sampleId = (name) => pool.idOf(name);
  }

  /**
   * Reads, decodes and places `file` (a name in the samples directory) as `name` (at pool id `options.id`
   * when given: a replay; with onset slices when `options.onsets`); throws ClientError with nothing changed for a bad name, a missing, unreadable or unsupported
   * file, or a full pool.
   */
  load(name: string, file: string, options: LoadOptions = {}): SampleInfo {
    const { rel, bytes, hash } = this.#read(name, file);
    const decoded = decodeSample(bytes, rel, this.#sampleRate);
    if (options.onsets) decoded.onsets = onsetSlices(decoded, this.#sampleRate);
    return this.#place(name, rel, hash, decoded, options.id);
  }

  /**
   * As load, with the decoding in `decoder` (the engine's sample worker, engine/sample_decoder.ts): the file
   * is read and checked here, decoded there, and placed here when it comes back. The name is held meanwhile.
   */
  async loadAsync(
    name: string,
    file: string,
    decoder: (bytes: Uint8Array, file: string, sampleRate: number, onsets: boolean) => Promise<DecodedSample>,
    options: LoadOptions = {},
  ): Promise<SampleInfo> {
    // Each load in flight holds its file and its decoding in memory: a client cannot queue more.
    if (this.#loading.size >= MAX_LOADS_IN_FLIGHT) {
      throw new ClientError(
        `busy: ${this.#loading.size} samples are loading (try again when one has answered)`,
      );
    }
    const { rel, bytes, hash } = this.#read(name, file);
    this.#loading.add(name);
    try {
      const decoded = await decoder(bytes, rel, this.#sampleRate, options.onsets ?? false);
      return this.#place(name, rel, hash, decoded);
    } finally {
      this.#loading.delete(name);
    }
  }

  // The checks and the read every load makes before decoding.
  #read(name: string, file: string): { rel: string; bytes: Uint8Array; hash: string } {
    if (!NAME.test(name)) {
      throw new ClientError(
        `Cannot load "${name}": a sample name is a letter then letters, digits or _ (≤ 32)`,
      );
    }
    if (this.pool.get(name) || this.#loading.has(name)) {
      throw new ClientError(`a sample "${name}" is loaded already (free it first)`);
    }
    const rel = checkName(file, "sample file");
    const path = this.#area ? `${this.#area}/${rel}` : rel;
    // The pool's free space is the cap: a bigger file cannot fit once decoded (4 bytes a sample, or more).
    const free = Math.max(this.pool.usage().free, 0);
    let bytes: Uint8Array;
    try {
      bytes = this.#dir.readBytes(path, free);
    } catch (e) {
      const over = /(\d+) bytes, over the cap/.exec((e as Error).message);
      throw over ? this.pool.fullError(Number(over[1]), true) : e;
    }
    return { rel, bytes, hash: createHash("sha256").update(bytes).digest("hex") };
  }

  #place(name: string, rel: string, hash: string, decoded: DecodedSample, id?: number): SampleInfo {
    const info = this.pool.place(name, rel, hash, decoded, undefined, id);
    this.onLoad?.(info);
    return info;
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
   * sample has is left out: it plays nothing), and a "samples" section with the file of each one named.
   */
  named(file: PatchFile): PatchFile {
    const used: Record<string, string> = {};
    const modules: PatchFile["modules"] = {};
    for (const [name, spec] of Object.entries(file.modules)) {
      const def = moduleDef(spec.type);
      const params = { ...spec.params };
      for (const p of def?.params ?? []) {
        if (p.unit !== "sample" || typeof params[p.name] !== "number") continue;
        const info = this.pool.list().find((s) => s.id === params[p.name]);
        if (info) {
          params[p.name] = info.name;
          used[info.name] = info.file;
        } else delete params[p.name];
      }
      modules[name] = spec.params ? { ...spec, params } : spec;
    }
    return Object.keys(used).length ? { ...file, samples: used, modules } : { ...file, modules };
  }

  /**
   * Loads the samples a patch file names that are not loaded yet (one already loaded under a name must come
   * from the same file) and returns their names; throws ClientError, having loaded none, when one cannot be.
   */
  loadFileSamples(file: PatchFile): string[] {
    const wanted = Object.entries(file.samples ?? {});
    for (const [name, f] of wanted) {
      const have = this.pool.get(name);
      if (have && have.file !== checkName(f, "sample file")) {
        throw new ClientError(`sample "${name}" is loaded from ${have.file}, not ${f} (free it first)`);
      }
    }
    const loaded: string[] = [];
    try {
      for (const [name, f] of wanted) {
        if (this.pool.get(name)) continue;
        this.load(name, f);
        loaded.push(name);
      }
    } catch (e) {
      this.unload(loaded);
      throw e;
    }
    return loaded;
  }

  /** Frees samples just loaded for something that was then refused (no module can name them yet). */
  unload(names: readonly string[]): void {
    for (const name of names) this.pool.free(name);
  }

  /** The engine's rate, which samples are resampled to. */
  get sampleRate(): number {
    return this.#sampleRate;
  }
}
