// OSC time tags → engine frames. The output's clock is the reference: frame f sounds at t0 + f/sr, where t0 is
// estimated from the wall clock and the output's position. The estimate jitters by a block or so from one
// reading to the next, so it is kept fixed and only moved when it is off by more than 5 ms (clock drift): two
// bundles with one time tag always land on one frame. Immediate (0) and past tags mean "as soon as possible".

/** Maps time tags (Unix seconds, as osc/codec.ts decodes them) to frames. */
export class TimeTagClock {
  #t0: number | undefined;

  /** The frame at which a time tag applies, or undefined for "now" (immediate or past tags). */
  frameFor(tag: number, nowUnixSeconds: number, nowFrame: number, sampleRate: number): number | undefined {
    const estimate = nowUnixSeconds - nowFrame / sampleRate;
    if (this.#t0 === undefined || Math.abs(estimate - this.#t0) > 0.005) this.#t0 = estimate;
    if (!(tag > 0)) return undefined;
    const frame = Math.round((tag - this.#t0) * sampleRate);
    return frame <= nowFrame ? undefined : frame;
  }
}
