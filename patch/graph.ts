// The patch as the control side sees it: named modules, connections, parameter values, and transactions that
// turn into one batch of commands applied at one frame in both workers. The processing order is computed here,
// off the audio path; the DSP only follows the plan it is sent.
//
// Cycles are allowed and broken with a one-block delay: the order is topological where it can be, and a
// module inside a cycle reads the previous block of the sources that come after it (reported in `delayed`).
import * as L from "../asm/layout.ts";
import { type Command, command } from "../core/command.ts";
import { ClientError } from "../core/errors.ts";
import { didYouMean } from "../core/nearest.ts";
import { type ModuleDef, moduleDef, MODULES, paramIndex, typeCode } from "./schema.ts";
import type { PatchFile } from "../core/files.ts";
import type { ArenaBudget } from "../core/dsp_host.ts";
import { shortestF32 } from "../core/f32.ts";

/** A module in the patch. */
export interface ModuleState {
  /** Its name: the id clients use (a letter, then letters, digits or _, up to 32). */
  name: string;
  /** Its module id in the DSP (1 … MAX_MODULES−1, the lowest free one at commit); −1 while staged. */
  id: number;
  /** Its module type (patch/schema.ts). */
  type: string;
  /** Parameter values by name (every parameter, defaults included). */
  params: Record<string, number>;
}

/** A connection: an output to an input or to a parameter (modulation). */
export interface Connection {
  /** Its connection id in the DSP (from 0, the lowest free one at commit); −1 while staged. */
  id: number;
  /** The name of the module it comes from. */
  src: string;
  /** The output of `src` it carries. */
  srcPort: string;
  /** The name of the module it goes to. */
  dst: string;
  /** An input name, or a parameter name when `toParam`. */
  dstPort: string;
  /** True when it modulates a parameter of `dst`, false when it feeds an audio input. */
  toParam: boolean;
  /** Its gain: 1 for audio; into a parameter, octaves (exp) or the parameter's unit (lin) per unit signal. */
  depth: number;
}

interface Model {
  modules: Map<string, ModuleState>;
  conns: Map<number, Connection>;
}

/** The result of a commit: the commands (one frame, one batch) and what the user should know. */
export interface Commit {
  /** The commands that apply it, in order: one batch, applied at one frame (empty when nothing changed). */
  commands: Command[];
  /** Connections that carry a one-block delay because they close a cycle ("a.out → b.in"). */
  delayed: string[];
  /** Module names in processing order. */
  order: string[];
}

const NAME = /^[a-z][a-z0-9_]{0,31}$/i;

function def(type: string): ModuleDef {
  const d = moduleDef(type);
  if (!d) {
    throw new ClientError(`Unknown module type "${type}" (known: ${MODULES.map((m) => m.type).join(", ")})`);
  }
  return d;
}

/** FNV-1a of a name: a module's noise depends on its name, not on creation order. */
function nameSeed(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h | 0;
}

/** Parses a value for a parameter (a number, or a name of an enumerated value); throws ClientError. */
export function parseParamValue(
  type: string,
  param: string,
  value: number | string,
  sampleId?: (name: string) => number,
): { index: number; value: number } {
  const d = def(type);
  const index = paramIndex(d, param);
  if (index < 0) {
    throw new ClientError(
      `${type} has no parameter "${param}"${didYouMean(param, d.params.map((p) => p.name))} (known: ${
        d.params.map((p) => p.name).join(", ")
      })`,
    );
  }
  const p = d.params[index];
  // A sample parameter takes a loaded sample's name (patch/samples.ts resolves it to its pool id).
  if (
    p.unit === "sample" && typeof value === "string" && value.trim() !== "" && Number.isNaN(Number(value))
  ) {
    if (!sampleId) throw new ClientError(`Cannot set ${param}: no samples are loaded here`);
    value = sampleId(value.trim());
  }
  let v = typeof value === "string" && p.names ? p.names.indexOf(value.trim()) : Number(value);
  if (typeof value === "string" && p.names && v < 0 && value.trim() !== "" && !Number.isNaN(Number(value))) {
    v = Number(value);
  }
  if (typeof value === "string" && value.trim() === "") v = NaN;
  if (typeof value === "string" && p.names && v < 0 && Number.isNaN(Number(value))) {
    throw new ClientError(`Cannot set ${param}: "${value}" is not one of ${p.names.join(" | ")}`);
  }
  if (!Number.isFinite(v)) {
    const expect = p.names ? ` (${p.names.join(" | ")})` : "";
    throw new ClientError(`Cannot set ${param}: ${JSON.stringify(value)} is not a number${expect}`);
  }
  if (v < p.min || v > p.max || ((p.names || p.integer) && !Number.isInteger(v))) {
    const range = p.names ? p.names.join(" | ") : `${p.min} … ${p.max}${p.unit ? " " + p.unit : ""}`;
    throw new ClientError(`Cannot set ${param}: ${value} is out of range (${range})`);
  }
  return { index, value: v };
}

function clone(m: Model): Model {
  return {
    modules: new Map([...m.modules].map(([k, v]) => [k, { ...v, params: { ...v.params } }])),
    conns: new Map([...m.conns].map(([k, v]) => [k, { ...v }])),
  };
}

/** The patch of one engine: committed state plus the transaction being staged. */
export class Patch {
  #committed: Model = { modules: new Map(), conns: new Map() };
  #staged: Model | null = null;
  #arena?: ArenaBudget;
  // Arena blocks per type code that the DSP holds after the last commit: a deleted module's block stays on
  // its type's free list (asm/arena.ts), so a type's blocks are the most of it ever alive at once.
  #blocks: number[] = [];
  /** Resolves a sample's name to its pool id for `sample` parameters (patch/samples.ts sets it). */
  sampleId?: (name: string) => number;

  /**
   * Gives the patch the DSP's arena (core/dsp_host.ts arenaBudget): from then on a commit whose modules would
   * not fit is refused with the budget named, before any worker sees it.
   */
  setArena(budget: ArenaBudget): void {
    this.#arena = budget;
  }

  /**
   * Called by commit() with the transaction's command count before the patch moves on; it throws ClientError
   * to refuse the commit (the engine's event-queue admission, engine/admission.ts).
   */
  admit?: (commands: number) => void;

  /** Bytes of the DSP's arena the committed patch holds (0 without a budget). */
  get arenaUsed(): number {
    return this.#arena ? this.#blocks.reduce((a, n, t) => a + (n ?? 0) * this.#arena!.bytes[t], 0) : 0;
  }

  /** Throws ClientError when the staged transaction's modules would not fit in the arena. */
  checkArena(): void {
    this.#fit(this.#staged ?? this.#committed);
  }

  // The blocks per type after committing `next` (deletes go before creates, so a new module reuses a deleted
  // one's block of its type); throws when they exceed the arena.
  #fit(next: Model): number[] {
    const blocks = [...this.#blocks];
    if (!this.#arena) return blocks;
    const live: number[] = [];
    for (const m of next.modules.values()) live[typeCode(m.type)] = (live[typeCode(m.type)] ?? 0) + 1;
    live.forEach((n, t) => blocks[t] = Math.max(blocks[t] ?? 0, n ?? 0));
    const { bytes, capacity } = this.#arena;
    const need = blocks.reduce((a, n, t) => a + (n ?? 0) * bytes[t], 0);
    if (need > capacity) {
      const mb = (b: number) => (b / 1048576).toFixed(1);
      const big = [...new Set([...next.modules.values()].map((m) => m.type))]
        .map((t) => ({ t, b: bytes[typeCode(t)] })).sort((a, b) => b.b - a.b).slice(0, 3)
        .map(({ t, b }) => `${t} ${b >= 1048576 ? mb(b) + " MB" : Math.ceil(b / 1024) + " KB"}`);
      throw new ClientError(
        `Cannot commit: the modules need ${mb(need)} MB of the DSP's arena, which holds ${
          mb(capacity)
        } MB (each: ${big.join(", ")}; a deleted module's room is kept for its type)`,
      );
    }
    return blocks;
  }

  /** True while a transaction is open. */
  get staging(): boolean {
    return this.#staged !== null;
  }

  /** Committed modules, by name. */
  get modules(): ReadonlyMap<string, ModuleState> {
    return this.#committed.modules;
  }

  /** Committed connections. */
  get connections(): Connection[] {
    return [...this.#committed.conns.values()];
  }

  /** The committed module called `name`; throws ClientError when there is none. */
  module(name: string): ModuleState {
    const m = this.#committed.modules.get(name);
    if (!m) throw new ClientError(`No module "${name}" in the patch${this.#hint(name)}`);
    return m;
  }

  // The nearest module name to `name` (core/nearest.ts), then the first of them.
  #hint(name: string): string {
    const names = [...this.#committed.modules.keys()];
    return didYouMean(name, names) +
      (names.length ? ` (modules: ${names.slice(0, 24).join(", ")}${names.length > 24 ? ", …" : ""})` : "");
  }

  #stage(): Model {
    this.#staged ??= clone(this.#committed);
    return this.#staged;
  }

  /** Stages a new module. */
  create(name: string, type: string, params: Record<string, number | string> = {}): void {
    if (!NAME.test(name)) {
      throw new ClientError(
        `Cannot create "${name}": a module id is a letter then letters, digits or _ (≤ 32)`,
      );
    }
    if (name === "voice") {
      throw new ClientError(
        'Cannot create "voice": the text language reads "voice" as voice1 (set voice.freq …)',
      );
    }
    const d = def(type);
    const m = this.#stage();
    if (m.modules.has(name)) throw new ClientError(`Cannot create "${name}": the patch already has it`);
    if (m.modules.size >= L.MAX_MODULES - 1) {
      throw new ClientError(`Cannot create "${name}": the patch is full (${L.MAX_MODULES - 1} modules)`);
    }
    const values: Record<string, number> = Object.fromEntries(d.params.map((p) => [p.name, p.default]));
    for (const [k, v] of Object.entries(params)) {
      const { index, value } = parseParamValue(type, k, v, this.sampleId);
      values[d.params[index].name] = value;
    }
    m.modules.set(name, { name, id: -1, type, params: values });
  }

  /** Stages the deletion of a module and its connections. */
  delete(name: string): void {
    const m = this.#stage();
    if (!m.modules.has(name)) {
      throw new ClientError(`Cannot delete "${name}": no such module${this.#hint(name)}`);
    }
    m.modules.delete(name);
    for (const [id, c] of m.conns) if (c.src === name || c.dst === name) m.conns.delete(id);
  }

  #endpoint(
    m: Model,
    spec: string,
    side: "from" | "to",
  ): { module: ModuleState; port: string; toParam: boolean } {
    const dot = spec.indexOf(".");
    const name = dot < 0 ? spec : spec.slice(0, dot);
    const port = dot < 0 ? "" : spec.slice(dot + 1);
    const module = m.modules.get(name);
    if (!module) throw new ClientError(`Cannot connect ${spec}: no module "${name}"${this.#hint(name)}`);
    const d = def(module.type);
    if (side === "from") {
      const out = port === "" ? d.outputs[0] : d.outputs.find((o) => o === port);
      if (!out) {
        throw new ClientError(
          `Cannot connect from ${spec}: ${module.type} has ${
            d.outputs.length ? `outputs ${d.outputs.join(", ")}` : "no outputs"
          }`,
        );
      }
      return { module, port: out, toParam: false };
    }
    if (port === "" && d.inputs.length) return { module, port: d.inputs[0], toParam: false };
    if (d.inputs.includes(port)) return { module, port, toParam: false };
    const p = paramIndex(d, port);
    if (p >= 0) return { module, port: d.params[p].name, toParam: true };
    throw new ClientError(
      `Cannot connect to ${spec}: ${module.type} has inputs ${
        d.inputs.join(", ") || "(none)"
      } and parameters ${d.params.map((q) => q.name).join(", ")}`,
    );
  }

  /** Stages a connection "a[.out]" → "b[.in|.param]" with a depth (1 for audio; octaves or units for params). */
  connect(from: string, to: string, depth = 1): void {
    if (!Number.isFinite(depth) || Math.abs(depth) > 1e6) {
      throw new ClientError(`Cannot connect ${from} → ${to}: depth ${depth} is not a finite number`);
    }
    const m = this.#stage();
    const s = this.#endpoint(m, from, "from");
    const d = this.#endpoint(m, to, "to");
    const existing = [...m.conns.values()].find((c) =>
      c.src === s.module.name && c.srcPort === s.port && c.dst === d.module.name && c.dstPort === d.port
    );
    if (existing) {
      existing.depth = depth;
      return;
    }
    if (m.conns.size >= L.MAX_CONNS) {
      throw new ClientError(`Cannot connect: the patch has ${L.MAX_CONNS} connections`);
    }
    m.conns.set(-1 - m.conns.size, {
      id: -1,
      src: s.module.name,
      srcPort: s.port,
      dst: d.module.name,
      dstPort: d.port,
      toParam: d.toParam,
      depth,
    });
    // Staged connections get real ids at commit; keys below 0 are placeholders.
    this.#renumberPlaceholders(m);
  }

  #renumberPlaceholders(m: Model): void {
    const pending = [...m.conns].filter(([k]) => k < 0);
    for (const [k] of pending) m.conns.delete(k);
    pending.forEach(([, c], i) => m.conns.set(-1 - i, c));
  }

  /** Stages the removal of the connection(s) from → to (without ports: every connection between the two). */
  disconnect(from: string, to: string): void {
    const m = this.#stage();
    const [sName, sPort = ""] = from.split(/\.(.*)/s);
    const [dName, dRaw = ""] = to.split(/\.(.*)/s);
    const dMod = m.modules.get(dName);
    let dPort = dRaw;
    if (dMod && dPort) {
      const d = def(dMod.type);
      const p = paramIndex(d, dPort);
      if (!d.inputs.includes(dPort) && p >= 0) dPort = d.params[p].name;
    }
    let removed = 0;
    for (const [k, c] of m.conns) {
      if (
        c.src !== sName || c.dst !== dName || (sPort && c.srcPort !== sPort) || (dPort && c.dstPort !== dPort)
      ) {
        continue;
      }
      m.conns.delete(k);
      removed++;
    }
    if (!removed) throw new ClientError(`Cannot disconnect ${from} → ${to}: no such connection`);
    this.#renumberPlaceholders(m);
  }

  /**
   * Stages a copy of module `name` called `copy`: its type, its parameters and every cable into and out of it
   * (a cable from it to itself becomes one from the copy to the copy). Returns how many cables it copied. A
   * refusal (ClientError) stages nothing.
   */
  clone(name: string, copy: string): number {
    return this.#atomically((m) => {
      const source = m.modules.get(name);
      if (!source) throw new ClientError(`Cannot clone "${name}": no such module${this.#hint(name)}`);
      this.create(copy, source.type, source.params);
      const cables = [...m.conns.values()].filter((c) => c.src === name || c.dst === name);
      for (const c of cables) {
        const src = c.src === name ? copy : c.src, dst = c.dst === name ? copy : c.dst;
        this.connect(`${src}.${c.srcPort}`, `${dst}.${c.dstPort}`, c.depth);
      }
      return cables.length;
    });
  }

  /**
   * Stages the removal of every cable from `from` to `to`, either "module", "module.port" (a parameter by its
   * name or alias) or "*" (any module; not both). Returns how many it removes; refuses (ClientError, nothing
   * staged) a module that is not in the patch, and a pattern that no cable fits.
   */
  unplug(from: string, to: string): number {
    if (from === "*" && to === "*") {
      throw new ClientError(
        "Cannot unpatch * to *: name a module on one side (unpatch voice1, unpatch * to reverb1)",
      );
    }
    return this.#atomically((m) => {
      const end = (spec: string) => {
        if (spec === "*") return () => true;
        const [name, raw = ""] = spec.split(/\.(.*)/s);
        const mod = m.modules.get(name);
        if (!mod) throw new ClientError(`Cannot unpatch ${spec}: no module "${name}"${this.#hint(name)}`);
        const d = def(mod.type), p = raw && !d.inputs.includes(raw) ? paramIndex(d, raw) : -1;
        const port = p >= 0 ? d.params[p].name : raw;
        return (module: string, at: string) => module === name && (port === "" || at === port);
      };
      const fromFits = end(from), toFits = end(to);
      let removed = 0;
      for (const [k, c] of m.conns) {
        if (fromFits(c.src, c.srcPort) && toFits(c.dst, c.dstPort)) {
          m.conns.delete(k);
          removed++;
        }
      }
      if (!removed) {
        const what = to === "*"
          ? `${from} has no cables out`
          : from === "*"
          ? `${to} has no cables in`
          : `no cable from ${from} to ${to}`;
        throw new ClientError(`Cannot unpatch ${from} to ${to}: ${what}`);
      }
      this.#renumberPlaceholders(m);
      return removed;
    });
  }

  // Runs staging steps on a copy of the staged patch, kept only when every step succeeds.
  #atomically<T>(steps: (m: Model) => T): T {
    const kept = this.#staged;
    this.#staged = clone(this.#stage());
    try {
      return steps(this.#staged);
    } catch (e) {
      this.#staged = kept;
      throw e;
    }
  }

  /** Stages a parameter value. */
  set(name: string, param: string, value: number | string): void {
    const m = this.#stage();
    const mod = m.modules.get(name);
    if (!mod) throw new ClientError(`Cannot set ${name}.${param}: no module "${name}"${this.#hint(name)}`);
    const { index, value: v } = parseParamValue(mod.type, param, value, this.sampleId);
    mod.params[def(mod.type).params[index].name] = v;
  }

  /** A parameter change outside any transaction: updates the committed patch, returns the command. */
  setNow(name: string, param: string, value: number | string): Command {
    const mod = this.module(name);
    const { index, value: v } = parseParamValue(mod.type, param, value, this.sampleId);
    mod.params[def(mod.type).params[index].name] = v;
    this.#staged?.modules.get(name) &&
      (this.#staged.modules.get(name)!.params[def(mod.type).params[index].name] = v);
    return command({ op: L.OP_SET_PARAM, target: mod.id, param: index, f0: v });
  }

  /** The gate command for a module that takes a gate; throws ClientError otherwise. */
  gate(name: string, on: boolean, velocity = 1): Command {
    const mod = this.module(name);
    if (!def(mod.type).gate) {
      throw new ClientError(
        `Cannot gate ${name}: a ${mod.type} has no gate (gated types: ${
          MODULES.filter((m) => m.gate).map((m) => m.type).join(", ")
        })`,
      );
    }
    if (!Number.isFinite(velocity) || velocity < 0 || velocity > 1) {
      throw new ClientError(`Cannot gate ${name}: velocity ${velocity} is out of range (0 … 1)`);
    }
    return command({ op: L.OP_GATE, target: mod.id, i0: on ? 1 : 0, f0: velocity });
  }

  /** Drops the staged transaction. */
  abort(): void {
    this.#staged = null;
  }

  /** The commands that apply the staged transaction (nothing staged: an empty commit); the patch moves on. */
  commit(): Commit {
    const next = clone(this.#staged ?? this.#committed); // a refused commit leaves the transaction as it was
    const prev = this.#committed;
    const blocks = this.#fit(next);
    const commands: Command[] = [];
    // Removed connections between modules that stay, then removed modules (their connections go with them).
    for (const [id, c] of prev.conns) {
      const now = next.conns.get(id);
      if (
        !now && next.modules.has(c.src) && next.modules.has(c.dst) && prev.modules.get(c.src)!.id ===
          next.modules.get(c.src)!.id &&
        prev.modules.get(c.dst)!.id === next.modules.get(c.dst)!.id
      ) {
        commands.push(command({ op: L.OP_DISCONNECT, i0: id }));
      }
    }
    for (const [name, m] of prev.modules) {
      if (next.modules.get(name)?.id !== m.id) commands.push(command({ op: L.OP_DELETE, target: m.id }));
    }
    // New modules take the lowest free ids (deterministic).
    const used = new Set([...next.modules.values()].filter((m) => m.id > 0).map((m) => m.id));
    let nextId = 1;
    for (const m of next.modules.values()) {
      if (m.id > 0) continue;
      while (used.has(nextId)) nextId++;
      m.id = nextId;
      used.add(nextId);
      commands.push(command({ op: L.OP_CREATE, target: m.id, i0: typeCode(m.type), i1: nameSeed(m.name) }));
    }
    for (const m of next.modules.values()) {
      const d = def(m.type);
      const before = prev.modules.get(m.name);
      const fresh = !before || before.id !== m.id;
      // Glide first: a pitch set in the same commit then slides (or jumps) by the new glide time.
      const order = d.params.map((_, i) => i).sort((a, b) =>
        Number(d.params[b].name === "glide") - Number(d.params[a].name === "glide") || a - b
      );
      for (const index of order) {
        const p = d.params[index];
        const v = m.params[p.name];
        const old = fresh ? p.default : before.params[p.name];
        if (v !== old) commands.push(command({ op: L.OP_SET_PARAM, target: m.id, param: index, f0: v }));
      }
    }
    // Connections: new ones get the lowest free ids; changed depths are updated in place.
    const usedConns = new Set([...next.conns.keys()].filter((k) => k >= 0));
    let nextConn = 0;
    for (const [k, c] of [...next.conns]) {
      if (k >= 0) {
        const old = prev.conns.get(k);
        if (old && old.depth !== c.depth) commands.push(command({ op: L.OP_SET_DEPTH, i0: k, f0: c.depth }));
        continue;
      }
      while (usedConns.has(nextConn)) nextConn++;
      next.conns.delete(k);
      c.id = nextConn;
      next.conns.set(nextConn, c);
      usedConns.add(nextConn);
      commands.push(connectCommand(next, c));
    }
    const { order, delayed } = plan(next);
    const prevOrder = plan(prev).order;
    if (
      order.join() !== prevOrder.join() || commands.some((c) => c.op === L.OP_CREATE || c.op === L.OP_DELETE)
    ) {
      order.forEach((name, i) =>
        commands.push(command({ op: L.OP_PLAN, i0: i, target: next.modules.get(name)!.id }))
      );
      commands.push(command({ op: L.OP_PLAN_LEN, i0: order.length }));
    }
    if (commands.length > L.CMD_CAP) {
      throw new ClientError(
        `Cannot commit: the change needs ${commands.length} commands, more than one transaction holds (${L.CMD_CAP})`,
      );
    }
    this.admit?.(commands.length);
    this.#committed = next;
    this.#staged = null;
    this.#blocks = blocks;
    return { commands, delayed, order };
  }

  /** The committed patch as a patch file. */
  toFile(): PatchFile {
    const modules: PatchFile["modules"] = {};
    for (const m of this.#committed.modules.values()) {
      const d = def(m.type);
      const params: Record<string, number> = {};
      // Values that came as OSC float32 print as their shortest decimal (0.3, not 0.30000001192092896).
      for (const p of d.params) {
        if (m.params[p.name] !== p.default) params[p.name] = shortestF32(m.params[p.name]);
      }
      modules[m.name] = Object.keys(params).length ? { type: m.type, params } : { type: m.type };
    }
    const connections: PatchFile["connections"] = this.connections.map((c) => {
      const e: [string, string, number?] = [`${c.src}.${c.srcPort}`, `${c.dst}.${c.dstPort}`];
      if (c.depth !== 1) e.push(shortestF32(c.depth));
      return e;
    });
    return { modules, connections };
  }

  /** Stages a whole patch file in place of the current patch (commit to apply). Throws ClientError. */
  load(file: PatchFile): void {
    if (
      typeof file !== "object" || file === null || typeof file.modules !== "object" || file.modules === null
    ) {
      throw new ClientError('Cannot load the patch: it needs a "modules" object');
    }
    const saved = this.#staged ? clone(this.#staged) : null;
    try {
      const m = this.#stage();
      for (const name of [...m.modules.keys()]) this.delete(name);
      for (const [name, spec] of Object.entries(file.modules)) {
        if (typeof spec !== "object" || spec === null || typeof spec.type !== "string") {
          throw new ClientError(`Cannot load the patch: module "${name}" needs a "type"`);
        }
        this.create(name, spec.type, spec.params ?? {});
      }
      if (file.connections !== undefined && !Array.isArray(file.connections)) {
        throw new ClientError('Cannot load the patch: "connections" must be a list');
      }
      for (const entry of file.connections ?? []) {
        if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "string") {
          throw new ClientError(
            `Cannot load the patch: a connection is ["from", "to", depth?], not ${JSON.stringify(entry)}`,
          );
        }
        this.connect(entry[0], entry[1], entry[2] ?? 1);
      }
    } catch (e) {
      this.#staged = saved; // a bad file changes nothing
      throw e;
    }
  }
}

function connectCommand(m: Model, c: Connection): Command {
  const src = m.modules.get(c.src)!, dst = m.modules.get(c.dst)!;
  const sd = def(src.type), dd = def(dst.type);
  const srcPort = sd.outputs.indexOf(c.srcPort);
  const index = c.toParam ? paramIndex(dd, c.dstPort) : dd.inputs.indexOf(c.dstPort);
  return command({
    op: L.OP_CONNECT,
    target: dst.id,
    param: index,
    i0: src.id,
    i1: srcPort | (c.toParam ? L.CONN_PARAM : 0),
    f0: c.depth,
    f1: c.id,
  });
}

/**
 * Processing order: sources before what they feed; among the ready ones, the lowest-id module of the type just
 * taken, else the lowest-id one; inside a cycle, the lowest-id module first (delayed edges).
 */
function plan(m: Model): { order: string[]; delayed: string[] } {
  const mods = [...m.modules.values()].sort((a, b) => a.id - b.id);
  const indeg = new Map(mods.map((x) => [x.name, 0]));
  const outs = new Map<string, Connection[]>(mods.map((x) => [x.name, []]));
  for (const c of m.conns.values()) {
    indeg.set(c.dst, indeg.get(c.dst)! + 1);
    outs.get(c.src)!.push(c);
  }
  const done = new Set<string>();
  const order: string[] = [];
  const delayed: string[] = [];
  const take = (name: string) => {
    done.add(name);
    order.push(name);
    for (const c of outs.get(name)!) indeg.set(c.dst, indeg.get(c.dst)! - 1);
  };
  // Modules of one type that do not feed each other come out side by side (a voice's vco, vcf, adsr, vca
  // become all the vcos, then all the vcfs …), so the DSP can render four of a type at once (asm/graph.ts
  // quad). The order among ready modules changes no sample: each reads only sources already rendered, and
  // which cables close a cycle does not depend on it.
  let lastType = "";
  while (order.length < mods.length) {
    let first: ModuleState | undefined, same: ModuleState | undefined;
    for (const x of mods) {
      if (done.has(x.name) || indeg.get(x.name) !== 0) continue;
      first ??= x;
      if (x.type === lastType) {
        same = x;
        break;
      }
    }
    const ready = same ?? first;
    if (ready) {
      lastType = ready.type;
      take(ready.name);
      continue;
    }
    // A cycle: break it at the lowest-id waiting module; its inputs from waiting modules lag one block.
    const next = mods.find((x) => !done.has(x.name))!;
    for (const c of m.conns.values()) {
      if (c.dst === next.name && !done.has(c.src)) {
        delayed.push(`${c.src}.${c.srcPort} → ${c.dst}.${c.dstPort}`);
      }
    }
    lastType = next.type;
    take(next.name);
  }
  return { order, delayed };
}
