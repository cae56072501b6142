// The PortAudio sink: blocking writes from the output worker (it is the clock then), an underflow count,
// an optional tap WAV of exactly what went to the device, and a fade-out block on close so stopping never
// clicks.
import { chooseDevice, PA_OUTPUT_UNDERFLOWED, PortAudio } from "../ffi/portaudio.ts";
import { WavWriter } from "../core/wav.ts";
import type { Sink } from "./sink.ts";

/** Options of the PortAudio sink. */
export interface PortAudioSinkOptions {
  /** Sample rate in Hz to open the stream at (the device must support it). */
  sampleRate: number;
  /** Frames per block: each write is one block. */
  block: number;
  /** Interleaved channels per frame (2). */
  channels: number;
  /** Device index or name (substring); default: the default output. */
  device?: string;
  /** Suggested output latency in seconds; default: the device's low latency. */
  latency?: number;
  /** Also write what goes to the device into this WAV file. */
  tapPath?: string;
  /** Let ALSA and JACK print their own messages while PortAudio probes (--verbose). */
  verbose?: boolean;
  /** Called with the running underflow count whenever it grows (the output worker publishes it). */
  onUnderflow?: (count: number) => void;
}

/** Opens and starts the stream; throws an Error naming what failed and what the device supports. */
export function portaudioSink(o: PortAudioSinkOptions): Sink & { underflows(): number; latencyMs(): number } {
  const pa = PortAudio.open({ verbose: o.verbose });
  if ("error" in pa) throw new Error(pa.error);
  let stream;
  try {
    const device = chooseDevice(pa.devices(), pa.hostDefaultOutputs(), o.device, o.channels);
    stream = pa.openOutput({
      device,
      channels: o.channels,
      sampleRate: o.sampleRate,
      block: o.block,
      latency: o.latency ?? device.defaultLowOutputLatency,
    });
    stream.start();
  } catch (e) {
    pa.terminate();
    throw e;
  }
  const s = stream;
  const tap = o.tapPath ? new WavWriter(o.tapPath, o.sampleRate, o.channels) : undefined;
  const last = new Float32Array(o.block * o.channels);
  let underflows = 0;
  let blocks = 0;
  return {
    paced: true,
    write(block) {
      if (s.write(block) === PA_OUTPUT_UNDERFLOWED) o.onUnderflow?.(++underflows);
      last.set(block);
      if (tap) {
        tap.write(block);
        if (++blocks % 256 === 0) tap.flush();
      }
    },
    async close() {
      // One more block: the last one faded to zero, so the stream ends without a step.
      for (let i = 0; i < o.block; i++) {
        const g = 1 - (i + 1) / o.block;
        for (let c = 0; c < o.channels; c++) last[i * o.channels + c] *= g;
      }
      s.write(last);
      await s.close();
      pa.terminate();
      tap?.close();
    },
    underflows: () => underflows,
    latencyMs: () => s.info().outputLatency * 1000,
  };
}
