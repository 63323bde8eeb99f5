/**
 * Fuzzy string matching for entity resolution: trigram candidate generation (an FTS5 trigram
 * index) and a similarity score that tolerates typos and transpositions ("metfromin").
 */

/** An FTS5 MATCH expression OR-ing the query's trigrams, each quoted so no character is syntax. */
export function trigramQuery(norm: string): string | null {
  const s = norm.replace(/"/g, '');
  if (s.length < 3) return null;
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) grams.add(s.slice(i, i + 3));
  return [...grams].map((g) => `"${g}"`).join(' OR ');
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions. */
export function osaDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (!m) return n;
  if (!n) return m;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/**
 * Similarity of a query to a stored term, in [0, 1]: the better of edit similarity
 * (1 − distance / longer length, for typos) and word containment (every query word begins a word
 * of the term, as "type 2 diabetes" in "type 2 diabetes mellitus": 0.75 plus up to 0.2 for how
 * much of the term the query covers).
 */
export function similarity(query: string, term: string): number {
  const len = Math.max(query.length, term.length);
  if (!len) return 1;
  const edit = 1 - osaDistance(query, term) / len;
  const qWords = query.split(' ').filter(Boolean);
  const tWords = term.split(' ').filter(Boolean);
  const contained = qWords.length > 0 && qWords.every((w) => tWords.some((t) => t === w || (w.length >= 4 && t.startsWith(w))));
  const containment = contained ? 0.75 + 0.2 * (query.length / term.length) : 0;
  return Math.round(Math.max(edit, containment) * 1e4) / 1e4;
}
