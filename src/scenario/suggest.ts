// "Did you mean …?" for unknown keys and names: the closest candidate by edit distance.

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        d[0]!.push(j);
        continue;
      }
      const row = d[i]!;
      let v = Math.min(
        d[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      row.push(v);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate, or null when none is close: within 1 edit for short words, 2 from four
 * letters, a third of the word for long ones. A candidate the word is a prefix of wins ties.
 */
export function closest(word: string, candidates: Iterable<string>): string | null {
  const max = word.length < 4 ? 1 : Math.max(2, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = editDistance(lower, lc);
    const prefix = lc.startsWith(lower) || lower.startsWith(lc);
    if (d > max && !(prefix && lower.length >= 2)) continue;
    const score = prefix && lower.length >= 2 ? Math.min(d, 0.5) : d;
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or ''. */
export function suggest(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === null ? '' : ` (did you mean "${c}"?)`;
}
