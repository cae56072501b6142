// The files the OSC routes read and write (patch files, pattern files, the schema, recordings), all inside the
// data directory (core/sandbox.ts), behind a small interface that tests replace with a Map. Paths here are
// relative to the data directory ("patches/mine.json") and checked by dataPath before they arrive. Failures
// become ClientErrors that name that relative path and never quote a file's content.
import { ClientError } from "../core/errors.ts";
import { DataDir, SANDBOX_LIMITS } from "../core/sandbox.ts";

export { DEFAULT_DATA_DIR } from "../core/sandbox.ts";

/** Reads and writes files inside the data directory (injected so tests can keep them in memory). */
export interface PatchFiles {
  /** The text of the regular file at `path`, at most `maxBytes`; throws when it cannot be read. */
  read(path: string, maxBytes: number): string;
  /** Writes `text` to `path`: a new file, or with `overwrite` a replaced one; throws. */
  write(path: string, text: string, overwrite: boolean): void;
  /** Names of the files in a directory ([] when it does not exist). */
  list(dir: string): string[];
  /** Creates `path` for another thread to write (the recorder) and returns the path that thread opens; throws. */
  reserve(path: string, overwrite: boolean): string;
}

/** Where /pattern/save and /pattern/load keep their files, inside the data directory. */
export const PATTERN_AREA = "patterns";

/** The data directory at `root` on the disk (core/sandbox.ts). */
export function diskFiles(root: string): PatchFiles {
  const d = new DataDir(root);
  return {
    read: (p, max) => d.readText(p, max),
    write: (p, t, overwrite) => d.writeText(p, t, overwrite),
    list: (p) => d.list(p),
    reserve: (p, overwrite) => d.reserve(p, overwrite),
  };
}

/** A ClientError as it is (it names the path already), anything else as one that names `path`. */
function named(verb: string, path: string, e: unknown): ClientError {
  return e instanceof ClientError ? e : new ClientError(`cannot ${verb} ${path}: ${(e as Error).message}`);
}

/**
 * Parses the JSON file at `path` (relative to the data directory), at most `maxBytes`; throws ClientError
 * naming the path. A parse error does not say where or what (V8's message quotes the text it could not read).
 */
export function readJson<T>(
  files: PatchFiles,
  path: string,
  maxBytes: number = SANDBOX_LIMITS.patchFileBytes,
): T {
  let text: string;
  try {
    text = files.read(path, maxBytes);
  } catch (e) {
    throw named("read", path, e);
  }
  return parseJson<T>(text, path);
}

/** Parses JSON that a client sent or a file held; throws ClientError `<what> is not valid JSON` without the text. */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text);
  } catch {
    throw new ClientError(`${what} is not valid JSON`);
  }
}

/** Writes `data` as indented JSON to `path`, a new file unless `overwrite`; throws ClientError naming the path. */
export function writeJson(files: PatchFiles, path: string, data: unknown, overwrite = false): void {
  try {
    files.write(path, JSON.stringify(data, null, 2) + "\n", overwrite);
  } catch (e) {
    throw named("write", path, e);
  }
}

/** The names of the JSON files in `dir`, without ".json", sorted; throws ClientError naming the directory. */
export function listJson(files: PatchFiles, dir: string): string[] {
  try {
    return files.list(dir).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)).sort();
  } catch (e) {
    throw named("list", dir, e);
  }
}

/** PatchFiles over a Map of path → text (tests, dry runs), with the disk's rules for replacing a file. */
export function memoryFiles(files: Map<string, string>): PatchFiles {
  const write = (p: string, t: string, overwrite: boolean) => {
    if (files.has(p) && !overwrite) {
      throw new ClientError(`${p} exists already (add overwrite to replace it)`);
    }
    files.set(p, t);
  };
  return {
    read: (p) => {
      const t = files.get(p);
      if (t === undefined) throw new ClientError(`cannot read ${p}: no such file`);
      return t;
    },
    write,
    list: (d) => [...files.keys()].filter((p) => p.startsWith(`${d}/`)).map((p) => p.slice(d.length + 1)),
    reserve: (p, overwrite) => {
      write(p, "", overwrite);
      return p;
    },
  };
}
