import { describe, expect, it } from 'vitest';
import { fitLogisticRegression, sigmoid, solveLinear } from '../../evals/logistic.js';
import { expectedF1Selection } from '../../evals/metrics.js';
import type { MimicPatient } from '../../evals/mimic-data.js';
import { fitKedrecMethod, fitMethods, icd9Chapter, predictPatients, summarise } from '../../evals/mimic.js';
import { seededRandom } from '../../lib/random.js';
import { visit } from '../fixtures/mimic-visit.js';

describe('logistic regression', () => {
  it('recovers the weights that generated the labels', () => {
    const rnd = seededRandom(3);
    const truth = [-0.5, 2, -1];
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = [1, rnd() * 2 - 1, rnd() * 2 - 1];
      X.push(x);
      y.push(rnd() < sigmoid(truth.reduce((s, w, j) => s + w * x[j], 0)) ? 1 : 0);
    }
    const w = fitLogisticRegression(X, y, { l2: 0.01 });
    w.forEach((wi, i) => expect(wi).toBeCloseTo(truth[i], 0));
  });
  it('stays finite on separable data and leaves the intercept unpenalised', () => {
    const X = [[1, -1], [1, -2], [1, 1], [1, 2]];
    const w = fitLogisticRegression(X, [0, 0, 1, 1], { l2: 1 });
    expect(w.every(Number.isFinite)).toBe(true);
    expect(w[1]).toBeGreaterThan(0);
    // All-positive labels: only the (unpenalised) intercept can move, and it moves far.
    expect(fitLogisticRegression([[1, 0], [1, 0]], [1, 1], { l2: 1 })[0]).toBeGreaterThan(5);
  });
  it('rejects mismatched input instead of fitting garbage', () => {
    expect(() => fitLogisticRegression([[1, 0]], [1, 0])).toThrow(/1 rows but 2 labels/);
    expect(() => fitLogisticRegression([], [])).toThrow(/no training rows/);
    expect(() => fitLogisticRegression([[1, 0], [1]], [0, 1])).toThrow(/differ in length/);
  });
  it('solves linear systems and gives a zero step on a singular direction', () => {
    expect(solveLinear([[2, 0], [0, 4]], [2, 8])).toEqual([1, 2]);
    expect(solveLinear([[1, 0], [0, 0]], [3, 5])).toEqual([3, 0]);
  });
});

describe('expected-F1 list selection', () => {
  it('keeps likely items and stops where another one would lower expected F1', () => {
    const s = (xs: [string, number][]) => expectedF1Selection(xs.map(([item, score]) => ({ item, score })));
    expect(s([['a', 0.9], ['b', 0.8], ['c', 0.05], ['d', 0.05]])).toEqual(['a', 'b']);
    expect(s([['c', 0.05], ['a', 0.99], ['b', 0.97]])).toEqual(['a', 'b']);
    expect(s([['a', 0.4], ['b', 0.4], ['c', 0.4], ['d', 0.4]])).toHaveLength(4);
    expect(s([])).toEqual([]);
    expect(s([['a', 0]])).toEqual([]);
  });
});

describe('ICD9 chapters', () => {
  it('follows the ICD-9-CM tabular ranges', () => {
    expect(icd9Chapter('0389')).toBe('chapter:1'); // septicaemia: infectious
    expect(icd9Chapter('25000')).toBe('chapter:3'); // diabetes: endocrine
    expect(icd9Chapter('4280')).toBe('chapter:7'); // heart failure: circulatory
    expect(icd9Chapter('486')).toBe('chapter:8'); // pneumonia: respiratory
    expect(icd9Chapter('V4581')).toBe('chapter:V');
    expect(icd9Chapter('E8790')).toBe('chapter:E');
  });
});

describe('kedrec', () => {
  // Every patient has a diagnosis no one else has (distinct codes, categories and chapters cannot
  // help), and receives the one drug class the knowledge graph records for it, plus fluids. Only
  // the KB links the diagnosis to the drug, so kedrec must learn to trust the KB.
  const classes = ['A10B', 'C03C', 'N03A', 'J01D', 'H03A', 'B01A'];
  const codeOf = (i: number) => `V${String(10 + i).padStart(2, '0')}1`;
  const kbTable = new Map<string, string[]>();
  const train: MimicPatient[] = [];
  for (let i = 0; i < 30; i++) {
    const drug = classes[i % classes.length];
    kbTable.set(codeOf(i), [drug]);
    train.push({ subjectId: `p${i}`, visits: [visit(`p${i}`, `h${i}`, i, [codeOf(i)], [drug, 'B05X'])] });
  }
  kbTable.set('V991', ['N03A']);
  const kb = (c: string) => kbTable.get(c) ?? [];

  it('learns a positive weight for knowledge-graph indications and uses it on unseen diagnoses', () => {
    const kedrec = fitKedrecMethod(train, { level: 'atc3', kb });
    expect(kedrec.params.kbIndicated).toBeGreaterThan(1);
    const out = kedrec.recommend({ diagnoses: ['V991'], history: [] });
    expect(out.selected.sort()).toEqual(['B05X', 'N03A']);
    // Without the KB the same unseen diagnosis gives no reason to pick N03A over the other classes.
    const blind = fitKedrecMethod(train, { level: 'atc3', kb: () => [], name: 'kedrec_without_kb' });
    expect(blind.name).toBe('kedrec_without_kb');
    expect(blind.recommend({ diagnoses: ['V991'], history: [] }).selected).not.toContain('N03A');
  });

  it('carries drugs over from the previous admission when training visits show it', () => {
    const repeat: MimicPatient[] = Array.from({ length: 20 }, (_, i) => {
      const drug = classes[i % classes.length];
      return { subjectId: `r${i}`, visits: [visit(`r${i}`, `a${i}`, 1, ['4019'], [drug, 'B05X']), visit(`r${i}`, `b${i}`, 2, ['4019'], [drug, 'B05X'])] };
    });
    const [, , kedrec] = fitMethods(repeat, { level: 'atc3' });
    expect(kedrec.params.previousAdmission).toBeGreaterThan(1);
    const out = kedrec.recommend({ diagnoses: ['4019'], history: [visit('x', 'x1', 1, ['4019'], ['H03A', 'B05X'])] });
    expect(out.selected).toContain('H03A');
    // Predictions pool into per-patient scores: a patient with a perfect second visit scores 1 there.
    const pred = predictPatients(kedrec, [repeat[4]], 'atc3');
    expect(pred.sets).toHaveLength(2);
    expect(summarise(kedrec, 'atc3', pred, null).patients).toBe(1);
  });
});
