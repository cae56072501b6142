// The files the OSC routes read and write (patch files, pattern files), behind a small interface that tests
// replace with a Map. Failures become ClientErrors that name the path, so a bad path is an /error reply.
import { ClientError } from "../core/errors.ts";

/** Reads and writes patch and pattern files (injected so tests can keep them in memory). */
export interface PatchFiles {
  /** The text of the file at `path`; throws when it cannot be read. */
  read(path: string): string;
  /** Writes `text` to `path`, replacing the file (creating the pattern directory if needed); throws. */
  write(path: string, text: string): void;
  /** Names of the files in a directory ([] when it does not exist). */
  list(dir: string): string[];
}

/** Where /pattern/save and /pattern/load keep their files (relative paths: the engine's directory). */
export const DEFAULT_PATTERN_DIR = "patterns";

/** The real file system; the pattern directory is created on its first save. */
export function diskFiles(patternDir: string): PatchFiles {
  return {
    read: (p) => Deno.readTextFileSync(p),
    write: (p, t) => {
      const dir = p.slice(0, p.lastIndexOf("/"));
      if (dir && dir === patternDir) Deno.mkdirSync(dir, { recursive: true });
      Deno.writeTextFileSync(p, t);
    },
    list: (d) => {
      try {
        return [...Deno.readDirSync(d)].filter((e) => e.isFile).map((e) => e.name);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return [];
        throw e;
      }
    },
  };
}

/** Parses a JSON file; throws ClientError naming the path. */
export function readJson<T>(files: PatchFiles, path: string): T {
  try {
    return JSON.parse(files.read(path));
  } catch (e) {
    throw new ClientError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Writes `data` as indented JSON; throws ClientError naming the path. */
export function writeJson(files: PatchFiles, path: string, data: unknown): void {
  try {
    files.write(path, JSON.stringify(data, null, 2) + "\n");
  } catch (e) {
    throw new ClientError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** The names of the JSON files in `dir`, without ".json", sorted; throws ClientError naming the directory. */
export function listJson(files: PatchFiles, dir: string): string[] {
  try {
    return files.list(dir).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)).sort();
  } catch (e) {
    throw new ClientError(`cannot list ${dir}: ${(e as Error).message}`);
  }
}
