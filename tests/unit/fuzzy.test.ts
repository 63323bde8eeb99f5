import { describe, expect, it } from 'vitest';
import { osaDistance, similarity, trigramQuery } from '../../kb/graph/fuzzy.js';

describe('fuzzy matching', () => {
  it('counts a transposition as one edit', () => {
    expect(osaDistance('metfromin', 'metformin')).toBe(1);
    expect(osaDistance('warfarin', 'warfarin')).toBe(0);
    expect(osaDistance('', 'abc')).toBe(3);
  });
  it('scores typos and contained words above the match threshold, unrelated words below', () => {
    expect(similarity('metfromin', 'metformin')).toBeGreaterThan(0.85);
    expect(similarity('type 2 diabetes', 'type 2 diabetes mellitus')).toBeGreaterThan(0.8);
    expect(similarity('type 2 diabetes', 'type 1 diabetes mellitus')).toBeLessThan(0.75);
    expect(similarity('xyzzy', 'hydroxyzine')).toBeLessThan(0.75);
  });
  it('quotes every trigram so user text cannot become FTS5 syntax', () => {
    expect(trigramQuery('ab')).toBeNull();
    const q = trigramQuery('a"nd or(')!;
    for (const part of q.split(' OR ')) expect(part).toMatch(/^"[^"]{3}"$/);
  });
});
