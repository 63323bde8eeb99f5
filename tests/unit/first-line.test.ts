import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guidelineShortName, readFirstLine } from '../../clinical/first-line.js';
import { acrossClasses, zeroScore } from '../../clinical/recommender.js';

const HEADER = 'id\tconditions\tpopulation\tmembers\tsource\turl\treviewed\n';

function tableWith(row: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-first-line-'));
  const file = path.join(dir, 'f.tsv');
  fs.writeFileSync(file, HEADER + row + '\n');
  return file;
}

describe('guideline first-line table', () => {
  it('every row names its conditions, population, members and a cited, reviewed source', () => {
    const rows = readFirstLine();
    expect(rows.length).toBeGreaterThanOrEqual(25);
    for (const r of rows) {
      expect(r.conditions.length).toBeGreaterThan(0);
      expect(['all', 'pregnancy']).toContain(r.population);
      expect(r.members.length).toBeGreaterThan(0);
      expect(r.url).toMatch(/^https:\/\//);
      expect(r.source).toMatch(/\b(?:19|20)\d\d\b/);
    }
    // Hypertension in pregnancy has its own row: what a pregnant patient starts with differs.
    const preg = rows.find((r) => r.population === 'pregnancy' && r.conditions.includes('DOID:10763'));
    expect(preg?.members).toEqual(expect.arrayContaining(['labetalol', 'nifedipine', 'methyldopa']));
  });

  it.each([
    ['x\tDOID:1\tall\tmetformin\tADA 2025\thttps://x\tok', /f\.tsv: line 2: id must be a unique lower-case key/],
    ['t2d\tdiabetes\tall\tmetformin\tADA 2025\thttps://x\tok', /line 2: conditions must be disease ids separated by ";" such as DOID:10763, got "diabetes"/],
    ['t2d\tDOID:9352\telderly\tmetformin\tADA 2025\thttps://x\tok', /line 2: population must be one of all, pregnancy, got "elderly"/],
    ['t2d\tDOID:9352\tall\t\tADA 2025\thttps://x\tok', /line 2: members must list drugs or group:<key>/],
    ['t2d\tDOID:9352\tall\tmetformin\tADA 2025\thttp://x\tok', /line 2: every row needs its source, an https URL and who reviewed it/],
  ])('a malformed row names its line and what is valid: %s', (row, message) => {
    const file = tableWith(row.replace(/^x\t/, 'X Y\t'));
    expect(() => readFirstLine(file)).toThrowError(message);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('a guideline is named by its title, without the citation details', () => {
    expect(guidelineShortName('ACOG Practice Bulletin No. 203, Chronic Hypertension in Pregnancy (Obstet Gynecol 2019;133:e26-e50): labetalol')).toBe('ACOG Practice Bulletin No. 203, Chronic Hypertension in Pregnancy');
  });
});

describe('options across classes', () => {
  const c = (guideline: number, rest: number) => ({ ...zeroScore(), indication: rest, guideline });
  const drug = (id: string, cls: string, guideline: number, rest: number) => ({ id, cls, components: c(guideline, rest) });

  it('shows the best drug of each first-line class before a second drug of any class, then the rest by score', () => {
    const ranked = [
      drug('arb1', 'arb', 0.5, 1.5),
      drug('arb2', 'arb', 0.5, 1.45),
      drug('arb3', 'arb', 0.5, 1.4),
      drug('thz', 'thiazide', 0.5, 1.3),
      drug('ccb', 'ccb', 0.5, 1.2),
      drug('bb', 'bb', 0, 1.6),
    ];
    expect(acrossClasses(ranked, 5).map((x) => x.id)).toEqual(['arb1', 'thz', 'ccb', 'bb', 'arb2']);
  });

  it('a weakly supported class does not displace a well-supported drug', () => {
    const ranked = [drug('a1', 'a', 0, 2), drug('a2', 'a', 0, 1.9), drug('weak', 'b', 0, 0.4)];
    expect(acrossClasses(ranked, 2).map((x) => x.id)).toEqual(['a1', 'a2']);
    expect(acrossClasses(ranked, 3).map((x) => x.id)).toEqual(['a1', 'a2', 'weak']);
  });
});
