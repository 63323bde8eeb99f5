import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashEmbedder, ollamaEmbedRequest, parseOllamaEmbedResponse } from '../../kb/corpus/embedder.js';
import { makeSnippet, parseUserQuery, toFtsMatch } from '../../kb/base/fts-query.js';
import { reciprocalRankFusion } from '../../kb/corpus/fusion.js';
import { normalizeTrialPhases, normalizeTrialStatus } from '../../kb/base/corpus-schema.js';
import { parseCsvRecords, parsePythonList } from '../../kb/sources/csv.js';
import { apiFixture, hasApiFixtures } from './corpus-helpers.js';

describe('FTS5 query sanitising', () => {
  const db = new Database(':memory:');
  db.exec("CREATE VIRTUAL TABLE d USING fts5(a, b, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')");
  db.prepare('INSERT INTO d (a, b) VALUES (?, ?)').run('Famotidine-associated delirium', 'H2-receptor antagonist, 5-FU and cardiotoxicity');
  const search = (q: string, mode: 'all' | 'any' = 'all') => {
    const m = toFtsMatch(parseUserQuery(q), mode);
    return m === null ? [] : db.prepare('SELECT rowid FROM d WHERE d MATCH ?').all(m);
  };

  it('quotes every term, keeping phrases and prefixes', () => {
    expect(toFtsMatch(parseUserQuery('"myocardial infarction" cardio* aspirin'), 'all')).toBe('"myocardial infarction" AND "cardio"* AND "aspirin"');
    expect(toFtsMatch(parseUserQuery('H2-receptor'), 'any')).toBe('"h2 receptor"');
    expect(toFtsMatch(parseUserQuery('the of and'), 'all')).toBe('"the" AND "of" AND "and"');
    expect(toFtsMatch(parseUserQuery('***  ()'), 'all')).toBeNull();
  });

  it('finds documents with phrases, prefixes, stems and punctuation', () => {
    expect(search('"associated delirium"')).toHaveLength(1);
    expect(search('cardio*')).toHaveLength(1);
    expect(search('deliriums')).toHaveLength(1); // porter stemming
    expect(search('5-FU')).toHaveLength(1);
    expect(search('delirium nosuchword')).toHaveLength(0);
    expect(search('delirium nosuchword', 'any')).toHaveLength(1);
  });

  it('never produces an FTS5 syntax error, whatever the user types', () => {
    for (const q of ['"', 'AND(', 'NOT', 'a OR', 'NEAR(a b', '^x', 'col:term', '*', '"unterminated', "it's", '-x +y', '{a b}: c']) {
      expect(() => search(q)).not.toThrow();
      expect(() => search(q, 'any')).not.toThrow();
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (q) => {
        search(q);
        search(q, 'any');
      }),
      { numRuns: 400 },
    );
  });

  it('cuts snippets around the matched words and marks them', () => {
    const text = `${'filler '.repeat(60)}famotidine caused delirium in six patients ${'tail '.repeat(60)}`;
    const s = makeSnippet(text, ['famotidine', 'delirium'], 120);
    expect(s.startsWith('…')).toBe(true);
    expect(s).toContain('**famotidine**');
    expect(s).toContain('**delirium**');
    expect(s.length).toBeLessThan(160);
    expect(makeSnippet('short text', [], 100)).toBe('short text');
  });
});

describe('reciprocal rank fusion', () => {
  it('rewards documents ranked by both lists and keeps a stable order', () => {
    const r = reciprocalRankFusion([['a', 'b', 'c'], ['c', 'a', 'd']]);
    expect(r.map((x) => x.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(r[0].score).toBeCloseTo(1 / 61 + 1 / 62);
    expect(reciprocalRankFusion([['x', 'x', 'y']], { limit: 1 })).toEqual([{ id: 'x', score: 1 / 61 }]);
  });
});

describe('corpus source formats', () => {
  it('parses RFC 4180 CSV with quoted commas, quotes and newlines', () => {
    const recs = [...parseCsvRecords('a,b,c\n1,"x, ""y""\nz",3\r\n4,,6\n')];
    expect(recs.map((r) => r.values)).toEqual([['a', 'b', 'c'], ['1', 'x, "y"\nz', '3'], ['4', '', '6']]);
    expect(recs[2].line).toBe(4);
    expect(() => [...parseCsvRecords('a\n"open', 'f.csv')]).toThrow(/f\.csv:2: expected a closing double quote/);
  });

  it('parses Python list cells, including HINT nested ICD lists', () => {
    expect(parsePythonList("['a', \"it's\"]")).toEqual(['a', "it's"]);
    expect(parsePythonList(`["['D02.20', 'D02.21']", "['C50']"]`)).toEqual(['D02.20', 'D02.21', 'C50']);
    expect(parsePythonList('[]')).toEqual([]);
    expect(parsePythonList('not a list')).toBeNull();
  });

  it('maps free-text phases and statuses to ClinicalTrials.gov v2 values', () => {
    expect(normalizeTrialPhases('phase 1/phase 2')).toEqual(['PHASE1', 'PHASE2']);
    expect(normalizeTrialPhases('early phase 1')).toEqual(['EARLY_PHASE1']);
    expect(normalizeTrialPhases('Phase III')).toEqual(['PHASE3']);
    expect(normalizeTrialPhases('N/A')).toEqual(['NA']);
    expect(normalizeTrialStatus('active, not recruiting')).toBe('ACTIVE_NOT_RECRUITING');
    expect(normalizeTrialStatus('Unknown status')).toBe('UNKNOWN');
    expect(normalizeTrialStatus('bogus')).toBeNull();
  });
});

describe('embedders', () => {
  it('HashEmbedder is deterministic, normalised and lexical', async () => {
    const e = new HashEmbedder(128);
    const [a, b, c] = await e.embed(['famotidine delirium', 'famotidine delirium', 'aspirin stroke']);
    expect(a).toEqual(b);
    expect(Math.hypot(...a)).toBeCloseTo(1);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
  });

  it('builds the Ollama /api/embed request and checks the response shape', () => {
    expect(ollamaEmbedRequest('nomic-embed-text', ['x'])).toEqual({ model: 'nomic-embed-text', input: ['x'], truncate: true });
    expect(() => parseOllamaEmbedResponse({ embeddings: [[0.1]] }, 2)).toThrow(/1 embeddings for 2 inputs/);
    expect(() => parseOllamaEmbedResponse({ error: 'model not found' }, 1)).toThrow(/no embeddings/);
  });

  it.skipIf(!hasApiFixtures)('parses the recorded Ollama /api/embed response (skipped: shared fixtures folder absent)', () => {
    const json = JSON.parse(apiFixture('ollama__embed__langchaingo.json')) as { embeddings: number[][] };
    const v = parseOllamaEmbedResponse(json, json.embeddings.length);
    expect(v.length).toBeGreaterThan(0);
    expect(v[0].length).toBeGreaterThan(10);
  });
});
