import { checkCitations, findCitations, recommendedDrugsInText } from '../agent/citations.js';
import { parseCaseDelta, splitMentions } from '../clinical/case-reader.js';
import { readFactors } from '../clinical/factors-reader.js';
import { reactionSeverity } from '../clinical/patient-factors.js';
import { planTurn } from '../server/openai.js';
import { stripMentions } from '../server/slack.js';

/**
 * Every parser user text reaches, fed adversarial text of growing size: repeated cue words with
 * no sentence end (the shape that made the old case parser quadratic), long runs of one letter,
 * numbers with units, nested brackets, citation look-alikes, hyphen runs and hyphen-joined chains. Linear parsers take ~16× longer for
 * 16× the text; a quadratic one ~256×.
 */
const PARSERS: Record<string, (text: string) => unknown> = {
  parseCaseDelta,
  readFactors,
  splitMentions,
  reactionSeverity,
  findCitations,
  checkCitations: (t) => checkCitations(t, ['PMID:1']),
  recommendedDrugsInText: (t) => recommendedDrugsInText(t, { DB00331: 'Metformin', DB00682: 'Warfarin' }, new Set()),
  stripMentions,
  planTurn: (t) => planTurn([{ role: 'user', content: t }]),
};

const ADVERSARIAL: Record<string, (n: number) => string> = {
  letters: (n) => 'a'.repeat(n),
  cueWords: (n) => 'with diabetes and takes warfarin allergic to ckd egfr cirrhosis pregnant weeks '.repeat(Math.ceil(n / 82)).slice(0, n),
  dosing: (n) => 'metformin 500 mg daily bid '.repeat(Math.ceil(n / 27)).slice(0, n),
  brackets: (n) => '((( [[[ <@U123|x> '.repeat(Math.ceil(n / 18)).slice(0, n),
  citations: (n) => 'PMID: 12345 NCT01234567 DB00331-CtD-DOID:9352 '.repeat(Math.ceil(n / 46)).slice(0, n),
  reactions: (n) => 'rash to amoxicillin anaphylaxis with co-trimoxazole no sjs '.repeat(Math.ceil(n / 58)).slice(0, n),
  negations: (n) => 'no not denies without non- '.repeat(Math.ceil(n / 27)).slice(0, n),
  // Hyphenated names and ranges ("co-trimoxazole", "5-10 mg") are matched with patterns that a
  // run of hyphens, or a word joined to the next by hyphens for ever, can make backtrack.
  hyphenChain: (n) => 'a-'.repeat(Math.ceil(n / 2)).slice(0, n),
  hyphens: (n) => '-'.repeat(n),
  // Slack mentions never closed: an unbounded `<@…[^>]*>` rescans to the end from every "<@".
  unclosedMentions: (n) => '<@U1|x '.repeat(Math.ceil(n / 7)).slice(0, n),
};

/** Milliseconds one parser takes on one input (best of `reps`). */
function timeParser(fn: (t: string) => unknown, text: string, reps = 2): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn(text);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** A parser's growth from 64 KB to 1 MB above this is not linear (linear ≈ 16×, quadratic ≈ 256×). */
const LINEAR_BOUND = 60;
/** Floor for the 64 KB time, so sub-millisecond noise cannot make a linear parser look superlinear. */
const SMALL_FLOOR_MS = 5;
/** No parser may take longer than this on 1 MB of text, whatever its growth. */
const MAX_1MB_MS = 5000;

/**
 * `kedrec bench parsers`: time per parser and input shape at 64 KB and 1 MB, and their ratio.
 * The gate (`--check`, run by CI) fails a parser whose 1 MB time exceeds 60× its 64 KB time
 * (floored at 5 ms) or 5 s. Noise only ever adds time, so a time over the bound is measured
 * twice more and the fastest kept: a loaded machine cannot fail a linear parser, and a quadratic
 * one still fails.
 */
export function runParserBench(print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): { figures: Record<string, number>; failures: string[] } {
  const out: Record<string, number> = {};
  const failures: string[] = [];
  let worst = 0;
  for (const [name, fn] of Object.entries(PARSERS)) {
    let slowest1m = 0;
    let worstRatio = 0;
    for (const [shape, make] of Object.entries(ADVERSARIAL)) {
      const small = Math.max(timeParser(fn, make(64 * 1024)), SMALL_FLOOR_MS);
      const input = make(1024 * 1024);
      const bound = Math.min(small * LINEAR_BOUND, MAX_1MB_MS);
      let big = timeParser(fn, input, 1);
      for (let retry = 0; retry < 2 && big >= bound; retry++) big = Math.min(big, timeParser(fn, input, 1));
      if (big >= bound) failures.push(`${name} on ${shape}: 64 KB ${small.toFixed(1)} ms, 1 MB ${big.toFixed(1)} ms (bound ${bound.toFixed(0)} ms)`);
      slowest1m = Math.max(slowest1m, big);
      worstRatio = Math.max(worstRatio, big / small);
    }
    out[`${name}_1MB_ms`] = Math.round(slowest1m * 10) / 10;
    out[`${name}_ratio_16x`] = Math.round(worstRatio * 10) / 10;
    worst = Math.max(worst, slowest1m);
    print(`${name.padEnd(24)} 1 MB worst ${slowest1m.toFixed(1).padStart(8)} ms   1 MB / 64 KB ≤ ${worstRatio.toFixed(1)} (linear ≈ 16)`);
  }
  out.worst1MbMs = Math.round(worst * 10) / 10;
  return { figures: out, failures };
}
