// The reference voice of the DSP benchmark (issue 4), as a Chronus patch and as plain TypeScript.
// Voice i: PolyBLEP saw at 55·(1 + ((i·0.37) mod 4)) Hz → 2-pole resonant low-pass (1200 Hz, Q 2) →
// ADSR (5 ms, 100 ms, 0.6, 200 ms) → VCA; gate 250 ms on / 250 ms off (a 2 Hz square LFO); N voices summed.

/** A patch file (core/files.ts PatchFile) with modules and cables only. */
export interface ReferencePatch {
  /** Modules by name: type and parameters. */
  modules: Record<string, { type: string; params?: Record<string, number | string> }>;
  /** Cables: [from, to, depth?]. */
  connections: [string, string, number?][];
}

/** Frequency of voice i. */
export function voiceHz(i: number): number {
  return 55 * (1 + ((i * 0.37) % 4));
}

const Q = 2;
const RES = 1 - 1 / (2 * Q); // Chronus' res: Q = 1/(2·(1 − res))

/** The workload as a patch: fused `voice` modules (one loop per voice) or vco → vcf → adsr → vca modules;
 * `unison` > 1 gives each fused voice that many oscillators, spread over 14 cents (the unison cost). */
export function referencePatch(n: number, style: "fused" | "modular" = "fused", unison = 1): ReferencePatch {
  const modules: ReferencePatch["modules"] = {
    gate: { type: "lfo", params: { wave: "square", rate: 2, depth: 0.5, offset: 0.5 } },
    out: { type: "out" },
  };
  const connections: [string, string, number?][] = [];
  for (let i = 0; i < n; i++) {
    const env = { attack: 5, decay: 100, sustain: 0.6, release: 200 };
    if (style === "fused") {
      modules[`v${i}`] = {
        type: "voice",
        params: {
          wave: "saw",
          freq: voiceHz(i),
          cutoff: 1200,
          res: RES,
          envamt: 0,
          ...env,
          gain: 1,
          ...(unison > 1 ? { unison, spread: 14 } : {}),
        },
      };
      connections.push(["gate", `v${i}.gate`], [`v${i}`, "out.L"]);
    } else {
      modules[`o${i}`] = { type: "vco", params: { wave: "saw", freq: voiceHz(i) } };
      modules[`f${i}`] = { type: "vcf", params: { mode: "low", cutoff: 1200, res: RES } };
      modules[`e${i}`] = { type: "adsr", params: env };
      modules[`a${i}`] = { type: "vca", params: { gain: 1 } };
      connections.push(
        ["gate", `e${i}.gate`],
        [`o${i}`, `f${i}`],
        [`f${i}`, `a${i}.in`],
        [`e${i}`, `a${i}.cv`],
        [`a${i}`, "out.L"],
      );
    }
  }
  return { modules, connections };
}

/** The same algorithm in plain TypeScript (f64 state, per-voice loops over a block), for comparison. */
export class TsVoices {
  /** The last rendered block: the voices summed, mono. */
  readonly out: Float32Array;
  #n: number;
  #sr: number;
  #phase: Float64Array;
  #dt: Float64Array;
  #ic1: Float64Array;
  #ic2: Float64Array;
  #level: Float64Array;
  #stage: Int32Array; // 0 idle, 1 attack, 2 decay, 3 sustain, 4 release
  #left: Int32Array;
  #w: Float64Array;
  #mul: Float64Array;
  #start: Float64Array;
  #scale: Float64Array;
  #end: Float64Array;
  #a1: number;
  #a2: number;
  #a3: number;
  #lfo = 0;
  #gate = 0;
  #gates: Int8Array;

  /** `n` voices at `sampleRate`, `block` frames a render. */
  constructor(n: number, sampleRate: number, block: number) {
    this.#n = n;
    this.#sr = sampleRate;
    this.out = new Float32Array(block);
    this.#gates = new Int8Array(block);
    const f64 = () => new Float64Array(n);
    this.#phase = f64();
    this.#dt = Float64Array.from({ length: n }, (_, i) => voiceHz(i) / sampleRate);
    this.#ic1 = f64();
    this.#ic2 = f64();
    this.#level = f64();
    this.#w = f64();
    this.#mul = f64();
    this.#start = f64();
    this.#scale = f64();
    this.#end = f64();
    this.#stage = new Int32Array(n);
    this.#left = new Int32Array(n);
    const g = Math.tan((Math.PI * 1200) / sampleRate), k = 2 - 2 * RES;
    this.#a1 = 1 / (1 + g * (g + k));
    this.#a2 = g * this.#a1;
    this.#a3 = g * this.#a2;
  }

  #segment(v: number, end: number, ms: number): boolean {
    const n = Math.round(ms * 0.001 * this.#sr);
    this.#start[v] = this.#level[v];
    this.#end[v] = end;
    if (n <= 0) {
      this.#level[v] = end;
      return false;
    }
    this.#left[v] = n;
    this.#w[v] = 1;
    this.#mul[v] = Math.exp(-4 / n);
    this.#scale[v] = (end - this.#level[v]) / (1 - Math.exp(-4));
    return true;
  }

  /** Renders one block of the summed voices into `out`. */
  render(): void {
    const out = this.out, B = out.length, n = this.#n;
    out.fill(0);
    // The gate: a 2 Hz square, high for the first half of each cycle.
    const gates = this.#gates;
    for (let i = 0; i < B; i++) {
      gates[i] = this.#lfo < 0.5 ? 1 : 0;
      this.#lfo += 2 / this.#sr;
      if (this.#lfo >= 1) this.#lfo -= 1;
    }
    const a1 = this.#a1, a2 = this.#a2, a3 = this.#a3;
    for (let v = 0; v < n; v++) {
      let phase = this.#phase[v], ic1 = this.#ic1[v], ic2 = this.#ic2[v], gate = this.#gate;
      const dt = this.#dt[v];
      for (let i = 0; i < B; i++) {
        if (gates[i] !== gate) {
          gate = gates[i];
          if (gate) this.#stage[v] = this.#segment(v, 1, 5) ? 1 : 2;
          else this.#stage[v] = this.#segment(v, 0, 200) ? 4 : 0;
        }
        // 4-point PolyBLEP saw (the same residual as asm/modules/osc.ts).
        let x = 2 * phase - 1;
        let d = 2;
        if (phase < 2 * dt) d = phase / dt;
        else if (phase > 1 - 2 * dt) d = (phase - 1) / dt;
        if (d < 2) {
          const d2 = d * d;
          if (d < -1) x -= ((2 + d) ** 4) / 12;
          else if (d < 0) x -= 1 + d * (4 / 3) - d2 * d * (2 / 3) - d2 * d2 * 0.25;
          else if (d < 1) x -= -1 + d * (4 / 3) - d2 * d * (2 / 3) + d2 * d2 * 0.25;
          else x += ((2 - d) ** 4) / 12;
        }
        phase += dt;
        if (phase >= 1) phase -= 1;
        // Envelope: exact-length exponential segments.
        const st = this.#stage[v];
        let level = this.#level[v];
        if (st === 1 || st === 2 || st === 4) {
          this.#w[v] *= this.#mul[v];
          level = this.#start[v] + this.#scale[v] * (1 - this.#w[v]);
          if (--this.#left[v] <= 0) {
            level = this.#end[v];
            this.#level[v] = level;
            if (st === 1) this.#stage[v] = this.#segment(v, 0.6, 100) ? 2 : 3;
            else this.#stage[v] = st === 2 ? 3 : 0;
          }
          this.#level[v] = level;
        }
        // Simper SVF low-pass.
        const v3 = x - ic2;
        const v1 = a1 * ic1 + a2 * v3;
        const v2 = ic2 + a2 * ic1 + a3 * v3;
        ic1 = 2 * v1 - ic1;
        ic2 = 2 * v2 - ic2;
        out[i] += v2 * level;
      }
      this.#phase[v] = phase;
      this.#ic1[v] = ic1;
      this.#ic2[v] = ic2;
      if (v === n - 1) this.#gate = gate;
    }
  }
}
