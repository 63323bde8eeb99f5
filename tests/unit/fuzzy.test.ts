import { describe, expect, it } from 'vitest';
import { osaDistance, similarity } from '../../kb/graph/fuzzy.js';

/** Textbook optimal-string-alignment distance, full table, to check the optimised one against. */
function referenceOsa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** similarity() as specified, without the bounded distance, to check the shortcut changes nothing. */
function referenceSimilarity(query: string, term: string): number {
  const len = Math.max(query.length, term.length);
  if (!len) return 1;
  const edit = 1 - referenceOsa(query, term) / len;
  const qWords = query.split(' ').filter(Boolean);
  const tWords = term.split(' ').filter(Boolean);
  const contained = qWords.length > 0 && qWords.every((w) => tWords.some((t) => t === w || (w.length >= 4 && t.startsWith(w))));
  const containment = contained ? 0.75 + 0.2 * (query.length / term.length) : 0;
  return Math.round(Math.max(edit, containment) * 1e4) / 1e4;
}

/** Deterministic strings over a small alphabet, so random pairs share letters and transpositions. */
function randomStrings(n: number, seed: number): string[] {
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(next() * 12) }, () => 'abcde '[Math.floor(next() * 6)]).join(''));
}

describe('fuzzy matching', () => {
  it('counts a transposition as one edit', () => {
    expect(osaDistance('metfromin', 'metformin')).toBe(1);
    expect(osaDistance('warfarin', 'warfarin')).toBe(0);
    expect(osaDistance('', 'abc')).toBe(3);
    expect(osaDistance('abc', '')).toBe(3);
  });

  it('agrees with the textbook distance, and with a bound gives up only past it', () => {
    const xs = randomStrings(120, 7);
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const [a, b] = [xs[i], xs[i + 1]];
      const d = referenceOsa(a, b);
      expect(osaDistance(a, b), `${a}|${b}`).toBe(d);
      for (const max of [0, 1, 2, 3, 5]) expect(osaDistance(a, b, max), `${a}|${b} max ${max}`).toBe(d <= max ? d : max + 1);
    }
  });

  it('scores typos and contained words above the match threshold, unrelated words below', () => {
    expect(similarity('metfromin', 'metformin')).toBeGreaterThan(0.85);
    expect(similarity('type 2 diabetes', 'type 2 diabetes mellitus')).toBeGreaterThan(0.8);
    expect(similarity('type 2 diabetes', 'type 1 diabetes mellitus')).toBeLessThan(0.75);
    expect(similarity('xyzzy', 'hydroxyzine')).toBeLessThan(0.75);
  });

  it('gives the same scores as computing the full distance', () => {
    const pairs: [string, string][] = [
      ['metfromin', 'metformin'],
      ['type 2 diabetes', 'type 2 diabetes mellitus'],
      ['disease parkinsons', 'parkinsons disease'],
      ['diab', 'diabetes insipidus'],
      ['hypertensoin', 'renal hypertension'],
      ['a', 'a'],
      ['', ''],
    ];
    const xs = randomStrings(200, 11);
    for (let i = 0; i + 1 < xs.length; i += 2) pairs.push([xs[i], xs[i + 1]]);
    for (const [q, t] of pairs) expect(similarity(q, t), `${q}|${t}`).toBe(referenceSimilarity(q, t));
  });
});
