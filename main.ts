// chronus: starts the engine. `deno task start --help` lists the flags.
import { Engine } from "./engine/engine.ts";
import type { EngineEvent } from "./engine/supervisor.ts";
import { OscRouter } from "./osc/router.ts";
import { OscServer } from "./osc/server.ts";
import { remoteWarning } from "./cli/remote.ts";
import { VizPush } from "./osc/viz_push.ts";
import { readPatchFile } from "./patch/default_patch.ts";
import { schemaJson } from "./patch/schema.ts";
import { readLines, runLine } from "./cli/console.ts";
import { startExercise } from "./cli/exercise.ts";
import { HELP, parseFlags } from "./cli/flags.ts";
import { checkReadable, fail, plainPermissionMessage as plain } from "./cli/permission_error.ts";
import { chooseSink, deviceList } from "./cli/sink_choice.ts";
import { startStatusLines, stopLines } from "./cli/status_line.ts";
import { guardProcess, orFail, throwInTimers } from "./cli/guard.ts";
import { readAutosave, readAutosaveHistory, startAutosave } from "./cli/autosave.ts";
import { keep } from "./cli/keeper.ts";

async function main(): Promise<void> {
  const request = orFail(() => parseFlags(Deno.args));
  if (request.action === "help") return console.log(HELP);
  if (request.action === "schema") return console.log(JSON.stringify(schemaJson(), null, 2));
  if (request.action === "list-devices") return console.log(orFail(() => deviceList(request.verbose)));
  const o = request.options;
  if (o.keepAlive) Deno.exit(await keep(new URL(import.meta.url), Deno.args, o.dataDir, o.resume));
  const samples = o.engine.samples?.source;
  if (samples?.area === "") orFail(() => checkReadable("--samples", samples.root));
  const patch = orFail(() => o.resume ? readAutosave(o.dataDir) : o.patch && readPatchFile(o.patch));
  const history = o.resume ? orFail(() => readAutosaveHistory(o.dataDir)) : undefined;
  const { sink, fallback } = orFail(() => chooseSink(o.sink, o.engine.sampleRate));
  if (fallback && !o.quiet) console.error(`chronus: ${fallback}`);
  let osc: OscServer | undefined;
  const onEvent = (e: EngineEvent) => {
    console.error(`[chronus] ${e.type}: ${e.message}`);
    osc?.event(e);
  };
  guardProcess(onEvent);
  const engine = await Engine.start({ ...o.engine, sink, onEvent, patch }).catch((e: Error) =>
    fail(e.message)
  );
  // One line: what the audio threads got, or why they run at a normal priority (docs/realtime.md).
  const rt = engine.realtimeReport();
  if (rt.wanted && !rt.granted) {
    console.error(`chronus: real-time threads ${rt.text}; running at normal priority (docs/realtime.md)`);
  } else if (rt.granted && !o.quiet) console.error(`[chronus] realtime: ${rt.text}`);
  // A damaged history costs the undos before the restart, not the session: said, and started empty.
  try {
    if (history) engine.history.restore(history);
  } catch (e) {
    console.error(`chronus: --resume: the autosaved history is left out: ${(e as Error).message}`);
  }
  if (o.osc) {
    const { host, port, loopback, allow } = o.osc;
    try {
      osc = await OscServer.start(engine, { host, port, dataDir: o.dataDir, allow });
      if (!o.quiet) console.error(`[chronus] OSC on ${host}:${osc.port} (udp)`);
      if (osc.receiveBuffer.note) console.error(`[chronus] ${osc.receiveBuffer.note}`);
      if (!loopback) console.error(`[chronus] ${remoteWarning(host, allow ?? [])}`);
    } catch (e) {
      console.error(
        `[chronus] ${plain((e as Error).message)}: running without OSC (choose another --osc-port)`,
      );
    }
  }

  const viz = o.vizPort === undefined ? undefined : VizPush.start(engine, { port: o.vizPort });
  // --set and stdin speak the text language of `deno task chronus`, through the same router as OSC.
  const router = new OscRouter(engine, undefined, o.dataDir);
  for (const s of o.set) runLine(router, `set ${s}`);
  const stopExercise = o.exercise === undefined
    ? undefined
    : startExercise(engine, o.exercise, (m) => console.error(`chronus: ${m}`));
  const stopStatus = o.quiet ? undefined : startStatusLines(engine);
  const stopAutosave = o.autosave
    ? startAutosave(engine, o.dataDir, (m) => console.error(`chronus: ${m}`))
    : undefined;
  if (o.debugThrowMs !== undefined) throwInTimers(o.debugThrowMs, () => engine.throwInNextTick());
  const stop = () => engine.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  if (o.stdin || Deno.stdin.isTerminal()) {
    readLines(Deno.stdin.readable, (line) => runLine(router, line)).then((quit) => {
      if (quit) stop();
    });
  }

  let code = 0;
  try {
    const summary = await engine.finished;
    await stopAutosave?.();
    viz?.close();
    await osc?.close();
    const text = JSON.stringify(summary, null, 2);
    if (o.summary) Deno.writeTextFileSync(o.summary, text);
    for (const line of stopLines(summary, engine.sampleRate, o.quiet)) console.error(line);
  } catch (e) {
    console.error(`chronus: ${plain((e as Error).message)}`);
    code = 1;
  } finally {
    stopStatus?.();
    stopExercise?.();
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  // Exit explicitly: a zombie DSP thread (a worker hung in synchronous code) cannot be joined otherwise.
  Deno.exit(code);
}

if (import.meta.main) await main();
