import { afterAll, describe, expect, inject, it } from 'vitest';
import { similarity } from '../../kb/graph/fuzzy.js';
import { FUZZY_MATCH_THRESHOLD } from '../../kb/graph/shared.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { normalizeTerm } from '../../kb/base/graph-schema.js';

const store = createSqliteGraphStore(openKnowledgeBase(inject('kbPath')));
afterAll(() => store.close());

describe('fuzzy resolve on the real knowledge base (SQLite)', () => {
  it('resolves mistyped drug and disease names to the intended entity', async () => {
    const cases: [string, string, string][] = [
      ['metfromin', 'Compound', 'DB00331'], // transposition
      ['warfrin', 'Compound', 'DB00682'], // missing letter
      ['hypertensoin', 'Disease', 'DOID:10763'], // transposition near the end
      ['parkinsons disese', 'Disease', 'DOID:14330'], // typo in the second word
      ['type 2 diabetis', 'Disease', 'DOID:9352'],
      ['zlieutn', 'Compound', 'DB00744'], // two edits in a short word
    ];
    for (const [query, kind, id] of cases) {
      const r = await store.resolve(query, { kinds: [kind] });
      expect(r.matches[0]?.id, query).toBe(id);
      expect(r.matches[0].matchType).toBe('fuzzy');
    }
  });

  it('scores each fuzzy match as similarity() of the normalised query and matched term', async () => {
    for (const query of ['metfromin', 'alzheimers diseese', 'disease parkinsons']) {
      const r = await store.resolve(query);
      expect(r.matches.length, query).toBeGreaterThan(0);
      for (const m of r.matches) {
        expect(m.score).toBe(similarity(normalizeTerm(query), normalizeTerm(m.matchedOn)));
        expect(m.score).toBeGreaterThanOrEqual(FUZZY_MATCH_THRESHOLD);
      }
    }
  });

  it('keeps the resolve contract: kinds, limit, exactOnly', async () => {
    const se = await store.resolve('hypertensoin', { kinds: ['Side Effect'] });
    expect(se.matches.length).toBeGreaterThan(0);
    expect(se.matches.every((m) => m.kind === 'Side Effect')).toBe(true);
    expect((await store.resolve('metfromin', { limit: 1 })).matches).toHaveLength(1);
    expect(await store.resolve('metfromin', { exactOnly: true })).toEqual({ query: 'metfromin', matches: [], suggestions: [] });
  });

  it('offers near misses as suggestions, and nothing at all for gibberish', async () => {
    const near = await store.resolve('metfromine xr', { kinds: ['Compound'] });
    expect([...near.matches, ...near.suggestions].map((m) => m.id)).toContain('DB00331');
    for (const junk of ['qqxzzv wwkjh', 'xyzzy', 'zqxj vvbnm']) {
      expect(await store.resolve(junk), junk).toEqual({ query: junk, matches: [], suggestions: [] });
    }
  });

  it('answers the same on repeated lookups (the index is built once and reused)', async () => {
    const first = await store.resolve('atorvastatn', { kinds: ['Compound'], limit: 5 });
    const again = await store.resolve('atorvastatn', { kinds: ['Compound'], limit: 5 });
    expect(again).toEqual(first);
    expect(first.matches[0]?.name).toBe('Atorvastatin');
  });
});
