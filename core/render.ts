// Offline rendering through the same WASM as the live workers, as fast as possible.
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "./command.ts";
import { DspHost, type DspSettings } from "./dsp_host.ts";

/**
 * Renders `frames` frames (rounded up to whole blocks) of a command list; returns interleaved stereo. `pool`:
 * the sample pool the commands' samplers play (core/sample_pool.ts; default an empty one).
 */
export function renderOffline(
  module: WebAssembly.Module,
  settings: DspSettings,
  commands: readonly StampedCommand[],
  frames: number,
  pool?: WebAssembly.Memory,
): Float32Array {
  const host = new DspHost(module, settings, pool);
  const B = settings.block;
  const blocks = Math.ceil(frames / B);
  const out = new Float32Array(blocks * B * L.CHANNELS);
  const sorted = [...commands].sort((a, b) => a.frame - b.frame || a.seq - b.seq);
  let next = 0;
  for (let n = 0; n < blocks; n++) {
    const end = (n + 1) * B;
    for (; next < sorted.length && sorted[next].frame < end; next++) host.push(sorted[next]);
    if (host.render(n) !== 0) throw new RangeError(`Cannot render: block ${n} holds NaN or Inf`);
    out.set(host.out, n * B * L.CHANNELS);
  }
  return out.subarray(0, frames * L.CHANNELS);
}
