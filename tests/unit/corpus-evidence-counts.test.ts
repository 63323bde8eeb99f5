import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceStore, type EvidenceStore } from '../../kb/corpus/store.js';
import { buildFixtureKb } from './corpus-helpers.js';

describe('offline corpus: evidence volume for the recommender', () => {
  let kb: ReturnType<typeof buildFixtureKb>;
  let store: EvidenceStore;
  beforeAll(() => {
    kb = buildFixtureKb();
    store = createEvidenceStore({ db: kb.db });
  });
  afterAll(() => kb?.close());

  it('counts trials per drug for a condition, agreeing with a filtered search', async () => {
    const ids = store.offline.resolve('condition', 'DOID:9352').map((e) => e.id);
    const counts = store.offline.evidenceCounts(ids);
    const listed = await store.searchTrials({ drug: 'DB00331', condition: 'DOID:9352', limit: 50, source: 'offline' });
    expect(listed.items.length).toBeGreaterThan(0);
    expect(counts.get('DB00331')?.trials).toBe(listed.items.length);
    expect(store.offline.evidenceCounts([]).size).toBe(0);
  });

  it('counts an article that reports the drug as inducing a disease apart, and never cites it as support', async () => {
    // PMID 20000001 "Famotidine-associated delirium" carries a BC5CDR CID relation famotidine → delirium;
    // PMID 20000002 "Haloperidol for agitation" mentions delirium with no such relation.
    const ids = store.offline.resolve('condition', 'DOID:0060165').map((e) => e.id);
    const counts = store.offline.evidenceCounts(ids);
    expect(counts.get('DB00927')).toEqual({ trials: 0, negativeTrials: 0, trialWeight: 0, lateTrials: 0, articles: 0, adverseArticles: 1 });
    // The mini graph has no MeSH xref for haloperidol, so the article links it by its MeSH id.
    expect(counts.get('MESH:D006220')).toMatchObject({ articles: 1, adverseArticles: 0 });
    // Matched through a MESH: id as well as through a graph drug's MeSH xref.
    expect(counts.get('MESH:D015738')).toMatchObject({ articles: 0, adverseArticles: 1 });

    const all = store.offline.searchArticles('', { drugIds: ['DB00927'], conditionIds: ids }, 10).items.map((a) => a.pmid);
    expect(all).toContain('20000001');
    const support = store.offline.searchArticles('', { drugIds: ['DB00927'], conditionIds: ids, excludeAdverseReports: true }, 10).items.map((a) => a.pmid);
    expect(support).not.toContain('20000001');
  });
});

describe('what an article says of a drug', () => {
  it('treatment studies support; adverse-effect reports, animal studies and background do not', async () => {
    const { articleStance } = await import('../../kb/corpus/article-stance.js');
    expect(articleStance('Haloperidol for agitation in the ICU', '', false, ['haloperidol'])).toBe('treatment');
    expect(articleStance('A randomized, placebo-controlled trial of sertraline in major depression', '', false)).toBe('treatment');
    expect(articleStance('Famotidine-associated delirium', '', true)).toBe('adverse');
    expect(articleStance('Reduced progression of adriamycin nephropathy in spontaneously hypertensive rats treated by losartan.', '', true)).toBe('adverse');
    expect(articleStance('Losartan slows nephropathy in spontaneously hypertensive rats', '', false, ['losartan'])).toBe('preclinical');
    expect(articleStance('Severe citrate toxicity complicating volunteer apheresis platelet donation.', '', false)).toBe('adverse');
    expect(articleStance('Patterns of care in rural clinics', 'A survey of prescribing.', false)).toBe('other');
  });
});
