// ALSA's and JACK's own messages while PortAudio probes. On a machine without a sound card (or without a JACK
// server) Pa_Initialize makes ALSA print some sixty "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'"
// lines and libjack five "Cannot connect to server socket" ones, before the engine's first line. Both libraries
// let a program take their messages: ALSA through snd_lib_error_set_local (this thread only) or, where that is
// missing (alsa-lib before 1.1.6), snd_lib_error_set_handler; JACK through jack_set_error_function and
// jack_set_info_function. A handler that drops them is installed around each call into PortAudio that probes,
// and the previous one put back after it, so the engine's own stderr is untouched, and no library thread can
// call into JavaScript once the call has returned (a callback is safe here only on the thread that made it,
// while that thread is inside the call). `deno task start --verbose` leaves them all in place.

/** The paths tried for libasound and libjack: the sonames first (the copies PortAudio already loaded), then the
 * usual multiarch files. */
const ALSA_PATHS = [
  "libasound.so.2",
  "/usr/lib/x86_64-linux-gnu/libasound.so.2",
  "/usr/lib/aarch64-linux-gnu/libasound.so.2",
  "/usr/lib64/libasound.so.2",
  "/usr/lib/libasound.so.2",
];
const JACK_PATHS = [
  "libjack.so.0",
  "/usr/lib/x86_64-linux-gnu/libjack.so.0",
  "/usr/lib/aarch64-linux-gnu/libjack.so.0",
  "/usr/lib64/libjack.so.0",
  "/usr/lib/libjack.so.0",
];

const alsaSymbols = {
  snd_lib_error_set_local: { parameters: ["function"], result: "pointer", optional: true },
  snd_lib_error_set_handler: { parameters: ["function"], result: "i32" },
} as const;

const jackSymbols = {
  jack_set_error_function: { parameters: ["function"], result: "void" },
  jack_set_info_function: { parameters: ["function"], result: "void" },
  jack_error_callback: { type: "pointer" },
  jack_info_callback: { type: "pointer" },
} as const;

function openFirst<S extends Deno.ForeignLibraryInterface>(
  paths: string[],
  symbols: S,
): Deno.DynamicLibrary<S> | null {
  for (const path of paths) {
    try {
      return Deno.dlopen(path, symbols);
    } catch {
      // the next path; a library that is absent has nothing to silence
    }
  }
  return null;
}

/** Drops ALSA's and JACK's messages for the duration of a call into PortAudio. */
export class ProbeSilencer {
  #alsa: Deno.DynamicLibrary<typeof alsaSymbols> | null;
  #jack: Deno.DynamicLibrary<typeof jackSymbols> | null;
  // snd_local_error_handler_t: (file, line, function, errcode, fmt, va_list): a va_list is passed by address.
  #alsaLocal = new Deno.UnsafeCallback(
    { parameters: ["pointer", "i32", "pointer", "i32", "pointer", "pointer"], result: "void" } as const,
    () => {},
  );
  // snd_lib_error_handler_t: (file, line, function, err, fmt, ...): the variadic tail is the caller's to clean
  // up on x86-64 and arm64, so a handler that takes the fixed five is called correctly.
  #alsaGlobal = new Deno.UnsafeCallback(
    { parameters: ["pointer", "i32", "pointer", "i32", "pointer"], result: "void" } as const,
    () => {},
  );
  #jackQuiet = new Deno.UnsafeCallback({ parameters: ["pointer"], result: "void" } as const, () => {});

  /** Loads libasound and libjack where they are; a silencer without them runs calls as they are. */
  constructor() {
    this.#alsa = openFirst(ALSA_PATHS, alsaSymbols);
    this.#jack = openFirst(JACK_PATHS, jackSymbols);
  }

  /** Runs `fn` (a synchronous call into PortAudio) with ALSA's and JACK's messages dropped. */
  run<T>(fn: () => T): T {
    const alsa = this.#alsa?.symbols, jack = this.#jack?.symbols;
    const local = alsa?.snd_lib_error_set_local;
    let previousLocal: Deno.PointerValue = null;
    if (local) previousLocal = local(this.#alsaLocal.pointer);
    else alsa?.snd_lib_error_set_handler(this.#alsaGlobal.pointer);
    jack?.jack_set_error_function(this.#jackQuiet.pointer);
    jack?.jack_set_info_function(this.#jackQuiet.pointer);
    try {
      return fn();
    } finally {
      if (local) local(previousLocal);
      else alsa?.snd_lib_error_set_handler(null); // null: ALSA's default handler again
      // The handlers libjack had when it was opened here (its defaults, which print to stderr).
      jack?.jack_set_error_function(jack.jack_error_callback);
      jack?.jack_set_info_function(jack.jack_info_callback);
    }
  }

  /** Releases the handlers and the libraries (after the last run). */
  close(): void {
    this.#alsaLocal.close();
    this.#alsaGlobal.close();
    this.#jackQuiet.close();
    this.#alsa?.close();
    this.#jack?.close();
  }
}
