// The seed system's OSC, declared once: every address its clients could send, stage by stage (the Phase 1
// engine, the Phase 2 fixed chain, the slot and router supervisors, the Windows port, the first and the final
// pyo engines), with its argument shape, the native command(s) it becomes, the unit conversion and the range.
//
// Each entry is a route of the one address table (dialect "seed"): the router serves it, /engine/schema lists
// it under "dialects", docs/osc.md's "Seed dialect" table and `deno task chronus --help` are generated from it.
// Where a native entry serves the old address as it is (same unit, a range that holds the seed's), the entry
// says so (`servedBy`) and adds no dispatch. Where both take one address, the old form `claims` its messages
// by argument types and counts, or by a value range that the native unit cannot mean (stated in `takes`).
//
// Range policy: the old addresses clamp to the seed's range and apply, as the seed did; each clamp is an
// `/event clamped <address> <value> → <clamped>` to /notify subscribers, never an /error.
import type { Route } from "../routes/route.ts";
import { ACID_ROUTES, VOICE_ROUTES } from "./seed_voices.ts";
import { FX_ROUTES } from "./seed_fx.ts";
import { COMPAT_ROUTES, WINDOWS_ROUTES } from "./seed_compat.ts";
import { ENGINE_ROUTES, PATCH_ROUTES } from "./seed_engine.ts";
import { PATTERN_ROUTES, SEQ_ROUTES } from "./seed_transport.ts";

/** Every entry of the seed dialect, in the order docs list them. */
export const SEED_ROUTES: readonly Route[] = [
  ...VOICE_ROUTES,
  ...ACID_ROUTES,
  ...FX_ROUTES,
  ...COMPAT_ROUTES,
  ...WINDOWS_ROUTES,
  ...ENGINE_ROUTES,
  ...PATCH_ROUTES,
  ...SEQ_ROUTES,
  ...PATTERN_ROUTES,
];
