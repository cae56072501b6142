// OSC time tags → engine frames. The output's clock is the reference: the block it plays next was due at the
// moment we read it, so a tag `t` (Unix seconds, as node-osc decodes it) lands `(t − now)·sr` frames later.
// Immediate (0) and past tags map to "as soon as possible" (undefined).

/** The frame at which a time tag applies, or undefined for "now" (immediate or past tags). */
export function frameForTimeTag(
  tag: number,
  nowUnixSeconds: number,
  nowFrame: number,
  sampleRate: number,
): number | undefined {
  if (!(tag > 0)) return undefined;
  const frame = Math.round(nowFrame + (tag - nowUnixSeconds) * sampleRate);
  return frame <= nowFrame ? undefined : frame;
}
