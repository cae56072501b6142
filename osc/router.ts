// The OSC dispatcher: one decoded message in, commands to the engine and replies out. It matches the address
// to an entry of the address table (osc/routes/), checks the arguments against the entry's shapes and calls
// its handler. No sockets here (osc/server.ts owns those), so every address is testable without UDP.
//
// Errors are values at this edge: a handler throws ClientError, handle() turns it into `/error <address> <text>`
// and nothing else changes. Out-of-range values are refused, not clamped (the reply names the range), except
// by a dialect's entries (osc/dialects/), which clamp as the old system did and report it as an /event.
//
// Several entries may serve one address (a native one and a dialect's form of it): the first whose `claims`
// accepts the message's arguments takes it, else the entry without `claims`. When the one chosen refuses the
// message, the error names the other forms the address has.
import { ClientError } from "../core/errors.ts";
import { argTags } from "./codec.ts";
import type { When } from "../sequencer/sequencer.ts";
import { DEFAULT_DATA_DIR, diskFiles, type PatchFiles } from "./files.ts";
import { EditNotes } from "./edit_notes.ts";
import { Outbox } from "./outbox.ts";
import { RecentEvents } from "./recent_events.ts";
import { type Call, readArgs, type Route, type RouteContext } from "./routes/route.ts";
import { FAMILIES, ROUTES } from "./routes/table.ts";
import {
  canonicalParam,
  changeBetween,
  describeChange,
  History,
  isEmpty,
  shownValue,
  type Snapshot,
  snapshot,
} from "../sequencer/history.ts";
import type { Delivery, OscArg, OscEngine, OscPeer, OscReply } from "./types.ts";

export type { Delivery, OscArg, OscEngine, OscPeer, OscReply } from "./types.ts";
export { DEFAULT_DATA_DIR, type PatchFiles } from "./files.ts";

/** An entry with placeholders, split into its path segments once (a segment with text around a placeholder, like voice<N>, as a regex). */
interface Pattern {
  route: Route;
  segments: (string | RegExp)[];
}

/** An entry that fits an address, with the values of its placeholders. */
interface Match {
  route: Route;
  path: Record<string, string>;
}

/** Routes decoded OSC messages to an engine. */
export class OscRouter {
  #ctx: RouteContext;
  #exact = new Map<string, Route[]>();
  #patterns: Pattern[] = [];
  /** The last events, clamps and error replies, for /view (the server adds the engine's events). */
  readonly recent: RecentEvents = new RecentEvents();
  /** Who the history says made an edit that came without a peer: "stdin" (the console) unless set ("score"). */
  author = "stdin";

  /**
   * A router for `engine` over `routes` (the whole table by default). Files are read and written through
   * `files` (default: the data directory `dataDir` on the disk, core/sandbox.ts); `report` tells /notify
   * subscribers of events (a dialect's clamped values).
   */
  constructor(
    engine: OscEngine,
    files?: PatchFiles,
    dataDir = DEFAULT_DATA_DIR,
    routes: readonly Route[] = ROUTES,
    report?: (type: string, message: string) => void,
  ) {
    this.#ctx = {
      engine,
      files: files ?? diskFiles(dataDir),
      out: new Outbox(engine),
      routes,
      report: (type, message) => {
        this.recent.note(type, message);
        report?.(type, message);
      },
      recent: this.recent,
      history: engine.history ?? new History(),
      notes: new EditNotes(),
    };
    // A dialect's row that a native entry serves as it is has no dispatch of its own.
    for (const r of routes.filter((r) => !r.legacy?.servedBy)) {
      if (r.address.includes("<")) this.#patterns.push({ route: r, segments: compile(r.address) });
      else this.#exact.set(r.address, [...(this.#exact.get(r.address) ?? []), r]);
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
    let others: Route[] = [];
    try {
      if (!address.startsWith("/")) throw new ClientError(`an OSC address starts with "/"`);
      const tags = types === undefined ? undefined : alignedTags(types, args.length);
      const matches = this.#match(address);
      const { route, path } = this.#choose(matches, args);
      others = matches.map((m) => m.route).filter((r) => r !== route);
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
        again: () =>
          this.handle(
            address,
            args,
            delivery.frame === undefined ? {} : { frame: delivery.frame },
            later,
            peer,
            types,
          ),
      };
      const values = readArgs(route, taken.args, taken.tags);
      if (!route.edit) return route.handle(this.#ctx, values, call);
      return recorded(this.#ctx, route, values, call, peer?.name ?? this.author, peer?.name);
    } catch (e) {
      if (!(e instanceof ClientError)) throw e; // a bug: the server reports it as an internal error
      const forms = others.map((r) => r.dialect === "chronus" ? r.usage : `${r.usage} (${r.dialect})`);
      const text = forms.length ? `${e.message}; the address also takes ${forms.join(" | ")}` : e.message;
      this.recent.note("error", `${address}: ${text}`);
      return [{ address: "/error", args: [address, text] }];
    }
  }

  /** Notes that a bundle's commands were sent at `frame`. */
  sentAt(frame: number | undefined): void {
    this.#ctx.out.stamped(frame);
  }

  // Every entry that fits: exact addresses first, then the ones with placeholders. An unknown address is
  // answered with the native addresses under its first segment when there are any (/seq/…), else with a hint.
  #match(address: string): Match[] {
    const parts = segments(address);
    const found: Match[] = (this.#exact.get(address) ?? []).map((route) => ({ route, path: {} }));
    for (const p of this.#patterns) {
      const path = bind(p, parts);
      if (path) found.push({ route: p.route, path });
    }
    if (found.length) return found;
    const native = this.#ctx.routes.filter((r) => r.dialect === "chronus");
    const near = native.filter((r) => r.address.startsWith(`/${parts[0]}/`));
    if (near.length) {
      const label = FAMILIES.find((f) => f.name === near[0].family)?.label ?? near[0].family;
      throw new ClientError(`unknown address (${label}: ${near.map((r) => r.address).join(", ")})`);
    }
    // A hint, not the whole table: an error reply stays small (the list is /engine/schema's).
    throw new ClientError(`unknown address (see /engine/schema for every address, or docs/osc.md)`);
  }

  // The entry that claims the message, else the first that claims nothing (the address's general form), else
  // the first: it refuses the message in its own words.
  #choose(matches: Match[], args: readonly OscArg[]): Match {
    return matches.find((m) => m.route.claims?.(args, m.path, this.#ctx)) ??
      matches.find((m) => !m.route.claims) ?? matches[0];
  }
}

// Runs an edit's handler between two snapshots and records what it changed in the history, stamped at the
// bundle's frame or the earliest exact one (what an unstamped send gets, give or take the block it waits).
// The same one line, with when it was made, is noted for the sender's next /synced (osc/edit_notes.ts); a
// parameter set that changed nothing is noted as such ("voice1.cutoff was already 1000 Hz").
function recorded(
  ctx: RouteContext,
  route: Route,
  values: unknown[],
  call: Call,
  author: string,
  sender?: string,
): OscReply[] {
  const { engine, history } = ctx;
  // A parameter set compares its one module: a whole snapshot (every module and the sequence) made a /mod
  // set cost 74 µs instead of 6 on the main thread, ~7 % of it at 1,000 knob messages a second.
  const only = route.edit === "param" ? route.editModule?.(ctx, call.path) ?? call.path.module : undefined;
  const take = () => snapshot(engine.patch, engine.sequencer, only, engine.instrument);
  const before = take();
  const replies = route.handle(ctx, values, call);
  const after = take();
  const change = changeBetween(before, after);
  const frame = call.delivery.frame ?? engine.asap();
  if (isEmpty(change)) {
    if (sender !== undefined && only !== undefined) {
      const same = unchanged(after, only, call.path.param);
      if (same) ctx.notes?.note(sender, same);
    }
    return replies;
  }
  const position = engine.sequencer.playing ? engine.sequencePosition() : null;
  const types = (m: string) => engine.patch.modules.get(m)?.type ?? before.modules.get(m)?.type;
  const label = typeof route.edit === "function" ? route.edit(values) : undefined;
  const line = label ?? describeChange(change, types);
  history.record(change, {
    frame,
    author,
    ...(position ? { at: `${position.bar}.${position.beat}` } : {}),
    // A merge into the newest entry describes the merged change; this one's line is already made.
    describe: (c) => c === change ? line : label ?? describeChange(c, types),
  }, engine.sampleRate);
  if (sender !== undefined) {
    ctx.notes?.note(
      sender,
      `${line} at ${position ? `bar ${position.bar}.${position.beat}` : `frame ${frame}`}`,
    );
  }
  return replies;
}

// "voice1.cutoff was already 1000 Hz": a parameter set that moved nothing (`param` as the address named it,
// perhaps an alias), or undefined when the parameter cannot be told.
function unchanged(s: Snapshot, module: string, param: string | undefined): string | undefined {
  const m = s.modules.get(module);
  if (!m || param === undefined) return undefined;
  const name = canonicalParam(m.type, param);
  if (name === undefined || !(name in m.params)) return undefined;
  return `${module}.${name} was already ${shownValue(m.type, name, m.params[name])}`;
}

function segments(address: string): string[] {
  return address.split("/").filter((p) => p !== "");
}

// An entry's segments: literal text, a whole-segment placeholder ("<module>"), or text around placeholders
// ("voice<N>": each such placeholder binds a number).
function compile(address: string): (string | RegExp)[] {
  return segments(address).map((s) =>
    /^<[^<>]+>$/.test(s) || !s.includes("<")
      ? s
      : new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<([^<>]+)>/g, "(?<$1>\\d+)")}$`)
  );
}

// The placeholders' values when the address fits the entry; the last one takes the rest of the path for a
// `tail` entry.
function bind(p: Pattern, parts: string[]): Record<string, string> | null {
  const tail = p.route.tail === true;
  if (tail ? parts.length < p.segments.length : parts.length !== p.segments.length) return null;
  const path: Record<string, string> = {};
  for (const [i, s] of p.segments.entries()) {
    if (s instanceof RegExp) {
      const m = s.exec(parts[i]);
      if (!m) return null;
      Object.assign(path, m.groups);
      continue;
    }
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
