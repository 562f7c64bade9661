/**
 * "Did you mean": the candidate nearest to a mistyped word, for the CLI's commands, flags and modes and
 * the operator function's verbs.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps, one each. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The candidate nearest to `word` (ignoring case), if it is within `allowed(candidate)` edits: by
 * default two, or a third of the candidate's length for a long one.
 */
export function closest(
  word: string,
  candidates: readonly string[],
  allowed: (candidate: string) => number = (candidate) => Math.max(2, Math.floor(candidate.length / 3)),
): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= allowed(best.candidate) ? best.candidate : undefined;
}
