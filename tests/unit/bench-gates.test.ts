import { describe, expect, it } from 'vitest';
import { RETRIEVAL_FLOORS, retrievalGate, type RetrievalBenchResult } from '../../bench/retrieval.js';

const figures = (recallAtK: number) => ({ queries: 500, recallAtK, mrr: 0.8, hitAtK: 0.95 });
const latency = { queries: 1, p50Ms: 1, p95Ms: 1, maxMs: 1 };
const result = (over: Partial<RetrievalBenchResult> = {}): RetrievalBenchResult => ({
  k: 10,
  corpus: { trials: 1, articles: 1 },
  bm25: figures(0.914),
  dense: { ...figures(0.869), embedder: 'e5', index: 'chroma' },
  hybrid: { ...figures(0.91), embedder: 'e5', index: 'chroma' },
  latency: { articles: latency, trials: latency, filtered: latency },
  ...over,
});

/** The retrieval gate CI runs (`bench retrieval --check`): quality floors, never wall-clock limits. */
describe('retrieval bench gate', () => {
  it('passes the figures measured on the real servers', () => {
    expect(retrievalGate(result(), { requireDense: true })).toEqual([]);
  });

  it('fails when dense and hybrid did not run and they were required, and only then', () => {
    const bm25Only = result({ dense: undefined, hybrid: undefined });
    expect(retrievalGate(bm25Only, { requireDense: true })).toEqual([expect.stringMatching(/dense and hybrid did not run: set KEDREC_EMBED_URL/)]);
    expect(retrievalGate(bm25Only, { requireDense: false })).toEqual([]);
  });

  it('fails each arm below its floor, naming the figure', () => {
    expect(retrievalGate(result({ bm25: figures(RETRIEVAL_FLOORS.bm25RecallAtK - 0.01) }), { requireDense: true })).toEqual([
      'BM25 Recall@10 0.87 is below 0.88',
    ]);
    expect(retrievalGate(result({ dense: { ...figures(0.5), embedder: 'e5', index: 'chroma' } }), { requireDense: true })).toEqual([
      'dense Recall@10 0.5 is below 0.82',
    ]);
    expect(retrievalGate(result({ hybrid: { ...figures(0.85), embedder: 'e5', index: 'chroma' } }), { requireDense: true })).toEqual([
      "hybrid Recall@10 0.85 is more than 0.02 below BM25's 0.914",
    ]);
  });
});
