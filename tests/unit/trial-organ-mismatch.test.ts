import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { otherOrgan, readOrganMismatch } from '../../kb/corpus/steps.js';

describe('condition links in another organ', () => {
  const table = readOrganMismatch();

  it('an ocular, pulmonary or portal "hypertension" trial is not a hypertension trial', () => {
    expect(otherOrgan(table, 'DOID:10763', 'Timolol in open-angle glaucoma or ocular hypertension\nglaucoma\nhypertension')).toBe(true);
    expect(otherOrgan(table, 'DOID:10763', 'Bosentan in pulmonary arterial hypertension')).toBe(true);
    expect(otherOrgan(table, 'DOID:10763', 'Amlodipine versus lisinopril in essential hypertension')).toBe(false);
    expect(otherOrgan(table, 'DOID:9352', 'Metformin and the eye')).toBe(false);
  });

  it('a malformed row names its line and what is expected', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-organ-'));
    const file = path.join(dir, 'm.tsv');
    fs.writeFileSync(file, 'condition\tother_organ_cue\tbasis\nDOID:1\t(unclosed\twhy\n');
    expect(() => readOrganMismatch(file)).toThrowError(/m\.tsv: line 2: the cue is not a valid regular expression/);
    fs.writeFileSync(file, 'condition\tother_organ_cue\tbasis\nDOID:1\tglaucoma\n');
    expect(() => readOrganMismatch(file)).toThrowError(/line 2: needs a condition id, a cue .* and its basis/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
