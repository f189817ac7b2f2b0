/** "unknown key `x`" with the nearest known key, for typos like `depend_on`. */
export function unknownKey(key: string, known: readonly string[]): string {
  const near = known.filter((k) => distance(k, key) <= 2);
  return `unknown key \`${key}\`${near.length > 0 ? `; did you mean \`${near[0]}\`?` : `; expected one of ${known.join(', ')}`}`;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
