import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { silentLogger } from '../../lib/log.js';

/**
 * Mechanism paths name the drug's targets, in a pharmacologist's words, and never the enzymes,
 * transporters or carriers that only handle the drug (issue 14, "What was measured").
 */
let kb: EvalKb;
beforeAll(() => {
  kb = openEvalKb(inject('kbPath'), silentLogger);
});
afterAll(() => kb?.close());

const texts = async (drug: string, disease: string) => (await kb.graph.mechanismPaths(drug, disease, { limit: 10, viaGeneGene: true })).map((p) => p.text);

describe('mechanism paths', () => {
  it('Losartan blocks AGTR1 (its curated target), not "binds ACE" (a binding assay)', async () => {
    const t = await texts('DB00678', 'DOID:10763');
    expect(t[0]).toBe('Losartan blocks AGTR1, which is associated with hypertension.');
    expect(t.join(' ')).not.toMatch(/\bACE\b|CYP|SLCO|\bALB\b/);
  });

  it('no metabolising enzyme, transporter or carrier starts a path ("Amlodipine binds CYP3A5", "Prednisone binds ALB")', async () => {
    for (const [drug, disease] of [['DB00381', 'DOID:10763'], ['DB00635', 'DOID:2841'], ['DB00682', 'DOID:0060224'], ['DB00331', 'DOID:9352']]) {
      for (const text of await texts(drug, disease)) expect(text, `${drug}: ${text}`).not.toMatch(/^\w[\w\s-]* (?:binds|inhibits|activates) (?:CYP\w+|UGT\w+|ABCB1|ABCG2|SLCO\w+|SLC22A[1-8]|ALB|ORM[12])\b/);
    }
  });

  it('says the action: sumatriptan activates the 5-HT1B/1D receptors', async () => {
    const t = await texts('DB00669', 'DOID:6364');
    expect(t).toContain('Sumatriptan activates HTR1B, which is associated with migraine.');
    expect(t.join(' ')).not.toMatch(/HTR3A/);
  });
});

describe('trials in another organ are not evidence', () => {
  it('glaucoma eye-drop trials are not linked to systemic hypertension (timolol had 86 of 87)', async () => {
    const r = await kb.evidence!.searchTrials({ drug: 'DB00373', condition: 'DOID:10763', limit: 100 });
    expect(r.items.length).toBeLessThanOrEqual(2);
    for (const t of r.items) expect(t.title, t.title).not.toMatch(/glaucoma|ocular|intraocular/i);
    // The rule takes out only the eye trials: latanoprost's glaucoma trials are still glaucoma trials.
    const eye = await kb.evidence!.searchTrials({ drug: 'DB00654', condition: 'glaucoma', limit: 5 });
    expect(eye.items.length).toBeGreaterThan(0);
  });
});

describe('evidence links go to the page of what they cite', () => {
  it('a mechanism path links to its target gene (NCBI Gene), not the drug', async () => {
    const { pathItem } = await import('../../clinical/evidence-items.js');
    const [p] = await kb.graph.mechanismPaths('DB00678', 'DOID:10763', { limit: 1, viaGeneGene: false });
    expect(pathItem(p).url).toBe('https://www.ncbi.nlm.nih.gov/gene/185');
  });
});
