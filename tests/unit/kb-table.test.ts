import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalIcd } from '../../kb/sources/icd.js';
import { parseQuotedRecords, readTsv, SourceFormatError } from '../../kb/sources/table.js';
import { normalizeTerm } from '../../kb/schema.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-table-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('readTsv', () => {
  it('reads rows by column name, tolerating CRLF line ends', () => {
    const f = write('ok.tsv', 'type\ttemplate\r\n1\t#Drug1 may increase #Drug2.\r\n');
    const rows = [...readTsv(f, { required: ['type', 'template'] })];
    expect(rows).toHaveLength(1);
    expect(rows[0].get('template')).toBe('#Drug1 may increase #Drug2.');
    expect(rows[0].line).toBe(2);
  });

  it('names the file, line 1 and the missing columns when the header is wrong', () => {
    const f = write('bad-header.tsv', 'id\tlabel\nx\ty\n');
    expect(() => [...readTsv(f, { required: ['id', 'name', 'kind'] })]).toThrowError(/bad-header\.tsv:1: expected header columns id, name, kind \(missing name, kind\)/);
  });

  it('names the line of a short row', () => {
    const f = write('short.tsv', 'a\tb\tc\n1\t2\t3\n4\t5\n');
    try {
      [...readTsv(f)];
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SourceFormatError);
      expect((err as SourceFormatError).line).toBe(3);
      expect((err as Error).message).toContain('short.tsv:3: expected 3 tab-separated fields');
    }
  });

  it('says the file is missing and points at KEDREC_DATA_DIR', () => {
    expect(() => [...readTsv(path.join(dir, 'nope.tsv'))]).toThrowError(/nope\.tsv: expected the file to exist \(check KEDREC_DATA_DIR\)/);
  });

  it('parses quoted fields that contain tabs, newlines and doubled quotes', () => {
    const f = write('quoted.tsv', 'id\tdescription\tgroups\nDB1\t"line one\nline ""two""\twith tab"\tapproved\nDB2\tplain\t\n');
    const rows = [...readTsv(f, { quoted: true })];
    expect(rows.map((r) => r.get('id'))).toEqual(['DB1', 'DB2']);
    expect(rows[0].get('description')).toBe('line one\nline "two"\twith tab');
    expect(rows[1].line).toBe(4);
  });

  it('fails on an unterminated quote with the line where the record started', () => {
    expect(() => [...parseQuotedRecords('a,b\n"x,y\n', ',', 'f.csv')]).toThrowError(/f\.csv:2: expected a closing double quote/);
  });
});

describe('normalizeTerm and ICD codes', () => {
  it('folds case, accents and punctuation', () => {
    expect(normalizeTerm("Alzheimer's Disease")).toBe('alzheimers disease');
    expect(normalizeTerm('  Sjögren–syndrome ')).toBe('sjogren syndrome');
  });
  it('puts the dot after the ICD category', () => {
    expect(canonicalIcd('ICD10', 'E119')).toBe('E11.9');
    expect(canonicalIcd('ICD10', 'e11')).toBe('E11');
    expect(canonicalIcd('ICD9', '25000')).toBe('250.00');
    expect(canonicalIcd('ICD9', 'E8120')).toBe('E812.0');
  });
});
