// Where the audio goes: the null, wav or PortAudio sink, PortAudio asked before anything starts (a bad
// --device is a clear error, a missing library a one-line hint and the null sink), and --list-devices.
import * as L from "../asm/layout.ts";
import type { SinkSpec } from "../core/messages.ts";
import { chooseDevice, deviceTable, PortAudio } from "../ffi/portaudio.ts";

// SinkChoice speaks of it: exported with it, so that this module's documentation is whole.
export type { SinkSpec } from "../core/messages.ts";

/** The sink the flags ask for, before PortAudio is asked. */
export type SinkRequest =
  | { kind: "null" }
  | { kind: "wav"; path: string }
  | {
    kind: "portaudio";
    /** True with --sink portaudio or --device: a problem is an error, not a fall back to the null sink. */
    required: boolean;
    /** --verbose: ALSA and JACK may print while PortAudio probes (else they are silenced). */
    verbose?: boolean;
    device?: string;
    latencyMs?: number;
    tap?: string;
  };

/** The sink to start, and why it is not the one asked for when PortAudio cannot play. */
export interface SinkChoice {
  /** What the output worker builds. */
  sink: SinkSpec;
  /** Set when PortAudio was asked for without --sink portaudio or --device but cannot play. */
  fallback?: string;
}

/** Opens PortAudio to check the library, the device and the format; throws when a required sink cannot play. */
export function chooseSink(request: SinkRequest, sampleRate: number): SinkChoice {
  if (request.kind !== "portaudio") return { sink: request };
  const pa = PortAudio.open({ verbose: request.verbose });
  let problem = "error" in pa ? pa.error : "";
  if (!("error" in pa)) {
    try {
      const device = chooseDevice(pa.devices(), pa.hostDefaultOutputs(), request.device, L.CHANNELS);
      const latency = request.latencyMs !== undefined
        ? request.latencyMs / 1000
        : device.defaultLowOutputLatency;
      pa.checkOutput(device, L.CHANNELS, sampleRate, latency);
    } catch (e) {
      problem = (e as Error).message;
    }
    pa.terminate();
  }
  const latency = request.latencyMs !== undefined ? request.latencyMs / 1000 : undefined;
  if (!problem) {
    return {
      sink: {
        kind: "portaudio",
        device: request.device,
        latency,
        tapPath: request.tap,
        verbose: request.verbose,
      },
    };
  }
  if (request.required) throw new Error(problem);
  return { sink: { kind: "null" }, fallback: `${problem.split(";")[0]}: playing into the null sink` };
}

/** PortAudio's version and its output devices, as --list-devices prints them (`verbose`: ALSA's and JACK's
 * messages too); throws without the library. */
export function deviceList(verbose = false): string {
  const pa = PortAudio.open({ verbose });
  if ("error" in pa) throw new Error(pa.error);
  const text = `${pa.version()}\n${deviceTable(pa.devices())}`;
  pa.terminate();
  return text;
}
