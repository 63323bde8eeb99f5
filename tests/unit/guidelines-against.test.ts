import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecommendedAgainst } from '../../clinical/guidelines.js';

describe('drugs a guideline recommends against', () => {
  it('every row names a disease, the strength, why, and a cited source', () => {
    const rows = readRecommendedAgainst();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.condition).toMatch(/^(?:DOID|EFO|MONDO|HP):\d+$/);
      expect(['strong', 'conditional']).toContain(r.strength);
      expect(r.url).toMatch(/^https:\/\//);
      expect(r.drugs.length).toBeGreaterThan(0);
    }
  });

  it('a malformed row names its line and what is valid', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-against-'));
    const file = path.join(dir, 'a.tsv');
    fs.writeFileSync(file, 'condition\tdrugs\tstrength\treason\tsource\turl\treviewed\nDOID:1\tx\tmaybe\twhy\tsrc\thttps://x\tok\n');
    expect(() => readRecommendedAgainst(file)).toThrowError(/a\.tsv: line 2: strength must be strong or conditional, got "maybe"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
