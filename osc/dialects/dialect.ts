// What a dialect's entries share: reading a value the way the old system did (float() of anything), clamping
// it to the old range and telling /notify subscribers, finding the voice an address names, running the native
// entry a form means, and the entry as data for /engine/schema.
import { ClientError } from "../../core/errors.ts";
import type { OscArg, OscReply } from "../types.ts";
import {
  type Call,
  readArgs,
  type Route,
  type RouteContext,
  type Shape,
  token,
  value,
} from "../routes/route.ts";

/** A number-like argument as the old servers' float() read it: a number, a numeric string, true/false. */
export function numberOf(a: OscArg | undefined): number | null {
  if (typeof a === "boolean") return a ? 1 : 0;
  const v = typeof a === "string" && a.trim() !== "" ? Number(a) : a;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Whether the message is one number-like argument (what a parameter address of the old system took). */
export function oneNumber(args: readonly OscArg[]): boolean {
  return args.length === 1 && numberOf(args[0]) !== null;
}

/** One number in the old system's range: usage and docs show the range; the entry clamps to it. */
export function seedNumber(
  name: string,
  more: { min?: number; max?: number; unit?: string; doc?: string },
): Shape<number> {
  return {
    ...value(name),
    type: "number",
    doc: more.doc ?? (more.min !== undefined ? "clamped to the range" : undefined),
    ...more,
    read: (a, i) => {
      const v = numberOf(a[i]);
      if (v === null) {
        throw new ClientError(
          `argument ${i + 1} (${name}) must be a number, got ${JSON.stringify(a[i] ?? null)}`,
        );
      }
      return v;
    },
  };
}

/** `v` within min … max; a value outside is clamped and reported (`/event clamped <address> <v> → <c>`). */
export function clamp(ctx: RouteContext, address: string, v: number, min: number, max: number): number {
  const c = Math.min(Math.max(v, min), max);
  if (c !== v) ctx.report?.("clamped", `${address} ${v} → ${c}`);
  return c;
}

/** The patch's voices (modules called voice<N> of type voice), in number order. */
export function voiceNames(ctx: RouteContext): string[] {
  return [...ctx.engine.patch.modules.values()]
    .filter((m) => m.type === "voice" && /^voice\d+$/.test(m.name))
    .map((m) => m.name)
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
}

/** The voice an address names (voice<N>); ClientError naming the patch's voices when it has no such voice. */
export function voiceOf(ctx: RouteContext, n: string): string {
  const name = `voice${Number(n)}`;
  if (ctx.engine.patch.modules.get(name)?.type === "voice") return name;
  const voices = voiceNames(ctx);
  throw new ClientError(
    `the patch has no ${name} (${voices.length ? `voices: ${voices.join(", ")}` : "no voices"})`,
  );
}

/** Whether the patch has a module of this name (an old name such as adsr1 then means that module). */
export function hasModule(ctx: RouteContext, name: string): boolean {
  return ctx.engine.patch.modules.has(name);
}

/** Runs the native entry at `address` on `args`: what an old form means when it means a native command. */
export function delegate(
  ctx: RouteContext,
  address: string,
  args: readonly OscArg[],
  call: Call,
): OscReply[] {
  const r = ctx.routes.find((r) => r.address === address && r.dialect === "chronus");
  if (!r) throw new Error(`no native entry ${address} in the address table`);
  return r.handle(ctx, readArgs(r, args), { ...call, args });
}

/**
 * Every dialect's entries as JSON, by dialect (the "dialects" section of /engine/schema): one item per entry,
 * its aliases together, its arguments as usage shows them. Kept compact: the whole schema is one datagram.
 */
export function dialectsJson(routes: readonly Route[]): Record<string, unknown[]> {
  const out: Record<string, { addresses: string[] }[]> = {};
  let last: Route["legacy"];
  for (const r of routes) {
    const l = r.legacy;
    if (!l) continue;
    const list = out[r.dialect] ??= [];
    if (l === last) {
      list[list.length - 1].addresses.push(r.address);
      continue;
    }
    last = l;
    list.push({
      addresses: [r.address],
      args: r.args.map(token).join(" "),
      native: l.native,
      conversion: l.conversion,
      range: l.range,
      ...(l.takes ? { takes: l.takes } : {}),
      ...(l.servedBy ? { servedBy: l.servedBy } : {}),
      origin: l.origin,
    } as { addresses: string[] });
  }
  return out;
}
