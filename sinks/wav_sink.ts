import { WavWriter } from "../core/wav.ts";
import type { Sink } from "./sink.ts";

/** Writes every frame from frame 0 into a 32-bit float WAV file. */
export function wavSink(path: string, sampleRate: number, channels: number): Sink {
  const wav = new WavWriter(path, sampleRate, channels);
  let blocks = 0;
  return {
    paced: false,
    write(block) {
      wav.write(block);
      // Keep the header current about once a second of audio, so a crash leaves a readable file.
      if (++blocks % 256 === 0) wav.flush();
    },
    close() {
      wav.close();
    },
  };
}
