// /view: one bounded snapshot of the engine for a live view (osc/view.ts; `deno task chronus watch` polls it at
// 10 Hz and draws it, cli/watch.ts). Read-only. It is a poll rather than /notify's push because the watcher
// decides its own rate and a stalled or vanished watcher costs the engine nothing (no subscription to lapse).
// The reply is a few KB for a request of 12 bytes: to a remote peer that would be a reflection amplifier
// (docs/security.md), so /view answers only senders on this machine; the server's size rule (osc/server.ts,
// REPLY_FACTOR) would refuse most of it anyway, and this says why in plain words.
import { ClientError } from "../../core/errors.ts";
import { viewSnapshot } from "../view.ts";
import { type Route, route } from "./route.ts";

/** /view. */
export const VIEW_ROUTES: readonly Route[] = [
  route({
    family: "view",
    dialect: "chronus",
    address: "/view",
    args: [],
    summary:
      "a snapshot for a live view: each module's output peak since the previous /view, the output's level and 8 octave bands, the sequencer's bar.beat and each track's current step on its pattern, the last events (failovers, clamps, errors), health (slots, failovers, late blocks, latency, CPU); loopback and --osc-allow senders only (another remote peer gets /error: the reply is ~100× its request)",
    reply:
      "/view.reply <JSON: uptimeS, sampleRate, block, health, position, modules [name, type, dB], levels, spectrum, tracks [name, steps, step, first], events [ago, type, message], more>, at most 8 KB",
    handle: ({ engine, recent }, _, { peer }) => {
      if (peer?.trusted === false) {
        throw new ClientError(
          "/view answers only on this machine or an --osc-allow peer (its reply is ~100× the request: a reflection amplifier for others); watch over ssh instead",
        );
      }
      return [{ address: "/view.reply", args: [JSON.stringify(viewSnapshot(engine, recent))] }];
    },
  }),
];
