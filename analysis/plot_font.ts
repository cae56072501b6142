// A 5×7 bitmap font for the plot's labels: digits, letters and a few symbols, the classic column-major glyphs
// of character LCDs (one byte per column, bit 0 the top row). Built in rather than a library because no small,
// kept npm package draws text onto an RGBA buffer without a canvas or native code (node-canvas, skia and
// resvg are native; pureimage needs a TrueType file and pulls in an image stack): a few hundred bytes of
// glyphs are the lighter dependency.

/** Glyph width and height in pixels; each character advances GLYPH_W + 1. */
export const GLYPH_W: number = 5;
/** Glyph height in pixels. */
export const GLYPH_H: number = 7;

// Five column bytes per character, as hex.
const GLYPHS: Record<string, string> = {
  " ": "0000000000",
  "!": "00005f0000",
  '"': "0007000700",
  "#": "147f147f14",
  "%": "2313086462",
  "'": "0005030000",
  "(": "001c224100",
  ")": "0041221c00",
  "*": "14083e0814",
  "+": "08083e0808",
  ",": "0050300000",
  "-": "0808080808",
  ".": "0060600000",
  "/": "2010080402",
  ":": "0036360000",
  "<": "0814224100",
  "=": "1414141414",
  ">": "0041221408",
  "?": "0201510906",
  "[": "007f414100",
  "]": "0041417f00",
  "_": "4040404040",
  "|": "00007f0000",
  "0": "3e5149453e",
  "1": "00427f4000",
  "2": "4261514946",
  "3": "2141454b31",
  "4": "1814127f10",
  "5": "2745454539",
  "6": "3c4a494930",
  "7": "0171090503",
  "8": "3649494936",
  "9": "064949291e",
  A: "7e1111117e",
  B: "7f49494936",
  C: "3e41414122",
  D: "7f4141221c",
  E: "7f49494941",
  F: "7f09090101",
  G: "3e41415132",
  H: "7f0808087f",
  I: "00417f4100",
  J: "2040413f01",
  K: "7f08142241",
  L: "7f40404040",
  M: "7f0204027f",
  N: "7f0408107f",
  O: "3e4141413e",
  P: "7f09090906",
  Q: "3e4151215e",
  R: "7f09192946",
  S: "4649494931",
  T: "01017f0101",
  U: "3f4040403f",
  V: "1f2040201f",
  W: "7f2018207f",
  X: "6314081463",
  Y: "0304780403",
  Z: "6151494543",
  a: "2054545478",
  b: "7f48444438",
  c: "3844444420",
  d: "384444487f",
  e: "3854545418",
  f: "087e090102",
  g: "0c5252523e",
  h: "7f08040478",
  i: "00447d4000",
  j: "2040443d00",
  k: "7f10284400",
  l: "00417f4000",
  m: "7c04180478",
  n: "7c08040478",
  o: "3844444438",
  p: "7c14141408",
  q: "081414187c",
  r: "7c08040408",
  s: "4854545420",
  t: "043f444020",
  u: "3c4040207c",
  v: "1c2040201c",
  w: "3c4030403c",
  x: "4428102844",
  y: "0c5050503c",
  z: "4464544c44",
};

const COLUMNS = new Map<string, Uint8Array>(
  Object.entries(GLYPHS).map(([ch, hex]) => [ch, Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))]),
);

/** The width in pixels of `text` at `scale` (no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : ((GLYPH_W + 1) * text.length - 1) * scale;
}

/** Calls `dot(x, y)` for every lit pixel of `text` with its top-left at (x, y); unknown characters draw as "?". */
export function textDots(
  text: string,
  x: number,
  y: number,
  scale: number,
  dot: (x: number, y: number) => void,
): void {
  let cx = x;
  for (const ch of text) {
    const cols = COLUMNS.get(ch) ?? COLUMNS.get("?")!;
    for (let c = 0; c < GLYPH_W; c++) {
      for (let r = 0; r < GLYPH_H; r++) {
        if (!(cols[c] >> r & 1)) continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) dot(cx + c * scale + sx, y + r * scale + sy);
        }
      }
    }
    cx += (GLYPH_W + 1) * scale;
  }
}
