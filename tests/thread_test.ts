// Thread facts through Linux (ffi/thread.ts): a worker's thread id, and its time on a CPU, read from another
// thread: it grows while the worker spins (at once, not a scheduler tick later) and not while it sleeps.
import assert from "node:assert/strict";
import { threadRunNs } from "../ffi/thread.ts";

Deno.test("thread: a worker's id, and run time that grows while it spins, not while it sleeps", async () => {
  const url = new URL("../ffi/thread.ts", import.meta.url).href;
  const src = `import { threadId } from "${url}";
    self.onmessage = (e) => {
      if (e.data === "id") self.postMessage(threadId());
      else if (e.data === "spin") { const t = performance.now(); while (performance.now() - t < 60) {} self.postMessage(0); }
      else setTimeout(() => self.postMessage(0), 60);
    };`;
  const w = new Worker(`data:application/javascript,${encodeURIComponent(src)}`, { type: "module" });
  const ask = (m: string) =>
    new Promise<number>((r) => {
      w.onmessage = (e) => r(e.data);
      w.postMessage(m);
    });
  const tid = await ask("id");
  assert.ok(tid > 0 && tid !== Deno.pid, `a thread of its own: ${tid}`);
  const t0 = threadRunNs(tid)!;
  await ask("spin");
  const t1 = threadRunNs(tid)!;
  await ask("sleep");
  const t2 = threadRunNs(tid)!;
  w.terminate();
  assert.ok(t1 - t0 > 40e6, `spinning 60 ms ran ${(t1 - t0) / 1e6} ms`);
  assert.ok(t2 - t1 < 20e6, `sleeping 60 ms ran ${(t2 - t1) / 1e6} ms`);
  const pidMax = Number(Deno.readTextFileSync("/proc/sys/kernel/pid_max"));
  assert.equal(threadRunNs(pidMax), undefined, "no such thread (ids stay below pid_max)");
});
