import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCoverageItems, readCoverageItems, recommendedAsIndication } from '../../evals/coverage.js';

/** The coverage set's schema: a bad edit to tests/fixtures/coverage/conditions.json fails naming the item and the field. */
const item = (over: Record<string, unknown> = {}) => ({
  id: 'cap',
  phrase: 'CAP',
  category: 'infectious',
  expected: ['amoxicillin'],
  basis: 'IDSA/ATS 2019 guideline for community-acquired pneumonia in adults',
  ...over,
});

describe('coverage items schema', () => {
  it('accepts a well-formed item and defaults min_drugs to 3', () => {
    const [c] = parseCoverageItems([item({ diseases: ['DOID:552', 'community-acquired pneumonia'], url: 'https://www.idsociety.org/' })]);
    expect(c.min_drugs).toBe(3);
    expect(c.diseases).toEqual(['DOID:552', 'community-acquired pneumonia']);
  });

  it('a missing basis names the item and the field', () => {
    const { basis: _, ...noBasis } = item({ id: 'uti' });
    expect(() => parseCoverageItems([item(), noBasis], 'set.json')).toThrow(/set\.json: .*item 1 \(uti\), field basis:/);
  });

  it('a duplicate id names the second item, the field and the first use', () => {
    expect(() => parseCoverageItems([item(), item({ phrase: 'community-acquired pneumonia' })])).toThrow(/item 1 \(cap\), field id: duplicate id "cap" \(first used by item 0\)/);
  });

  it('an unknown category names the item and the field', () => {
    expect(() => parseCoverageItems([item({ id: 'acne', category: 'skin' })])).toThrow(/item 0 \(acne\), field category: .*dermatological/);
  });

  it('a misspelt field fails (strict), and every problem is reported, not only the first', () => {
    let message = '';
    try {
      parseCoverageItems([item({ id: 'af', expexted: ['apixaban'] }), item({ id: 'hiv', expected: [] }), item({ id: 'Bad Id' })]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/item 0 \(af\), field expexted:/);
    expect(message).toMatch(/item 1 \(hiv\), field expected:/);
    expect(message).toMatch(/item 2 \(Bad Id\), field id:/);
    expect(message).toMatch(/3 problem\(s\)/);
  });

  it('a file that is not JSON, or not an array, fails with the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-coverage-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.json'), '{ not json');
      fs.writeFileSync(path.join(dir, 'b.json'), '{"id": "cap"}');
      expect(() => readCoverageItems(path.join(dir, 'a.json'))).toThrow(/a\.json/);
      expect(() => readCoverageItems(path.join(dir, 'b.json'))).toThrow(/b\.json: expected a JSON array/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recommend_drugs: what counts as an indicated recommendation', () => {
  const fact = (snippet: string) => ({ type: 'kg_fact', snippet });
  it('an indication term in the score counts; trials or articles alone do not', () => {
    expect(recommendedAsIndication({ score_components: { indication: 1 }, evidence: [fact('Metformin treats type 2 diabetes mellitus: physician-curated disease-modifying indication (PharmacotherapyDB).')] })).toEqual({ indicated: true, investigational: false });
    expect(
      recommendedAsIndication({ score_components: { indication: 0, trials: 0.4 }, evidence: [{ type: 'trial', snippet: 'NCT01' }] }),
    ).toEqual({ indicated: false, investigational: false });
  });
  it('a drug recorded only as investigational (phase 3) is not counted; one more approved record is enough', () => {
    const phase3 = fact('Ketamine is indicated for postpartum depression: investigational: in phase 3 trials, not an approved indication (ChEMBL).');
    expect(recommendedAsIndication({ score_components: { indication: 0.2 }, evidence: [phase3] })).toEqual({ indicated: false, investigational: true });
    expect(
      recommendedAsIndication({ score_components: { indication: 0.9 }, evidence: [phase3, fact('Ketamine is indicated for anesthesia: approved indication (ChEMBL, phase 4).')] }),
    ).toEqual({ indicated: true, investigational: false });
  });
});
