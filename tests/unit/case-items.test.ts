import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCaseItems, readCaseItems } from '../../evals/case-reading.js';

/** The case-reading set's schema: a bad edit to tests/fixtures/cases/phrasings.json fails naming the item and the field. */
const item = (over: Record<string, unknown> = {}) => ({
  id: 'htn-on-lisinopril',
  category: 'abbreviations',
  text: 'HTN on lisinopril',
  expect: { conditions: ['DOID:10763'], medications: ['DB00722'] },
  ...over,
});
const script = (over: Record<string, unknown> = {}) => ({
  id: 'mt-pregnant',
  category: 'multi-turn',
  turns: ['28-year-old woman with hypertension', 'she is 12 weeks pregnant'],
  expect: { conditions: ['DOID:10763'], factors: { pregnant: true, pregnancyWeeks: 12 }, answer_changes: { turn: 2, drug_left_out: 'losartan' } },
  ...over,
});

const problems = (raw: unknown) => {
  try {
    parseCaseItems(raw, 'set.json');
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('case items schema', () => {
  it('accepts well-formed items; lists default to empty, null factors mean "not stated", alternatives are lists', () => {
    const [a, b] = parseCaseItems([
      item({ expect: { conditions: [['DOID:9352', 'DOID:9351']], factors: { age: null, sex: 'male' }, absent: { conditions: ['DOID:2043'], states: ['asthma'] }, optional: { conditions: ['DOID:552'] } } }),
      script(),
    ]);
    expect(a.expect.medications).toEqual([]);
    expect(a.expect.allergies).toEqual([]);
    expect(a.expect.factors).toEqual({ age: null, sex: 'male' });
    expect(b.turns).toHaveLength(2);
  });

  it('an allergy may name its reaction and severity; a bad severity names the item and the field', () => {
    const [a] = parseCaseItems([item({ expect: { allergies: [{ substance: 'penicillin', reaction: 'anaphylaxis', severity: 'severe' }] } })]);
    expect(a.expect.allergies[0]).toEqual({ substance: 'penicillin', reaction: 'anaphylaxis', severity: 'severe' });
    expect(problems([item({ id: 'pen', expect: { allergies: [{ substance: 'penicillin', severity: 'bad' }] } })])).toMatch(/item 0 \(pen\), field expect\.allergies\.0\.severity: .*"severe"/);
    expect(problems([item({ id: 'num', expect: { conditions: [10] } })])).toMatch(/item 0 \(num\), field expect\.conditions\.0: an identifier/);
  });

  it('a misspelt expect field fails (strict), naming the item and the field', () => {
    expect(problems([item(), item({ id: 'meds', expect: { medication: ['DB00682'] } })])).toMatch(/set\.json: 1 problem\(s\): item 1 \(meds\), field expect\.medication:/);
  });

  it('an unknown factor, a factor of the wrong type and an unknown category each name the item and the field', () => {
    const msg = problems([
      item({ id: 'a', expect: { factors: { egfrr: 30 } } }),
      item({ id: 'b', expect: { factors: { pregnant: 'yes' } } }),
      item({ id: 'c', category: 'lexicon' }),
      item({ id: 'd', expect: { factors: { ckdStage: '6' } } }),
    ]);
    expect(msg).toMatch(/item 0 \(a\), field expect\.factors\.egfrr:/);
    expect(msg).toMatch(/item 1 \(b\), field expect\.factors\.pregnant:/);
    expect(msg).toMatch(/item 2 \(c\), field category:/);
    expect(msg).toMatch(/item 3 \(d\), field expect\.factors\.ckdStage:/);
    expect(msg).toMatch(/4 problem\(s\)/);
  });

  it('text and turns: exactly one; turns only in the multi-turn category, which needs answer_changes', () => {
    const { text: _, ...noText } = item({ id: 'empty' });
    expect(problems([noText])).toMatch(/item 0 \(empty\), field text: give exactly one of text and turns/);
    expect(problems([item({ id: 'both', turns: ['a', 'b'] })])).toMatch(/item 0 \(both\), field text:/);
    expect(problems([item({ id: 'turns-here', text: undefined, turns: ['a', 'b'] })])).toMatch(/item 0 \(turns-here\), field category: an item with turns is in the multi-turn category/);
    const noChanges = script({ id: 'mt-bare', expect: { conditions: [] } });
    expect(problems([noChanges])).toMatch(/item 0 \(mt-bare\), field expect\.answer_changes: a multi-turn script needs answer_changes/);
  });

  it('an answer check names one expectation and a turn the script has', () => {
    expect(problems([script({ id: 'mt-late', expect: { answer_changes: [{ turn: 3, top3_changes: true }] } })])).toMatch(/item 0 \(mt-late\), field expect\.answer_changes\.0\.turn: turn 3 but the script has 2 turns/);
    expect(problems([script({ id: 'mt-two', expect: { answer_changes: { turn: 2, top3_changes: true, mentions: 'methyldopa' } } })])).toMatch(/item 0 \(mt-two\), field expect\.answer_changes: exactly one of/);
    expect(problems([script({ id: 'mt-first', expect: { answer_changes: { turn: 1, top3_changes: true } } })])).toMatch(/item 0 \(mt-first\), field expect\.answer_changes\.turn:/);
  });

  it('a duplicate id names the second item and the first use', () => {
    expect(problems([item(), item({ text: 'hypertension, on lisinopril' })])).toMatch(/item 1 \(htn-on-lisinopril\), field id: duplicate id "htn-on-lisinopril" \(first used by item 0\)/);
  });

  it('a file that is not JSON, or not an array, fails with the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-cases-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.json'), '{ not json');
      fs.writeFileSync(path.join(dir, 'b.json'), '{"id": "x"}');
      expect(() => readCaseItems(path.join(dir, 'a.json'))).toThrow(/a\.json/);
      expect(() => readCaseItems(path.join(dir, 'b.json'))).toThrow(/b\.json: expected a JSON array/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
