// The pattern language: one grammar, parsed here and nowhere else (the text language, /seq/add, pattern files
// and patch files all come through parsePattern in sequencer/pattern.ts). A pure function from text to plain
// data; the grammar is written out in docs/sequencer.md.
//
//   pattern  = { element }                       spaces and | end a step and are otherwise ignored
//   element  = atom [ "*" count ]                 repetition: the atom count times in all
//   atom     = hit | "." | "-" | "(" pattern ")" | "<" pattern { space pattern } ">" | "e(" k "," n ["," r] ")"
//   hit      = ( "x" [ digit ] | "X" [ digit ] | digit ) [ "?" [ percent ] ]
//
// `x` 0.75 and `X` 1.0 as before; a digit 1 … 9 is a hit of velocity digit/9 and `0` a rest. A digit right after
// x or X is a ratchet (that many hits in the step). `?` plays the hit with a chance (50 % bare, else 0 … 100).
// `<a b c>` takes a, then b, then c on successive repetitions of the pattern: the pattern is expanded into as
// many cycles as the least common multiple of its alternations' lengths.
import * as L from "../asm/layout.ts";
import { ClientError } from "../core/errors.ts";

/** One step as the DSP plays it: a hit, a rest or a tie (which holds the hit before it). */
export interface Step {
  /** "hit", "rest" or "tie". */
  kind: "hit" | "rest" | "tie";
  /** A hit's velocity, 0 … 1 (`x` 0.75, `X` 1, digit d: d/9); 0 for rests and ties. */
  velocity: number;
  /** Hits in the step, evenly spaced (1 … RATCHET_MAX). */
  ratchet: number;
  /** Percent chance that a hit plays (0 … 100), when the pattern gives one with `?`. */
  chance?: number;
}

/** A parsed pattern: its cycles (one unless it alternates), each the same number of steps. */
export interface ParsedPattern {
  /** Steps in one repetition of the pattern (what `bars` and steps per beat count). */
  length: number;
  /** One step list per repetition, in order; the DSP plays them one after another and loops. */
  cycles: Step[][];
}

/** The most hits a ratchet puts in one step. */
export const RATCHET_MAX: number = L.SEQ_RATCHET_MAX;
/** The most repetitions `*N` accepts. */
export const REPEAT_MAX = 256;
/** The most steps `e(k,n)` spreads its hits over. */
export const EUCLID_MAX = 64;
/** The chance of a bare `?`, in percent. */
export const DEFAULT_CHANCE = 50;
/** The velocity of `x`, as before digits existed (a digit d is d/9: `x` sits between 6 and 7). */
export const VELOCITY_HIT: number = L.SEQ_VELOCITY_HIT;
/** The velocity of `X` (and of `9`). */
export const VELOCITY_ACCENT: number = L.SEQ_VELOCITY_ACCENT;

// A parsed element before alternation is resolved: a step, a sequence, or a choice among sequences.
type Node =
  | { t: "step"; step: Step }
  | { t: "seq"; items: Node[] }
  | { t: "alt"; options: Node[] };

/**
 * Parses a pattern into plain data; throws ClientError naming the position (characters from 0) and what was
 * expected there, e.g. `pattern "x.(x": at 4, expected ")"`. `maxSteps` bounds the expanded length.
 */
export function parseGrammar(text: string, maxSteps: number): ParsedPattern {
  if (typeof text !== "string") throw new ClientError(`a pattern is a string like "x...x..."`);
  const p = new Parser(text, maxSteps);
  const root = p.sequence("");
  if (p.pos < text.length) p.fail(`a step (x X 0-9 . - ( < e), not "${text[p.pos]}"`);
  const length = count(root);
  if (length === 0) p.failAt(0, "at least one step");
  const n = cyclesOf(root);
  if (n * length > maxSteps) {
    throw new ClientError(
      `pattern "${text}": ${
        n * length
      } steps (${n} alternating repetitions of ${length}); a track holds at most ${maxSteps}`,
    );
  }
  const cycles = [...Array(n).keys()].map((c) => flatten(root, c));
  return { length, cycles };
}

/** The Bjorklund (Euclidean) rhythm of k hits in n steps, rotated left by r, as Tidal and Strudel spell it. */
export function euclid(k: number, n: number, r = 0): boolean[] {
  // Bjorklund's algorithm in Toussaint's grouping form: pair the groups of hits with the groups of rests until
  // at most one remainder group is left.
  let a: boolean[][] = Array.from({ length: k }, () => [true]);
  let b: boolean[][] = Array.from({ length: n - k }, () => [false]);
  while (Math.min(a.length, b.length) > 1) {
    const m = Math.min(a.length, b.length);
    const paired = a.slice(0, m).map((g, i) => [...g, ...b[i]]);
    const rest = a.length > b.length ? a.slice(m) : b.slice(m);
    a = paired;
    b = rest;
  }
  const out = [...a.flat(), ...b.flat()];
  const s = n === 0 ? 0 : ((r % n) + n) % n;
  return [...out.slice(s), ...out.slice(0, s)];
}

class Parser {
  pos = 0;
  steps = 0;
  constructor(readonly text: string, readonly max: number) {}

  fail(expected: string): never {
    return this.failAt(this.pos, expected);
  }

  failAt(at: number, expected: string): never {
    throw new ClientError(`pattern "${this.text}": at ${at}, expected ${expected}`);
  }

  // Elements up to `end` (")" or ">", or the end of the text for ""); inside <…> a space ends an option.
  sequence(end: string, inAlt = false): Node {
    const items: Node[] = [];
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined || ch === ")" || ch === ">") break;
      if (/\s/.test(ch) || ch === "|") {
        if (inAlt && /\s/.test(ch)) break;
        this.pos++;
        continue;
      }
      items.push(this.element());
    }
    if (end !== "" && this.text[this.pos] !== end && !(inAlt && /\s/.test(this.text[this.pos] ?? ""))) {
      this.fail(`"${end}"`);
    }
    return { t: "seq", items };
  }

  element(): Node {
    const at = this.pos;
    const atom = this.atom();
    if (this.text[this.pos] !== "*") return atom;
    this.pos++;
    const n = this.number(`a repeat count after "*" (1 … ${REPEAT_MAX})`);
    if (n < 1 || n > REPEAT_MAX) this.failAt(at, `a repeat count 1 … ${REPEAT_MAX}, not ${n}`);
    if (count(atom) * n > this.max * 4) this.failAt(at, `at most ${this.max} steps`);
    return { t: "seq", items: Array(n).fill(atom) };
  }

  atom(): Node {
    const ch = this.text[this.pos];
    if (ch === "(") {
      const open = this.pos++;
      const inner = this.sequence(")");
      if (this.text[this.pos] !== ")") this.failAt(this.pos, `")" to close the "(" at ${open}`);
      this.pos++;
      return inner;
    }
    if (ch === "<") return this.alternation();
    if (ch === "e" && this.text[this.pos + 1] === "(") return this.euclidean();
    if (ch === ".") return this.plain("rest");
    if (ch === "-") return this.plain("tie");
    if (ch === "x" || ch === "X" || (ch !== undefined && ch >= "0" && ch <= "9")) return this.hit();
    return this.fail(`a step (x X 0-9 . - ( < e), not "${ch}"`);
  }

  plain(kind: "rest" | "tie"): Node {
    this.pos++;
    return { t: "step", step: { kind, velocity: 0, ratchet: 1 } };
  }

  hit(): Node {
    const ch = this.text[this.pos++];
    let velocity = ch === "x" ? VELOCITY_HIT : ch === "X" ? VELOCITY_ACCENT : Number(ch) / 9;
    let ratchet = 1;
    if ((ch === "x" || ch === "X") && /[0-9]/.test(this.text[this.pos] ?? "")) {
      const at = this.pos;
      ratchet = Number(this.text[this.pos++]);
      if (ratchet < 1 || ratchet > RATCHET_MAX) this.failAt(at, `a ratchet of 1 … ${RATCHET_MAX} hits`);
    }
    let chance: number | undefined;
    if (this.text[this.pos] === "?") {
      this.pos++;
      const at = this.pos;
      chance = /[0-9]/.test(this.text[this.pos] ?? "") ? this.number("a percentage") : DEFAULT_CHANCE;
      if (chance > 100) this.failAt(at, `a chance of 0 … 100 %, not ${chance}`);
    }
    if (ch === "0") {
      if (chance !== undefined) this.failAt(this.pos - 1, `no "?" after 0 (a rest)`);
      return { t: "step", step: { kind: "rest", velocity: 0, ratchet: 1 } };
    }
    velocity = Math.round(velocity * 1e6) / 1e6;
    const step: Step = { kind: "hit", velocity, ratchet };
    if (chance !== undefined) step.chance = chance;
    return { t: "step", step };
  }

  alternation(): Node {
    const open = this.pos++;
    const options: Node[] = [];
    for (;;) {
      while (/\s/.test(this.text[this.pos] ?? "")) this.pos++;
      if (this.text[this.pos] === ">") break;
      if (this.pos >= this.text.length) this.failAt(this.pos, `">" to close the "<" at ${open}`);
      const at = this.pos;
      const option = this.sequence(">", true);
      if (count(option) === 0) this.failAt(at, "a step");
      options.push(option);
    }
    this.pos++;
    if (options.length === 0) this.failAt(open + 1, "at least one alternative");
    const lengths = options.map(count);
    if (lengths.some((n) => n !== lengths[0])) {
      this.failAt(open, `alternatives of one length (these have ${lengths.join(", ")} steps)`);
    }
    return { t: "alt", options };
  }

  euclidean(): Node {
    const at = this.pos;
    this.pos += 2;
    const k = this.number("the number of hits");
    this.expect(",");
    const n = this.number("the number of steps");
    let r = 0;
    if (this.text[this.pos] === ",") {
      this.pos++;
      r = this.number("the rotation");
    }
    this.expect(")");
    if (n < 1 || n > EUCLID_MAX || k > n) this.failAt(at, `e(k,n) with 0 ≤ k ≤ n ≤ ${EUCLID_MAX}`);
    return {
      t: "seq",
      items: euclid(k, n, r).map((on): Node => ({
        t: "step",
        step: on
          ? { kind: "hit", velocity: VELOCITY_HIT, ratchet: 1 }
          : { kind: "rest", velocity: 0, ratchet: 1 },
      })),
    };
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) this.fail(`"${ch}"`);
    this.pos++;
  }

  number(what: string): number {
    const m = /^[0-9]{1,4}/.exec(this.text.slice(this.pos));
    if (!m) this.fail(what);
    this.pos += m[0].length;
    return Number(m[0]);
  }
}

// Steps in one repetition (every alternative of a choice has the same count).
function count(node: Node): number {
  if (node.t === "step") return 1;
  if (node.t === "alt") return count(node.options[0]);
  return node.items.reduce((sum, n) => sum + count(n), 0);
}

// The repetitions after which every alternation is back at its first option: the lcm of their lengths.
function cyclesOf(node: Node): number {
  if (node.t === "step") return 1;
  const parts = node.t === "alt" ? node.options : node.items;
  let n = node.t === "alt" ? node.options.length : 1;
  for (const p of new Set(parts)) n = lcm(n, cyclesOf(p));
  return Math.min(n, 1 << 16);
}

function flatten(node: Node, cycle: number): Step[] {
  if (node.t === "step") return [{ ...node.step }];
  if (node.t === "alt") return flatten(node.options[cycle % node.options.length], cycle);
  return node.items.flatMap((n) => flatten(n, cycle));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
