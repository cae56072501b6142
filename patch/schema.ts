// The module library's contract, declared once: every module type with its ports and parameters.
// scripts/gen_defs.ts turns it into asm/gen/defs.ts (type codes, parameter indices and the range/default/
// smoothing tables the DSP reads); the control side validates against it; /engine/schema serves it as JSON.
// Type codes and parameter indices are positions in these lists: append, never reorder or remove.

/** How a connected signal moves a parameter: "lin" adds depth·signal (in the parameter's unit), "exp" multiplies
 * by 2^(depth·signal) (depth in octaves per unit of signal: musical for frequencies). */
export type ModKind = "lin" | "exp";

/** One parameter's contract. */
export interface ParamDef {
  /** Its name on the module ("cutoff"); its index in the module's list is what commands carry. */
  name: string;
  /** The least value it takes, in `unit`. */
  min: number;
  /** The greatest value it takes, in `unit`. */
  max: number;
  /** Its value in a new module. */
  default: number;
  /** Its unit: "Hz", "ms", "cents", "dB", "linear" (levels, amounts) …; "enum": an index into `names`. */
  unit: string;
  /** Per-sample one-pole smoothing time constant in ms; 0 = the value jumps at the command's frame. */
  smooth: number;
  /** How a cable into it moves it: linearly in its unit, or exponentially in octaves (frequencies). */
  mod: ModKind;
  /** "audio": read per sample (smoothed, modulated per sample); "control": read once per span. */
  rate: "audio" | "control";
  /** Names of the values of an enumerated parameter, in value order. */
  names?: string[];
  /** Takes whole numbers only (a count: the voice's `unison`); enumerated parameters always do. */
  integer?: boolean;
  /** Other accepted names (e.g. "filter.freq" for "cutoff"). */
  aliases?: string[];
  /** What it does, in a few words (docs/modules.md, /engine/schema). */
  doc: string;
}

/** One module type. */
export interface ModuleDef {
  /** Its type name, as patches and /patch/create give it ("vco", "vcf" …). */
  type: string;
  /** What it is, in a sentence (docs/modules.md, /engine/schema). */
  doc: string;
  /** Its audio inputs by name, in index order (the first is where a cable without a port goes). */
  inputs: string[];
  /** Its outputs by name, in index order (the first is where a cable without a port comes from). */
  outputs: string[];
  /** Its parameters, in index order: append only, the index is part of the DSP's contract. */
  params: ParamDef[];
  /** Accepts the `gate` command (and a `gate` input where listed). */
  gate: boolean;
}

type P = Omit<ParamDef, "smooth" | "mod" | "rate"> & Partial<Pick<ParamDef, "smooth" | "mod" | "rate">>;

const param = (p: P): ParamDef => ({ smooth: 0, mod: "lin", rate: "control", ...p });
/** A frequency: exponential modulation, read per sample. */
const hz = (p: Omit<P, "unit">): ParamDef => param({ unit: "Hz", mod: "exp", rate: "audio", ...p });
/** A level or amount: smoothed over 5 ms, read per sample. */
const level = (p: Omit<P, "unit" | "min" | "max"> & { min?: number; max?: number }): ParamDef =>
  param({ unit: "linear", min: 0, max: 1, smooth: 5, rate: "audio", ...p });
const ms = (p: Omit<P, "unit">): ParamDef => param({ unit: "ms", ...p });
const choice = (name: string, names: string[], def: number, doc: string): ParamDef =>
  param({ name, min: 0, max: names.length - 1, default: def, unit: "enum", names, doc });

const VCO_WAVES = ["sine", "saw", "square", "triangle"];
// The voice's sources: the vco's waves, then three noises (the seed system's voice had them as sources).
const VOICE_WAVES = [...VCO_WAVES, "white", "pink", "brown"];
const FILTER_MODES = ["low", "band", "high", "notch"];

// The oscillator's parameters, shared by vco and voice (but `wave`: the voice has the noises too).
const VCO_WAVE = choice("wave", VCO_WAVES, 1, "waveform");
const OSC_FREQ = hz({
  name: "freq",
  min: 0.1,
  max: 20000,
  default: 220,
  doc: "pitch (glides over `glide` ms)",
});
const OSC_DETUNE = param({
  name: "detune",
  min: -1200,
  max: 1200,
  default: 0,
  unit: "cents",
  smooth: 5,
  rate: "audio",
  doc: "pitch offset",
});
const OSC_PW = level({ name: "pw", min: 0.01, max: 0.99, default: 0.5, doc: "pulse width of the square" });
const OSC_FM = param({
  name: "fm",
  min: 0,
  max: 10000,
  default: 0,
  unit: "Hz",
  smooth: 5,
  rate: "audio",
  doc: "linear FM: Hz of deviation per unit on the fm input",
});
const OSC_GLIDE = ms({ name: "glide", min: 0, max: 5000, default: 0, doc: "portamento time constant" });

/**
 * attack, decay, sustain, release, curve, in that order (the DSP reads them as one run: env.ts envOnFrom),
 * with their defaults; `aliases` adds "env.attack" … (the voice's sub-path names).
 */
function envelope(
  d: { attack: number; decay: number; sustain: number; release: number },
  aliases: boolean,
): ParamDef[] {
  const a = (name: string) => aliases ? { aliases: [`env.${name}`] } : {};
  return [
    ms({
      name: "attack",
      min: 0,
      max: 20000,
      default: d.attack,
      ...a("attack"),
      doc: "time from the current level to 1",
    }),
    ms({ name: "decay", min: 0, max: 20000, default: d.decay, ...a("decay"), doc: "time from 1 to sustain" }),
    param({
      name: "sustain",
      min: 0,
      max: 1,
      default: d.sustain,
      unit: "linear",
      ...a("sustain"),
      doc: "level held while the gate is on",
    }),
    ms({
      name: "release",
      min: 0,
      max: 20000,
      default: d.release,
      ...a("release"),
      doc: "time from the current level to 0",
    }),
    param({
      name: "curve",
      min: 0,
      max: 10,
      default: 4,
      unit: "",
      doc: "0 = linear; higher = more exponential (RC-like)",
    }),
  ];
}

/** Every module type, in type-code order. */
export const MODULES: readonly ModuleDef[] = [
  {
    type: "vco",
    doc:
      "Band-limited oscillator (PolyBLEP saw/square, PolyBLAMP triangle) with detune, linear FM, hard sync, glide.",
    inputs: ["fm", "sync"],
    outputs: ["out"],
    gate: false,
    params: [
      VCO_WAVE,
      OSC_FREQ,
      OSC_DETUNE,
      OSC_PW,
      OSC_FM,
      OSC_GLIDE,
      level({ name: "level", default: 1, doc: "output level" }),
    ],
  },
  {
    type: "noise",
    doc: "White, pink (−3 dB/octave) or brown (−6 dB/octave) noise from the module's own seeded PRNG.",
    inputs: [],
    outputs: ["out"],
    gate: false,
    params: [
      choice("color", ["white", "pink", "brown"], 0, "spectrum"),
      level({ name: "level", default: 1, doc: "output level" }),
    ],
  },
  {
    type: "vcf",
    doc:
      "Zero-delay-feedback state-variable filter (Simper/Zavalishin): low, band, high, notch; stable to self-oscillation.",
    inputs: ["in"],
    outputs: ["out"],
    gate: false,
    params: [
      choice("mode", FILTER_MODES, 0, "response"),
      hz({
        name: "cutoff",
        min: 20,
        max: 20000,
        default: 1000,
        smooth: 5,
        aliases: ["freq"],
        doc: "cutoff (clamped to 0.45·sample rate)",
      }),
      level({ name: "res", max: 1, default: 0.3, doc: "resonance: Q = 1/(2·(1−res)); 1 = self-oscillation" }),
      level({ name: "level", default: 1, doc: "output level" }),
    ],
  },
  {
    type: "acid",
    doc:
      "TB-303-style line: saw/square with glide into a 4-pole ladder low-pass (tanh stages) with decay envelope and accent.",
    inputs: ["in"],
    outputs: ["out"],
    gate: true,
    params: [
      choice("wave", ["saw", "square"], 0, "oscillator waveform"),
      hz({ name: "freq", min: 20, max: 5000, default: 55, doc: "pitch" }),
      ms({ name: "glide", min: 0, max: 1000, default: 0, doc: "slide time constant" }),
      hz({ name: "cutoff", min: 20, max: 20000, default: 500, smooth: 5, doc: "ladder cutoff" }),
      level({ name: "res", default: 0.6, doc: "resonance (self-oscillates near 1)" }),
      param({
        name: "envmod",
        min: 0,
        max: 8,
        default: 3,
        unit: "octaves",
        doc: "envelope amount on the cutoff",
      }),
      ms({ name: "decay", min: 10, max: 3000, default: 300, doc: "filter envelope decay" }),
      level({
        name: "accent",
        default: 0.5,
        rate: "control",
        smooth: 0,
        doc: "extra envelope and level on accented notes (velocity > 0.8)",
      }),
      param({
        name: "drive",
        min: 0,
        max: 24,
        default: 3,
        unit: "dB",
        smooth: 5,
        rate: "audio",
        doc: "input drive into the ladder",
      }),
      level({ name: "osc", default: 1, doc: "internal oscillator level (0: filter the input only)" }),
      level({ name: "level", default: 0.8, doc: "output level" }),
    ],
  },
  {
    type: "adsr",
    doc:
      "Envelope with exponential segments of exact duration; retriggers and releases from the current level.",
    inputs: ["gate"],
    outputs: ["out"],
    gate: true,
    params: [
      ...envelope({ attack: 5, decay: 100, sustain: 0.6, release: 200 }, false),
    ],
  },
  {
    type: "vca",
    doc: "Amplifier: out = in · gain (· cv when the cv input is connected).",
    inputs: ["in", "cv"],
    outputs: ["out"],
    gate: false,
    params: [level({ name: "gain", max: 2, default: 1, doc: "gain (modulate it from an envelope)" })],
  },
  {
    type: "mixer",
    doc: "Eight mono inputs with level and equal-power pan onto a stereo pair.",
    inputs: ["in1", "in2", "in3", "in4", "in5", "in6", "in7", "in8"],
    outputs: ["L", "R"],
    gate: false,
    params: [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
        level({ name: `level${i}`, default: 1, doc: `level of in${i}` })
      ),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
        param({
          name: `pan${i}`,
          min: -1,
          max: 1,
          default: 0,
          unit: "",
          smooth: 5,
          rate: "audio",
          doc: `pan of in${i}`,
        })
      ),
      level({ name: "master", default: 1, doc: "master level" }),
    ],
  },
  {
    type: "lfo",
    doc: "Low-frequency oscillator: out = offset + depth·wave.",
    inputs: [],
    outputs: ["out"],
    gate: false,
    params: [
      choice("wave", ["sine", "triangle", "saw", "square", "sh"], 0, "waveform (sh = sample and hold)"),
      hz({ name: "rate", min: 0.01, max: 100, default: 1, doc: "frequency" }),
      level({ name: "depth", default: 1, doc: "amplitude" }),
      level({ name: "offset", min: -1, max: 1, default: 0, doc: "added constant" }),
    ],
  },
  {
    type: "distortion",
    doc:
      "Waveshaper (tanh soft clip, hard clip, foldback, bit-crush) with tone, mix, DC blocker, denormal guard.",
    inputs: ["in"],
    outputs: ["out"],
    gate: false,
    params: [
      choice("mode", ["soft", "hard", "fold", "crush"], 0, "shaper"),
      param({
        name: "drive",
        min: 0,
        max: 48,
        default: 12,
        unit: "dB",
        smooth: 5,
        rate: "audio",
        doc: "input gain",
      }),
      level({ name: "tone", default: 0.7, doc: "post low-pass: 0 dark (150 Hz) … 1 open (38 kHz)" }),
      level({ name: "mix", default: 1, doc: "wet/dry (0 = the input, untouched)" }),
      param({ name: "bits", min: 1, max: 16, default: 8, unit: "bits", doc: "crush resolution" }),
      level({ name: "level", default: 0.7, doc: "level of the distorted (wet) signal" }),
    ],
  },
  {
    type: "delay",
    doc:
      "Stereo feedback delay with a damping low-pass in the loop and low/high cuts on the echoes; time glides without zipper noise.",
    inputs: ["L", "R"],
    outputs: ["L", "R"],
    gate: false,
    params: [
      param({
        name: "time",
        min: 1,
        max: 2000,
        default: 375,
        unit: "ms",
        smooth: 150,
        rate: "audio",
        doc: "delay time",
      }),
      level({ name: "feedback", max: 0.98, default: 0.45, doc: "feedback amount" }),
      level({ name: "damp", default: 0.3, doc: "high-frequency loss in the loop" }),
      level({ name: "mix", default: 1, doc: "wet/dry (1 = wet only, for sends)" }),
      choice("pingpong", ["off", "on"], 0, "cross the feedback between channels"),
      hz({
        name: "lowcut",
        min: 20,
        max: 1000,
        default: 20,
        smooth: 20,
        doc: "high-pass on the echoes (2-pole Butterworth), outside the loop; 20 = off",
      }),
      hz({
        name: "highcut",
        min: 1000,
        max: 20000,
        default: 20000,
        smooth: 20,
        doc: "low-pass on the echoes (2-pole Butterworth), outside the loop; 20000 = off",
      }),
    ],
  },
  {
    type: "reverb",
    doc: "Freeverb (Jezar): 8 parallel combs and 4 allpasses per channel, stereo spread.",
    inputs: ["L", "R"],
    outputs: ["L", "R"],
    gate: false,
    params: [
      level({ name: "room", default: 0.8, doc: "size (decay)" }),
      level({ name: "damp", default: 0.4, doc: "high-frequency damping" }),
      level({ name: "mix", default: 1, doc: "wet/dry (1 = wet only, for sends)" }),
      level({ name: "width", default: 1, doc: "stereo width" }),
    ],
  },
  {
    type: "limiter",
    doc: "Look-ahead peak limiter (1.5 ms): never exceeds the ceiling, never passes NaN/Inf.",
    inputs: ["L", "R"],
    outputs: ["L", "R"],
    gate: false,
    params: [
      param({ name: "ceiling", min: -24, max: 0, default: -0.3, unit: "dBFS", doc: "peak ceiling" }),
      ms({ name: "release", min: 1, max: 2000, default: 80, doc: "gain recovery time constant" }),
      param({
        name: "gain",
        min: -24,
        max: 24,
        default: 0,
        unit: "dB",
        smooth: 5,
        rate: "audio",
        doc: "input gain (smoothed: a step does not click)",
      }),
    ],
  },
  {
    type: "out",
    doc: "The master bus: adds its inputs to the engine's stereo output (non-finite samples become 0).",
    inputs: ["L", "R"],
    outputs: [],
    gate: false,
    params: [level({ name: "level", default: 1, doc: "master level" })],
  },
  {
    type: "voice",
    doc:
      "A playable voice: vco or noise → state-variable filter (with envelope amount) → ADSR-driven amplifier; `am`, when patched, multiplies the output (tremolo).",
    inputs: ["fm", "gate", "am"],
    outputs: ["out"],
    gate: true,
    params: [
      choice("wave", VOICE_WAVES, 1, "source: a waveform, or white, pink or brown noise (no pitch)"),
      { ...OSC_FREQ, aliases: ["osc.freq"] },
      OSC_DETUNE,
      OSC_PW,
      OSC_GLIDE,
      hz({
        name: "cutoff",
        min: 20,
        max: 20000,
        default: 2400,
        smooth: 5,
        aliases: ["filter.freq", "filter.cutoff"],
        doc: "filter cutoff",
      }),
      level({
        name: "res",
        default: 0.35,
        aliases: ["filter.res"],
        doc: "filter resonance (Q = 1/(2·(1−res)))",
      }),
      choice("fmode", FILTER_MODES, 0, "filter response"),
      param({
        name: "envamt",
        min: -8,
        max: 8,
        default: 1.5,
        unit: "octaves",
        aliases: ["filter.env"],
        doc: "envelope → cutoff",
      }),
      ...envelope({ attack: 5, decay: 250, sustain: 0.5, release: 300 }, true),
      level({ name: "gain", default: 0.5, aliases: ["level", "amp"], doc: "output level" }),
      OSC_FM,
      param({
        name: "unison",
        min: 1,
        max: 7,
        default: 1,
        unit: "",
        integer: true,
        doc: "oscillators per voice, equal level, the sum scaled by 1/√unison (noise: one)",
      }),
      param({
        name: "spread",
        min: 0,
        max: 100,
        default: 0,
        unit: "cents",
        smooth: 5,
        rate: "audio",
        doc: "unison detune span: oscillator k of N at spread·(k/(N−1) − ½) cents",
      }),
    ],
  },
  {
    type: "kick",
    doc:
      "Bass drum: a sine in cosine phase whose pitch falls from freq·2^sweep to freq, a noise click, drive; one-shot.",
    inputs: ["gate"],
    outputs: ["out"],
    gate: true,
    params: [
      hz({
        name: "freq",
        min: 20,
        max: 500,
        default: 50,
        doc: "body pitch: where the sweep ends (a note sets it)",
      }),
      param({
        name: "sweep",
        min: 0,
        max: 6,
        default: 2.5,
        unit: "octaves",
        doc: "how far above freq the pitch starts",
      }),
      ms({ name: "pitchdecay", min: 1, max: 2000, default: 70, doc: "time for the pitch to fall onto freq" }),
      ms({
        name: "decay",
        min: 10,
        max: 5000,
        default: 450,
        doc: "time to silence (exponential, −60 dB shape)",
      }),
      level({
        name: "click",
        default: 0.5,
        rate: "control",
        smooth: 0,
        doc: "level of the 8 ms noise click (an edge, like a beater)",
      }),
      level({
        name: "drive",
        default: 0.3,
        rate: "control",
        smooth: 0,
        doc: "parallel saturation (0 = clean)",
      }),
      level({ name: "level", default: 0.9, doc: "output level (times the hit's velocity)" }),
    ],
  },
  {
    type: "snare",
    doc:
      "Snare drum: two pitched partials with a short pitch drop plus band-passed noise, each with its decay.",
    inputs: ["gate"],
    outputs: ["out"],
    gate: true,
    params: [
      hz({
        name: "freq",
        min: 50,
        max: 1000,
        default: 185,
        doc: "pitch of the shell tone (second partial ×1.78)",
      }),
      level({ name: "tone", default: 0.55, doc: "level of the tone" }),
      level({ name: "snappy", default: 0.8, doc: "level of the noise (the snares)" }),
      ms({ name: "decay", min: 10, max: 2000, default: 180, doc: "tone: time to silence" }),
      ms({ name: "noisedecay", min: 10, max: 2000, default: 260, doc: "noise: time to silence" }),
      hz({
        name: "cutoff",
        min: 500,
        max: 16000,
        default: 4000,
        smooth: 5,
        doc: "centre of the noise band (Q 0.5: −3 dB at 0.41× and 2.4×)",
      }),
      level({ name: "level", default: 0.8, doc: "output level (times the hit's velocity)" }),
    ],
  },
  {
    type: "hat",
    doc:
      "Hi-hat: six square oscillators at the TR-808's inharmonic ratios (or white noise), band- and high-passed.",
    inputs: ["gate"],
    outputs: ["out"],
    gate: true,
    params: [
      choice(
        "mode",
        ["closed", "open"],
        0,
        "which decay a hit uses (a closed hit chokes a ringing open one)",
      ),
      choice("color", ["metallic", "noise"], 0, "source: six squares (808) or white noise"),
      ms({ name: "closed", min: 5, max: 1000, default: 60, doc: "closed hat: time to silence" }),
      ms({ name: "open", min: 20, max: 4000, default: 420, doc: "open hat: time to silence" }),
      hz({
        name: "freq",
        min: 50,
        max: 2000,
        default: 205.3,
        doc: "lowest of the six oscillators (the others at ×1.48, ×1.80, ×2.55, ×2.63, ×3.90)",
      }),
      hz({
        name: "cutoff",
        min: 2000,
        max: 18000,
        default: 8000,
        smooth: 5,
        doc: "band-pass centre (the high-pass after it sits at 0.75×)",
      }),
      level({ name: "level", default: 0.7, doc: "output level (times the hit's velocity)" }),
    ],
  },
  {
    type: "clap",
    doc: "Hand clap: three noise bursts `spread` ms apart and a decaying tail, band-passed (TR-808 style).",
    inputs: ["gate"],
    outputs: ["out"],
    gate: true,
    params: [
      ms({
        name: "spread",
        min: 2,
        max: 40,
        default: 11,
        doc: "time between the bursts (the tail starts after 3)",
      }),
      ms({ name: "decay", min: 20, max: 3000, default: 240, doc: "tail: time to silence" }),
      hz({ name: "cutoff", min: 300, max: 8000, default: 1200, smooth: 5, doc: "band-pass centre" }),
      level({ name: "level", default: 0.8, doc: "output level (times the hit's velocity)" }),
    ],
  },
  {
    type: "sampler",
    doc:
      "Plays a sample of the pool (`/sample/load`): start/end, pitch and rate, loops, reverse, slices, attack/release; cubic Hermite, band-limited when pitched up.",
    inputs: [],
    outputs: ["left", "right"],
    gate: true,
    params: [
      param({
        name: "sample",
        min: 0,
        max: 255,
        default: 0,
        unit: "sample",
        integer: true,
        doc: "the sample a hit plays: a name given to /sample/load (0: none)",
      }),
      param({ name: "start", min: 0, max: 1, default: 0, unit: "linear", doc: "where the region starts" }),
      param({ name: "end", min: 0, max: 1, default: 1, unit: "linear", doc: "where the region ends" }),
      param({ name: "pitch", min: -48, max: 48, default: 0, unit: "semitones", doc: "transposition" }),
      param({
        name: "rate",
        min: 0.0625,
        max: 16,
        default: 1,
        unit: "×",
        doc: "playback speed (times pitch)",
      }),
      choice("loop", ["off", "forward", "pingpong"], 0, "how the loop region repeats"),
      param({ name: "loopstart", min: 0, max: 1, default: 0, unit: "linear", doc: "loop region start" }),
      param({ name: "loopend", min: 0, max: 1, default: 1, unit: "linear", doc: "loop region end" }),
      choice("reverse", ["off", "on"], 0, "plays the region (or slice) backwards"),
      ms({ name: "attack", min: 0, max: 10000, default: 0, doc: "linear fade in from each hit" }),
      ms({ name: "release", min: 0, max: 10000, default: 5, doc: "linear fade out at gate off (gated)" }),
      param({
        name: "slices",
        min: 1,
        max: 64,
        default: 1,
        unit: "",
        integer: true,
        doc: "the region cut into N equal slices (1: whole; onset slices of the load win when present)",
      }),
      param({
        name: "slice",
        min: 0,
        max: 255,
        default: 0,
        unit: "",
        integer: true,
        doc: "the slice a hit plays (from 0; past the last: the last)",
      }),
      param({
        name: "gain",
        min: 0,
        max: 4,
        default: 1,
        unit: "linear",
        doc: "output level (times velocity)",
      }),
      choice("mode", ["oneshot", "gated"], 0, "oneshot plays to the end; gated releases at gate off"),
    ],
  },
];

/** The module definition of a type name, or undefined. */
export function moduleDef(type: string): ModuleDef | undefined {
  return MODULES.find((m) => m.type === type);
}

/** Type code of a type name (its position in MODULES), or -1. */
export function typeCode(type: string): number {
  return MODULES.findIndex((m) => m.type === type);
}

/** Index of a parameter by name or alias ("filter/freq" and "filter.freq" are the same), or -1. */
export function paramIndex(def: ModuleDef, name: string): number {
  const n = name.replaceAll("/", ".");
  return def.params.findIndex((p) => p.name === n || (p.aliases ?? []).includes(n));
}

/** The schema as plain JSON data (what /engine/schema replies). */
export function schemaJson(): unknown {
  return {
    modules: MODULES.map((m) => ({
      type: m.type,
      doc: m.doc,
      inputs: m.inputs,
      outputs: m.outputs,
      gate: m.gate,
      params: m.params.map((p) => ({
        name: p.name,
        min: p.min,
        max: p.max,
        default: p.default,
        unit: p.unit,
        smoothMs: p.smooth,
        modulation: p.mod,
        rate: p.rate,
        ...(p.names ? { values: p.names } : {}),
        ...(p.integer ? { integer: true } : {}),
        ...(p.aliases ? { aliases: p.aliases } : {}),
        doc: p.doc,
      })),
    })),
  };
}
