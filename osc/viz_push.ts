// Meters pushed as the seed system sent them: every 100 ms, without a subscription, to one UDP port on the
// loopback (5006 by the seed's convention: `--viz-port`), for its terminal visualizer:
//   /viz/levels    one float per voice (modules named voiceN, in order of N): the voice's output peak since
//                  the last push, 0 … 1 (Engine.peakMeters: measured by the DSP on every block, not sampled)
//   /viz/spectrum  8 floats at 63, 125, 250, 500, 1k, 2k, 4k and 8k Hz, 0 … 1: the seed's band meter, a
//                  2-pole band-pass of Q 2 at each centre, its mean |level| × 50, clipped to 1 (loud where the
//                  seed's was), over the most recent output (the left and right mean)
// /notify's meters (dB, osc/server.ts) are another thing and stay as they are. Sending never waits and
// never fails the engine: a port nobody listens on just loses the datagrams.
import { encode } from "node-osc";
import type { Engine } from "../engine/engine.ts";

/** What the push reads of the engine. */
export type VizEngine = Pick<Engine, "peakMeters" | "recentAudio" | "sampleRate" | "patch">;

/** Where and how often to push. */
export interface VizPushOptions {
  /** The UDP port to send to (the seed's visualizer listens on 5006). */
  port: number;
  /** The host to send to. Default 127.0.0.1. */
  host?: string;
  /** Milliseconds between pushes. Default 100 (the seed's). */
  intervalMs?: number;
}

/** Centres of the spectrum's bands in Hz (the seed's eight). */
export const VIZ_BANDS = [63, 125, 250, 500, 1000, 2000, 4000, 8000] as const;

/** The patch's voices as the seed numbered them: modules named voiceN, in order of N. */
export function vizVoices(names: Iterable<string>): string[] {
  const n = (name: string) => Number(name.slice(5));
  return [...names].filter((name) => /^voice[0-9]+$/.test(name)).sort((a, b) => n(a) - n(b));
}

/**
 * The seed's 8-band meter of interleaved stereo audio: each band a 2-pole band-pass (constant 0 dB peak,
 * bandwidth centre/2) over the left and right mean, the mean |output| over the second half of the audio (the
 * first half lets the filter settle) × 50, clipped to 0 … 1.
 */
export function vizSpectrum(x: Float32Array, sampleRate: number): number[] {
  const frames = x.length / 2;
  return VIZ_BANDS.map((f) => {
    if (f >= sampleRate / 2) return 0;
    const w = (2 * Math.PI * f) / sampleRate, alpha = Math.sin(w) / (2 * 2);
    const a0 = 1 + alpha, b0 = alpha / a0, a1 = (-2 * Math.cos(w)) / a0, a2 = (1 - alpha) / a0;
    let x1 = 0, x2 = 0, y1 = 0, y2 = 0, sum = 0;
    const from = Math.floor(frames / 2);
    for (let i = 0; i < frames; i++) {
      const v = 0.5 * (x[2 * i] + x[2 * i + 1]);
      const y = b0 * (v - x2) - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = v;
      y2 = y1;
      y1 = y;
      if (i >= from) sum += Math.abs(y);
    }
    return Math.min(1, (50 * sum) / Math.max(1, frames - from));
  });
}

/** A running push: /viz/levels and /viz/spectrum every interval until close(). */
export class VizPush {
  #sock: Deno.DatagramConn;
  #timer: ReturnType<typeof setInterval>;
  #to: Deno.NetAddr;

  private constructor(engine: VizEngine, options: VizPushOptions) {
    // Its own socket, for sending only: replies and /notify stay on the OSC server's.
    this.#sock = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    this.#to = { transport: "udp", hostname: options.host ?? "127.0.0.1", port: options.port };
    this.#timer = setInterval(() => this.#push(engine), options.intervalMs ?? 100);
  }

  /** Starts pushing to `options.port` on the loopback (or `options.host`). */
  static start(engine: VizEngine, options: VizPushOptions): VizPush {
    return new VizPush(engine, options);
  }

  /** Stops pushing and closes the socket. */
  close(): void {
    clearInterval(this.#timer);
    this.#sock.close();
  }

  #push(engine: VizEngine): void {
    const voices = vizVoices(engine.patch.modules.keys());
    const levels = engine.peakMeters(voices).map((p) => Math.min(1, p));
    const spectrum = vizSpectrum(engine.recentAudio(2048), engine.sampleRate);
    for (const [address, args] of [["/viz/levels", levels], ["/viz/spectrum", spectrum]] as const) {
      const bytes = encode({ oscType: "message", address, args: args.map((v) => ({ type: "f", value: v })) });
      this.#sock.send(bytes, this.#to).catch(() => {}); // nobody listening (ICMP refused) loses a datagram
    }
  }
}
