// PortAudio v19 through Deno FFI: the calls the engine needs, with the C struct layouts declared once here.
// The output worker drives the stream with the blocking write API (docs/design.md §4: a PortAudio callback into
// JavaScript starves under load); stop and close are declared nonblocking and awaited (a synchronous stop
// deadlocked while the stream thread waited on JavaScript).
//
// Struct layouts on x86_64/aarch64 Linux (LP64: long and pointers are 8 bytes, PaTime is double):
//   PaHostApiInfo    { i32 structVersion @0; i32 type @4; char* name @8; i32 deviceCount @16;
//                      i32 defaultInputDevice @20; i32 defaultOutputDevice @24 }                       32 B
//   PaDeviceInfo     { i32 structVersion @0; char* name @8; i32 hostApi @16; i32 maxInputChannels @20;
//                      i32 maxOutputChannels @24; f64 defaultLowInputLatency @32;
//                      f64 defaultLowOutputLatency @40; f64 defaultHighInputLatency @48;
//                      f64 defaultHighOutputLatency @56; f64 defaultSampleRate @64 }                  72 B
//   PaStreamParameters { i32 device @0; i32 channelCount @4; u64 sampleFormat @8; f64 suggestedLatency @16;
//                      void* hostApiSpecificStreamInfo @24 }                                            32 B
//   PaStreamInfo     { i32 structVersion @0; f64 inputLatency @8; f64 outputLatency @16; f64 sampleRate @24 }

import { ProbeSilencer } from "./probe_silencer.ts";

const HOST_NAME = 8, HOST_DEFAULT_OUTPUT = 24;
const DEV_NAME = 8,
  DEV_HOST = 16,
  DEV_MAX_IN = 20,
  DEV_MAX_OUT = 24,
  DEV_LOW_OUT = 40,
  DEV_HIGH_OUT = 56,
  DEV_RATE = 64;
const PARAMS_BYTES = 32;
const INFO_OUTPUT_LATENCY = 16, INFO_SAMPLE_RATE = 24;

/** paFloat32: interleaved 32-bit float samples. */
const PA_FLOAT32 = 0x1n;
/** paClipOff: the engine's limiter owns the level; PortAudio must not clip behind its back. */
const PA_CLIP_OFF = 0x1n;
/** Pa_WriteStream's return when the device ran dry since the previous write (the data is still written). */
export const PA_OUTPUT_UNDERFLOWED: number = -9980;

const symbols = {
  Pa_Initialize: { parameters: [], result: "i32" },
  Pa_Terminate: { parameters: [], result: "i32" },
  Pa_GetErrorText: { parameters: ["i32"], result: "pointer" },
  Pa_GetVersionText: { parameters: [], result: "pointer" },
  Pa_GetHostApiCount: { parameters: [], result: "i32" },
  Pa_GetHostApiInfo: { parameters: ["i32"], result: "pointer" },
  Pa_GetDeviceCount: { parameters: [], result: "i32" },
  Pa_GetDefaultOutputDevice: { parameters: [], result: "i32" },
  Pa_GetDeviceInfo: { parameters: ["i32"], result: "pointer" },
  Pa_IsFormatSupported: { parameters: ["pointer", "buffer", "f64"], result: "i32" },
  Pa_OpenStream: {
    parameters: ["buffer", "pointer", "buffer", "f64", "u64", "u64", "pointer", "pointer"],
    result: "i32",
  },
  Pa_StartStream: { parameters: ["pointer"], result: "i32" },
  Pa_StopStream: { parameters: ["pointer"], result: "i32", nonblocking: true },
  Pa_CloseStream: { parameters: ["pointer"], result: "i32", nonblocking: true },
  Pa_GetStreamInfo: { parameters: ["pointer"], result: "pointer" },
  Pa_WriteStream: { parameters: ["pointer", "buffer", "u64"], result: "i32" },
  Pa_GetStreamWriteAvailable: { parameters: ["pointer"], result: "i64" },
} as const;

type PaLib = Deno.DynamicLibrary<typeof symbols>;

/** One PortAudio output-capable device, as listed by --list-devices. */
export interface PaDevice {
  /** PortAudio's device index (what --device takes as a number). */
  index: number;
  /** The device's name, as the host API gives it. */
  name: string;
  /** The name of its host API ("ALSA", "JACK Audio Connection Kit" …; "?" when unknown). */
  hostApi: string;
  /** Input channels it has. */
  maxInputChannels: number;
  /** Output channels it has (0: an input-only device). */
  maxOutputChannels: number;
  /** Its suggested output latency for interactive use, in seconds (the sink's default). */
  defaultLowOutputLatency: number;
  /** Its suggested output latency for robust playback, in seconds. */
  defaultHighOutputLatency: number;
  /** Its default sample rate in Hz. */
  defaultSampleRate: number;
  /** True for PortAudio's default output device. */
  isDefaultOutput: boolean;
}

/** Where to look for the library: $CHRONUS_PORTAUDIO_LIB alone when set, else the usual paths. */
export function libraryCandidates(): string[] {
  const env = Deno.env.get("CHRONUS_PORTAUDIO_LIB");
  if (env) return [env];
  return [
    "libportaudio.so.2",
    "/usr/lib/x86_64-linux-gnu/libportaudio.so.2",
    "/usr/lib/aarch64-linux-gnu/libportaudio.so.2",
    "/usr/local/lib/libportaudio.so.2",
    "/usr/lib/libportaudio.so.2",
  ];
}

/** The one-line hint printed when the library is missing. */
export const INSTALL_HINT =
  "PortAudio not found (install the Debian package libportaudio2, or set CHRONUS_PORTAUDIO_LIB to the library)";

const cstr = (p: Deno.PointerValue) => (p ? Deno.UnsafePointerView.getCString(p) : "");

/** How to open PortAudio. */
export interface PortAudioOpenOptions {
  /** Let ALSA and JACK print their own messages while PortAudio probes (default: they are dropped). */
  verbose?: boolean;
}

/** An initialized PortAudio. Call terminate() when done. */
export class PortAudio {
  /** The library file that was loaded (a candidate of libraryCandidates()). */
  readonly path: string;
  #lib: PaLib;
  #silencer: ProbeSilencer | null;

  private constructor(lib: PaLib, path: string, silencer: ProbeSilencer | null) {
    this.#lib = lib;
    this.path = path;
    this.#silencer = silencer;
  }

  /**
   * Loads and initializes PortAudio; returns the reason instead when it cannot. ALSA's and JACK's messages
   * while it probes are dropped unless `options.verbose` (ffi/probe_silencer.ts).
   */
  static open(options: PortAudioOpenOptions = {}): PortAudio | { error: string } {
    let lastError = "";
    for (const path of libraryCandidates()) {
      let lib: PaLib;
      try {
        lib = Deno.dlopen(path, symbols);
      } catch (e) {
        lastError = (e as Error).message;
        continue;
      }
      // After PortAudio is loaded: the silencer finds the libasound and libjack it brought in.
      const pa = new PortAudio(lib, path, options.verbose ? null : new ProbeSilencer());
      const err = pa.quietly(() => lib.symbols.Pa_Initialize());
      if (err !== 0) {
        const text = pa.errorText(err);
        pa.#silencer?.close();
        lib.close();
        return { error: `Cannot initialize PortAudio (${path}): ${text}` };
      }
      return pa;
    }
    return { error: `${INSTALL_HINT}; last error: ${lastError}` };
  }

  /** Runs a synchronous call into PortAudio that may probe devices, with ALSA and JACK silenced unless verbose. */
  quietly<T>(fn: () => T): T {
    return this.#silencer ? this.#silencer.run(fn) : fn();
  }

  /** PortAudio's text for an error code. */
  errorText(code: number): string {
    return cstr(this.#lib.symbols.Pa_GetErrorText(code));
  }

  /** "PortAudio V19.6.0-devel, revision …". */
  version(): string {
    return cstr(this.#lib.symbols.Pa_GetVersionText());
  }

  /** Every device with its host API, channel counts, default latencies and sample rate. */
  devices(): PaDevice[] {
    const s = this.#lib.symbols;
    const defaultOut = s.Pa_GetDefaultOutputDevice();
    const out: PaDevice[] = [];
    for (let i = 0, n = s.Pa_GetDeviceCount(); i < n; i++) {
      const p = s.Pa_GetDeviceInfo(i);
      if (!p) continue;
      const v = new Deno.UnsafePointerView(p);
      const hostPtr = s.Pa_GetHostApiInfo(v.getInt32(DEV_HOST));
      out.push({
        index: i,
        name: cstr(v.getPointer(DEV_NAME)),
        hostApi: hostPtr ? cstr(new Deno.UnsafePointerView(hostPtr).getPointer(HOST_NAME)) : "?",
        maxInputChannels: v.getInt32(DEV_MAX_IN),
        maxOutputChannels: v.getInt32(DEV_MAX_OUT),
        defaultLowOutputLatency: v.getFloat64(DEV_LOW_OUT),
        defaultHighOutputLatency: v.getFloat64(DEV_HIGH_OUT),
        defaultSampleRate: v.getFloat64(DEV_RATE),
        isDefaultOutput: i === defaultOut,
      });
    }
    return out;
  }

  /** The default output of each host API (-1 where none), for choosing a device when the global one is -1. */
  hostDefaultOutputs(): number[] {
    const s = this.#lib.symbols;
    const out: number[] = [];
    for (let i = 0, n = s.Pa_GetHostApiCount(); i < n; i++) {
      const p = s.Pa_GetHostApiInfo(i);
      out.push(p ? new Deno.UnsafePointerView(p).getInt32(HOST_DEFAULT_OUTPUT) : -1);
    }
    return out;
  }

  /** Throws an Error naming what the device supports when it cannot play this format. */
  checkOutput(device: PaDevice, channels: number, sampleRate: number, latency: number): void {
    const params = streamParameters(device, channels, latency);
    const supported = this.quietly(() => this.#lib.symbols.Pa_IsFormatSupported(null, params, sampleRate));
    if (supported !== 0) {
      throw new Error(
        `Cannot open "${device.name}" for ${channels} channels of float32 at ${sampleRate} Hz: ` +
          `${this.errorText(supported)} (it has ${device.maxOutputChannels} output channels, default rate ` +
          `${device.defaultSampleRate} Hz)`,
      );
    }
  }

  /** Opens a blocking float32 output stream; throws an Error naming what the device supports. */
  openOutput(
    opts: { device: PaDevice; channels: number; sampleRate: number; block: number; latency: number },
  ): PaStream {
    const { device, channels, sampleRate, block, latency } = opts;
    this.checkOutput(device, channels, sampleRate, latency);
    const params = streamParameters(device, channels, latency);
    const handle = new BigUint64Array(1);
    const err = this.quietly(() =>
      this.#lib.symbols.Pa_OpenStream(
        new Uint8Array(handle.buffer),
        null,
        params,
        sampleRate,
        BigInt(block),
        PA_CLIP_OFF,
        null,
        null,
      )
    );
    if (err !== 0) throw new Error(`Cannot open "${device.name}": ${this.errorText(err)}`);
    return new PaStream(this.#lib, Deno.UnsafePointer.create(handle[0]), this, block);
  }

  /** Terminates PortAudio and unloads the library. */
  terminate(): void {
    this.quietly(() => this.#lib.symbols.Pa_Terminate());
    this.#silencer?.close();
    this.#lib.close();
  }
}

function streamParameters(device: PaDevice, channels: number, latency: number): Uint8Array {
  const params = new Uint8Array(PARAMS_BYTES);
  const dv = new DataView(params.buffer);
  dv.setInt32(0, device.index, true);
  dv.setInt32(4, channels, true);
  dv.setBigUint64(8, PA_FLOAT32, true);
  dv.setFloat64(16, latency, true);
  return params;
}

/** An open blocking output stream. */
export class PaStream {
  #lib: PaLib;
  #s: Deno.PointerValue;
  #pa: PortAudio;

  #blockFrames: bigint; // made once: a BigInt per write would allocate on the audio path

  /** Wraps stream handle `s` that `pa` opened for blocks of `blockFrames` frames (PortAudio.openOutput). */
  constructor(lib: PaLib, s: Deno.PointerValue, pa: PortAudio, blockFrames: number) {
    this.#lib = lib;
    this.#s = s;
    this.#pa = pa;
    this.#blockFrames = BigInt(blockFrames);
  }

  /** Starts the stream; throws with PortAudio's text. */
  start(): void {
    const err = this.#pa.quietly(() => this.#lib.symbols.Pa_StartStream(this.#s));
    if (err !== 0) throw new Error(`Cannot start the stream: ${this.#pa.errorText(err)}`);
  }

  /** Writes one block of interleaved frames, blocking until the device has room; 0 or PA_OUTPUT_UNDERFLOWED. */
  write(samples: Float32Array): number {
    return this.#lib.symbols.Pa_WriteStream(this.#s, samples, this.#blockFrames);
  }

  /** Frames that can be written without blocking. */
  writeAvailable(): number {
    return Number(this.#lib.symbols.Pa_GetStreamWriteAvailable(this.#s));
  }

  /** Output latency and actual sample rate reported by PortAudio. */
  info(): { outputLatency: number; sampleRate: number } {
    const p = this.#lib.symbols.Pa_GetStreamInfo(this.#s);
    if (!p) return { outputLatency: NaN, sampleRate: NaN };
    const v = new Deno.UnsafePointerView(p);
    return { outputLatency: v.getFloat64(INFO_OUTPUT_LATENCY), sampleRate: v.getFloat64(INFO_SAMPLE_RATE) };
  }

  /** Lets buffered audio play out, then closes the stream (both awaited, never synchronous). */
  async close(): Promise<void> {
    await this.#lib.symbols.Pa_StopStream(this.#s);
    await this.#lib.symbols.Pa_CloseStream(this.#s);
  }
}

/**
 * Chooses the output device: by index, by exact name, by case-insensitive substring, else the default
 * output (PortAudio's, else a host API's default, else the first device with enough output channels).
 */
export function chooseDevice(
  devices: PaDevice[],
  hostDefaults: number[],
  want: string | undefined,
  channels: number,
): PaDevice {
  const outs = devices.filter((d) => d.maxOutputChannels > 0);
  const names = outs.map((d) => `${d.index}: "${d.name}" (${d.hostApi}, ${d.maxOutputChannels} out)`).join(
    "; ",
  );
  if (want !== undefined && want !== "") {
    const byIndex = /^\d+$/.test(want) ? outs.find((d) => d.index === Number(want)) : undefined;
    const found = byIndex ?? outs.find((d) => d.name === want) ??
      outs.find((d) => d.name.toLowerCase().includes(want.toLowerCase()));
    if (!found) {
      throw new Error(`Cannot find output device "${want}": the output devices are ${names || "none"}`);
    }
    return found;
  }
  const candidates = [devices.find((d) => d.isDefaultOutput), ...hostDefaults.map((i) => devices[i])]
    .filter((d): d is PaDevice => d !== undefined && d.maxOutputChannels >= channels);
  const chosen = candidates[0] ?? outs.find((d) => d.maxOutputChannels >= channels);
  if (!chosen) {
    throw new Error(
      `Cannot find an output device with ${channels} channels: ${names || "no output devices"}`,
    );
  }
  return chosen;
}

/** A readable table of the output devices for --list-devices. */
export function deviceTable(devices: PaDevice[]): string {
  const rows = devices.map((d) =>
    `${d.isDefaultOutput ? "*" : " "}${String(d.index).padStart(3)}  ${d.name.padEnd(28)} ${
      d.hostApi.padEnd(28)
    } ` +
    `${String(d.maxOutputChannels).padStart(3)} out ${String(d.maxInputChannels).padStart(3)} in  ` +
    `${(d.defaultLowOutputLatency * 1000).toFixed(2).padStart(7)} ms  ${d.defaultSampleRate} Hz`
  );
  return [`   #  ${"name".padEnd(28)} ${"host API".padEnd(28)} channels        low latency  rate`, ...rows]
    .join("\n");
}
