import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR } from '../../kb/sources/safety.js';
import { readRuleTables, SEVERITIES } from '../../kb/sources/safety-tables.js';

/**
 * The rule tables are data a clinician reviews: the repository's tables must validate, every
 * rule must cite a source and a reviewer, and a typo must fail loudly with file, line and what
 * is valid — a rule that silently does not load is a rule that silently does not protect.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-rules-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the repository's tables with one file replaced. */
function tablesWith(file: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'r-'));
  for (const f of fs.readdirSync(DEFAULT_RULES_DIR)) if (f.endsWith('.tsv')) fs.copyFileSync(path.join(DEFAULT_RULES_DIR, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

const HEADER = 'id\tdrugs\tfactor\tvalue\tseverity\tmessage\tsource\turl\treviewed\n';
const row = (over: Partial<Record<'id' | 'drugs' | 'factor' | 'value' | 'severity' | 'url' | 'reviewed', string>> = {}) =>
  [over.id ?? 'renal-test-row', over.drugs ?? 'drug:metformin', over.factor ?? 'egfr_below', over.value ?? '30', over.severity ?? 'contraindicated', 'Test message.', 'FDA label: Test, 4', over.url ?? 'https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x', over.reviewed ?? '2026-12-01 tester'].join('\t');

describe('safety rule tables', () => {
  it('the repository tables validate, and every rule cites a source, a URL and a reviewer', () => {
    const t = readRuleTables(DEFAULT_RULES_DIR);
    expect(t.rules.length).toBeGreaterThan(300);
    expect(t.allergy.length).toBeGreaterThan(20);
    expect(t.serious.length).toBeGreaterThan(40);
    expect(t.ddiTypes.map((d) => d.type).sort((a, b) => a - b)).toEqual(Array.from({ length: 86 }, (_, i) => i + 1));
    for (const r of [...t.rules, ...t.allergy]) {
      expect(SEVERITIES, r.id).toContain(r.severity);
      expect(r.url, r.id).toMatch(/^https?:\/\//);
      expect(r.source.length, r.id).toBeGreaterThan(5);
      expect(r.reviewed, r.id).toMatch(/^\d{4}-\d{2}-\d{2} \S/);
    }
    // Each factor the engine knows is used by at least one reviewed rule.
    const factors = new Set(t.rules.map((r) => r.factor));
    for (const f of ['pregnancy', 'breastfeeding', 'egfr_below', 'dialysis', 'hepatic', 'age_at_least', 'condition', 'comedication', 'long_qt']) expect(factors, f).toContain(f);
  });

  it('a wrong severity names file, line, column and the valid values', () => {
    const dir = tablesWith('renal.tsv', HEADER + row({ severity: 'forbidden' }));
    expect(() => readRuleTables(dir)).toThrowError(/renal\.tsv:2: expected column severity: one of contraindicated, avoid_unless, caution, monitor, found "forbidden"/);
  });

  it('an unknown group, condition or factor value fails instead of silently disabling the rule', () => {
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row({ drugs: 'group:ace_inhibitor' })))).toThrowError(/renal\.tsv:2: expected column drugs: a group defined in drug-groups\.tsv, found "ace_inhibitor"/);
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row({ factor: 'condition', value: 'asthmaa' })))).toThrowError(/a condition key defined in conditions\.tsv, found "asthmaa"/);
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row({ value: 'thirty' })))).toThrowError(/factor egfr_below: a number of mL\/min/);
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row({ factor: 'pregnancy', value: 'trimester>=4' })))).toThrowError(/any, trimester>=2, trimester>=3 or weeks>=N/);
  });

  it('a rule without a citation URL or a reviewer, or a duplicate id, fails', () => {
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row({ url: 'see label' })))).toThrowError(/column url: an http\(s\) URL/);
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row({ reviewed: 'yes' })))).toThrowError(/column reviewed: YYYY-MM-DD followed by the reviewer/);
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + row() + '\n' + row()))).toThrowError(/a unique rule id \(already defined at renal\.tsv:2\)/);
  });

  it('a row with a missing cell fails naming how many fields were expected', () => {
    expect(() => readRuleTables(tablesWith('renal.tsv', HEADER + 'renal-x\tdrug:metformin\tegfr_below\t30\n'))).toThrowError(/renal\.tsv:2: expected 9 tab-separated fields .*got 4/);
  });
});
