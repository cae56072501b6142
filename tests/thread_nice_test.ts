// The facts the spare supply rests on (ffi/thread_nice.ts, workers/spawner_worker.ts): a thread's nice value is
// its own, a Worker created from a thread starts with that thread's value, and where the process may (root with
// CAP_SYS_NICE, or RLIMIT_NICE) a raised value is set back.
import assert from "node:assert/strict";
import { threadNice } from "../ffi/thread_nice.ts";

/** The nice value of a new Worker's thread, read by the worker from /proc (field 19 of its stat line). */
async function workerNice(): Promise<number> {
  const code =
    `self.postMessage(Number(Deno.readTextFileSync("/proc/thread-self/stat").split(") ")[1].split(" ")[16]));`;
  const url = URL.createObjectURL(new Blob([code], { type: "application/javascript" }));
  const w = new Worker(url, { type: "module" });
  try {
    return await new Promise<number>((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    });
  } finally {
    w.terminate();
    URL.revokeObjectURL(url);
  }
}

Deno.test("threadNice: a Worker starts at its creator thread's nice value; the creator sets its own back", async () => {
  const nice = threadNice();
  assert.ok(nice, "libc through FFI");
  try {
    const was = nice.get();
    assert.equal(await workerNice(), was);
    // Another value to try: 3 higher where there is room (anyone may raise it), else 3 lower where allowed
    // (tests run under `nice -n 19` here, as root).
    const other = was + 3 <= 19 ? was + 3 : nice.mayLowerTo(was - 3) ? was - 3 : undefined;
    if (other === undefined) return;
    assert.ok(nice.set(other));
    assert.equal(nice.get(), other);
    try {
      assert.equal(await workerNice(), other, "a new thread inherits its creator's nice value");
    } finally {
      // A higher value is always allowed; a lower one only where the process may (else this thread stays at it).
      if (other < was || nice.mayLowerTo(was)) assert.ok(nice.set(was), "set back");
    }
    if (other < was || nice.mayLowerTo(was)) assert.equal(nice.get(), was);
  } finally {
    nice.close();
  }
});
