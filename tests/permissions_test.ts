// The tasks' least privilege (docs/security.md, "Permissions"): main.ts run exactly as `deno task start` runs it
// (the command and the permission set read from deno.json, so this cannot drift from the task) and a write
// outside what the set grants ends the run with one plain line and exit code 2, not a stack trace.
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));

Deno.test("no task that users run has --allow-all; each names a permission set", () => {
  for (const name of ["start", "start:remote", "render", "chronus", "build", "docs"]) {
    const command: string = config.tasks[name].command;
    assert(!/--allow-all|\s-A\b/.test(command), `${name}: ${command}`);
    const set = command.match(/-P=([\w-]+)/)?.[1];
    assert(set && config.permissions[set], `${name} names a permission set that deno.json declares`);
  }
});

Deno.test("the engine's permission set cannot write a file git tracks (its own code among them)", () => {
  const tracked = new Deno.Command("git", { args: ["ls-files"], cwd: root }).outputSync();
  const tops = new Set(
    new TextDecoder().decode(tracked.stdout).split("\n").filter(Boolean).map((p) => p.split("/")[0]),
  );
  for (const set of ["start", "start-remote", "render"]) {
    const deny: string[] = config.permissions[set].write.deny;
    for (const top of tops) assert(deny.includes(`./${top}`), `${set} may write ./${top}`);
  }
});

Deno.test("start: a --log outside the granted tree ends in one plain line, exit code 2", async () => {
  const args = (config.tasks.start.command as string).split(/\s+/).slice(1); // after "deno"
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      ...args,
      "--duration",
      "1",
      "--sink",
      "null",
      "--quiet",
      "--no-osc",
      "--log",
      "/etc/chronus-test.jsonl",
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 2, err);
  assert.equal(err.split("\n").length, 1, err);
  assert.match(
    err,
    /^chronus: writing \/etc\/chronus-test\.jsonl is not permitted \(outside what this task's permission set/,
  );
  assert(!/\bat \w|--allow-write/.test(err), err);
  let exists = true;
  try {
    Deno.statSync("/etc/chronus-test.jsonl");
  } catch {
    exists = false;
  }
  assert.equal(exists, false);
});
