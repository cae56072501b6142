import type { Sink } from "./sink.ts";

/** Discards audio; the output loop paces it at real time from absolute deadlines. */
export function nullSink(): Sink {
  return { paced: false, write() {}, close() {} };
}
