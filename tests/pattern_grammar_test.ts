// The pattern grammar (sequencer/grammar.ts) as a table: every construct, combinations, and every error with
// its position; the Bjorklund rhythms against Toussaint's published table; the DSP encoding.
import assert from "node:assert/strict";
import * as L from "../asm/layout.ts";
import { euclid, parseGrammar, type Step } from "../sequencer/grammar.ts";
import { encodeSteps, parsePattern } from "../sequencer/pattern.ts";
import { translate } from "../cli/language.ts";

// A compact view of steps: x (0.75), X (1), a digit (its level), . rest, - tie; ratchet as "r3", chance "?30".
const show = (steps: Step[]): string =>
  steps.map((s) => {
    if (s.kind === "rest") return ".";
    if (s.kind === "tie") return "-";
    const v = s.velocity === 0.75 ? "x" : s.velocity === 1 ? "X" : String(Math.round(s.velocity * 9));
    return v + (s.ratchet > 1 ? `r${s.ratchet}` : "") + (s.chance !== undefined ? `?${s.chance}` : "");
  }).join(" ");

const cases: [string, string[]][] = [
  ["x.X-", ["x . X -"]],
  ["x... x...|x.x.", ["x . . . x . . . x . x ."]],
  ["x-*15", ["x" + " -".repeat(15)]],
  ["(x...)*4", [Array(4).fill("x . . .").join(" ")]],
  ["(x.x.)*3 x---", ["x . x . x . x . x . x . x - - -"]],
  ["((x.)*2 X)*2", ["x . x . X x . x . X"]],
  ["9573", ["X 5 7 3"]],
  ["0x.9", [". x . X"]],
  ["x3", ["xr3"]],
  ["X2.x8", ["Xr2 . xr8"]],
  ["x 3", ["x 3"]],
  ["x?", ["x?50"]],
  ["x?30 5?", ["x?30 5?50"]],
  ["x3?100", ["xr3?100"]],
  ["x?0", ["x?0"]],
  ["e(3,8)", ["x . . x . . x ."]],
  ["e(5,16,2)", [". x . . x . . x . . x . . . x ."]],
  ["e(0,4)", [". . . ."]],
  ["e(4,4)", ["x x x x"]],
  ["e(3,8)*2", ["x . . x . . x . x . . x . . x ."]],
  ["<x . X .>", ["x", ".", "X", "."]],
  ["x<x. X->", ["x x .", "x X -"]],
  ["<x .> <X 5 .>", ["x X", ". 5", "x .", ". X", "x 5", ". ."]],
  ["(<x .>.)*2", ["x . x .", ". . . ."]],
];

Deno.test("pattern grammar: every construct and combination parses to the steps it means", () => {
  for (const [text, want] of cases) {
    const p = parseGrammar(text, L.SEQ_STEPS);
    assert.deepEqual(p.cycles.map(show), want, text);
    assert.equal(p.length, p.cycles[0].length, text);
  }
});

const errors: [string, string][] = [
  ["x.(x", 'pattern "x.(x": at 4, expected ")"'],
  ["x.)", 'pattern "x.)": at 2, expected a step (x X 0-9 . - ( < e), not ")"'],
  ["xq", 'pattern "xq": at 1, expected a step (x X 0-9 . - ( < e), not "q"'],
  ["", 'pattern "": at 0, expected at least one step'],
  ["  | ", 'pattern "  | ": at 0, expected at least one step'],
  ["x*", 'pattern "x*": at 2, expected a repeat count after "*" (1 … 256)'],
  ["x*0", 'pattern "x*0": at 0, expected a repeat count 1 … 256, not 0'],
  ["x9", 'pattern "x9": at 1, expected a ratchet of 1 … 8 hits'],
  ["x0", 'pattern "x0": at 1, expected a ratchet of 1 … 8 hits'],
  ["x?101", 'pattern "x?101": at 2, expected a chance of 0 … 100 %, not 101'],
  ["0?", 'pattern "0?": at 1, expected no "?" after 0 (a rest)'],
  ["e(3", 'pattern "e(3": at 3, expected ","'],
  ["e(3,8", 'pattern "e(3,8": at 5, expected ")"'],
  ["e(,8)", 'pattern "e(,8)": at 2, expected the number of hits'],
  ["e(9,8)", 'pattern "e(9,8)": at 0, expected e(k,n) with 0 ≤ k ≤ n ≤ 64'],
  ["e(1,65)", 'pattern "e(1,65)": at 0, expected e(k,n) with 0 ≤ k ≤ n ≤ 64'],
  ["<x .", 'pattern "<x .": at 4, expected ">"'],
  ["<>", 'pattern "<>": at 1, expected at least one alternative'],
  ["<x ..>", 'pattern "<x ..>": at 0, expected alternatives of one length (these have 1, 2 steps)'],
  ["<x )>", 'pattern "<x )>": at 3, expected ">"'],
  ["x-*256", 'pattern "x-*256": 257 steps (1 alternating repetitions of 257); a track holds at most 256'],
  [
    "<x . . . .>(x...)*16",
    'pattern "<x . . . .>(x...)*16": 325 steps (5 alternating repetitions of 65); a track holds at most 256',
  ],
];

Deno.test("pattern grammar: every error names its position and what was expected", () => {
  for (const [text, message] of errors) {
    assert.throws(() => parseGrammar(text, L.SEQ_STEPS), { message }, text);
  }
  assert.throws(() => parseGrammar(42 as unknown as string, 256), /a pattern is a string/);
});

Deno.test("pattern grammar: Bjorklund rhythms as Toussaint tabulates them, rotated left", () => {
  const s = (k: number, n: number, r = 0) => euclid(k, n, r).map((b) => (b ? "x" : ".")).join("");
  assert.equal(s(2, 5), "x.x..");
  assert.equal(s(3, 8), "x..x..x.");
  assert.equal(s(4, 12), "x..x..x..x..");
  assert.equal(s(5, 8), "x.xx.xx.");
  assert.equal(s(5, 12), "x..x.x..x.x.");
  assert.equal(s(7, 16), "x..x.x.x..x.x.x.");
  assert.equal(s(5, 16), "x..x..x..x..x...");
  assert.equal(s(3, 8, 1), "..x..x.x");
  assert.equal(s(3, 8, -1), ".x..x..x");
  for (let n = 1; n <= 32; n++) {
    for (let k = 0; k <= n; k++) assert.equal(euclid(k, n).filter((b) => b).length, k, `e(${k},${n})`);
  }
});

Deno.test("pattern grammar: the DSP encoding keeps x X . - as they were and packs the extras", () => {
  const old = encodeSteps(parsePattern("x.X- x..."));
  assert.deepEqual(old.codes, [1, 0, 2, 3, 1, 0, 0, 0]);
  assert.ok(old.extras.every((x) => x === 0), "a pattern of x X . - sends no extras");
  const e = encodeSteps(parsePattern("5x3?30<X 9>"));
  assert.deepEqual(e.codes, [1, 1, 2, 1, 1, 2]);
  assert.equal(e.extras[0], 5);
  assert.equal(e.extras[1], (2 << L.SEQ_X_RATCHET_SHIFT) | (70 << L.SEQ_X_SKIP_SHIFT));
  assert.equal(e.length, 3);
  const p = encodeSteps(parsePattern("xx?90"), 60);
  assert.deepEqual(p.extras, [40 << L.SEQ_X_SKIP_SHIFT, 10 << L.SEQ_X_SKIP_SHIFT], "a step's own ? wins");
});

Deno.test("pattern grammar: the text language joins pattern groups with their spaces; digits alone are notes", () => {
  assert.deepEqual(translate("seq add t g1 <x . X .> x3 e(3,8) 60 C2 prob=0.5").messages[0], [
    "/seq/add",
    "t",
    "g1",
    "<x . X .> x3 e(3,8)",
    60,
    "C2",
    "prob=0.5",
  ]);
  assert.deepEqual(translate("seq add t g1 9575").messages[0], ["/seq/add", "t", "g1", "9575"]);
  assert.deepEqual(translate("scene play drop at 17 now").messages[0], ["/scene/play", "drop", 17, "now"]);
  assert.deepEqual(translate("seq unmute").messages[0], ["/seq/unmute"]);
});
