// The listening report in a few plain sentences, as `listen` and `render --analyze` print it: numbers rounded
// the way a musician reads them (whole LUFS and dB, a peak to a tenth, a centroid in kHz, cents whole), and
// only what is worth saying: width when the stereo image is notable, the limiter when it works, DC when it is
// there. Silence says so and nothing else.
import type { Analysis } from "./analyze.ts";

const MINUS = "\u2212";

// A signed number with a real minus sign, to `digits` decimals ("−0.8", "+3", "0").
function signed(v: number, digits = 0, plus = false): string {
  const r = Number(v.toFixed(digits));
  const text = Math.abs(r).toFixed(digits);
  if (r < 0) return `${MINUS}${text}`;
  return plus && r > 0 ? `+${text}` : text;
}

function hz(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)} kHz` : `${Math.round(v)} Hz`;
}

function seconds(s: number): string {
  return `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

// How the spectrum sounds, by its centroid.
function brightness(centroid: number): string {
  if (centroid < 500) return "dark";
  if (centroid < 1500) return "warm";
  if (centroid < 3000) return "balanced";
  if (centroid < 6000) return "bright";
  return "harsh";
}

/** The report in plain words, e.g. "−11 LUFS, peaks −0.8 dBTP, bright (centroid 3.1 kHz), … no clipping". */
export function describe(a: Analysis): string {
  const span = seconds(a.window.seconds);
  if (a.silent) return `Silence: nothing reaches −90 dBFS in the last ${span}.`.replace("−", MINUS);
  const level: string[] = [];
  if (a.lufs !== null && Number.isFinite(a.lufs)) level.push(`${signed(a.lufs)} LUFS`);
  else level.push(`RMS ${signed(Math.max(...a.rmsDb))} dBFS`);
  level.push(`peaks ${signed(a.truePeakDb, 1)} dBTP`);
  if (a.crestDb > 0) level.push(`crest ${Math.round(a.crestDb)} dB`);
  const sound: string[] = [];
  if (a.centroidHz > 0) sound.push(`${brightness(a.centroidHz)} (centroid ${hz(a.centroidHz)})`);
  const p = a.pitches[0];
  if (p) sound.push(`strongest pitch ${p.note} ${signed(p.cents, 0, true)} cents (${hz(p.hz)})`);
  if (a.key && a.key.confidence >= 0.5) sound.push(`in ${a.key.name}`);
  if (a.bpm) {
    const seq = a.sequencerBpm !== undefined ? ` (sequencer ${Number(a.sequencerBpm.toFixed(1))})` : "";
    sound.push(`${a.bpm.value.toFixed(1)} BPM${seq}`);
  } else if (a.sequencerBpm !== undefined) {
    sound.push(`sequencer at ${Number(a.sequencerBpm.toFixed(1))} BPM`);
  }
  const care: string[] = [];
  care.push(a.clipped > 0 ? `${a.clipped} clipped samples` : "no clipping");
  if (a.limiterDb !== undefined && a.limiterDb < -0.5) {
    care.push(`the limiter takes up to ${signed(a.limiterDb, 1)} dB`);
  }
  const [l, r] = a.rmsDb;
  if (a.correlation < 0) care.push(`out of phase (correlation ${signed(a.correlation, 2)})`);
  else if (Math.abs(l - r) >= 3) {
    care.push(`leans ${l > r ? "left" : "right"} by ${Math.round(Math.abs(l - r))} dB`);
  } else if (a.correlation < 0.5 && a.correlation !== 0) {
    care.push(`wide (correlation ${signed(a.correlation, 2)})`);
  } else if (a.correlation > 0.999) care.push("mono");
  if (Math.max(Math.abs(a.dcOffset[0]), Math.abs(a.dcOffset[1])) > 0.01) care.push("DC offset");
  const sentences = [`${level.join(", ")} over the last ${span}.`];
  if (sound.length) sentences.push(`${cap(sound.join(", "))}.`);
  sentences.push(`${cap(care.join(", "))}.`);
  return sentences.join(" ");
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
