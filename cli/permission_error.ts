// Deno's own refusals in plain words. The tasks run under the permission sets in deno.json (docs/security.md,
// "Permissions"), so an operation outside them fails with Deno's NotCapable error, whose text ("…, run again
// with the --allow-write flag") gives advice a user of `deno task start` cannot follow. The text is matched,
// not the error's class: refusals inside a worker (the recorder, the OSC socket) reach the main thread as text.

const REFUSAL = /Requires (\w+) access to "([^"]*)", run again with the --allow-\w+ flag/;

const VERBS: Record<string, string> = {
  read: "reading",
  write: "writing",
  net: "network access to",
  ffi: "loading the library",
  env: "reading the environment variable",
  run: "running",
  sys: "the system information",
  import: "importing from",
};

/** `message` with a Deno permission refusal in it reworded plainly; any other message unchanged. */
export function plainPermissionMessage(message: string): string {
  return message.replace(REFUSAL, (_, kind: string, what: string) => {
    const verb = VERBS[kind] ?? `${kind} access to`;
    return `${verb} ${what} is not permitted (outside what this task's permission set in deno.json grants; ` +
      `see docs/security.md, "Permissions")`;
  });
}

/** Ends the run with exit code 2 after one line: `chronus: <message>`, a permission refusal reworded. */
export function fail(message: string): never {
  console.error(`chronus: ${plainPermissionMessage(message)}`);
  Deno.exit(2);
}

/**
 * Throws an Error in plain words when this process may not read the directory `dir` that `flag` names (a
 * `--samples` outside the project and /tmp under `deno task start` or `render`): said at start, rather than
 * as each load's refusal later.
 */
export function checkReadable(flag: string, dir: string): void {
  if (Deno.permissions.querySync({ name: "read", path: dir }).state === "granted") return;
  throw new Error(
    `${flag} ${dir}: this task may not read there (its permission set in deno.json reads the project ` +
      `directory and /tmp only): put the files under one of them, or add it with Deno's --allow-read ` +
      `(docs/samples.md, "A samples directory outside the project")`,
  );
}
