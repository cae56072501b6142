// Where libc is. Deno's --allow-ffi takes library paths, and a bare "libc.so.6" is resolved against the working
// directory rather than the loader's search path, so under a permission set (deno.json "permissions") libc
// must be opened by one of the full paths that set grants: Debian/Ubuntu's multiarch directories for x86-64 and
// arm64, under /lib and /usr/lib (the same file on merged-/usr systems, but two paths to Deno).

/** The full paths tried for libc, in order; deno.json's permission sets grant exactly these. */
export const LIBC_PATHS: readonly string[] = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/usr/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/usr/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
  "/usr/lib64/libc.so.6",
];

/** libc opened with `symbols` from the first of LIBC_PATHS that loads; throws the last error when none does. */
export function openLibc<S extends Deno.ForeignLibraryInterface>(symbols: S): Deno.DynamicLibrary<S> {
  let last: unknown = new Error("libc not found");
  for (const path of LIBC_PATHS) {
    try {
      return Deno.dlopen(path, symbols);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/**
 * A function that opens libc with `symbols` on its first call and then returns the same library; null (every
 * call) where libc cannot be opened (none found, no FFI permission), for callers that can do without it.
 */
export function lazyLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): () => Deno.DynamicLibrary<S> | null {
  let libc: Deno.DynamicLibrary<S> | null | undefined;
  return () => {
    if (libc === undefined) {
      try {
        libc = openLibc(symbols);
      } catch {
        libc = null;
      }
    }
    return libc;
  };
}
