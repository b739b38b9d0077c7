/** "Did you mean" for names a user typed: the closest known name, if it is close enough. */

/** Levenshtein distance. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** Candidates, the closest to `name` first. */
export function closestFirst(name: string, candidates: readonly string[]): string[] {
  return [...candidates].sort((a, b) => distance(name, a) - distance(name, b));
}

/** The closest candidate within a typo's reach (case-insensitive), if any. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const best = [...candidates].sort((a, b) => distance(lower, a.toLowerCase()) - distance(lower, b.toLowerCase()))[0];
  return best !== undefined && distance(lower, best.toLowerCase()) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** `did you mean 'x'?`, or `fallback` when nothing is close. */
export function suggest(name: string, candidates: readonly string[], fallback = 'check the spelling'): string {
  const best = closest(name, candidates);
  return best !== undefined ? `did you mean '${best}'?` : fallback;
}
