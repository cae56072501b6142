// A router over the default patch with an engine stand-in that also answers status, records and pauses, and a
// reader of the commands it was sent in plain words ("voice1.attack=500", "gate voice2 on"), for the dialect
// tests (tests/dialects_test.ts, tests/seed_session_test.ts).
import * as L from "../asm/layout.ts";
import type { StampedCommand } from "../core/command.ts";
import type { PatchFile } from "../core/files.ts";
import { ScoreEngine } from "../cli/score.ts";
import { type OscArg, type OscEngine, type OscReply, OscRouter } from "../osc/router.ts";
import { memoryFiles } from "../osc/files.ts";
import { moduleDef } from "../patch/schema.ts";

/** The default patch, optionally with more voices (voice5 … voiceN), as --voices N makes it. */
export function defaultPatch(voices = 4): PatchFile {
  const file: PatchFile = JSON.parse(
    Deno.readTextFileSync(new URL("../patches/default.json", import.meta.url)),
  );
  for (let n = 5; n <= voices; n++) file.modules[`voice${n}`] = { type: "voice" };
  return file;
}

/** A router, its stand-in engine, what the engine was asked besides commands, the events, the files. */
export interface Rig {
  /** The score engine underneath: its patch, sequencer and stamped commands. */
  e: ScoreEngine;
  /** The router over the whole table. */
  r: OscRouter;
  /** The engine calls besides commands ("pause", "record start take.wav" …). */
  calls: string[];
  /** The events reported to subscribers ("clamped: /mod/… 5 → 2"). */
  events: string[];
  /** The files written, by path. */
  files: Map<string, string>;
  /** Sends one message; returns its replies and the commands it sent, in plain words. */
  say(address: string, ...args: OscArg[]): { replies: OscReply[]; sent: string[] };
}

/** A rig over the default patch with `voices` voices (4 by default). */
export function rig(voices = 4): Rig {
  const e = new ScoreEngine(48000, 128);
  e.patch.load(defaultPatch(voices));
  e.commit(0);
  const calls: string[] = [], events: string[] = [], files = new Map<string, string>();
  const engine = {
    sampleRate: e.sampleRate,
    block: e.block,
    patch: e.patch,
    sequencer: e.sequencer,
    instrument: e.instrument,
    sequencePosition: () => null,
    send: (c: Parameters<ScoreEngine["send"]>[0], f?: number) => e.send(c, f),
    sendBatch: (...a: Parameters<ScoreEngine["sendBatch"]>) => e.sendBatch(...a),
    commit: (f?: number) => e.commit(f),
    asap: () => e.asap(),
    status: () => ({ sampleRate: 48000, block: 128 }),
    startRecording: (path?: string) => {
      calls.push(`record start ${path ?? "(auto)"}`);
      return Promise.resolve({ path: path ?? "auto.wav", startFrame: 0, endFrame: null });
    },
    checkRecording: () => {},
    stopRecordings: () => {
      calls.push("record stop");
      return Promise.resolve([{ path: "take.wav", frames: 48000, seconds: 1 }]);
    },
    stopRecording: () => {
      calls.push("record stop");
      return Promise.resolve({ path: "take.wav", frames: 48000, seconds: 1 });
    },
    recordingStatus: () => {
      calls.push("record status");
      return { recording: false };
    },
    pauseOutput: () => void calls.push("pause"),
    resumeOutput: () => void calls.push("resume"),
  } as unknown as OscEngine;
  const r = new OscRouter(
    engine,
    memoryFiles(files),
    undefined,
    undefined,
    (type, message) => events.push(`${type}: ${message}`),
  );
  const say = (address: string, ...args: OscArg[]) => {
    const n = e.commands.length;
    const replies = r.handle(address, args);
    return { replies, sent: e.commands.slice(n).map((c) => describe(e, c)) };
  };
  return { e, r, calls, events, files, say };
}

const round = (v: number) => Number(v.toPrecision(6));

/** A command in plain words: a parameter, a gate, a cable's depth, the swing, else its op code. */
export function describe(e: ScoreEngine, c: StampedCommand): string {
  const patch = e.patch;
  const byId = (id: number) => [...patch.modules.values()].find((m) => m.id === id);
  const cable = (id: number) => {
    const k = patch.connections.find((x) => x.id === id);
    return k ? `${k.src}>${k.dst}.${k.dstPort}` : `#${id}`;
  };
  switch (c.op) {
    case L.OP_SET_PARAM: {
      const m = byId(c.target)!;
      const p = moduleDef(m.type)!.params[c.param];
      return `${m.name}.${p.name}=${p.names ? p.names[c.f0] : round(c.f0)}`;
    }
    case L.OP_GATE:
      return `gate ${byId(c.target)!.name} ${c.i0 ? "on" : "off"}`;
    case L.OP_SET_DEPTH:
      return `depth ${cable(c.i0)}=${round(c.f0)}`;
    case L.OP_CONNECT:
      return `connect ${cable(c.f1)}=${round(c.f0)}`;
    case L.OP_SEQ_SWING:
      return `swing ${round(c.f0)}`;
    case L.OP_SEQ_TEMPO:
      return `bpm ${round(c.f0)}`;
    case L.OP_SEQ_COMMIT:
      return `track ${c.target} ${c.i0 === L.SEQ_NOW ? "now" : "at the bar"}`;
    case L.OP_SEQ_TRANSPORT:
      return `transport ${{ [L.SEQ_START]: "start", [L.SEQ_STOP]: "stop", [L.SEQ_RESET]: "reset" }[c.i0]}`;
    default:
      return `op${c.op}`;
  }
}
