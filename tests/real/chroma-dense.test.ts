import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { ChromaDenseIndex, DenseIndexError } from '../../kb/corpus/chroma.js';
import { indexCorpusDense } from '../../kb/corpus/dense-index.js';
import { HashEmbedder } from '../../kb/corpus/embedder.js';
import { createEvidenceStore } from '../../kb/corpus/store.js';
import { buildFixtureKb } from '../unit/corpus-helpers.js';
import { freePort } from '../../lib/net.js';

/**
 * Starts the real Chroma server shipped with the `chromadb` npm package (`chroma run`) on a
 * temporary directory and waits for its heartbeat. Resolves to a reason string when it cannot
 * start here, so the suite is skipped with that reason instead of failing or passing silently.
 */
async function startChroma(): Promise<{ url: string; proc: ChildProcess; dir: string } | string> {
  const bin = path.resolve('node_modules/.bin/chroma');
  if (!fs.existsSync(bin)) return `chroma binary not found at ${bin}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-chroma-'));
  const port = await freePort();
  const proc = spawn(bin, ['run', '--path', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d) => (out += String(d)));
  proc.stderr?.on('data', (d) => (out += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return `chroma exited with code ${proc.exitCode}: ${out.slice(-300)}`;
    try {
      const r = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return { url, proc, dir };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  proc.kill('SIGTERM');
  return `chroma did not answer its heartbeat within 45 s: ${out.slice(-300)}`;
}

const server = await startChroma();
const skipReason = typeof server === 'string' ? server : '';
if (skipReason) console.warn(`[chroma-dense] Chroma tests skipped: ${skipReason}`);

afterAll(() => {
  if (typeof server !== 'string') {
    server.proc.kill('SIGTERM');
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
});

describe.skipIf(!!skipReason)(`Chroma dense index on the real server${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const url = typeof server === 'string' ? '' : server.url;

  it('upserts vectors from our embedder and returns nearest neighbours', async () => {
    const index = new ChromaDenseIndex({ url, collection: 'kedrec-test-basic', embedder: new HashEmbedder(64) });
    await index.upsert([
      { id: 'a', text: 'famotidine induced delirium in elderly patients' },
      { id: 'b', text: 'aspirin for secondary prevention of ischemic stroke' },
      { id: 'c', text: 'metformin lowers glucose in type 2 diabetes' },
    ]);
    expect(await index.count()).toBe(3);
    const r = await index.query('delirium after famotidine', 2);
    expect(r[0].id).toBe('a');
    expect(r[0].score).toBeGreaterThan(r[1].score);
  });

  it('refuses to query a collection built with another embedder', async () => {
    const name = 'kedrec-test-mismatch';
    await new ChromaDenseIndex({ url, collection: name, embedder: new HashEmbedder(64) }).upsert([{ id: 'x', text: 'x y z' }]);
    await expect(new ChromaDenseIndex({ url, collection: name, embedder: new HashEmbedder(32) }).query('x', 1)).rejects.toThrow(DenseIndexError);
  });

  it('fuses BM25 and Chroma results with RRF in the evidence store, honouring filters', async () => {
    const kb = buildFixtureKb();
    try {
      const embedder = new HashEmbedder(128);
      const articles = new ChromaDenseIndex({ url, collection: 'kedrec-test-articles', embedder });
      const trials = new ChromaDenseIndex({ url, collection: 'kedrec-test-trials', embedder });
      expect(await indexCorpusDense(kb.db, { articles, trials })).toEqual({ trials: 5, articles: 5 });
      const store = createEvidenceStore({ db: kb.db, dense: { articles, trials } });
      const r = await store.searchArticles({ text: 'famotidine delirium', limit: 3 });
      expect(r.retrieval).toBe('hybrid');
      expect(r.items[0].pmid).toBe('20000001');
      expect(r.items[0].snippet).toContain('**');
      const f = await store.searchArticles({ text: 'famotidine delirium', drug: 'haloperidol', limit: 3 });
      expect(f.items.map((a) => a.pmid)).toEqual(['20000002']);
      const t = await store.searchTrials({ text: 'aspirin stroke', limit: 2 });
      expect(t).toMatchObject({ retrieval: 'hybrid' });
      expect(t.items[0].nctId).toBe('NCT00000004');
      const bm25 = await store.searchTrials({ text: 'aspirin stroke', limit: 2, hybrid: false });
      expect(bm25.retrieval).toBe('bm25');
    } finally {
      kb.close();
    }
  });
});

describe('dense index failures', () => {
  it('falls back to BM25 with a notice when Chroma is unreachable', async () => {
    const kb = buildFixtureKb();
    try {
      const port = await freePort();
      const articles = new ChromaDenseIndex({ url: `http://127.0.0.1:${port}`, collection: 'x', embedder: new HashEmbedder(16) });
      const store = createEvidenceStore({ db: kb.db, dense: { articles } });
      const r = await store.searchArticles({ text: 'famotidine', limit: 3 });
      expect(r.retrieval).toBe('bm25');
      expect(r.notices.join(' ')).toMatch(/dense search unavailable .*Chroma at http:\/\/127\.0\.0\.1:\d+ is unavailable.*BM25/);
      expect(r.items[0].pmid).toBe('20000001');
    } finally {
      kb.close();
    }
  });
});
