/** One ranked list from one retriever, best first. */
export type RankedIds = readonly string[];

/**
 * Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ_lists w / (k + rank_d), rank from
 * 1. It needs no score calibration between BM25 and cosine similarity, which have unrelated
 * scales; k = 60 is the value from the paper and damps the influence of the very top ranks.
 */
export function reciprocalRankFusion(lists: RankedIds[], opts: { k?: number; weights?: number[]; limit?: number } = {}): { id: string; score: number }[] {
  const k = opts.k ?? 60;
  const scores = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  let order = 0;
  lists.forEach((list, li) => {
    const w = opts.weights?.[li] ?? 1;
    const seen = new Set<string>();
    list.forEach((id, i) => {
      if (seen.has(id)) return; // a list naming a document twice counts it once, at its best rank
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + w / (k + i + 1));
      if (!firstSeen.has(id)) firstSeen.set(id, order++);
    });
  });
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || firstSeen.get(a.id)! - firstSeen.get(b.id)!)
    .slice(0, opts.limit ?? Number.POSITIVE_INFINITY);
}
