// What the output worker writes blocks to.

/** An audio destination for interleaved float32 blocks. */
export interface Sink {
  /** True when write() itself waits for the device clock (then the output loop does not pace). */
  readonly paced: boolean;
  /** Consumes one block of interleaved samples. */
  write(block: Float32Array): void;
  /** Flushes and releases the device or file. */
  close(): void | Promise<void>;
  /** Device underflows so far (sinks with a device clock). */
  underflows?(): number;
  /** Output latency the device reports, in ms. */
  latencyMs?(): number;
}
