// Real-time threads (docs/realtime.md): the plan and its words as pure functions; then a real engine (a
// subprocess, so its threads can be read in /proc) whose output and two DSP workers, and only they, run
// SCHED_FIFO, through a trap (the new standby raises itself) and a hang (the hung thread is put back to
// SCHED_OTHER while it spins); and an engine without the permission, which says so in one line and plays on.
import assert from "node:assert/strict";
import { describeRealtime, parseRealtime, planRealtime } from "../core/realtime.ts";
import {
  demoteThread,
  EPERM,
  type RealtimeLimits,
  SCHED_FIFO,
  SCHED_RR,
  threadPolicy,
} from "../ffi/realtime.ts";
import { OscTestClient } from "./osc_helpers.ts";
import { readWav } from "../core/wav.ts";

const mainTs = new URL("../main.ts", import.meta.url).pathname;
const root: RealtimeLimits = {
  rtprio: 0,
  memlockBytes: 8 << 20,
  rttimeUs: Infinity,
  sysNice: true,
  ipcLock: true,
};
const user: RealtimeLimits = { ...root, sysNice: false, ipcLock: false };

Deno.test("realtime: the plan for each request, limit and machine", () => {
  const env = { limits: root, cpus: 2, paced: true };
  assert.deepEqual(planRealtime({ mode: "auto" }, env), {
    policy: SCHED_FIFO,
    output: 4,
    dsp: 3,
    lockMemory: true,
  });
  assert.deepEqual(planRealtime({ mode: "rr", priority: 70 }, env), {
    policy: SCHED_RR,
    output: 70,
    dsp: 69,
    lockMemory: true,
  });
  // An audio group's limit: auto stays under it; memory is locked only with an unlimited RLIMIT_MEMLOCK.
  const audio = { ...user, rtprio: 2, memlockBytes: Infinity };
  assert.deepEqual(planRealtime({ mode: "auto" }, { ...env, limits: audio }), {
    policy: SCHED_FIFO,
    output: 2,
    dsp: 1,
    lockMemory: true,
  });
  assert.equal(planRealtime({ mode: "auto" }, { ...env, limits: { ...audio, rtprio: 1 } }).dsp, 1);
  assert.equal(
    planRealtime({ mode: "auto" }, { ...env, limits: { ...audio, memlockBytes: 8 << 20 } }).lockMemory,
    false,
  );
  const declined = (r: Parameters<typeof planRealtime>[0], e: Partial<typeof env>) =>
    planRealtime(r, { ...env, ...e }).declined;
  assert.equal(
    declined({ mode: "auto" }, { limits: user }),
    "denied: not permitted (EPERM: RLIMIT_RTPRIO 0 < 4, no CAP_SYS_NICE)",
  );
  assert.match(declined({ mode: "auto" }, { cpus: 1 })!, /^off \(one CPU/);
  assert.match(declined({ mode: "fifo", priority: 10 }, { paced: false })!, /--fast/);
  assert.equal(declined({ mode: "off" }, {}), "off (--realtime off)");
  assert.match(declined({ mode: "auto" }, { limits: undefined })!, /^denied: libc cannot be reached/);
});

Deno.test("realtime: --realtime values, and what the status says each thread got", () => {
  assert.deepEqual(parseRealtime("fifo:70"), { mode: "fifo", priority: 70 });
  assert.deepEqual(parseRealtime("off"), { mode: "off" });
  for (const bad of ["fifo:0", "fifo:100", "rr", "high", "fifo:7.5"]) {
    assert.throws(() => parseRealtime(bad), /expected auto, off, fifo:PRIO or rr:PRIO/, bad);
  }
  const plan = planRealtime({ mode: "fifo", priority: 70 }, { limits: root, cpus: 2, paced: true });
  assert.equal(
    describeRealtime(plan, { output: 70, dsp: [69, 69] }, root, "shared memory locked"),
    "fifo 70 (output), fifo 69 (dsp ×2), shared memory locked",
  );
  assert.equal(
    describeRealtime(plan, { output: -EPERM, dsp: [-EPERM, -EPERM] }, user),
    "denied: not permitted (EPERM: RLIMIT_RTPRIO 0 < 70, no CAP_SYS_NICE)",
  );
  assert.equal(
    describeRealtime(plan, { output: 70, dsp: [69, 0] }, root),
    "fifo 70 (output), fifo 69 (dsp ×1)",
    "a standby still starting has reported nothing yet",
  );
});

Deno.test({
  name: "realtime: a worker raises its own thread (not the main one), and demoteThread lowers it by its id",
  ignore: Deno.uid() !== 0,
  async fn() {
    const rt = new URL("../ffi/realtime.ts", import.meta.url).href;
    const th = new URL("../ffi/thread.ts", import.meta.url).href;
    const src = `import { raiseThisThread } from "${rt}"; import { threadId } from "${th}";
      self.onmessage = () => self.postMessage([threadId(), raiseThisThread(1, 5)]);`;
    const w = new Worker(`data:application/javascript,${encodeURIComponent(src)}`, { type: "module" });
    try {
      const [tid, got] = await new Promise<number[]>((r) => {
        w.onmessage = (e) => r(e.data);
        w.postMessage(0);
      });
      assert.equal(got, 5);
      assert.deepEqual(threadPolicy(tid), { policy: SCHED_FIFO, priority: 5 });
      assert.equal(threadPolicy(Deno.pid)?.policy, 0, "the main thread is left alone");
      assert.ok(demoteThread(tid));
      assert.deepEqual(threadPolicy(tid), { policy: 0, priority: 0 });
      assert.equal(demoteThread(0), false, "0 would name the calling thread: refused");
    } finally {
      w.terminate();
    }
  },
});

/** Each thread of process `pid`: its id, policy (0 SCHED_OTHER, 1 SCHED_FIFO …) and real-time priority. */
function threads(pid: number): { tid: number; policy: number; priority: number }[] {
  const out = [];
  for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/task/${e.name}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    // proc(5): fields from the third on follow the ")" of the name; rt_priority is field 40, policy 41.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.push({ tid: Number(e.name), priority: Number(f[40 - 3]), policy: Number(f[41 - 3]) });
  }
  return out;
}

const fifo = (pid: number) => threads(pid).filter((t) => t.policy === SCHED_FIFO);

/** Reads a child's stderr as it comes; `until` resolves with the first match at or after `from`, and its end. */
function stderrOf(child: Deno.ChildProcess) {
  let text = "";
  const waiters: (() => void)[] = [];
  const done = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const w of waiters.splice(0)) w();
    }
  })();
  const find = (re: RegExp, from: number) => {
    const m = text.slice(from).match(re);
    return m ? from + m.index! + m[0].length : -1;
  };
  return {
    get text() {
      return text;
    },
    done,
    /** The first match of `re` after `from` on stderr, as [the match, where it ends]. */
    async until(re: RegExp, from = 0, ms = 20_000): Promise<[RegExpMatchArray, number]> {
      const deadline = performance.now() + ms;
      for (;;) {
        const end = find(re, from);
        if (end >= 0) return [text.slice(from).match(re)!, end];
        if (performance.now() > deadline) throw new Error(`no ${re} on stderr within ${ms} ms:\n${text}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "realtime: exactly the output and the two DSP threads run SCHED_FIFO, through a trap and a hang",
  ignore: Deno.uid() !== 0,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "chronus-rt-" });
    // 375 blocks a second: a trap 2 s in, a hang (a render that spins 2 s) 4 s in.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        mainTs,
        "--sink",
        "null",
        "--osc-port",
        "0",
        "--duration",
        "9",
        "--no-autosave",
        "--data-dir",
        data,
        "--exercise",
        "7",
        "--allow-fault-injection",
        "--inject",
        "trap@primary:751",
        "--inject",
        "hang@primary:1501",
        // A fixed lead: this test is about the threads; the auto lead has its own (tests/lead_test.ts).
        "--lead",
        "6",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const err = stderrOf(child);
    try {
      const port = Number((await err.until(/OSC on 127\.0\.0\.1:(\d+)/))[0][1]);
      await err.until(/\[chronus\] realtime: /);
      const before = fifo(child.pid);
      assert.deepEqual(before.map((t) => t.priority).sort(), [3, 3, 4], JSON.stringify(threads(child.pid)));
      assert.equal(
        threads(child.pid).find((t) => t.tid === child.pid)?.policy,
        0,
        "the main thread stays normal",
      );
      const client = new OscTestClient(port);
      try {
        await client.send("/engine/status");
        const reply = await client.waitFor((r) => r[0] === "/engine/status.reply");
        assert.equal(
          JSON.parse(String(reply[1])).realtime,
          "fifo 4 (output), fifo 3 (dsp ×2), shared memory locked",
        );
      } finally {
        await client.close();
      }

      // The trap: the primary's thread ends, the standby is promoted, and a new standby raises itself.
      const [, trapAt] = await err.until(/failover: [^\n]*trap/);
      await err.until(/rebuilt: standby \(slot \d+\) back in lockstep/, trapAt);
      await sleep(100);
      const afterTrap = fifo(child.pid);
      assert.deepEqual(
        afterTrap.map((t) => t.priority).sort(),
        [3, 3, 4],
        JSON.stringify(threads(child.pid)),
      );
      const dspBefore = new Set(before.filter((t) => t.priority === 3).map((t) => t.tid));
      assert.ok(
        afterTrap.some((t) => t.priority === 3 && !dspBefore.has(t.tid)),
        "a new DSP thread runs SCHED_FIFO after the trap",
      );

      // The hang: the failed primary spins on for 2 s after its failover, as a normal thread: three real-time
      // threads still (a fourth would be the hung one), while the hung one is still spinning.
      // A hang the output's deadline caught first is a cover of a primary stuck in its render (docs/design.md §2).
      const [, hangAt] = await err.until(/failover: [^\n]*(hang|inside its render)/);
      const hungSince = performance.now();
      await err.until(/rebuilt: standby \(slot \d+\) back in lockstep/, hangAt);
      const during = threads(child.pid);
      assert.ok(performance.now() - hungSince < 1500, "checked while the hung render still spins");
      assert.deepEqual(
        during.filter((t) => t.policy === SCHED_FIFO).map((t) => t.priority).sort(),
        [3, 3, 4],
        JSON.stringify(during),
      );
    } finally {
      const status = await child.status;
      await err.done;
      await Deno.remove(data, { recursive: true });
      assert.equal(status.code, 0, err.text);
    }
  },
});

Deno.test({
  name: "realtime: without the permission, one line says so and the engine plays on at normal priority",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chronus-rt-" });
    // No CAP_SYS_NICE (root keeps every other capability) and an RLIMIT_RTPRIO of 0: as an ordinary user
    // without an audio group's limits. Where setpriv cannot drop it (not root), the user has no permission
    // anyway unless a limit grants it.
    const wrap = Deno.uid() === 0
      ? ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", "prlimit", "--rtprio=0"]
      : ["prlimit", "--rtprio=0"];
    const out = await new Deno.Command(wrap[0], {
      args: [
        ...wrap.slice(1),
        Deno.execPath(),
        "run",
        "--allow-all",
        mainTs,
        "--sink",
        "wav",
        "--out",
        `${dir}/out.wav`,
        "--summary",
        `${dir}/summary.json`,
        "--no-osc",
        "--no-autosave",
        "--data-dir",
        dir,
        "--duration",
        "2",
        "--exercise",
        "7",
        "--quiet",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    try {
      assert.equal(out.code, 0, stderr);
      const lines = stderr.split("\n").filter((l) => /real-?time/i.test(l));
      assert.deepEqual(lines, [
        "chronus: real-time threads denied: not permitted (EPERM: RLIMIT_RTPRIO 0 < 4, no CAP_SYS_NICE); " +
        "running at normal priority (docs/realtime.md)",
      ]);
      const summary = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
      assert.equal(summary.frames, Math.ceil((2 * 48000) / 128) * 128, "every block played");
      const { samples } = readWav(await Deno.readFile(`${dir}/out.wav`));
      assert.ok(samples.some((x) => Math.abs(x) > 0.01), "the exercise is heard");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
