// Key from a chroma vector: the correlation with the Krumhansl–Kessler probe-tone profiles (Krumhansl 1990,
// "Cognitive Foundations of Musical Pitch") rotated to each of the 24 major and minor keys; the best wins.
// Relative keys (C major / A minor) share their notes, so only the weighting of tonic and fifth tells them
// apart: treat a close call as the pair.

const MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
// Spelled as key signatures are: flat keys with flats (A♭ major, not G♯), sharp ones with sharps.
const MAJOR_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
const MINOR_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"];

function correlation(a: readonly number[], b: readonly number[], shift: number): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < 12; i++) {
    ma += a[i] / 12;
    mb += b[i] / 12;
  }
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < 12; i++) {
    const x = a[(i + shift) % 12] - ma, y = b[i] - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** The best-matching key ("A minor") and its confidence (the correlation, clamped to 0 … 1); null for a flat chroma. */
export function estimateKey(chroma: readonly number[]): { name: string; confidence: number } | null {
  let best = { name: "", r: -Infinity };
  for (let tonic = 0; tonic < 12; tonic++) {
    for (
      const [profile, mode, names] of [[MAJOR, "major", MAJOR_NAMES], [MINOR, "minor", MINOR_NAMES]] as const
    ) {
      const r = correlation(chroma, profile, tonic);
      if (r > best.r) best = { name: `${names[tonic]} ${mode}`, r };
    }
  }
  return best.r > 0 ? { name: best.name, confidence: Math.min(1, best.r) } : null;
}
