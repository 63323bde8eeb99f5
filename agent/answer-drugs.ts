import type { GraphStore } from '../kb/graph/store.js';

/**
 * Reading a model's answer for the drugs it puts forward, so that every one of them goes through
 * the safety engine, and marking in the answer's own words the ones the engine left out: a
 * contraindicated drug must never read as recommended, whether or not a tool returned it.
 */

/**
 * Words that put a drug mention after them out of the answer's picks ("avoid ibuprofen",
 * "allergic to penicillin"). Kept narrow on purpose: a wrongly negated mention is one the answer
 * would show unmarked, so only plain refusals count, and only within a few words of the drug.
 */
const NEGATIVE_BEFORE = /\b(?:avoid\w*|not|don'?t|shouldn'?t|cannot|contraindicat\w*|allergic to|allergy to|allergies to|instead of|rather than|stop\w*|discontinu\w*|withhold|hold off)\b/i;
/** Words after a mention that take it back ("losartan is contraindicated", "NSAIDs should be avoided"). */
const NEGATIVE_AFTER = /^[\s)\]]*(?:\([^)]{0,40}\)\s*)?(?:is|are|would be|should be|must be)?\s*(?:contraindicated|not recommended|avoided|unsafe|not safe|not an option)\b/i;
/** How many words before a mention a refusal reaches (the NegEx window). */
const NEGATION_WINDOW_WORDS = 6;

/** Whether the mention at `at` in `line` is negated by its own clause (NegEx-style, clause-bounded). */
export function mentionNegated(line: string, at: number, length: number): boolean {
  // The engine's own marks ("**[removed by the safety check: …]**") are not the answer's words.
  const before = line.slice(Math.max(0, at - 200), at).replace(SAFETY_MARK, '');
  // The clause the mention sits in begins after the last sentence or clause break before it.
  const breaks = [...before.matchAll(/[;.!?](?:\s|$)|,\s*(?=but\b|however\b)|:\s/g)];
  const clause = breaks.length ? before.slice((breaks[breaks.length - 1].index ?? 0) + breaks[breaks.length - 1][0].length) : before;
  const window = clause.split(/\s+/).filter(Boolean).slice(-NEGATION_WINDOW_WORDS).join(' ');
  if (NEGATIVE_BEFORE.test(window)) return true;
  return NEGATIVE_AFTER.test(line.slice(at + length, at + length + 200).replace(SAFETY_MARK, '').slice(0, 60));
}

const SAFETY_MARK = /\s?\*\*\[[^\]]{0,200}\]\*\*/g;

/** A drug found in an answer: its KB identity and the words the answer used for it. */
export interface NamedDrug {
  id: string;
  name: string;
  surfaces: string[];
  /** Whether any mention puts the drug forward (outside a refusal such as "avoid …"). */
  putForward: boolean;
}

/** Longest drug name scanned for, in words ("acetylsalicylic acid", "insulin glargine"). */
const MAX_NAME_WORDS = 3;
/** Lookups per answer: a bound on the work whatever the model wrote. */
const MAX_LOOKUPS = 4000;
/** Words that are never a drug on their own, skipped without a lookup. */
const SKIP = new Set([
  'with', 'from', 'that', 'this', 'than', 'then', 'they', 'their', 'there', 'these', 'which', 'while', 'when', 'where', 'what',
  'dose', 'daily', 'once', 'twice', 'first', 'line', 'therapy', 'treatment', 'patient', 'recommend', 'recommended', 'consider',
  'start', 'continue', 'should', 'would', 'could', 'given', 'because', 'evidence', 'safety', 'check',
]);

/**
 * Every KB drug an answer names, refused or not (the engine checks them all): word n-grams looked up exactly (never
 * fuzzily, so ordinary words do not turn into drugs), longest first, non-overlapping.
 */
export async function drugsNamedInText(graph: GraphStore, text: string): Promise<Map<string, NamedDrug>> {
  const out = new Map<string, NamedDrug>();
  let lookups = 0;
  for (const line of text.split('\n')) {
    const words = [...line.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu)];
    let i = 0;
    while (i < words.length && lookups < MAX_LOOKUPS) {
      let matched = 0;
      for (let n = Math.min(MAX_NAME_WORDS, words.length - i); n >= 1 && !matched; n--) {
        const first = words[i];
        const last = words[i + n - 1];
        const at = first.index ?? 0;
        const surface = line.slice(at, (last.index ?? 0) + last[0].length);
        if (n === 1 && (surface.length < 4 || SKIP.has(surface.toLowerCase()) || /^\d/.test(surface))) continue;
        lookups++;
        const m = (await graph.resolve(surface, { kinds: ['Compound'], limit: 1, exactOnly: true })).matches[0];
        if (!m || m.matchType === 'code') continue;
        matched = n;
        const d = out.get(m.id) ?? { id: m.id, name: m.name, surfaces: [], putForward: false };
        if (!d.surfaces.includes(surface)) d.surfaces.push(surface);
        if (!mentionNegated(line, at, surface.length)) d.putForward = true;
        out.set(m.id, d);
      }
      i += matched || 1;
    }
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The answer with a left-out drug struck through where the answer puts it forward, and the
 * engine's verdict beside it. Mentions in a clause that already says not to use it stay as written.
 */
export function markLeftOut(text: string, surfaces: string[], label: string): string {
  const names = [...new Set(surfaces.filter(Boolean))].sort((a, b) => b.length - a.length).map(escape);
  if (!names.length) return text;
  const re = new RegExp(`(?<![~\\p{L}\\p{N}])(?:${names.join('|')})(?![~\\p{L}\\p{N}])`, 'giu');
  return text
    .split('\n')
    .map((line) => {
      let done = false;
      return line.replace(re, (hit, at: number) => {
        if (done || mentionNegated(line, at, hit.length)) return hit;
        done = true;
        return `~~${hit}~~ **[${label}]**`;
      });
    })
    .join('\n');
}
