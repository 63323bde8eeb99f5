import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { evidenceStoreFromConfig } from '../../kb/corpus/from-config.js';
import { createEvidenceStore, type EvidenceStore } from '../../kb/corpus/store.js';
import { EvidenceQueryError } from '../../kb/base/corpus-types.js';
import { buildFixtureKb } from './corpus-helpers.js';

describe('offline corpus built from fixture sources', () => {
  let kb: ReturnType<typeof buildFixtureKb>;
  let store: EvidenceStore;
  beforeAll(() => {
    kb = buildFixtureKb();
    store = createEvidenceStore({ db: kb.db });
  });
  afterAll(() => kb?.close());

  it('merges trials across sources and splits, one row per NCT ID', () => {
    expect(store.offline.stats()).toMatchObject({ trials: 5, articles: 5 });
    const rows = kb.db.prepare('SELECT nct_id, sources, phase, status, title_kind FROM trials ORDER BY nct_id').all();
    expect(rows).toEqual([
      { nct_id: 'NCT00000001', sources: 'clintrials-dhimmel,hint', phase: 'PHASE2', status: 'COMPLETED', title_kind: 'derived' },
      { nct_id: 'NCT00000002', sources: 'hint', phase: 'PHASE1/PHASE2', status: 'TERMINATED', title_kind: 'derived' },
      { nct_id: 'NCT00000003', sources: 'hint', phase: 'EARLY_PHASE1', status: 'ACTIVE_NOT_RECRUITING', title_kind: 'derived' },
      { nct_id: 'NCT00000004', sources: 'trial2vec', phase: null, status: 'RECRUITING', title_kind: 'registry' },
      { nct_id: 'NCT00000005', sources: 'clintrials-dhimmel', phase: null, status: null, title_kind: 'derived' },
    ]);
  });

  it('links trials to graph entities by registry id, name and ICD-10', async () => {
    const { trial } = await store.getTrial('nct00000001');
    expect(trial.links).toEqual(
      expect.arrayContaining([
        { role: 'drug', id: 'DB00331', name: 'Metformin', method: 'registry' },
        { role: 'condition', id: 'DOID:9352', name: 'type 2 diabetes mellitus', method: 'registry' },
      ]),
    );
    expect(trial.criteria).toContain('Renal impairment');
    const t2 = (await store.getTrial('NCT00000002')).trial;
    expect(t2.links.map((l) => l.id)).toEqual(expect.arrayContaining(['DB01229', 'DOID:1612']));
    expect(t2.whyStopped).toBe('Slow accrual');
    expect(t2.outcomeLabel).toBe(0);
    expect(t2.license).toMatch(/non-commercial/);
  });

  it('searches trials with BM25 and filters by drug (name or id), condition, phase and status', async () => {
    const r = await store.searchTrials({ text: 'metformin', limit: 10 });
    expect(r.origin).toBe('offline');
    expect(r.retrieval).toBe('bm25');
    expect(r.items.map((t) => t.nctId).sort()).toEqual(['NCT00000001', 'NCT00000005']);
    expect(r.items[0].snippet).toContain('**');
    expect(r.items[0].url).toMatch(/^https:\/\/clinicaltrials\.gov\/study\/NCT/);

    const byDrug = await store.searchTrials({ drug: 'metformin', phase: ['PHASE2'], limit: 10 });
    expect(byDrug.retrieval).toBe('filter');
    expect(byDrug.items.map((t) => t.nctId)).toEqual(['NCT00000001']);
    expect(byDrug.resolved.drug).toEqual(expect.arrayContaining([{ id: 'DB00331', name: 'Metformin' }]));

    // DOID:1612 covers its subsumed term; the trial is linked by name to breast cancer.
    const byCond = await store.searchTrials({ condition: 'DOID:1612', status: ['TERMINATED'], limit: 10 });
    expect(byCond.items.map((t) => t.nctId)).toEqual(['NCT00000002']);
    expect(byCond.resolved.condition?.map((e) => e.id)).toContain('DOID:0050671');
    expect((await store.searchTrials({ condition: 'DOID:1612', status: ['COMPLETED'], limit: 10 })).items).toEqual([]);
  });

  it('fills with any-term matches when not every term matches, and says so', async () => {
    const r = await store.searchTrials({ text: 'aspirin zzzunknownword', limit: 5 });
    expect(r.items.map((t) => t.nctId)).toEqual(['NCT00000004']);
    expect(r.notices.join(' ')).toMatch(/matching some of the terms/);
  });

  it('bounds results and reports more', async () => {
    const r = await store.searchTrials({ text: 'metformin', limit: 1 });
    expect(r.items).toHaveLength(1);
    expect(r.hasMore).toBe(true);
  });

  it('searches articles with year filter and MeSH links; keeps BC5CDR annotations and relations', async () => {
    const r = await store.searchArticles({ text: 'famotidine delirium', limit: 5 });
    expect(r.items[0].pmid).toBe('20000001');
    expect(r.items[0].snippet).toMatch(/\*\*famotidine\*\*/i);
    const years = await store.searchArticles({ text: 'metformin OR aspirin', yearFrom: 2010, limit: 5 });
    expect(years.items.map((a) => a.pmid)).toEqual(['10000001']);
    expect(years.notices.join(' ')).toMatch(/without a known year/);
    const byDrug = await store.searchArticles({ drug: 'famotidine', limit: 5 });
    expect(byDrug.items.map((a) => a.pmid).sort()).toEqual(['20000001', '20000003']);
    const byMesh = await store.searchArticles({ condition: 'MESH:D003693', text: 'haloperidol', limit: 5 });
    expect(byMesh.items.map((a) => a.pmid)).toEqual(['20000002']);

    const { article } = await store.getArticle('PMID: 20000001');
    expect(article.relations).toEqual([{ chemical: 'D015738', disease: 'D003693' }]);
    expect(article.concepts.map((c) => c.meshId).sort()).toEqual(['D003693', 'D015738']);
    expect(article.links).toEqual(expect.arrayContaining([{ role: 'drug', id: 'DB00927', name: 'Famotidine', method: 'mesh-xref' }]));
    expect(article.license).toMatch(/Public domain/);
    const pqa = (await store.getArticle('10000001')).article;
    expect(pqa.titleKind).toBe('question');
    expect(pqa.sections.map((s) => s.label)).toEqual(['BACKGROUND', 'METHODS', 'CONCLUSIONS']);
    expect(pqa.year).toBe(2015);
    const split = kb.db.prepare("SELECT splits FROM articles WHERE pmid = '20000002'").pluck().get();
    expect(split).toBe('train,dev');
  });

  it('fails clearly on unknown entities and documents, with suggestions', async () => {
    await expect(store.searchTrials({ drug: 'metfromin', limit: 5 })).rejects.toThrow(EvidenceQueryError);
    await expect(store.searchTrials({ drug: 'metfo', limit: 5 })).rejects.toThrow(/did you mean: Metformin/);
    await expect(store.searchTrials({ drug: 'DB99999', limit: 5 })).rejects.toThrow(/no drug with id DB99999/);
    await expect(store.getTrial('NCT09999999')).rejects.toThrow(/not in the offline corpus .*live ClinicalTrials.gov lookups are off/);
    await expect(store.getTrial('12345')).rejects.toThrow(/not an NCT ID/);
    await expect(store.getArticle('abc')).rejects.toThrow(/not a PMID/);
    await expect(store.searchArticles({ text: 'x', source: 'live', limit: 5 })).rejects.toThrow(/live literature search is not configured/);
    await expect(store.searchArticles({ text: 'x', yearFrom: 2020, yearTo: 2010, limit: 5 })).rejects.toThrow(/after/);
  });

  it('treats FTS syntax in user text as plain text', async () => {
    for (const q of ['"', 'AND(', 'NOT NEAR(', 'col:x', 'famotidine" OR "x']) {
      await expect(store.searchArticles({ text: q, limit: 5 })).resolves.toBeDefined();
      await expect(store.searchTrials({ text: q, limit: 5 })).resolves.toBeDefined();
    }
  });

  it('leaves the non-commercial HINT trials out of a build without non-commercial parts', () => {
    const free = buildFixtureKb({ noncommercial: false });
    try {
      const srcs = free.db.prepare('SELECT DISTINCT sources FROM trials ORDER BY 1').pluck().all();
      expect(srcs).toEqual(['clintrials-dhimmel', 'trial2vec']);
    } finally {
      free.close();
    }
  });

  it('configures live and dense parts from the environment schema', () => {
    const plain = evidenceStoreFromConfig(kb.db, loadConfig({}));
    expect(plain.capabilities).toEqual({ offline: true, liveTrials: false, liveArticles: false, denseTrials: false, denseArticles: false });
    const full = evidenceStoreFromConfig(kb.db, loadConfig({ KEDREC_LIVE: '1', CHROMA_URL: 'http://127.0.0.1:8000', KEDREC_CACHE_DIR: kb.dir }));
    expect(full.capabilities).toEqual({ offline: true, liveTrials: true, liveArticles: true, denseTrials: true, denseArticles: true });
  });
});
