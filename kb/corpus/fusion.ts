/** One ranked list from one retriever, best first. */
export type RankedIds = readonly string[];

/**
 * Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ_lists w / (k + rank_d), rank from
 * 1. It needs no score calibration between BM25 and cosine similarity, which have unrelated
 * scales; k = 60 is the value from the paper and damps the influence of the very top ranks.
 */
export function reciprocalRankFusion(lists: RankedIds[], opts: { k?: number; weights?: number[]; limit?: number } = {}): { id: string; score: number }[] {
  const k = opts.k ?? 60;
  // Each document's fused score and the order it was first seen in, which breaks score ties.
  const fused = new Map<string, { score: number; firstSeen: number }>();
  lists.forEach((list, li) => {
    const w = opts.weights?.[li] ?? 1;
    const seen = new Set<string>();
    list.forEach((id, i) => {
      if (seen.has(id)) return; // a list naming a document twice counts it once, at its best rank
      seen.add(id);
      const entry = fused.get(id);
      if (entry) entry.score += w / (k + i + 1);
      else fused.set(id, { score: w / (k + i + 1), firstSeen: fused.size });
    });
  });
  return [...fused.entries()]
    .sort(([, a], [, b]) => b.score - a.score || a.firstSeen - b.firstSeen)
    .slice(0, opts.limit ?? Number.POSITIVE_INFINITY)
    .map(([id, { score }]) => ({ id, score }));
}
