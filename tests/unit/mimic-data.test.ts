import { describe, expect, it } from 'vitest';
import { cleanDrugName, parseMimicTime } from '../../evals/mimic-data.js';
import { fitMethods, icd9Category, patientFolds } from '../../evals/mimic.js';
import type { MimicPatient } from '../../evals/mimic-data.js';
import { seededShuffle } from '../../lib/random.js';
import { visit } from '../fixtures/mimic-visit.js';

describe('MIMIC parsing helpers', () => {
  it('reads both MIMIC time formats', () => {
    expect(parseMimicTime('10/23/2164 21:09')).toBe(Date.UTC(2164, 9, 23, 21, 9));
    expect(parseMimicTime('2164-10-23 21:09:00')).toBe(Date.UTC(2164, 9, 23, 21, 9));
    expect(Number.isNaN(parseMimicTime('yesterday'))).toBe(true);
  });
  it('cleans order names down to the substance', () => {
    expect(cleanDrugName('Albuterol 0.083% Neb Soln')).toBe('albuterol');
    expect(cleanDrugName('Morphine Sulfate (Syringe)')).toBe('morphine sulfate');
    expect(cleanDrugName('5% Dextrose')).toBe('dextrose');
  });
  it('takes ICD9 categories', () => {
    expect(icd9Category('4280')).toBe('428');
    expect(icd9Category('V4581')).toBe('V45');
    expect(icd9Category('E8790')).toBe('E879');
  });
});

describe('MIMIC methods', () => {
  const train: MimicPatient[] = [];
  for (let i = 0; i < 12; i++) {
    const diabetic = i % 2 === 0;
    train.push({ subjectId: `p${i}`, visits: [visit(`p${i}`, `h${i}`, i, diabetic ? ['25000'] : ['4280'], diabetic ? ['A10B', 'B05X'] : ['C03C', 'B05X'])] });
  }
  it('learns diagnosis → drug links that frequency alone cannot', () => {
    const [freq, cooc, kedrec] = fitMethods(train, { level: 'atc3' });
    expect([freq.name, cooc.name, kedrec.name]).toEqual(['most_frequent', 'cooccurrence', 'kedrec']);
    const ctx = { diagnoses: ['25000'], history: [] };
    expect(kedrec.recommend(ctx).selected.sort()).toEqual(['A10B', 'B05X']);
    expect(cooc.recommend(ctx).selected).toContain('A10B');
    // Most frequent ranks B05X first whatever the diagnosis.
    expect(freq.recommend({ diagnoses: ['4280'], history: [] }).scores[0].item).toBe('B05X');
  });
  it('backs off from an unseen code to its category and uses KB evidence', () => {
    const [, , kedrec] = fitMethods(train, { level: 'atc3', kb: (c) => (c === '25001' ? ['A10B'] : []) });
    const out = kedrec.recommend({ diagnoses: ['25001'], history: [] });
    expect(out.selected).toContain('A10B');
  });
  it('splits patients into disjoint seeded folds', () => {
    const folds = patientFolds(train, 3, 1);
    expect(folds.flat().map((p) => p.subjectId).sort()).toEqual(train.map((p) => p.subjectId).sort());
    expect(patientFolds(train, 3, 1)).toEqual(folds);
    expect(seededShuffle([1, 2, 3, 4], 5)).toEqual(seededShuffle([1, 2, 3, 4], 5));
  });
});
