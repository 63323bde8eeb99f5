import { describe, expect, it } from 'vitest';
import { ADVERSARIAL, PARSERS, timeParser } from '../../bench/parsers.js';

/**
 * Every parser user text reaches runs in time linear in its input: 16× the text may cost about
 * 16× the time, never the ~256× a quadratic pattern costs (the old case parser took 17.8 s for
 * 64 KB). The timings themselves are the benchmark's (`kedrec bench parsers`); this asserts the
 * shape loosely, with a floor, so a noisy machine cannot fail it and a quadratic parser cannot pass.
 */
describe('parsers are linear in their input', () => {
  it('are fed the shapes that made patterns backtrack', () => {
    // Hyphen runs and hyphen-joined chains (drug names, ranges) and unclosed Slack mentions.
    expect(Object.keys(ADVERSARIAL)).toEqual(expect.arrayContaining(['hyphenChain', 'hyphens', 'unclosedMentions']));
    expect(ADVERSARIAL.hyphens!(1000)).toBe('-'.repeat(1000));
    expect(ADVERSARIAL.hyphenChain!(6)).toBe('a-a-a-');
  });

  for (const [name, fn] of Object.entries(PARSERS)) {
    it(name, () => {
      for (const [shape, make] of Object.entries(ADVERSARIAL)) {
        const small = timeParser(fn, make(64 * 1024), 2);
        const input = make(1024 * 1024);
        const bound = Math.max(small, 5) * 60;
        // Noise only ever adds time (a busy machine, a GC pause): over the bound, measure again and
        // keep the fastest, so a loaded machine cannot fail a linear parser and a quadratic one still fails.
        let big = timeParser(fn, input, 1);
        for (let retry = 0; retry < 2 && big >= bound; retry++) big = Math.min(big, timeParser(fn, input, 1));
        expect(big, `${shape}: 64 KB ${small.toFixed(1)} ms, 1 MB ${big.toFixed(1)} ms`).toBeLessThan(Math.max(small, 5) * 60);
        expect(big, `${shape}: 1 MB ${big.toFixed(1)} ms`).toBeLessThan(5000);
      }
    }, 60_000);
  }
});
