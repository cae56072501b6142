// The engine's console: stdin speaks the text language of `deno task chronus`, through the same router as
// OSC; replies go to stdout, errors to stderr in plain words, and "quit" or "exit" stops the engine.
import { describe } from "./session.ts";
import { translate } from "./language.ts";

/** A reply of the router: an OSC address and its arguments. */
export interface Reply {
  /** The reply's address ("/error" for a refusal). */
  address: string;
  /** Its arguments. */
  args: (number | string)[];
}

/** What the console needs of the OSC router (osc/router.ts OscRouter has it). */
export interface Router {
  /** Handles one message: the replies now; `later` gets those that come when a change has applied. */
  handle(address: string, args: (number | string)[], at: object, later: (r: Reply) => void): Reply[];
}

/** A reply as the console prints it, and whether it goes to stderr (an error) or stdout. */
export function replyText(r: Reply): { text: string; stderr: boolean } {
  if (r.address === "/error") return { text: `error: ${r.args[1]}`, stderr: true };
  if (r.address.startsWith("/record/") || /^\/(history|undo|redo)\.reply$/.test(r.address)) {
    return { text: describe([r.address, ...r.args], false), stderr: false };
  }
  return {
    text: r.args.length === 1 ? String(r.args[0]) : `${r.address} ${r.args.join(" ")}`,
    stderr: false,
  };
}

function print(r: Reply): void {
  const { text, stderr } = replyText(r);
  if (stderr) console.error(text);
  else console.log(text);
}

/** True for a line that asks the engine to stop ("quit" or "exit"). */
export function isQuit(line: string): boolean {
  return /^\s*(quit|exit)\s*$/.test(line);
}

/** Runs one line of the text language through the router and prints the replies; false when it asks to quit. */
export function runLine(router: Router, line: string): boolean {
  if (isQuit(line)) return false;
  try {
    for (const [address, ...args] of translate(line).messages) {
      for (const r of router.handle(address, args, {}, print)) print(r);
    }
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
  }
  return true;
}

/** Feeds `stream`'s lines to `onLine` until its end (resolves false) or until `onLine` returns false (true). */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => boolean,
): Promise<boolean> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done) return false;
    buf += value;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      if (!onLine(buf.slice(0, nl))) return true;
      buf = buf.slice(nl + 1);
    }
  }
}
