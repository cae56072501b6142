// The nearest known word to a mistyped one, for "did you mean" hints (the text language's commands, module and
// parameter names). Levenshtein distance in a few lines (the textbook two-row dynamic programme) rather than a
// dependency: the words are short and few, and every layer from core up can use it.

/** The edit distance between `a` and `b`: insertions, deletions and substitutions, case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate nearest to `word`, when it is near enough to be a slip (at most a third of its letters off, and
 * at least one): the first of the nearest in `candidates`' order. Undefined when none is.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const most = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    if (c.toLowerCase() === word.toLowerCase()) continue;
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= most ? best : undefined;
}

/** `; did you mean "X"?` for the nearest candidate, or "" when none is near. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n === undefined ? "" : `; did you mean ${JSON.stringify(n)}?`;
}
