import { describe, expect, it } from 'vitest';
import { parseCaseDelta } from '../../clinical/case-reader.js';
import { checkCitations, findCitations, harvestToolResult, recommendedDrugsInText } from '../../agent/citations.js';
import { articleItem, trialItem } from '../../clinical/evidence-items.js';

describe('citation check', () => {
  it('finds PMIDs, NCT IDs and KG fact ids', () => {
    const ids = findCitations('See [PMID: 123], NCT01234567, https://pubmed.ncbi.nlm.nih.gov/456/ and [DB00331-CtD-DOID:9352], path DB00331-CbG-NCBIGene:4535-DaG-DOID:9352.').map((c) => c.id);
    expect(ids).toEqual(['PMID:123', 'PMID:456', 'NCT01234567', 'DB00331-CtD-DOID:9352', 'DB00331-CbG-NCBIGene:4535-DaG-DOID:9352']);
  });

  it('keeps returned citations and visibly removes the rest', () => {
    const r = checkCitations('Metformin [DB00331-CtD-DOID:9352] [PMID:99999999] (NCT00000001).', ['DB00331-CtD-DOID:9352']);
    expect(r.kept).toEqual(['DB00331-CtD-DOID:9352']);
    expect(r.removed.sort()).toEqual(['NCT00000001', 'PMID:99999999']);
    // The body loses the IDs; the closing note names them so the reader knows what was removed.
    expect(r.text.split('\n\nNote:')[0]).not.toMatch(/99999999|NCT00000001/);
    expect(r.text).toContain('[citation removed]');
    expect(r.text).toMatch(/2 citation\(s\) were removed/);
  });

  it('harvests citable IDs from tool artifacts, including nested PMIDs', () => {
    const h = harvestToolResult('get_drug_profile', {
      drug: { id: 'DB00331', name: 'Metformin' },
      targets: [{ gene: { id: 'NCBIGene:1', name: 'G' }, actions: [], provenance: [{ source: 'drugbank', license: 'x', pmids: ['111'] }] }],
      sideEffects: [],
      indications: [],
    });
    expect(h.citable).toContain('PMID:111');
    expect(h.citable).toContain('DB00331-CbG-NCBIGene:1');
    expect(h.drugs).toEqual({ DB00331: 'Metformin' });
  });

  it('reads the recommended drugs from a numbered answer, skipping excluded and "avoid" lines', () => {
    const seen = { DB00331: 'Metformin', DB00945: 'Acetylsalicylic acid', DB01067: 'Glipizide' };
    const text = 'Plan:\n1. Metformin (DB00331): first line.\n2. Avoid Glipizide here.\n3. Acetylsalicylic acid: no.';
    expect(recommendedDrugsInText(text, seen, new Set(['DB00945'])).map((d) => d.id)).toEqual(['DB00331']);
    expect(recommendedDrugsInText('Selected drugs: Glipizide, Metformin\nRationale: both.', seen, new Set()).map((d) => d.id)).toEqual(['DB01067', 'DB00331']);
  });
});

describe('case delta rules', () => {
  it('reads additions, negations, allergies and demographics', () => {
    const d = parseCaseDelta('A 62-year-old woman with type 2 diabetes and hypertension, currently on lisinopril. Allergic to penicillin. Stopped warfarin. Not pregnant.');
    expect(d.add.conditions).toEqual(['type 2 diabetes', 'hypertension']);
    expect(d.add.currentMedications).toEqual(['lisinopril']);
    expect(d.add.allergies).toEqual(['penicillin']);
    expect(d.remove.currentMedications).toEqual(['warfarin']);
    expect(d).toMatchObject({ age: 62, sex: 'female', pregnant: false });
    // A negated finding is read as negated (NegEx scope), to be taken off the case, never added.
    expect(parseCaseDelta('Actually she is not diabetic.').negated?.map((n) => n.mention)).toEqual(['diabetic']);
    expect(parseCaseDelta('Actually she is not diabetic.').add.conditions).toEqual([]);
  });
});

describe('evidence snippets', () => {
  it('drop a search snippet that only repeats (part of) the title, keep one that adds text', () => {
    const title = 'Phase 3 trial of ertugliflozin, metformin, ... in type 2 diabetes mellitus';
    expect(trialItem({ nct_id: 'NCT02630706', title, snippet: '**Phase 3** trial of ertugliflozin, **metformin**…', phase: 'PHASE3' }).snippet).toBe(`${title} [PHASE3]`);
    expect(trialItem({ nct_id: 'NCT02630706', title, snippet: 'HbA1c fell by 0.8% with **metformin**' }).snippet).toBe(`${title} — HbA1c fell by 0.8% with **metformin**`);
    expect(articleItem({ pmid: '1', title: 'Metformin and lactic acidosis.', snippet: 'Metformin and lactic acidosis.', year: 2001 }).snippet).toBe('Metformin and lactic acidosis. (2001)');
    expect(articleItem({ pmid: '1', title: 'Metformin and lactic acidosis.', snippet: 'Three cases of **lactic acidosis** were seen.' }).snippet).toMatch(/ — Three cases/);
  });
});
