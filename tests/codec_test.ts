// The OSC codec (osc/codec.ts) without a socket: every type tag both ways, arrays, nested bundles and time
// tags, the int64 limits, each kind of malformed packet, random and mutated bytes, and liblo's own bytes
// (`oscsend -` writes a packet to stdout) and decoder (oscdump reads what encodeMessage writes).
import assert from "node:assert/strict";
import {
  argTags,
  decodePacket,
  encodeBundle,
  encodeMessage,
  encodePacket,
  inferTypes,
  MAX_DEPTH,
  type OscPacket,
  type PacketBundle,
  type PacketMessage,
} from "../osc/codec.ts";
import type { OscArg } from "../osc/types.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function message(bytes: Uint8Array): PacketMessage {
  const d = decodePacket(bytes);
  assert.ok(d.ok, d.ok ? "" : d.error);
  assert.equal(d.packet.kind, "message");
  return d.packet as PacketMessage;
}

function malformed(bytes: Uint8Array, why: RegExp): void {
  const d = decodePacket(bytes);
  assert.ok(!d.ok, `decoded: ${JSON.stringify(d.ok && d.packet)}`);
  assert.match(d.error, why);
}

// Every type of OSC 1.0 and 1.1 with a value that shows it kept its precision.
const EVERY: { types: string; args: OscArg[] } = {
  types: "ihfdsSbtcrmTFNI[i[sd]]",
  args: [
    -7,
    2 ** 40 + 3,
    1.5,
    0.1,
    "héllo",
    "sym",
    Uint8Array.from([1, 2, 3, 4, 5]),
    1700000000.5,
    "x",
    0x11223344,
    0x00903c7f,
    true,
    false,
    null,
    null,
    [9, ["in", 0.2]],
  ],
};

Deno.test("codec: every type round-trips with its type tag; bytes as the OSC spec lays them out", () => {
  const bytes = encodeMessage({ address: "/every", ...EVERY });
  const m = message(bytes);
  assert.equal(m.address, "/every");
  assert.equal(m.types, EVERY.types);
  assert.deepEqual(m.args, EVERY.args);
  assert.equal(m.error, undefined);
  assert.deepEqual(encodePacket(m), bytes, "decode, encode: the same bytes");
  assert.deepEqual(argTags(m.types), [
    "i",
    "h",
    "f",
    "d",
    "s",
    "S",
    "b",
    "t",
    "c",
    "r",
    "m",
    "T",
    "F",
    "N",
    "I",
    "[i[sd]]",
  ]);
  // The OSC 1.0 spec's own example: "/oscillator/4/frequency" ,f 440.0.
  assert.deepEqual(
    encodeMessage({ address: "/oscillator/4/frequency", args: [440.5], types: "f" }),
    cat(ascii("/oscillator/4/frequency\0,f\0\0"), [0x43, 0xdc, 0x40, 0]),
  );
  // int64, double, a time tag and a blob at the byte level.
  assert.deepEqual(
    encodeMessage({ address: "/x", args: [-2, 2, 0, Uint8Array.from([7])], types: "hdtb" }),
    cat(
      ascii("/x\0\0,hdtb\0\0\0"),
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
      [0x40, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 1], // "immediately"
      [0, 0, 0, 1, 7, 0, 0, 0],
    ),
  );
  // A float32 keeps the float32's exact value; a blob is a copy, not a view of the packet.
  assert.equal(message(encodeMessage({ address: "/f", args: [0.1], types: "f" })).args[0], Math.fround(0.1));
  const blob = message(bytes).args[6] as Uint8Array;
  assert.notEqual(blob.buffer, bytes.buffer);
  // OSC 1.0: a message without a type tag string has no arguments.
  assert.deepEqual(message(ascii("/old\0\0\0\0")), { kind: "message", address: "/old", args: [], types: "" });
});

Deno.test("codec: replies infer their tags; integers past the int32 range go out as int64 (h)", () => {
  assert.equal(inferTypes([1, -(2 ** 31), 2 ** 31 - 1]), "iii");
  assert.equal(inferTypes([2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER]), "hhh");
  assert.equal(inferTypes([2 ** 53, 1e300]), "dd", "integers a number cannot hold exactly: double");
  assert.equal(
    inferTypes([0.5, NaN, "s", true, false, null, new Uint8Array(1), [1, ["a"]]]),
    "ffsTFNb[i[s]]",
  );
  // A frame count after 12.4 hours at 48 kHz, as /record/start.reply carries it.
  const frames = 48000 * 13 * 3600;
  const m = message(encodeMessage({ address: "/record/start.reply", args: ["take.wav", frames] }));
  assert.equal(m.types, "sh");
  assert.deepEqual(m.args, ["take.wav", frames]);
  assert.throws(() => encodeMessage({ address: "/x", args: [1, 2], types: "i" }), RangeError);
  assert.throws(() => encodeMessage({ address: "/x", args: [2 ** 31], types: "i" }), RangeError);
  assert.throws(() => encodeMessage({ address: "/x", args: [2 ** 53], types: "h" }), RangeError);
  assert.throws(() => encodeMessage({ address: "/x", args: ["a\0b"] }), RangeError);
});

Deno.test("codec: int64 boundaries: safe integers decode, the rest refuses that message only", () => {
  const h = (v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v);
    return cat(ascii("/h\0\0,h\0\0"), b);
  };
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (const v of [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n) - 1n, max, -max]) {
    assert.deepEqual(message(h(v)).args, [Number(v)], String(v));
    assert.equal(message(h(v)).error, undefined);
  }
  for (const v of [max + 1n, -max - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    assert.match(
      message(h(v)).error ?? "",
      new RegExp(`^argument 1 \\(h\\) ${v} is past ±2\\^53`),
      String(v),
    );
  }
  // In a bundle, the message with the unusable int64 is refused and its neighbours are not.
  const bad = h(2n ** 60n);
  const good = encodeMessage({ address: "/ok", args: [1] });
  const size = (b: Uint8Array) => {
    const s = new Uint8Array(4);
    new DataView(s.buffer).setInt32(0, b.length);
    return s;
  };
  const bundle = cat(ascii("#bundle\0"), [0, 0, 0, 0, 0, 0, 0, 1], size(good), good, size(bad), bad);
  const d = decodePacket(bundle);
  assert.ok(d.ok);
  const [ok, refused] = (d.packet as PacketBundle).elements as PacketMessage[];
  assert.equal(ok.error, undefined);
  assert.match(refused.error ?? "", /argument 1 \(h\) 1152921504606846976 is past/);
  // A char that is no code point: that message only, too.
  assert.match(
    message(cat(ascii("/c\0\0,ic\0"), [0, 0, 0, 1], [0x7f, 0, 0, 0])).error ?? "",
    /argument 2 \(c\) 2130706432 is not a character's code point/,
  );
});

Deno.test("codec: arrays nest, and the tags split into one per argument", () => {
  const m = message(encodeMessage({ address: "/a", args: [[], [1, [2, [3]]], "z"], types: "[][i[i[i]]]s" }));
  assert.deepEqual(m.args, [[], [1, [2, [3]]], "z"]);
  assert.deepEqual(argTags(m.types), ["[]", "[i[i[i]]]", "s"]);
  assert.deepEqual(argTags(""), []);
  assert.throws(() => argTags("i]"), /"\]" without "\["/);
  assert.throws(() => argTags("[i"), /"\[" without "\]"/);
  const deepest = "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH);
  let nested: OscArg = [];
  for (let k = 1; k < MAX_DEPTH; k++) nested = [nested];
  assert.deepEqual(message(encodeMessage({ address: "/deep", args: [nested], types: deepest })).args, [
    nested,
  ]);
});

Deno.test("codec: bundles nest, with their time tags (Unix seconds; 0 is immediately)", () => {
  const t = 1700000000.25;
  const bytes = encodeBundle({
    timetag: t,
    elements: [
      { address: "/one", args: [1] },
      { timetag: 0, elements: [{ address: "/two", args: [2.5, "x"] }, { timetag: t + 1, elements: [] }] },
      { address: "/three", args: [], types: "" },
    ],
  });
  const d = decodePacket(bytes);
  assert.ok(d.ok);
  const want: OscPacket = {
    kind: "bundle",
    timetag: t,
    elements: [
      { kind: "message", address: "/one", args: [1], types: "i" },
      {
        kind: "bundle",
        timetag: 0,
        elements: [
          { kind: "message", address: "/two", args: [2.5, "x"], types: "fs" },
          { kind: "bundle", timetag: t + 1, elements: [] },
        ],
      },
      { kind: "message", address: "/three", args: [], types: "" },
    ],
  };
  assert.deepEqual(d.packet, want);
  assert.deepEqual(encodePacket(d.packet), bytes);
  // A time tag keeps about 0.2 µs through the NTP fraction and a double.
  const tagged = message(encodeMessage({ address: "/t", args: [t + 1e-6], types: "t" }));
  assert.ok(Math.abs((tagged.args[0] as number) - (t + 1e-6)) < 3e-7);
  // Nesting: MAX_DEPTH bundles decode, one more is malformed.
  let inner = encodeMessage({ address: "/in", args: [] });
  for (let k = 0; k <= MAX_DEPTH; k++) {
    const s = new Uint8Array(4);
    new DataView(s.buffer).setInt32(0, inner.length);
    inner = cat(ascii("#bundle\0"), [0, 0, 0, 0, 0, 0, 0, 1], s, inner);
  }
  malformed(inner, new RegExp(`bundles nested deeper than ${MAX_DEPTH}`));
  assert.ok(decodePacket(inner.subarray(20)).ok, `${MAX_DEPTH} bundles deep`);
});

Deno.test("codec: malformed packets give one plain error each, and no exception", () => {
  const i32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v);
    return b;
  };
  malformed(new Uint8Array(0), /an empty packet/);
  malformed(ascii("/no/terminator"), /the address has no terminating NUL/);
  malformed(ascii("/x\0\0,iii"), /the type tag string has no terminating NUL/);
  malformed(ascii("/x\0\0iii\0"), /does not start with ","/);
  malformed(cat(ascii("/x\0\0,i\0\0"), [0, 0]), /argument 1 \(i\) needs 4 bytes, 2 left/);
  malformed(cat(ascii("/x\0\0,f\0\0")), /argument 1 \(f\) needs 4 bytes, 0 left/);
  for (let n = 0; n < 8; n++) {
    malformed(
      cat(ascii("/x\0\0,h\0\0"), new Uint8Array(n)),
      new RegExp(`argument 1 \\(h\\) needs 8 bytes, ${n} left`),
    );
    malformed(
      cat(ascii("/x\0\0,d\0\0"), new Uint8Array(n)),
      new RegExp(`argument 1 \\(d\\) needs 8 bytes, ${n} left`),
    );
    malformed(cat(ascii("/x\0\0,t\0\0"), new Uint8Array(n)), /argument 1 \(t\) needs 8 bytes/);
  }
  malformed(cat(ascii("/x\0\0,is\0"), i32(1), ascii("abcd")), /argument 2 \(s\) has no terminating NUL/);
  malformed(cat(ascii("/x\0\0,b\0\0"), i32(9), ascii("abcd")), /blob of 9 bytes runs past the end/);
  malformed(cat(ascii("/x\0\0,b\0\0"), i32(2 ** 31 - 1)), /blob of 2147483647 bytes runs past the end/);
  malformed(cat(ascii("/x\0\0,b\0\0"), i32(-4)), /negative size/);
  malformed(cat(ascii("/x\0\0,b\0\0"), [0, 0]), /argument 1 \(b\)'s size needs 4 bytes/);
  malformed(ascii("/x\0\0,iq\0"), /unknown type tag "q"/);
  const long = decodePacket(ascii(`/x\0\0,${"i".repeat(999)}q\0\0\0\0`));
  assert.ok(!long.ok && long.error.length < 100, "a long tag string is cut short in the error");
  malformed(ascii("/x\0\0,i]\0"), /close an array that was not opened/);
  malformed(ascii("/x\0\0,][\0"), /close an array that was not opened/);
  malformed(ascii("/x\0\0,[i\0"), /leave an array open/);
  malformed(
    ascii(`/x\0\0,${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}\0`),
    /arrays nested deeper/,
  );
  malformed(ascii("#bundle\0\0\0\0\0"), /the bundle's time tag needs 8 bytes/);
  const head = cat(ascii("#bundle\0"), [0, 0, 0, 0, 0, 0, 0, 1]);
  malformed(cat(head, i32(64), ascii("/x\0\0,\0\0\0")), /a bundle element of 64 bytes \(8 left/);
  malformed(cat(head, i32(0)), /a bundle element of 0 bytes/);
  malformed(cat(head, i32(-8), ascii("/x\0\0,\0\0\0")), /a bundle element of -8 bytes/);
  malformed(cat(head, [0, 0]), /a bundle element's size needs 4 bytes/);
  malformed(cat(head, i32(8), ascii("/x\0\0,i\0\0")), /argument 1 \(i\) needs 4 bytes, 0 left/);
  // An element's bytes end at its size, even when the packet goes on.
  malformed(cat(head, i32(8), ascii("/x\0\0,i\0\0"), i32(5)), /argument 1 \(i\) needs 4 bytes, 0 left/);
});

Deno.test("codec fuzz: 50,000 random and mutated packets decode or give an error, never throw", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const good = [
    encodeMessage({ address: "/every", ...EVERY }),
    encodeBundle({
      timetag: 1,
      elements: [{ address: "/a", args: [1, "b"] }, {
        timetag: 0,
        elements: [{ address: "/c", args: [[1.5]] }],
      }],
    }),
    encodeMessage({ address: "/h", args: [2 ** 40, 0.25], types: "hd" }),
  ];
  let decoded = 0, refused = 0;
  for (let k = 0; k < 50000; k++) {
    let p: Uint8Array;
    if (k % 2 === 0) {
      p = new Uint8Array(Math.floor(rand() * 96)).map(() => Math.floor(rand() * 256));
      if (p.length && rand() < 0.3) p[0] = 0x2f;
      if (p.length >= 8 && rand() < 0.2) p.set(ascii("#bundle\0"));
    } else {
      p = Uint8Array.from(good[k % good.length]);
      for (let n = 0; n < 1 + Math.floor(rand() * 4); n++) {
        p[Math.floor(rand() * p.length)] = Math.floor(rand() * 256);
      }
      if (rand() < 0.3) p = p.subarray(0, Math.floor(rand() * p.length));
    }
    const d = decodePacket(p); // a throw fails the test
    if (d.ok) decoded++;
    else {
      refused++;
      assert.ok(d.error.length > 0 && d.error.length < 300, d.error);
    }
  }
  assert.ok(decoded > 1000 && refused > 20000, `${decoded} decoded, ${refused} refused`);
});

/** liblo's tools, when installed (tests/osc_test.ts has the CI rule: there they must be). */
function run(cmd: string, args: string[]): Deno.ChildProcess | null {
  try {
    return new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  } catch {
    return null;
  }
}

async function oscsendBytes(...args: string[]): Promise<Uint8Array> {
  const o = await run("oscsend", ["-", ...args])!.output();
  assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
  return o.stdout;
}

Deno.test("codec against liblo: oscsend's bytes for every type it writes decode to their values", async (t) => {
  if (!run("oscsend", [])) {
    if (Deno.env.get("CI")) throw new Error("liblo-tools is missing in CI");
    return void await t.step({ name: "skipped: liblo-tools not installed", ignore: true, fn: () => {} });
  }
  const cases: [string, string[], OscArg[]][] = [
    ["i", ["-123456"], [-123456]],
    ["h", ["-5000000000"], [-5000000000]],
    ["h", [String(Number.MAX_SAFE_INTEGER)], [Number.MAX_SAFE_INTEGER]],
    ["f", ["55.0"], [55]],
    ["d", ["220.125"], [220.125]],
    ["s", ["héllo wörld"], ["héllo wörld"]],
    ["S", ["sym"], ["sym"]],
    ["c", ["x"], ["x"]],
    ["m", ["00903c7f"], [0x00903c7f]],
    ["TFNI", [], [true, false, null, null]],
    ["ihfdsScmTFNI", ["1", "2", "3.5", "4.25", "five", "six", "7", "01020304"], [
      1,
      2,
      3.5,
      4.25,
      "five",
      "six",
      "7",
      0x01020304,
      true,
      false,
      null,
      null,
    ]],
  ];
  for (const [types, values, want] of cases) {
    const bytes = await oscsendBytes("/liblo/test", types, ...values);
    const m = message(bytes);
    assert.equal(m.address, "/liblo/test");
    assert.equal(m.types, types);
    assert.deepEqual(m.args, want, types);
    assert.equal(m.error, undefined, types);
    assert.deepEqual(encodePacket(m), bytes, `${types}: our bytes are liblo's`);
  }
  assert.match(
    message(await oscsendBytes("/big", "h", "9223372036854775807")).error ?? "",
    /argument 1 \(h\) 9223372036854775807 is past ±2\^53/,
  );
});

Deno.test("codec against liblo: oscdump reads what encodeMessage writes, every type liblo 0.31 reads (it refuses r and arrays)", async (t) => {
  if (!run("oscdump", [])) {
    if (Deno.env.get("CI")) throw new Error("liblo-tools is missing in CI");
    return void await t.step({ name: "skipped: liblo-tools not installed", ignore: true, fn: () => {} });
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dump = run("oscdump", ["-L", String(port)])!;
  const sock = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  await new Promise((r) => setTimeout(r, 300));
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  await sock.send(
    encodeMessage({
      address: "/every",
      types: "ihfdsSbtcmTFNI",
      args: [
        -7,
        2 ** 40 + 3,
        1.5,
        0.1,
        "hi",
        "sym",
        Uint8Array.from([1, 2, 3]),
        0,
        "x",
        0x00903c7f,
        true,
        false,
        null,
        null,
      ],
    }),
    to,
  );
  await sock.send(encodeMessage({ address: "/t", args: [1700000000.5], types: "t" }), to);
  await sock.send(encodeMessage({ address: "/reply", args: ["take.wav", 48000 * 13 * 3600, 0.5] }), to);
  await new Promise((r) => setTimeout(r, 400));
  sock.close();
  dump.kill("SIGTERM");
  const out = new TextDecoder().decode((await dump.output()).stdout);
  assert.match(
    out,
    /\/every ihfdsSbtcmTFNI -7 1099511627779 1\.5\d* 0\.1\d* "hi" 'sym \[3b 0x1 0x2 0x3\] 00000000\.00000001 'x' MIDI \[0x00 0x90 0x3c 0x7f\] #T #F Nil Infinitum/,
  );
  assert.match(out, /\/t t e8fe6f80\.80000000/, "2023-11-14 22:13:20.5 UTC as NTP");
  assert.match(out, /\/reply shf "take\.wav" 2246400000 0\.5/);
});
