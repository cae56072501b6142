// The OSC dispatcher: one decoded message in, commands to the engine and replies out. It matches the address
// to an entry of the address table (osc/routes/), checks the arguments against the entry's shapes and calls
// its handler. No sockets here (osc/server.ts owns those), so every address is testable without UDP.
//
// Errors are values at this edge: a handler throws ClientError, handle() turns it into `/error <address> <text>`
// and nothing else changes. Out-of-range values are refused, not clamped (the reply names the range).
import { ClientError } from "../core/errors.ts";
import { argTags } from "./codec.ts";
import type { When } from "../sequencer/sequencer.ts";
import { DEFAULT_PATTERN_DIR, diskFiles, type PatchFiles } from "./files.ts";
import { Outbox } from "./outbox.ts";
import { type Call, readArgs, type Route, type RouteContext } from "./routes/route.ts";
import { FAMILIES, ROUTES } from "./routes/table.ts";
import type { Delivery, OscArg, OscEngine, OscPeer, OscReply } from "./types.ts";

export type { Delivery, OscArg, OscEngine, OscPeer, OscReply } from "./types.ts";
export { DEFAULT_PATTERN_DIR, type PatchFiles } from "./files.ts";

/** An entry with placeholders, split into its path segments once. */
interface Pattern {
  route: Route;
  segments: string[];
}

/** Routes decoded OSC messages to an engine. */
export class OscRouter {
  #ctx: RouteContext;
  #exact = new Map<string, Route>();
  #patterns: Pattern[] = [];

  /**
   * A router for `engine` over `routes` (the whole table by default). Files are read and written through
   * `files` (default: the disk), pattern files in `patternDir`.
   */
  constructor(
    engine: OscEngine,
    files?: PatchFiles,
    patternDir = DEFAULT_PATTERN_DIR,
    routes: readonly Route[] = ROUTES,
  ) {
    this.#ctx = {
      engine,
      files: files ?? diskFiles(patternDir),
      patternDir,
      out: new Outbox(engine),
      routes,
    };
    for (const r of routes) {
      if (r.address.includes("<")) this.#patterns.push({ route: r, segments: segments(r.address) });
      else this.#exact.set(r.address, r);
    }
  }

  /**
   * Handles one message. Returns the replies for its sender; `/sync`, `/record/start` and `/record/stop`
   * reply later, through `later` (they wait for another thread). `peer` is the sender, when there is one to
   * subscribe (/notify). `types` is the message's OSC type tag string without the comma ("sfi", "s[ff]"),
   * when it came over OSC: the shapes read each argument by its tag (a float pitch is Hz); without it a value
   * is read by what it looks like (the text language's rule). Never throws for bad input: that becomes an
   * `/error` reply.
   */
  handle(
    address: string,
    args: OscArg[],
    delivery: Delivery = {},
    later?: (r: OscReply) => void,
    peer?: OscPeer,
    types?: string,
  ): OscReply[] {
    try {
      if (!address.startsWith("/")) throw new ClientError(`an OSC address starts with "/"`);
      const tags = types === undefined ? undefined : alignedTags(types, args.length);
      const { route, path } = this.#match(address);
      const taken = route.now ? takeWhen(args, tags) : { args, tags, when: "bar" as When };
      const call: Call = {
        address,
        args: taken.args,
        tags: taken.tags,
        when: taken.when,
        path,
        delivery,
        later,
        peer,
      };
      return route.handle(this.#ctx, readArgs(route, taken.args, taken.tags), call);
    } catch (e) {
      if (e instanceof ClientError) return [{ address: "/error", args: [address, e.message] }];
      throw e; // a bug: the server reports it as an internal error
    }
  }

  /** Notes that a bundle's commands were sent at `frame`. */
  sentAt(frame: number | undefined): void {
    this.#ctx.out.stamped(frame);
  }

  // Exact addresses first, then the ones with placeholders; an unknown one is answered with the addresses
  // under its first segment when there are any (/seq/…), else with every address.
  #match(address: string): { route: Route; path: Record<string, string> } {
    const exact = this.#exact.get(address);
    if (exact) return { route: exact, path: {} };
    const parts = segments(address);
    for (const p of this.#patterns) {
      const path = bind(p, parts);
      if (path) return { route: p.route, path };
    }
    const near = this.#ctx.routes.filter((r) => r.address.startsWith(`/${parts[0]}/`));
    if (near.length) {
      const label = FAMILIES.find((f) => f.name === near[0].family)?.label ?? near[0].family;
      throw new ClientError(`unknown address (${label}: ${near.map((r) => r.address).join(", ")})`);
    }
    throw new ClientError(`unknown address (known: ${this.#ctx.routes.map((r) => r.address).join(", ")})`);
  }
}

function segments(address: string): string[] {
  return address.split("/").filter((p) => p !== "");
}

// The placeholders' values when the address fits the entry; the last one takes the rest of the path for a
// `tail` entry.
function bind(p: Pattern, parts: string[]): Record<string, string> | null {
  const tail = p.route.tail === true;
  if (tail ? parts.length < p.segments.length : parts.length !== p.segments.length) return null;
  const path: Record<string, string> = {};
  for (const [i, s] of p.segments.entries()) {
    const hole = /^<(.+)>$/.exec(s);
    const last = i === p.segments.length - 1;
    if (!hole) {
      if (s !== parts[i]) return null;
    } else path[hole[1]] = tail && last ? parts.slice(i).join(".") : parts[i];
  }
  return path;
}

// One type tag per argument; a tag string that does not fit the arguments is refused, not guessed at.
function alignedTags(types: string, count: number): string[] {
  let tags: string[];
  try {
    tags = argTags(types);
  } catch (e) {
    throw new ClientError((e as Error).message);
  }
  if (tags.length !== count) {
    throw new ClientError(`type tags "${types}" for ${count} argument${count === 1 ? "" : "s"}`);
  }
  return tags;
}

// A trailing "now" makes a change take effect at the track's next step instead of the next bar.
function takeWhen(
  args: OscArg[],
  tags?: string[],
): { args: OscArg[]; tags?: string[]; when: When } {
  const last = args[args.length - 1];
  if (typeof last === "string" && /^(now|bar)$/i.test(last)) {
    return { args: args.slice(0, -1), tags: tags?.slice(0, -1), when: last.toLowerCase() as When };
  }
  return { args, tags, when: "bar" };
}
