import { describe, expect, it } from 'vitest';
import { averagePrecision, ddiRate, hitsAtK, jaccard, microMacroPrf, pairKey, prf, rouge, rougeL, rougeN } from '../../evals/metrics.js';

describe('set metrics', () => {
  it('computes P/R/F1 by hand', () => {
    // pred {a,b,c}, gold {b,c,d,e}: tp 2, P 2/3, R 2/4, F1 = 2·(2/3)(1/2)/(2/3+1/2) = 4/7
    const x = prf(['a', 'b', 'c'], ['b', 'c', 'd', 'e']);
    expect(x.precision).toBeCloseTo(2 / 3);
    expect(x.recall).toBeCloseTo(0.5);
    expect(x.f1).toBeCloseTo(4 / 7);
  });
  it('gives an empty prediction precision 0, not a free pass', () => {
    expect(prf([], ['a'])).toEqual({ precision: 0, recall: 0, f1: 0 });
  });
  it('pools counts for micro and averages examples for macro', () => {
    // ex1: pred {a}, gold {a}: P=R=F1=1. ex2: pred {x,y}, gold {z}: all 0.
    // micro: tp 1, fp 2, fn 1 → P 1/3, R 1/2, F1 0.4. macro: means 0.5.
    const r = microMacroPrf([{ pred: ['a'], gold: ['a'] }, { pred: ['x', 'y'], gold: ['z'] }]);
    expect(r.micro.precision).toBeCloseTo(1 / 3);
    expect(r.micro.recall).toBeCloseTo(0.5);
    expect(r.micro.f1).toBeCloseTo(0.4);
    expect(r.macro).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(r.n).toBe(2);
  });
  it('counts Hits@k', () => {
    expect(hitsAtK(['x', 'a', 'y'], ['a'], 1)).toBe(0);
    expect(hitsAtK(['x', 'a', 'y'], ['a'], 2)).toBe(1);
  });
  it('computes Jaccard, 0 for two empty sets', () => {
    expect(jaccard(['a', 'b'], ['b', 'c'])).toBeCloseTo(1 / 3);
    expect(jaccard([], [])).toBe(0);
  });
});

describe('ranking and safety metrics', () => {
  it('computes average precision by hand', () => {
    // ranking a(+), b(-), c(+); gold {a, c}: AP = (1/1 + 2/3) / 2 = 5/6
    const s = [{ item: 'b', score: 0.5 }, { item: 'a', score: 0.9 }, { item: 'c', score: 0.1 }];
    expect(averagePrecision(s, ['a', 'c'])).toBeCloseTo(5 / 6);
    // A gold item never scored counts as never retrieved: (1/1) / 2
    expect(averagePrecision([{ item: 'a', score: 1 }], ['a', 'z'])).toBeCloseTo(0.5);
  });
  it('computes the DDI rate over all predicted pairs', () => {
    // set1 {A,B,C}: 3 pairs, one (A,B) bad; set2 {A,B}: 1 pair, bad → 2/4
    const pairs = new Set([pairKey('B', 'A')]);
    expect(ddiRate([['A', 'B', 'C'], ['A', 'B']], pairs)).toBeCloseTo(0.5);
    expect(ddiRate([['A']], pairs)).toBe(0);
  });
});

describe('ROUGE', () => {
  it('matches hand-computed ROUGE-1/2/L', () => {
    // cand "the cat sat", ref "the cat sat down": R1 P 3/3 R 3/4 F 6/7; R2 P 2/2 R 2/3 F 0.8; LCS 3 → F 6/7
    expect(rougeN('the cat sat', 'the cat sat down', 1).f1).toBeCloseTo(6 / 7);
    expect(rougeN('the cat sat', 'the cat sat down', 2).f1).toBeCloseTo(0.8);
    expect(rougeL('the cat sat', 'the cat sat down').f1).toBeCloseTo(6 / 7);
    // LCS of "a b c d" and "a c b d" is 3 ("a b d" or "a c d") → P = R = F = 3/4
    expect(rougeL('a b c d', 'a c b d').f1).toBeCloseTo(0.75);
    expect(rouge('', 'x')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
  });
  it('clips repeated n-grams', () => {
    // cand "the the the", ref "the cat": overlap min(3,1) = 1 → P 1/3, R 1/2, F 0.4
    expect(rougeN('the the the', 'the cat', 1).f1).toBeCloseTo(0.4);
  });
});
