// Dispatch from a module's type code to its kernel file. Each kernel file exports:
//   <type>StateBytes(): i32                       bytes of private state (the sample rate is known: G.sampleRate)
//   <type>Init(m: Inst): void                     state from the parameters' defaults (memory is zeroed)
//   <type>Process(m: Inst, from: i32, to: i32)    frames [from, to) of the current block
//   <type>Param(m: Inst, p: i32): void            optional: after a parameter's target changed
//   <type>Gate(m: Inst, on: bool, vel: f64): void optional: the gate command, at its exact frame
import { Inst } from "../module_abi";
import * as D from "../gen/defs";
import { vcoInit, vcoParam, vcoProcess, vcoStateBytes } from "./vco";
import { noiseInit, noiseProcess, noiseStateBytes } from "./noise";
import { vcfInit, vcfProcess, vcfStateBytes } from "./vcf";
import { acidGate, acidInit, acidParam, acidProcess, acidStateBytes } from "./acid";
import { adsrGate, adsrInit, adsrProcess, adsrStateBytes } from "./adsr";
import { vcaProcess } from "./vca";
import { mixerProcess } from "./mixer";
import { lfoInit, lfoProcess, lfoStateBytes } from "./lfo";
import { distortionInit, distortionProcess, distortionStateBytes } from "./distortion";
import { delayInit, delayParam, delayProcess, delayStateBytes } from "./delay";
import { reverbInit, reverbParam, reverbProcess, reverbStateBytes } from "./reverb";
import { limiterInit, limiterParam, limiterProcess, limiterStateBytes } from "./limiter";
import { outProcess } from "./out";
import { voiceGate, voiceInit, voiceParam, voiceProcess, voiceStateBytes } from "./voice";
import { kickGate, kickInit, kickProcess, kickStateBytes } from "./kick";
import { snareGate, snareInit, snareProcess, snareStateBytes } from "./snare";
import { hatGate, hatInit, hatProcess, hatStateBytes } from "./hat";
import { clapGate, clapInit, clapProcess, clapStateBytes } from "./clap";

/** Bytes of private state for a type. */
export function stateBytes(type: i32): i32 {
  switch (type) {
    case D.T_VCO: return vcoStateBytes();
    case D.T_NOISE: return noiseStateBytes();
    case D.T_VCF: return vcfStateBytes();
    case D.T_ACID: return acidStateBytes();
    case D.T_ADSR: return adsrStateBytes();
    case D.T_LFO: return lfoStateBytes();
    case D.T_DISTORTION: return distortionStateBytes();
    case D.T_DELAY: return delayStateBytes();
    case D.T_REVERB: return reverbStateBytes();
    case D.T_LIMITER: return limiterStateBytes();
    case D.T_VOICE: return voiceStateBytes();
    case D.T_KICK: return kickStateBytes();
    case D.T_SNARE: return snareStateBytes();
    case D.T_HAT: return hatStateBytes();
    case D.T_CLAP: return clapStateBytes();
    default: return 0;
  }
}

/** Initialises a freshly created module. */
export function initModule(m: Inst): void {
  switch (m.type) {
    case D.T_VCO: vcoInit(m); break;
    case D.T_NOISE: noiseInit(m); break;
    case D.T_VCF: vcfInit(m); break;
    case D.T_ACID: acidInit(m); break;
    case D.T_ADSR: adsrInit(m); break;
    case D.T_LFO: lfoInit(m); break;
    case D.T_DISTORTION: distortionInit(m); break;
    case D.T_DELAY: delayInit(m); break;
    case D.T_REVERB: reverbInit(m); break;
    case D.T_LIMITER: limiterInit(m); break;
    case D.T_VOICE: voiceInit(m); break;
    case D.T_KICK: kickInit(m); break;
    case D.T_SNARE: snareInit(m); break;
    case D.T_HAT: hatInit(m); break;
    case D.T_CLAP: clapInit(m); break;
    default: break;
  }
}

/** Renders frames [from, to) of a module. */
export function processModule(m: Inst, from: i32, to: i32): void {
  switch (m.type) {
    case D.T_VCO: vcoProcess(m, from, to); break;
    case D.T_NOISE: noiseProcess(m, from, to); break;
    case D.T_VCF: vcfProcess(m, from, to); break;
    case D.T_ACID: acidProcess(m, from, to); break;
    case D.T_ADSR: adsrProcess(m, from, to); break;
    case D.T_VCA: vcaProcess(m, from, to); break;
    case D.T_MIXER: mixerProcess(m, from, to); break;
    case D.T_LFO: lfoProcess(m, from, to); break;
    case D.T_DISTORTION: distortionProcess(m, from, to); break;
    case D.T_DELAY: delayProcess(m, from, to); break;
    case D.T_REVERB: reverbProcess(m, from, to); break;
    case D.T_LIMITER: limiterProcess(m, from, to); break;
    case D.T_OUT: outProcess(m, from, to); break;
    case D.T_VOICE: voiceProcess(m, from, to); break;
    case D.T_KICK: kickProcess(m, from, to); break;
    case D.T_SNARE: snareProcess(m, from, to); break;
    case D.T_HAT: hatProcess(m, from, to); break;
    case D.T_CLAP: clapProcess(m, from, to); break;
    default: break;
  }
}

/** After parameter p's target changed. */
export function paramChanged(m: Inst, p: i32): void {
  switch (m.type) {
    case D.T_VCO: vcoParam(m, p); break;
    case D.T_ACID: acidParam(m, p); break;
    case D.T_DELAY: delayParam(m, p); break;
    case D.T_REVERB: reverbParam(m, p); break;
    case D.T_LIMITER: limiterParam(m, p); break;
    case D.T_VOICE: voiceParam(m, p); break;
    default: break;
  }
}

/** The gate command. */
export function gateModule(m: Inst, on: bool, vel: f64): void {
  switch (m.type) {
    case D.T_ACID: acidGate(m, on, vel); break;
    case D.T_ADSR: adsrGate(m, on, vel); break;
    case D.T_VOICE: voiceGate(m, on, vel); break;
    case D.T_KICK: kickGate(m, on, vel); break;
    case D.T_SNARE: snareGate(m, on, vel); break;
    case D.T_HAT: hatGate(m, on, vel); break;
    case D.T_CLAP: clapGate(m, on, vel); break;
    default: break;
  }
}
