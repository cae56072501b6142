// The default patch for N voices. patches/default.json is the patch with four voices, exactly as written;
// `--voices N` and the seed system's CHRONUS_NUM_VOICES (its clients commonly ran eight) size its voiceN set:
//   N < 4   voice(N+1) … voice4 and every cable to or from them leave;
//   N > 4   voice5 … voiceN join, each a copy of voice1 … voice4 in turn (voice5 sounds like voice1, voice6 like
//           voice2 …) with that voice's sends (its cables into delay1 and reverb1, same depths). Mixer mix1's
//           eight inputs are taken (four voices, the acid line, the drums' pair), so voice5 … voice12 go into a
//           second mixer, mix2, and voice13 … voice16 into mix3, each input at its template's level and pan
//           on mix1, each mixer's stereo pair into limiter1 next to mix1's.
// Modulation cables (lfo1 → voice1.cutoff …) stay with the voices they were written for. The group `voices`
// (what `/note voices C3:maj7` allocates over) is voice1 … voiceN.
import type { PatchFile } from "../core/files.ts";

/** The voices of the default patch as written in patches/default.json. */
export const DEFAULT_VOICES = 4;

/** The most voices the default patch can have (as the seed system: 1 … 16). */
export const MAX_VOICES = 16;

/** The seed system's environment variable for the number of voices (the --voices flag wins over it). */
export const VOICES_ENV = "CHRONUS_NUM_VOICES";

/** Where patches/default.json is. */
export const DEFAULT_PATCH_URL: URL = new URL("../patches/default.json", import.meta.url);

const INPUTS_PER_MIXER = 8;
const MIXER = "mix1";
const SENDS = ["delay1", "reverb1"];
const MASTER = "limiter1";

/** patches/default.json with `voices` voices (1 … MAX_VOICES); the file itself for DEFAULT_VOICES. */
export function defaultPatch(voices: number = DEFAULT_VOICES): PatchFile {
  return readPatchFile({ file: DEFAULT_PATCH_URL, voices });
}

/**
 * The patch file at `from.file`, sized to `from.voices` voices when given (the default patch: sizedPatch);
 * throws "cannot read the patch <shown>: …" (`shown` how messages name it, default the file).
 */
export function readPatchFile(from: { file: string | URL; shown?: string; voices?: number }): PatchFile {
  try {
    const patch: PatchFile = JSON.parse(Deno.readTextFileSync(from.file));
    return from.voices === undefined ? patch : sizedPatch(patch, from.voices);
  } catch (e) {
    throw new Error(`cannot read the patch ${from.shown ?? from.file}: ${(e as Error).message}`);
  }
}

/** `base` (the default patch's shape: voice1 … voice4 into mix1, sends to delay1 and reverb1) with `voices` voices. */
export function sizedPatch(base: PatchFile, voices: number): PatchFile {
  if (!Number.isInteger(voices) || voices < 1 || voices > MAX_VOICES) {
    throw new RangeError(`the default patch has 1…${MAX_VOICES} voices, not ${voices}`);
  }
  if (voices === DEFAULT_VOICES) return base;
  const modules = { ...base.modules };
  const connections = [...(base.connections ?? [])];
  const moduleOf = (end: string) => end.split(".")[0];
  const voice = (k: number) => `voice${k}`;
  if (voices < DEFAULT_VOICES) {
    const gone = new Set(Array.from({ length: DEFAULT_VOICES - voices }, (_, i) => voice(voices + 1 + i)));
    for (const name of gone) delete modules[name];
    return {
      ...base,
      ...voicesGroup(base, voices),
      modules,
      connections: connections.filter(([from, to]) => !gone.has(moduleOf(from)) && !gone.has(moduleOf(to))),
    };
  }
  const mix1 = base.modules[MIXER].params ?? {};
  for (let k = DEFAULT_VOICES + 1; k <= voices; k++) {
    const template = voice(((k - 1) % DEFAULT_VOICES) + 1);
    modules[voice(k)] = structuredClone(base.modules[template]);
    const mixer = `mix${2 + Math.floor((k - DEFAULT_VOICES - 1) / INPUTS_PER_MIXER)}`;
    const input = ((k - DEFAULT_VOICES - 1) % INPUTS_PER_MIXER) + 1;
    if (!modules[mixer]) {
      modules[mixer] = { type: "mixer", params: { master: 1 } };
      connections.push([`${mixer}.L`, `${MASTER}.L`], [`${mixer}.R`, `${MASTER}.R`]);
    }
    for (const [from, to, depth] of base.connections ?? []) {
      if (from !== template) continue;
      const [dst, port] = to.split(".");
      if (SENDS.includes(dst)) connections.push(depth === undefined ? [voice(k), to] : [voice(k), to, depth]);
      else if (dst === MIXER) {
        const t = port.slice(2); // "in3" → "3"
        const params = modules[mixer].params!;
        params[`level${input}`] = mix1[`level${t}`] ?? 1;
        params[`pan${input}`] = mix1[`pan${t}`] ?? 0;
        connections.push([voice(k), `${mixer}.in${input}`]);
      }
    }
  }
  return { ...base, ...voicesGroup(base, voices), modules, connections };
}

// The default patch's group `voices` (voice1 … voiceN), when the base declares it.
function voicesGroup(base: PatchFile, voices: number): Pick<PatchFile, "groups"> {
  if (!base.groups?.voices) return {};
  return { groups: { ...base.groups, voices: Array.from({ length: voices }, (_, i) => `voice${i + 1}`) } };
}
