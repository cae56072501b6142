// The OSC 1.0/1.1 codec: packets (messages and bundles, nested, with time tags) to values and type tags, and
// replies to bytes. node-osc (the codec before this one) refuses a whole packet for `d`, `h`, `t`, `c`, `r`,
// `S`, `I` and arrays, writes `d` as a float32, cannot write `h`, and throws the type tags away; a float
// pitch and an int pitch must stay apart through the router, so decoding and encoding both live here.
//
// Each type tag decodes to:
//   i  int32                 number
//   h  int64                 number when it is a safe integer (|v| ≤ 2^53 − 1); else the message (not the
//                            packet) is refused with an error naming the argument
//   f  float32               number (the float32's exact value)
//   d  float64               number
//   s  string, S  symbol     string (UTF-8)
//   c  char                  a one-character string (the int32 is the character's code point)
//   b  blob                  Uint8Array (a copy: it outlives the packet's buffer)
//   t  time tag              number: seconds since the Unix epoch, as bundles' time tags (osc/timetag.ts);
//                            0 for "immediately" (NTP 0.000…1). A 64-bit NTP integer is rarely a safe one,
//                            so seconds are what a reader can use; the NTP fraction keeps ~0.2 µs in a double
//   r  RGBA color            number: the unsigned 32-bit 0xRRGGBBAA as on the wire
//   m  MIDI message          number: the unsigned 32-bit 0xPPSSDDEE (port, status, data 1, data 2 bytes)
//   T  true, F  false        boolean
//   N  nil, I  impulse       null (the type tag tells them apart; no route takes either)
//   [ … ]  array             an OscArg[] of its elements (nested arrays nest)
// A message also keeps its type tag string (without the comma) beside its arguments: argTags() splits it
// into one tag per argument (an array's is its whole bracketed run, "[ff]").
//
// Bad input never throws out of decodePacket: a packet whose bytes do not parse (a string without its NUL, a
// number or blob past the end, an unknown type tag, brackets that do not match, nesting deeper than
// MAX_DEPTH) is one error for the whole packet; a well-formed message whose value cannot be used (an int64
// past 2^53, a char that is no code point) is an error for that message only, and the rest of its bundle
// applies. A message without a type tag string (OSC 1.0 allows it for old senders) has no arguments.
//
// Encoding infers tags from values when none are given: a string is `s`, an integer in the int32 range `i`,
// a safe integer outside it `h` (frame counts pass 2^31 after 12.4 h at 48 kHz), another integer `d`, any
// other number `f` (float32, as replies always were), a boolean `T`/`F`, null `N`, a Uint8Array `b`, an
// array `[…]`. Given tags, every type above is written as named.
import type { OscArg } from "./types.ts";

/** How deep arrays and bundles may nest before a packet counts as malformed (a bound on the recursion). */
export const MAX_DEPTH = 32;

/** A decoded message. */
export interface PacketMessage {
  /** Tells it from a bundle. */
  readonly kind: "message";
  /** Its address as sent. */
  readonly address: string;
  /** Its arguments, one per top-level type tag (arrays are nested OscArg[]). */
  readonly args: OscArg[];
  /** Its type tag string without the leading comma ("sfi", "s[ff]"), exactly as sent. */
  readonly types: string;
  /** Present when the message is well formed but one of its values is unusable; it is then refused alone. */
  readonly error?: string;
}

/** A decoded bundle. */
export interface PacketBundle {
  /** Tells it from a message. */
  readonly kind: "bundle";
  /** Its time tag in Unix seconds (0: immediately). */
  readonly timetag: number;
  /** Its elements, in order. */
  readonly elements: OscPacket[];
}

/** A decoded packet: a message or a bundle. */
export type OscPacket = PacketMessage | PacketBundle;

/** What decodePacket gives: the packet, or why its bytes are no OSC. */
export type DecodeResult = { ok: true; packet: OscPacket } | { ok: false; error: string };

/** A message to encode: its tags are inferred from its values unless `types` is given. */
export interface MessageInput {
  /** Its address. */
  address: string;
  /** Its arguments. */
  args: readonly OscArg[];
  /** Its type tag string without the comma; absent: inferred (see the header of osc/codec.ts). */
  types?: string;
}

/** A bundle to encode. */
export interface BundleInput {
  /** Its time tag in Unix seconds (0: immediately). */
  timetag: number;
  /** Its elements: messages or bundles. */
  elements: readonly (MessageInput | BundleInput)[];
}

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX = 2208988800;

/** The int64 range a number holds exactly. */
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER), SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

const TYPE_NAMES: Record<string, string> = {
  i: "int32",
  h: "int64",
  f: "float32",
  d: "double",
  s: "string",
  S: "symbol",
  c: "char",
  b: "blob",
  t: "time tag",
  r: "RGBA color",
  m: "MIDI message",
  T: "true",
  F: "false",
  N: "nil",
  I: "impulse",
  "[": "array",
};

/** A type tag in words, for error messages: "int64 (h)", "array ([ff])". */
export function typeName(tag: string): string {
  return `${TYPE_NAMES[tag[0]] ?? "unknown type"} (${tag})`;
}

/** `n` rounded up to a multiple of 4 (arithmetic, not bits: a blob's size may be near 2^31). */
function pad4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** Bytes that are no OSC: the whole packet is refused. */
class Malformed extends Error {}

const utf8 = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();

/** Decodes a packet. Never throws for bad input: malformed bytes give `{ ok: false, error }`. */
export function decodePacket(bytes: Uint8Array): DecodeResult {
  try {
    return { ok: true, packet: packet(new Reader(bytes), 0) };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, error: e.message };
    throw e; // a bug in this file, not bad input
  }
}

/** The type tag string split into one tag per argument: "s[f[i]]i" → ["s", "[f[i]]", "i"]. */
export function argTags(types: string): string[] {
  const tags: string[] = [];
  let depth = 0, start = 0;
  for (let k = 0; k < types.length; k++) {
    const c = types[k];
    if (depth === 0) start = k;
    if (c === "[") depth++;
    else if (c === "]") {
      if (--depth < 0) throw new RangeError(`type tags "${types}": "]" without "["`);
    }
    if (depth === 0) tags.push(types.slice(start, k + 1));
  }
  if (depth !== 0) throw new RangeError(`type tags "${types}": "[" without "]"`);
  return tags;
}

// A cursor over the packet; every read checks the bounds and says what ran short.
class Reader {
  #view: DataView;
  constructor(readonly bytes: Uint8Array, public pos = 0, readonly end = bytes.length) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get left(): number {
    return this.end - this.pos;
  }
  need(n: number, what: string): number {
    if (n < 0 || n > this.left) {
      throw new Malformed(`${what} needs ${n} bytes, ${this.left} left in the packet`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int32(what: string): number {
    return this.#view.getInt32(this.need(4, what));
  }
  uint32(what: string): number {
    return this.#view.getUint32(this.need(4, what));
  }
  float32(what: string): number {
    return this.#view.getFloat32(this.need(4, what));
  }
  float64(what: string): number {
    return this.#view.getFloat64(this.need(8, what));
  }
  int64(what: string): bigint {
    return this.#view.getBigInt64(this.need(8, what));
  }
  timeTag(what: string): number {
    const at = this.need(8, what);
    const seconds = this.#view.getUint32(at), fraction = this.#view.getUint32(at + 4);
    return seconds === 0 && fraction === 1 ? 0 : seconds - NTP_UNIX + fraction / 2 ** 32;
  }
  // An OSC-string: UTF-8 up to a NUL, padded with NULs to a multiple of 4 bytes (padding that the end of the
  // packet cuts short is forgiven, as node-osc forgave it: nothing is ambiguous about it).
  string(what: string): string {
    const from = this.pos;
    let nul = from;
    while (nul < this.end && this.bytes[nul] !== 0) nul++;
    if (nul >= this.end) throw new Malformed(`${what} has no terminating NUL`);
    this.pos = Math.min(this.end, from + pad4(nul - from + 1));
    return utf8.decode(this.bytes.subarray(from, nul));
  }
  blob(what: string): Uint8Array {
    const size = this.int32(`${what}'s size`);
    if (size < 0) throw new Malformed(`${what}: a blob with a negative size (${size})`);
    const padded = pad4(size);
    if (padded > this.left) {
      throw new Malformed(
        `${what}: a blob of ${size} bytes runs past the end of the packet (${this.left} left)`,
      );
    }
    const at = this.need(padded, what);
    return this.bytes.slice(at, at + size);
  }
}

const BUNDLE_HEAD = [0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0x00]; // "#bundle\0"

function isBundle(r: Reader): boolean {
  if (r.left < 8) return false;
  for (let k = 0; k < 8; k++) if (r.bytes[r.pos + k] !== BUNDLE_HEAD[k]) return false;
  return true;
}

function packet(r: Reader, depth: number): OscPacket {
  if (r.left === 0) throw new Malformed("an empty packet");
  return isBundle(r) ? bundle(r, depth) : message(r);
}

function bundle(r: Reader, depth: number): PacketBundle {
  if (depth >= MAX_DEPTH) throw new Malformed(`bundles nested deeper than ${MAX_DEPTH}`);
  r.need(8, "#bundle");
  const timetag = r.timeTag("the bundle's time tag");
  const elements: OscPacket[] = [];
  while (r.left > 0) {
    const size = r.int32("a bundle element's size");
    if (size <= 0 || size > r.left) {
      throw new Malformed(`a bundle element of ${size} bytes (${r.left} left in the packet)`);
    }
    const at = r.need(size, "a bundle element");
    elements.push(packet(new Reader(r.bytes, at, at + size), depth + 1));
  }
  return { kind: "bundle", timetag, elements };
}

function message(r: Reader): PacketMessage {
  const address = r.string("the address");
  // OSC 1.0: old senders may leave the type tag string out; such a message has no arguments.
  if (r.left === 0) return { kind: "message", address, args: [], types: "" };
  const tagString = r.string("the type tag string");
  if (!tagString.startsWith(",")) {
    throw new Malformed(`the type tag string ${shown(tagString)} does not start with ","`);
  }
  const types = tagString.slice(1);
  checkTags(types);
  const problems: string[] = [];
  const stack: OscArg[][] = [[]];
  let top = 0; // index of the top-level argument being read, for error messages
  for (let k = 0; k < types.length; k++) {
    const tag = types[k];
    if (tag === "[") {
      const inner: OscArg[] = [];
      stack[stack.length - 1].push(inner);
      stack.push(inner);
      continue;
    }
    if (tag === "]") {
      stack.pop();
      if (stack.length === 1) top++;
      continue;
    }
    const what = `argument ${top + 1} (${tag})`;
    stack[stack.length - 1].push(value(r, tag, what, problems));
    if (stack.length === 1) top++;
  }
  const args = stack[0];
  return problems.length
    ? { kind: "message", address, args, types, error: problems.join("; ") }
    : { kind: "message", address, args, types };
}

// Every tag known, brackets matched and not nested past MAX_DEPTH: checked before any argument is read.
function checkTags(types: string): void {
  let depth = 0;
  for (const c of types) {
    if (c === "[") {
      if (++depth > MAX_DEPTH) throw new Malformed(`arrays nested deeper than ${MAX_DEPTH}`);
    } else if (c === "]") {
      if (--depth < 0) {
        throw new Malformed(`the type tags ${shown(`,${types}`)} close an array that was not opened`);
      }
    } else if (!Object.hasOwn(TYPE_NAMES, c)) {
      throw new Malformed(`unknown type tag ${JSON.stringify(c)} in ${shown(`,${types}`)}`);
    }
  }
  if (depth !== 0) throw new Malformed(`the type tags ${shown(`,${types}`)} leave an array open`);
}

// A type tag string as an error shows it: quoted, and cut short (a hostile one may fill the packet).
function shown(tagString: string): string {
  return JSON.stringify(tagString.length > 40 ? `${tagString.slice(0, 40)}…` : tagString);
}

function value(r: Reader, tag: string, what: string, problems: string[]): OscArg {
  switch (tag) {
    case "i":
      return r.int32(what);
    case "f":
      return r.float32(what);
    case "d":
      return r.float64(what);
    case "s":
    case "S":
      return r.string(what);
    case "b":
      return r.blob(what);
    case "h": {
      const v = r.int64(what);
      if (v > SAFE_MAX || v < SAFE_MIN) {
        problems.push(`${what} ${v} is past ±2^53, the largest integer a number holds exactly`);
        return null;
      }
      return Number(v);
    }
    case "t":
      return r.timeTag(what);
    case "c": {
      const code = r.int32(what);
      if (code < 0 || code > 0x10ffff) {
        problems.push(`${what} ${code} is not a character's code point`);
        return null;
      }
      return String.fromCodePoint(code);
    }
    case "r":
    case "m":
      return r.uint32(what);
    case "T":
      return true;
    case "F":
      return false;
    default: // N, I (checkTags let nothing else through)
      return null;
  }
}

// ---- Encoding ----

/** The type tags encodeMessage infers for `args` (see the header of osc/codec.ts). */
export function inferTypes(args: readonly OscArg[]): string {
  return args.map(inferTag).join("");
}

function inferTag(v: OscArg): string {
  if (typeof v === "string") return "s";
  if (typeof v === "boolean") return v ? "T" : "F";
  if (v === null) return "N";
  if (v instanceof Uint8Array) return "b";
  if (Array.isArray(v)) return `[${inferTypes(v)}]`;
  if (Number.isInteger(v)) {
    if (v >= -(2 ** 31) && v < 2 ** 31) return "i";
    return Number.isSafeInteger(v) ? "h" : "d";
  }
  return "f";
}

// Bytes in pieces, joined once at the end.
class Writer {
  parts: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  fixed(n: number, write: (v: DataView) => void): void {
    const b = new Uint8Array(n);
    write(new DataView(b.buffer));
    this.push(b);
  }
  string(s: string): void {
    const u = utf8Encoder.encode(s);
    if (u.includes(0)) throw new RangeError(`an OSC string cannot hold a NUL: ${JSON.stringify(s)}`);
    const b = new Uint8Array(pad4(u.length + 1));
    b.set(u);
    this.push(b);
  }
  timeTag(seconds: number): void {
    this.fixed(8, (v) => {
      if (seconds === 0) return v.setUint32(4, 1);
      const ntp = seconds + NTP_UNIX;
      if (!(ntp >= 0 && ntp < 2 ** 32)) throw new RangeError(`time tag ${seconds} s is outside NTP's era 0`);
      const whole = Math.floor(ntp);
      v.setUint32(0, whole);
      v.setUint32(4, Math.min(2 ** 32 - 1, Math.round((ntp - whole) * 2 ** 32)));
    });
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** Encodes a message; throws RangeError when a value does not fit its tag (a bug of the caller). */
export function encodeMessage(m: MessageInput): Uint8Array {
  const w = new Writer();
  writeMessage(w, m);
  return w.bytes();
}

/** Encodes a bundle (and the bundles in it). */
export function encodeBundle(b: BundleInput): Uint8Array {
  const w = new Writer();
  writeBundle(w, b);
  return w.bytes();
}

/** Encodes a decoded packet again (decodePacket's inverse, for tests and tools). */
export function encodePacket(p: OscPacket): Uint8Array {
  return p.kind === "bundle"
    ? encodeBundle({ timetag: p.timetag, elements: p.elements.map(input) })
    : encodeMessage(p);
}

function input(p: OscPacket): MessageInput | BundleInput {
  return p.kind === "bundle" ? { timetag: p.timetag, elements: p.elements.map(input) } : p;
}

function writeMessage(w: Writer, m: MessageInput): void {
  const types = m.types ?? inferTypes(m.args);
  const tags = argTags(types);
  if (tags.length !== m.args.length) {
    throw new RangeError(`${m.address}: type tags "${types}" for ${m.args.length} arguments`);
  }
  w.string(m.address);
  w.string(`,${types}`);
  tags.forEach((t, k) => writeValue(w, t, m.args[k]));
}

function writeBundle(w: Writer, b: BundleInput): void {
  w.string("#bundle");
  w.timeTag(b.timetag);
  for (const e of b.elements) {
    const inner = new Writer();
    if ("elements" in e) writeBundle(inner, e);
    else writeMessage(inner, e);
    w.fixed(4, (v) => v.setInt32(0, inner.size));
    for (const p of inner.parts) w.push(p);
  }
}

function writeValue(w: Writer, tag: string, v: OscArg): void {
  const bad = () => new RangeError(`${JSON.stringify(v)} cannot be written as ${typeName(tag)}`);
  if (tag.startsWith("[")) {
    if (!Array.isArray(v)) throw bad();
    const tags = argTags(tag.slice(1, -1));
    if (tags.length !== v.length) throw bad();
    tags.forEach((t, k) => writeValue(w, t, v[k]));
    return;
  }
  switch (tag) {
    case "i":
    case "r":
    case "m": {
      const signed = tag === "i";
      const lo = signed ? -(2 ** 31) : 0, hi = signed ? 2 ** 31 : 2 ** 32;
      if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v >= hi) throw bad();
      return w.fixed(4, (d) => signed ? d.setInt32(0, v) : d.setUint32(0, v));
    }
    case "h":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad();
      return w.fixed(8, (d) => d.setBigInt64(0, BigInt(v)));
    case "f":
      if (typeof v !== "number") throw bad();
      return w.fixed(4, (d) => d.setFloat32(0, v));
    case "d":
      if (typeof v !== "number") throw bad();
      return w.fixed(8, (d) => d.setFloat64(0, v));
    case "t":
      if (typeof v !== "number") throw bad();
      return w.timeTag(v);
    case "s":
    case "S":
      if (typeof v !== "string") throw bad();
      return w.string(v);
    case "c": {
      const code = typeof v === "string" ? v.codePointAt(0) : undefined;
      if (code === undefined || String.fromCodePoint(code) !== v) throw bad();
      return w.fixed(4, (d) => d.setInt32(0, code));
    }
    case "b": {
      if (!(v instanceof Uint8Array)) throw bad();
      w.fixed(4, (d) => d.setInt32(0, v.length));
      const b = new Uint8Array(pad4(v.length));
      b.set(v);
      return w.push(b);
    }
    case "T":
    case "F":
      if (v !== (tag === "T")) throw bad();
      return;
    case "N":
    case "I":
      if (v !== null) throw bad();
      return;
    default:
      throw new RangeError(`unknown type tag ${JSON.stringify(tag)}`);
  }
}
