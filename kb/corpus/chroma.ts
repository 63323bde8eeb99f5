import type { ChromaClient, Collection } from 'chromadb';
import type { Embedder } from './embedder.js';

/** A dense index over documents keyed by their public id (NCT ID or PMID). */
export interface DenseIndex {
  readonly name: string;
  upsert(docs: { id: string; text: string; metadata?: Record<string, string | number | boolean> }[]): Promise<void>;
  /** Nearest documents, best first; score is a similarity (higher is better). */
  query(text: string, k: number): Promise<{ id: string; score: number }[]>;
  count(): Promise<number>;
}

export class DenseIndexError extends Error {}

export interface ChromaIndexOptions {
  /** Chroma server URL, e.g. http://127.0.0.1:8000 (CHROMA_URL). */
  url: string;
  /** Collection name; one per corpus and embedder (e.g. kedrec-articles). */
  collection: string;
  embedder: Embedder;
}

/**
 * Chroma collection used as a DenseIndex. Vectors are computed by our Embedder and passed to
 * Chroma explicitly, so the server never needs an embedding package; the embedder's name is
 * stored in the collection metadata, and querying with a different embedder fails loudly
 * instead of returning meaningless neighbours.
 */
export class ChromaDenseIndex implements DenseIndex {
  readonly name: string;
  private collection?: Promise<Collection>;
  private client?: Promise<ChromaClient>;
  private readonly url: URL;

  constructor(private readonly o: ChromaIndexOptions) {
    this.url = new URL(o.url);
    this.name = `chroma:${o.collection}`;
  }

  /** The client, with the chromadb package loaded on first use: a deployment without CHROMA_URL never loads it. */
  private chroma(): Promise<ChromaClient> {
    this.client ??= import('chromadb').then(
      ({ ChromaClient }) => {
        const u = this.url;
        return new ChromaClient({ host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 8000)), ssl: u.protocol === 'https:' });
      },
      (err: unknown) => {
        this.client = undefined;
        throw err;
      },
    );
    return this.client;
  }

  private coll(): Promise<Collection> {
    this.collection ??= (async () => {
      let c: Collection;
      try {
        c = await (await this.chroma()).getOrCreateCollection({
          name: this.o.collection,
          embeddingFunction: null,
          metadata: { embedder: this.o.embedder.name, 'hnsw:space': 'cosine' },
        });
      } catch (err) {
        this.collection = undefined;
        throw new DenseIndexError(`Chroma at ${this.o.url} is unavailable (${(err as Error).message}); dense retrieval is off, BM25 still works`);
      }
      const stored = (c.metadata as Record<string, unknown> | undefined)?.embedder;
      if (stored !== undefined && stored !== this.o.embedder.name) {
        throw new DenseIndexError(`Chroma collection ${this.o.collection} was built with embedder ${String(stored)}, not ${this.o.embedder.name}; re-index it`);
      }
      return c;
    })();
    return this.collection;
  }

  async upsert(docs: { id: string; text: string; metadata?: Record<string, string | number | boolean> }[]): Promise<void> {
    if (!docs.length) return;
    const c = await this.coll();
    const embeddings = await this.o.embedder.embed(docs.map((d) => d.text), 'passage');
    await c.upsert({
      ids: docs.map((d) => d.id),
      embeddings,
      // Chroma rejects empty metadata objects; the document id is always a valid one.
      metadatas: docs.map((d) => ({ doc_id: d.id, ...(d.metadata ?? {}) })),
    });
  }

  async query(text: string, k: number): Promise<{ id: string; score: number }[]> {
    const c = await this.coll();
    const [q] = await this.o.embedder.embed([text], 'query');
    const r = await c.query({ queryEmbeddings: [q], nResults: k, include: ['distances'] });
    const ids = r.ids[0] ?? [];
    const d = r.distances?.[0] ?? [];
    // Cosine distance → similarity.
    return ids.map((id, i) => ({ id, score: 1 - (d[i] ?? 1) }));
  }

  async count(): Promise<number> {
    return (await this.coll()).count();
  }

  /** Deletes the collection (a benchmark's throwaway index). */
  async drop(): Promise<void> {
    this.collection = undefined;
    await this.chroma().then((client) => client.deleteCollection({ name: this.o.collection })).catch(() => {});
  }
}
