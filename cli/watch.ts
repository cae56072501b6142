// deno task chronus watch: a live view of a running engine. Polls /view (osc/routes/view.ts) about ten times a
// second, one request in flight, and draws each snapshot with cli/view_draw.ts: in place on a terminal (the
// alternate screen, cursor home, no scrolling; q or Ctrl-C leaves and restores the terminal), or as one
// summary line a second when stdout is a pipe or a file. Holds only the latest snapshot: nothing grows.
import { parseArgs } from "node:util";
import { encode } from "node-osc";
import { decodePacket } from "../osc/codec.ts";
import type { ViewSnapshot } from "../osc/view.ts";
import { drawView, summaryLine } from "./view_draw.ts";

/** How to watch. */
export interface WatchOptions {
  /** The engine's OSC host. */
  host: string;
  /** The engine's OSC port. */
  port: number;
  /** Stop after this many seconds (undefined: until q, Ctrl-C or SIGINT). */
  seconds?: number;
  /** Milliseconds between requests (default 100). */
  intervalMs?: number;
  /** Draw in place (a terminal) or print summary lines (default: whether stdout is a terminal). */
  tty?: boolean;
}

/** A request unanswered this long is given up, and the next one is sent. */
const REPLY_TIMEOUT_MS = 1000;
/** Summary lines are this far apart when stdout is not a terminal. */
const SUMMARY_MS = 1000;

const USAGE = "usage: chronus watch [--host H] [--port P] [--seconds N] [--interval MS]";

const ESC = "\x1b[";
const ENTER = `${ESC}?1049h${ESC}?25l`, LEAVE = `${ESC}?25h${ESC}?1049l`;

/** Runs the view until stopped; returns the exit code (0, or 1 when the engine never answered). */
export async function watch(options: WatchOptions): Promise<number> {
  const tty = options.tty ?? Deno.stdout.isTerminal();
  const interval = options.intervalMs ?? 100;
  const loopback = /^(127\.|localhost$|::1$)/.test(options.host);
  const sock = Deno.listenDatagram({
    hostname: loopback ? "127.0.0.1" : "0.0.0.0",
    port: 0,
    transport: "udp",
  });
  const to: Deno.NetAddr = { transport: "udp", hostname: options.host, port: options.port };
  const request = encode({ oscType: "message", address: "/view", args: [] });
  const text = new TextEncoder();
  const write = (s: string) => Deno.stdout.writeSync(text.encode(s));

  let latest: ViewSnapshot | undefined, problem: string | undefined, answered = false;
  let sentAt = -Infinity, inFlight = false, running = true;
  let wake: (() => void) | undefined;
  const stop = () => {
    running = false;
    wake?.();
  };
  const receiving = (async () => {
    for (;;) {
      let b: Uint8Array;
      try {
        [b] = await sock.receive();
      } catch {
        return; // closed
      }
      const d = decodePacket(b);
      if (!d.ok || d.packet.kind !== "message") continue;
      const { address, args } = d.packet;
      if (address === "/view.reply") {
        try {
          latest = JSON.parse(String(args[0])) as ViewSnapshot;
          problem = undefined;
          answered = true;
        } catch (e) {
          problem = `the engine's /view.reply is not JSON: ${(e as Error).message}`;
        }
      } else if (address === "/error" && args[0] === "/view") {
        problem = `the engine refused /view: ${args[1]}`;
      } else continue;
      inFlight = false;
      wake?.();
    }
  })();

  const stdinRaw = tty && Deno.stdin.isTerminal();
  if (stdinRaw) {
    Deno.stdin.setRaw(true);
    (async () => {
      const buf = new Uint8Array(16);
      for (;;) {
        const n = await Deno.stdin.read(buf).catch(() => null);
        if (n === null) return;
        // q, Q, Ctrl-C (raw mode delivers it as a byte, not a signal), Esc.
        if (buf.subarray(0, n).some((c) => c === 0x71 || c === 0x51 || c === 3 || c === 0x1b)) return stop();
      }
    })();
  }
  Deno.addSignalListener("SIGINT", stop);
  const deadline = options.seconds === undefined ? Infinity : performance.now() + options.seconds * 1000;
  const timer = setTimeout(stop, Math.min(2 ** 31 - 1, deadline - performance.now()));
  if (tty) write(ENTER);
  let lastSummary = -Infinity;
  try {
    while (running) {
      const now = performance.now();
      if (!inFlight || now - sentAt > REPLY_TIMEOUT_MS) {
        if (inFlight) {
          problem = `no answer from ${options.host}:${options.port} within ${REPLY_TIMEOUT_MS} ms`;
        }
        await sock.send(request, to).catch((e) => problem = `cannot send: ${(e as Error).message}`);
        inFlight = true;
        sentAt = now;
      }
      if (tty) {
        const { columns, rows } = Deno.consoleSize();
        const lines = latest
          ? drawView(latest, columns, rows - (problem ? 1 : 0))
          : [`waiting for the engine at ${options.host}:${options.port} …`];
        if (problem) lines.push(problem.slice(0, columns));
        write(`${ESC}H${lines.join(`${ESC}K\r\n`)}${ESC}K${ESC}J`);
      } else if (now - lastSummary >= SUMMARY_MS) {
        lastSummary = now;
        console.log(
          problem ?? (latest ? summaryLine(latest) : `waiting for ${options.host}:${options.port}`),
        );
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, interval);
      });
      wake = undefined;
      // A reply wakes the loop early; keep to the interval between requests all the same.
      const left = interval - (performance.now() - now);
      if (running && left > 0) await new Promise((r) => setTimeout(r, left));
    }
  } finally {
    clearTimeout(timer);
    Deno.removeSignalListener("SIGINT", stop);
    if (tty) write(LEAVE);
    if (stdinRaw) Deno.stdin.setRaw(false);
    sock.close();
    await receiving;
  }
  if (!answered) {
    console.error(`chronus watch: ${problem ?? `no answer from ${options.host}:${options.port}`}`);
  }
  return answered ? 0 : 1;
}

/** `chronus watch …`: parses its flags and watches; returns the exit code (2 for bad flags). */
export async function watchMain(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5005" },
        seconds: { type: "string" },
        interval: { type: "string", default: "100" },
      },
    }).values;
  } catch (e) {
    console.error(`chronus watch: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const port = Number(v.port), interval = Number(v.interval);
  const seconds = v.seconds === undefined ? undefined : Number(v.seconds);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`chronus watch: --port ${v.port} is not a port\n${USAGE}`);
    return 2;
  }
  if (seconds !== undefined && !(seconds > 0)) {
    console.error(`chronus watch: --seconds ${v.seconds} is not a duration\n${USAGE}`);
    return 2;
  }
  if (!(interval >= 20 && interval <= 5000)) {
    console.error(`chronus watch: --interval ${v.interval} is outside 20 … 5000 ms\n${USAGE}`);
    return 2;
  }
  return await watch({ host: v.host, port, seconds, intervalMs: interval });
}
