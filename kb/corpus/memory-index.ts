import type { DenseIndex } from './chroma.js';
import type { Embedder } from './embedder.js';

/**
 * A brute-force cosine index held in memory. For tests and for the retrieval bench on machines
 * without a Chroma server; exact search, so it is also the reference Chroma's ANN is compared to.
 */
export class InMemoryDenseIndex implements DenseIndex {
  readonly name: string;
  private readonly ids: string[] = [];
  private readonly vecs: number[][] = [];
  private readonly pos = new Map<string, number>();

  constructor(private readonly embedder: Embedder) {
    this.name = `memory:${embedder.name}`;
  }

  async upsert(docs: { id: string; text: string }[]): Promise<void> {
    const vs = await this.embedder.embed(docs.map((d) => d.text), 'passage');
    docs.forEach((d, i) => {
      const v = normalize(vs[i]);
      const at = this.pos.get(d.id);
      if (at !== undefined) this.vecs[at] = v;
      else {
        this.pos.set(d.id, this.ids.length);
        this.ids.push(d.id);
        this.vecs.push(v);
      }
    });
  }

  async query(text: string, k: number): Promise<{ id: string; score: number }[]> {
    const [q0] = await this.embedder.embed([text], 'query');
    const q = normalize(q0);
    const scored = this.vecs.map((v, i) => {
      let s = 0;
      for (let j = 0; j < v.length; j++) s += v[j] * q[j];
      return { id: this.ids[i], score: s };
    });
    return scored.sort((a, b) => b.score - a.score).slice(0, k);
  }

  async count(): Promise<number> {
    return this.ids.length;
  }
}

function normalize(v: number[]): number[] {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}
