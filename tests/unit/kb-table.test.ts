import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalIcd } from '../../kb/sources/icd.js';
import { parseCsvRecords, readCsv } from '../../kb/sources/csv.js';
import { parseQuotedRecords, readTsv, SourceFormatError } from '../../kb/sources/table.js';
import { normalizeTerm } from '../../kb/base/graph-schema.js';

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
      Array.from(readTsv(f)); // reads every row: the short one throws
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

describe('quoted records (one parser for readTsv quoted, readCsv and parseCsvRecords)', () => {
  const values = (recs: Iterable<{ values: string[] }>) => [...recs].map((r) => r.values);

  it('ends records at LF, CRLF or a lone CR outside quotes and keeps CR inside quotes', () => {
    expect(values(parseQuotedRecords('a\tb\r\nc\td\re\t"f\r\ng\r"\n', '\t', 'f.tsv'))).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f\r\ng\r']]);
  });

  it('keeps text between a closing quote and the next delimiter, and yields blank lines as one empty value', () => {
    const recs = [...parseQuotedRecords('"ab"cd,e\n\n"x"\n', ',', 'f.csv')];
    expect(recs.map((r) => [r.line, r.values])).toEqual([[1, ['abcd', 'e']], [2, ['']], [3, ['x']]]);
  });

  it('reports an unclosed quote at the line its record starts on', () => {
    expect(() => [...parseQuotedRecords('h\n"a\nb",x,"open\n', ',', 'f.csv')]).toThrowError(/f\.csv:2: expected a closing double quote/);
  });

  it('gives parseCsvRecords the same records, without a leading byte-order mark', () => {
    const text = 'id,note\r\n1,"x, ""y""\r\nz"\r\n';
    expect(values(parseCsvRecords(`\uFEFF${text}`))).toEqual(values(parseQuotedRecords(text, ',', 'f.csv')));
    expect(values(parseCsvRecords(`\uFEFF${text}`))[0]).toEqual(['id', 'note']);
  });

  it('skips blank lines in readTsv quoted mode (before the header too) and honours delimiter and encoding', () => {
    const f = path.join(dir, 'latin1.csv');
    fs.writeFileSync(f, Buffer.from('\n"code","description"\n\n"E11","Typ-2-Diab\xe8te, ""adult""\nonset"\n', 'latin1'));
    const rows = [...readTsv(f, { quoted: true, delimiter: ',', encoding: 'latin1', required: ['code'] })];
    expect(rows.map((r) => [r.line, r.get('code'), r.get('description')])).toEqual([[4, 'E11', 'Typ-2-Diab\u00e8te, "adult"\nonset']]);
  });

  it('readCsv skips blank rows, fails on a blank header line and resolves duplicate columns to the first', () => {
    const ok = write('dup.csv', '\uFEFFid,name,id\r\n\r\nDB1,"met, formin",x\r\n');
    const rows = [...readCsv(ok, { required: ['id', 'name'] })];
    expect(rows.map((r) => [r.line, r.get('id'), r.get('name')])).toEqual([[3, 'DB1', 'met, formin']]);
    expect(() => [...readCsv(write('blank-head.csv', '\nid\n1\n'))]).toThrowError(/blank-head\.csv:1: expected a header line/);
    expect(() => [...readCsv(write('width.csv', 'a,b\n1,2,3\n'))]).toThrowError(/width\.csv:2: expected 2 comma-separated fields/);
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
