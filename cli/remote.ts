// What remote mode exposes, said at start-up (main.ts): OSC has no authentication, so whoever may send can do
// everything a local client can.

/** The start-up warning for a non-loopback --osc-host: what a remote client can do, and who may send. */
export function remoteWarning(host: string, allow: readonly string[]): string {
  return [
    `warning: OSC listens on ${host} with no authentication. Besides this machine, ${
      allow.join(", ")
    } may send;`,
    "packets from anyone else are dropped unanswered. An allowed sender can play and stop the sound, change and",
    "replace the patch and the sequence, save and load patches and patterns and record WAV files in the data",
    "directory, and subscribe to events and meters (/notify). Its replies, errors and subscriptions are limited",
    "(docs/limits.md), but UDP senders can be spoofed: allow only networks you trust.",
  ].join("\n  ");
}
