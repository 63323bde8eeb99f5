import { describe, expect, it } from 'vitest';
import { createFuzzyIndex, MIN_FUZZY_SCORE, similarity } from '../../kb/graph/fuzzy.js';

/** Terms the tests look for, with the kind of node each names. */
const VOCAB: [string, string][] = [
  ['metformin', 'Compound'],
  ['metaraminol', 'Compound'],
  ['metoprolol', 'Compound'],
  ['warfarin', 'Compound'],
  ['aspirin', 'Compound'],
  ['acetylsalicylic acid', 'Compound'],
  ['amlodipine', 'Compound'],
  ['atorvastatin', 'Compound'],
  ['lovastatin', 'Compound'],
  ['ibuprofen', 'Compound'],
  ['zileuton', 'Compound'],
  ['ephedrine', 'Compound'],
  ['hypertension', 'Disease'],
  ['hypertension', 'Side Effect'],
  ['hypotension', 'Side Effect'],
  ['renal hypertension', 'Disease'],
  ['parkinsons disease', 'Disease'],
  ['parkinsons', 'Disease'],
  ['alzheimers disease', 'Disease'],
  ['diabetes mellitus', 'Disease'],
  ['type 2 diabetes mellitus', 'Disease'],
  ['type 2 diabetes', 'Disease'],
  ['type 1 diabetes mellitus', 'Disease'],
  ['ncbigene 5468', 'Gene'],
];

/**
 * Thousands of made-up drug-like names built from common syllables, so every query shares common
 * trigrams ("ine", "ol ") with many terms and ranking, not mere overlap, has to find the answer.
 */
function filler(n: number): [string, string][] {
  const parts = ['me', 'ta', 'pro', 'lol', 'ine', 'dip', 'am', 'for', 'zo', 'sta', 'tin', 'ar', 'hy', 'per', 'ten', 'sion', 'di', 'sease', 'ol', 'ase'];
  let s = 12345;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const known = new Set(VOCAB.map(([t]) => t));
  const out: [string, string][] = [];
  while (out.length < n) {
    const word = Array.from({ length: 2 + Math.floor(next() * 3) }, () => parts[Math.floor(next() * parts.length)]).join('');
    if (!known.has(word)) out.push([word, next() < 0.5 ? 'Compound' : 'Gene']);
  }
  return out;
}

const ALL = [...VOCAB, ...filler(5000)];
const index = createFuzzyIndex(ALL);
const top = (q: string, kinds?: string[]) => index.search(q, { kinds })[0]?.term;

describe('fuzzy index: candidate generation', () => {
  it('indexes each distinct term once, whatever kinds name it', () => {
    expect(index.size).toBe(new Set(ALL.map(([t]) => t)).size);
  });

  it('finds the term behind a transposition', () => {
    expect(top('metfromin')).toBe('metformin');
    expect(top('hypertensoin', ['Disease'])).toBe('hypertension');
    expect(top('amlodpiine')).toBe('amlodipine');
  });

  it('finds the term behind a missing, extra or wrong letter', () => {
    expect(top('warfrin')).toBe('warfarin');
    expect(top('ibuproffen')).toBe('ibuprofen');
    expect(top('atorvastatim')).toBe('atorvastatin');
  });

  it('finds short words with two edits, which leave one or two trigrams in common', () => {
    expect(top('zlieutn')).toBe('zileuton'); // shares only "eut"
    expect(top('ehpedrne')).toBe('ephedrine'); // shares "edr" and "ne "
  });

  it('handles several words: a typo in one, words out of order, a partial name', () => {
    expect(top('parkinsons disese')).toBe('parkinsons disease');
    expect(top('alzheimers diseese')).toBe('alzheimers disease');
    expect(top('type 2 diabetis')).toBe('type 2 diabetes');
    const reordered = index.search('disease parkinsons');
    expect(reordered[0]).toEqual({ term: 'parkinsons disease', score: similarity('disease parkinsons', 'parkinsons disease') });
    expect(reordered[0].score).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps only terms naming a node of the asked kinds', () => {
    const se = index.search('hypertensoin', { kinds: ['Side Effect'] }).map((c) => c.term);
    expect(se).toContain('hypertension');
    expect(se).toContain('hypotension');
    expect(se).not.toContain('renal hypertension');
    expect(index.search('hypertensoin', { kinds: ['Compound'] }).map((c) => c.term)).not.toContain('hypertension');
    expect(index.search('metfromin', { kinds: ['Planet'] })).toEqual([]);
  });

  it('returns nothing for gibberish and for input too short to have a trigram', () => {
    expect(index.search('qqxzzv wwkjh')).toEqual([]);
    expect(index.search('xyzzy')).toEqual([]);
    expect(index.search('zzzzzzzz')).toEqual([]);
    expect(index.search('ab')).toEqual([]);
    expect(index.search('')).toEqual([]);
  });

  it('scores every candidate with similarity(), best first, none below the floor', () => {
    for (const q of ['metfromin', 'parkinsons disese', 'diabetes', 'hypertensoin', 'lovastatn']) {
      const got = index.search(q);
      expect(got.length, q).toBeGreaterThan(0);
      for (const c of got) {
        expect(c.score).toBe(similarity(q, c.term));
        expect(c.score).toBeGreaterThanOrEqual(MIN_FUZZY_SCORE);
      }
      for (let i = 1; i < got.length; i++) expect(got[i - 1].score).toBeGreaterThanOrEqual(got[i].score);
    }
  });

  it('finds the best-scoring term that an exhaustive scan finds', () => {
    const typos = ['metfromin', 'warfrin', 'asprin', 'aspirn', 'lovastatn', 'atrovastatin', 'metoprolo', 'ibuprofin', 'hypotensoin', 'diabetes melitus', 'type 1 diabetis mellitus', 'renal hypertensoin', 'parkinson', 'ncbigene 5486'];
    for (const q of typos) {
      const best = Math.max(...ALL.map(([t]) => similarity(q, t)));
      expect(index.search(q)[0]?.score, q).toBe(best);
    }
  });

  it('still finds the best term when asked to score a single candidate per ranking', () => {
    expect(index.search('metfromin', { candidates: 1 })[0]?.term).toBe('metformin');
  });

  it('works past 127 distinct characters, where rare ones share a code', () => {
    // Greek and CJK letters: enough distinct characters that some share the overflow code.
    const letters = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x4e00 + i));
    const words: [string, string][] = Array.from({ length: 50 }, (_, i) => [letters.slice(i * 4, i * 4 + 6).join('') + 'αβγ', 'Compound']);
    const wide = createFuzzyIndex([...words, ['metformin', 'Compound']]);
    const target = words[30][0];
    const typo = target.slice(0, 2) + target[3] + target[2] + target.slice(4);
    expect(wide.search(typo)[0]?.term).toBe(target);
    expect(wide.search('metfromin')[0]?.term).toBe('metformin');
  });
});
