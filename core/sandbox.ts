// The data directory: the one place a client (OSC, the engine's stdin, a score) may name a file in. Every
// name a client gives is checked as text first (relative, no "..", no NUL, short enough), then resolved on
// the disk with every symlink followed, and refused when it leaves the directory. Reads take regular files
// only, up to a cap, so a FIFO, a device or /proc cannot block or flood the main thread; writes create new
// files unless the message says "overwrite". Errors name the path relative to the data directory and never
// quote a file's content (docs/security.md). The engine's own flags (--patch, --out, --record, --log) are the
// user's and do not come through here.
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ClientError } from "./errors.ts";

/** The subdirectories of the data directory, each created on its first use. */
export const DATA_AREAS = ["patches", "patterns", "recordings", "samples", "plots", "sessions"] as const;

/** One of the data directory's subdirectories. */
export type DataArea = (typeof DATA_AREAS)[number];

/** The data directory when --data-dir is not given: chronus-data in the engine's current directory. */
export const DEFAULT_DATA_DIR = "chronus-data";

/** The sandbox's limits (docs/security.md lists them). */
export const SANDBOX_LIMITS = {
  /** Characters in a whole client-given name. */
  nameChars: 512,
  /** Characters in one segment of it (what most file systems allow). */
  segmentChars: 255,
  /** Directories deep below an area. */
  depth: 8,
  /** Bytes of a patch or pattern file that a client may have the engine read. */
  patchFileBytes: 4 * 1024 * 1024,
} as const;

/**
 * Checks a client-given name and returns it normalized ("live/set.json"): relative, without "..", NUL or
 * backslashes, at most SANDBOX_LIMITS long; throws ClientError in plain words (the name is quoted only when
 * short, as JSON, so control characters cannot reach a terminal).
 */
export function checkName(name: unknown, what = "file"): string {
  if (typeof name !== "string" || name.trim() === "") throw new ClientError(`the ${what} name is empty`);
  if (name.length > SANDBOX_LIMITS.nameChars) {
    throw new ClientError(
      `the ${what} name is ${name.length} characters long (at most ${SANDBOX_LIMITS.nameChars})`,
    );
  }
  const shown = JSON.stringify(name);
  if (name.includes("\0")) throw new ClientError(`the ${what} name ${shown} holds a NUL character`);
  if (name.includes("\\")) throw new ClientError(`the ${what} name ${shown} holds a backslash: use /`);
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name) || name.startsWith("~")) {
    throw new ClientError(
      `${shown}: absolute paths are refused; give a name inside the engine's data directory (--data-dir)`,
    );
  }
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new ClientError(
      `${shown}: ".." is refused; give a name inside the engine's data directory (--data-dir)`,
    );
  }
  if (parts.length === 0) throw new ClientError(`the ${what} name ${shown} names no file`);
  if (parts.length > SANDBOX_LIMITS.depth + 1) {
    throw new ClientError(`the ${what} name ${shown} is more than ${SANDBOX_LIMITS.depth} directories deep`);
  }
  if (parts.some((p) => p.length > SANDBOX_LIMITS.segmentChars)) {
    throw new ClientError(
      `the ${what} name has a part longer than ${SANDBOX_LIMITS.segmentChars} characters`,
    );
  }
  return parts.join("/");
}

/** `area/name` with the name checked ("patches/mine.json"); an empty area: the data directory itself. */
export function dataPath(area: DataArea | "", name: unknown, what = "file"): string {
  const n = checkName(name, what);
  return area ? `${area}/${n}` : n;
}

/** Why a file operation failed, in words that carry no path of the engine's machine and no content. */
function why(e: unknown): string {
  if (e instanceof ClientError) return e.message;
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.AlreadyExists) return "it exists already (add overwrite to replace it)";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  // Deno's refusal under a task's permission set (deno.json): the engine's own limit, not the file system's.
  if (e instanceof Deno.errors.NotCapable) {
    return "not permitted to this task (its permission set in deno.json)";
  }
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (e instanceof Deno.errors.NotADirectory) return "a part of it is not a directory";
  return e instanceof Error ? e.name : "failed";
}

/** The data directory on the disk: reads, writes and lists inside it, and nowhere else. */
export class DataDir {
  /** The directory, absolute (as given, resolved against the current directory). */
  readonly root: string;

  /** The data directory at `root` (created on the first write, not here). */
  constructor(root: string = DEFAULT_DATA_DIR) {
    this.root = resolve(root);
  }

  /** The real (symlink-free) path of the root, creating it (and `area`, the first segment of `rel`) when asked. */
  #realRoot(rel: string, create: boolean): string {
    if (create) {
      Deno.mkdirSync(this.root, { recursive: true });
      const area = rel.split("/")[0];
      if (rel.includes("/") && (DATA_AREAS as readonly string[]).includes(area)) {
        try {
          Deno.mkdirSync(join(this.root, area));
        } catch (e) {
          if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
        }
      }
    }
    return Deno.realPathSync(this.root);
  }

  /** True when `real` (a real path) is the root or inside it. */
  static #inside(real: string, root: string): boolean {
    return real === root || real.startsWith(root + sep);
  }

  /**
   * The absolute path of `rel` (a name from dataPath) with its directory's symlinks followed and checked: the
   * directory must exist inside the root, and an existing file there must not be a symlink that leaves it.
   * `exists`: whether the file is there (its real path then).
   */
  #locate(rel: string, create: boolean): { path: string; exists: boolean } {
    const root = this.#realRoot(rel, create);
    const outside = () => new ClientError(`${rel}: a symlink leads out of the data directory`);
    const dir = Deno.realPathSync(dirname(join(root, rel)));
    if (!DataDir.#inside(dir, root)) throw outside();
    const path = join(dir, rel.slice(rel.lastIndexOf("/") + 1));
    let link: Deno.FileInfo;
    try {
      link = Deno.lstatSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return { path, exists: false };
      throw e;
    }
    if (!link.isSymlink) return { path, exists: true };
    let real: string;
    try {
      real = Deno.realPathSync(path);
    } catch {
      throw new ClientError(`${rel}: a symlink that leads nowhere`);
    }
    if (!DataDir.#inside(real, root)) throw outside();
    return { path: real, exists: true };
  }

  /**
   * The text of the regular file `rel`, at most `maxBytes`; throws ClientError naming `rel` (a FIFO, a device
   * or a directory is refused before it is opened, so nothing blocks; the read stops past the cap, so a file
   * that lies about its size cannot flood memory).
   */
  readText(rel: string, maxBytes: number): string {
    return new TextDecoder().decode(this.readBytes(rel, maxBytes));
  }

  /** The bytes of the regular file `rel`, at most `maxBytes`; throws ClientError as readText does. */
  readBytes(rel: string, maxBytes: number): Uint8Array {
    try {
      const { path, exists } = this.#locate(rel, false);
      if (!exists) throw new Deno.errors.NotFound();
      const info = Deno.statSync(path);
      if (!info.isFile) {
        throw new ClientError(`${rel}: ${info.isDirectory ? "a directory" : "not a regular file"}, refused`);
      }
      if (info.size > maxBytes) {
        throw new ClientError(`${rel}: ${info.size} bytes, over the cap of ${maxBytes}`);
      }
      const f = Deno.openSync(path, { read: true });
      try {
        // Sized by the file (a sample's cap is the pool's free space, far more than most files need).
        const buf = new Uint8Array(Math.min(maxBytes, info.size) + 1);
        let n = 0;
        for (;;) {
          const got = f.readSync(buf.subarray(n));
          if (got === null || got === 0) break;
          n += got;
          if (n > maxBytes) throw new ClientError(`${rel}: over the cap of ${maxBytes} bytes`);
          if (n === buf.length) throw new ClientError(`${rel}: it grew while it was read`);
        }
        return buf.subarray(0, n);
      } finally {
        f.close();
      }
    } catch (e) {
      throw e instanceof ClientError ? e : new ClientError(`cannot read ${rel}: ${why(e)}`);
    }
  }

  /** Writes `text` to `rel`, a new file unless `overwrite` (then a regular file inside is replaced); throws ClientError. */
  writeText(rel: string, text: string, overwrite: boolean): void {
    try {
      const path = this.#target(rel, overwrite);
      Deno.writeTextFileSync(path, text, overwrite ? {} : { createNew: true });
    } catch (e) {
      throw e instanceof ClientError ? e : new ClientError(`cannot write ${rel}: ${why(e)}`);
    }
  }

  /**
   * Creates `rel` empty (unless `overwrite` lets an existing regular file stay for replacing) and returns its
   * absolute path, for a writer on another thread (the recorder); throws ClientError as writeText does.
   */
  reserve(rel: string, overwrite: boolean): string {
    try {
      const path = this.#target(rel, overwrite);
      Deno.writeFileSync(path, new Uint8Array(0), overwrite ? {} : { createNew: true });
      return path;
    } catch (e) {
      throw e instanceof ClientError ? e : new ClientError(`cannot write ${rel}: ${why(e)}`);
    }
  }

  #target(rel: string, overwrite: boolean): string {
    const { path, exists } = this.#locate(rel, true);
    if (exists && !overwrite) throw new ClientError(`${rel} exists already (add overwrite to replace it)`);
    if (exists && !Deno.statSync(path).isFile) throw new ClientError(`${rel}: not a regular file, refused`);
    return path;
  }

  /** The names of the regular files in the directory `rel` ([] when it does not exist); throws ClientError. */
  list(rel: string): string[] {
    try {
      const root = this.#realRoot(rel, false);
      const dir = Deno.realPathSync(join(root, rel));
      if (!DataDir.#inside(dir, root)) {
        throw new ClientError(`${rel}: a symlink leads out of the data directory`);
      }
      return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e instanceof ClientError ? e : new ClientError(`cannot list ${rel}: ${why(e)}`);
    }
  }

  /** `abs` relative to the root ("recordings/take.wav"), or undefined when it is not inside. */
  relative(abs: string): string | undefined {
    const r = relative(this.root, resolve(abs));
    return r === "" || r.startsWith("..") || isAbsolute(r) ? undefined : r.split(sep).join("/");
  }
}
