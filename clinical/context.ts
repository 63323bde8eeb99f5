/**
 * Whose finding, and whether it is there: a NegEx/ConText-style reader of trigger phrases and their
 * scope (Chapman et al., J Biomed Inform 2001; Harkema et al., J Biomed Inform 2009). It marks the
 * stretches of a message that are negated ("no hepatitis B", "denies asthma or COPD", "HIV test
 * negative", "neither asthma nor COPD") or about someone else ("mother had breast cancer", "FHx:
 * colon cancer", "IHD in his father"); whatever falls inside is not the patient's present finding.
 *
 * No maintained npm package does this, and the triggers are short lists: they are here, in one
 * place, with tests (tests/unit/context.test.ts). Linear in the message: each sentence is scanned
 * once per trigger list, and scopes are bounded in words.
 */

export type ContextKind = 'negated' | 'family';

/** A stretch [start, end) of the message, in the message's own offsets. */
export interface ContextSpan {
  start: number;
  end: number;
  kind: ContextKind;
  /** The trigger that opened it ("no", "denies", "mother", "negative"). */
  trigger: string;
  /** Where the words in scope begin (after a forward trigger; the span's start otherwise). */
  scopeStart: number;
}

/** Negation triggers whose scope runs forward ("no X", "denies X, Y or Z"). */
const PRE_NEGATION =
  /\b(?:no\s+longer\s+(?:has|have|had|takes?|taking|on|using|needs?)|no(?:\s+(?:known|personal|prior|previous|past|current|active|evidence\s+of|signs?\s+of|symptoms?\s+of|history\s+of|hx\s+of|h\/o|(?:personal\s+or\s+)?family\s+history\s+of))*|not|never\s+(?:had|been(?:\s+diagnosed\s+with)?|diagnosed\s+with)|has\s+never\s+had|denies|denied|denying|without|negative\s+for|free\s+of|absence\s+of|ruled\s+out(?:\s+for)?|neither|nor|(?:does|do|did)\s+not\s+(?:have|take)|(?:doesn'?t|don'?t|didn'?t)\s+(?:have|take)|is\s+not|isn'?t|not\s+known\s+to\s+have)\b/gi;

/** Negation triggers whose scope runs back over the few words before them ("HIV negative", "PE ruled out"). */
const POST_NEGATION = /(?:\s|-)(?:(?:test|screen|serology|antibody|antibodies|swab|pcr)\s+)?(?:negative|neg|(?:was|were|has\s+been|have\s+been|is|are|been)\s+(?:ruled\s+out|excluded)|ruled\s+out|excluded)\b/gi;

/**
 * Phrases that hold a negation word but negate nothing that follows ("no change", "not only",
 * "gram-negative", "not sure whether"): the scope is not opened.
 */
const PSEUDO_NEGATION =
  /^(?:no|not|without)\s+(?:(?:recent|new|further|current|acute|major|significant)\s+)?(?:problems?|issues?|complications?|changes?|worsening|exacerbations?|flares?|episodes?|concerns?|symptoms?\s+since|increase|improvement|response|difficulty|benefit)\b|^not\s+(?:sure|certain|clear|known\s+(?:if|whether)|only|just|always|tolerated|responded|controlled|improved|effective|working)\b|^no\s+(?:better|worse|more|less)\b|^(?:without|no)\s+(?:any\s+)?(?:relief|success)\b/i;

/** Pseudo post-negations: "gram-negative", "Rh negative" name organisms and blood groups, not absent findings. */
const PSEUDO_POST = /\b(?:gram|rh|rhesus|coag(?:ulase)?|oestrogen|estrogen|progesterone|her2|triple|er|pr|lactose|nitrite)[\s-]*$/i;

/** Family and other people as the one a finding belongs to; the scope runs forward to the clause's end. */
const FAMILY_PRE =
  /\b(?:family\s+(?:history|hx)(?:\s+of)?|fhx?\s*(?:[:\u2013\u2014-]|of\b)|fh\b|(?:his|her|their|the\s+patient'?s|pt'?s|maternal|paternal|both)\s+(?:(?:maternal|paternal|older|younger|elder|twin|half-?)\s+)?(?:mother|father|mum|mom|dad|sister|brother|siblings?|parents?|grandmother|grandfather|grandparents?|aunt|uncle|cousin|son|daughter|children|child|husband|wife|partner|spouse|relatives?)|(?:mother|father|mum|mom|dad|sister|brother|siblings?|parents|grandmother|grandfather|aunt|uncle|cousin|husband|wife|spouse|first-degree\s+relatives?)\b(?=\s+(?:had|has|have|with|died|passed|diagnosed|developed|suffered|suffers|is|was|[:\u2013\u2014-])))/gi;

/** "IHD in his father", "breast cancer (mother)", "runs in the family": the few words before belong to the relative. */
const FAMILY_POST = /\s*(?:\(\s*(?:mother|father|mum|mom|dad|sister|brother|sibling|parents?|grandmother|grandfather|aunt|uncle|cousin|son|daughter)\s*\)|\bin\s+(?:his|her|their|the)\s+(?:(?:maternal|paternal|older|younger)\s+)?(?:mother|father|mum|mom|dad|sister|brother|siblings?|parents?|grandmother|grandfather|aunt|uncle|cousin|family|son|daughter)|\bruns\s+in\s+the\s+family)/gi;

/**
 * Words that end a forward scope: a new clause about the patient begins ("… but has asthma",
 * "… ; on metformin", "…, she takes …"). Commas and "or"/"and" do not end it: a negated list runs on.
 */
const TERMINATOR =
  /\b(?:but|however|although|though|except|apart\s+from|aside\s+from|other\s+than|which|who|whereas|while|presents?|presenting|presented|now|currently|takes?|taking|started|starting|on|has|have|had|is|was|with|diagnosed|complains?|reports?|c\/o|admitted|secondary\s+to|due\s+to|because|since|as|needs?|requires?|wants?|asks?|request(?:s|ed)?|she|he|they|patient|pt|the\s+patient|he'?s|she'?s|known|pmh(?:x)?|dx|allergic|allergies|meds?|medications?|please|what|which|should|could|recommend)\b|[:()]/i;

/** The longest forward scope, in words: a list of findings fits, a paragraph does not. */
const MAX_FORWARD_WORDS = 12;
/** The longest backward scope of a post-trigger ("hepatitis C negative", "HIV 1/2 antibody test negative"). */
const MAX_BACKWARD_WORDS = 4;

/** Sentences with their offsets: a full stop ends one only before a space or the end ("K 5.8" stays whole). */
function sentences(text: string): { start: number; text: string }[] {
  const out: { start: number; text: string }[] = [];
  const re = /[^;!?\n.]+(?:\.(?!\s|$)[^;!?\n.]*)*/g;
  for (const m of text.matchAll(re)) if (m[0].trim()) out.push({ start: m.index ?? 0, text: m[0] });
  return out;
}

/** Offset where a forward scope starting at `from` ends: the first terminator, or the word cap. */
function forwardEnd(s: string, from: number, terminators: RegExp): number {
  // A bounded window: a scope is a few words, so no trigger rescans the rest of a long sentence.
  const rest = s.slice(from, from + SCOPE_WINDOW);
  // Skip the first word ("not on warfarin": "on" right after the trigger belongs to the scope).
  const lead = /^[\s,-]*[^\s:;,()]+/.exec(rest)?.[0].length ?? 0;
  const stop = rest.slice(lead).search(terminators);
  let end = stop >= 0 ? from + lead + stop : from + rest.length;
  const words = [...s.slice(from, end).matchAll(/\S+/g)];
  if (words.length > MAX_FORWARD_WORDS) end = from + (words[MAX_FORWARD_WORDS].index ?? 0);
  return end;
}

/** Offset where a backward scope ending at `to` starts: the clause start (comma, "and", a terminator) or the word cap. */
function backwardStart(s: string, to: number): number {
  const origin = Math.max(0, to - SCOPE_WINDOW);
  const before = s.slice(origin, to);
  let cut = 0;
  for (const m of before.matchAll(/,|\band\b|\bbut\b|\bwith\b|[:()]/gi)) cut = (m.index ?? 0) + m[0].length;
  const words = [...before.slice(cut).matchAll(/\S+/g)];
  if (words.length > MAX_BACKWARD_WORDS) cut += words[words.length - MAX_BACKWARD_WORDS].index ?? 0;
  return origin + cut;
}

/** Characters a scope may reach from its trigger: bounds the work per trigger whatever the sentence. */
const SCOPE_WINDOW = 240;
/** The longest span readContext makes (a family scope runs to the clause end, within this window). */
const MAX_SPAN = SCOPE_WINDOW * 2;

/** The negated and family stretches of a message. */
export function readContext(text: string): ContextSpan[] {
  const spans: ContextSpan[] = [];
  for (const { start, text: s } of sentences(text)) {
    for (const m of s.matchAll(PRE_NEGATION)) {
      const at = m.index ?? 0;
      if (PSEUDO_NEGATION.test(s.slice(at, at + 60))) continue;
      const from = at + m[0].length;
      let end = forwardEnd(s, from, TERMINATOR);
      // "No allergies, HTN, T2DM": an allergy statement is whole in itself; the list after it is not negated.
      // "Not allergic to penicillin", "no allergy to sulfa": the drug named after "to" is in the scope.
      const allergy = /^\s*(?:(?:known|drug|medication)\s+)*(?:allerg\w*|nkda)(?:\s+(?:to|of)\s+[^,;:()]{1,60}?(?=\s*(?:[,;:()]|\band\b|\bbut\b|$)))?/i.exec(s.slice(from));
      if (allergy) end = from + allergy[0].length;
      if (end > from) spans.push({ start: start + from, end: start + end, kind: 'negated', trigger: m[0].toLowerCase(), scopeStart: start + from });
    }
    // "non-diabetic", "non-smoker": the one word joined to "non-".
    for (const m of s.matchAll(/\bnon-([a-z]+)/gi)) {
      const from = (m.index ?? 0) + 4;
      spans.push({ start: start + from, end: start + from + m[1].length, kind: 'negated', trigger: 'non-', scopeStart: start + from });
    }
    for (const m of s.matchAll(POST_NEGATION)) {
      const at = m.index ?? 0;
      if (PSEUDO_POST.test(s.slice(0, at + 1))) continue;
      const from = backwardStart(s, at);
      if (at > from) spans.push({ start: start + from, end: start + at, kind: 'negated', trigger: m[0].trim().toLowerCase(), scopeStart: start + from });
    }
    for (const m of s.matchAll(FAMILY_PRE)) {
      const from = (m.index ?? 0) + m[0].length;
      // The relative's clause runs to where the patient comes back ("; she has …", "…, the patient has …").
      const rest = s.slice(from, from + SCOPE_WINDOW);
      const back = rest.search(/\b(?:she|he|the\s+patient|patient|pt|but\s+(?:she|he|the\s+patient)|whereas|while)\b|\bpmh/i);
      const end = back >= 0 ? from + back : from + rest.length;
      if (end > from) spans.push({ start: start + (m.index ?? 0), end: start + end, kind: 'family', trigger: m[0].trim().toLowerCase(), scopeStart: start + from });
    }
    for (const m of s.matchAll(FAMILY_POST)) {
      const at = m.index ?? 0;
      const from = backwardStart(s, at);
      if (at > from) spans.push({ start: start + from, end: start + at + m[0].length, kind: 'family', trigger: m[0].trim().toLowerCase(), scopeStart: start + from });
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}

/** The context of the stretch [start, end): family wins over negation ("no family history of …" is still not the patient's). */
export function contextOf(spans: ContextSpan[], start: number, end: number): ContextKind | 'present' {
  let kind: ContextKind | 'present' = 'present';
  // Spans are sorted by start and no longer than MAX_SPAN: binary-search the first that can overlap.
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid].start < start - MAX_SPAN) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < spans.length; i++) {
    const s = spans[i];
    if (s.start >= end) break;
    if (s.end <= start) continue;
    if (s.kind === 'family') return 'family';
    kind = 'negated';
  }
  return kind;
}

/** The words a stretch is about, without the verbs that joined them to the trigger ("had", "died of", "taking"). */
export function scopeText(text: string, span: ContextSpan): string {
  const words = text.slice(span.scopeStart, span.kind === 'family' || span.scopeStart < span.end ? span.end : span.scopeStart);
  return words.replace(LEAD_VERBS, '').trim();
}

const LEAD_VERBS =
  /^(?:\s*(?:had|has|have|with|died\s+(?:of|from)|passed\s+away\s+(?:of|from|with)|diagnosed\s+with|developed|suffered(?:\s+from)?|suffers\s+from|is|was|are|were|taking|takes|take|on|using|any|a|an|the|of|[:\u2013\u2014-]))+\b/i;

/** The text of the message with the given kinds of stretch blanked (same length, so offsets still agree). */
export function blankSpans(text: string, spans: { start: number; end: number; kind?: ContextKind }[], kinds?: ContextKind[]): string {
  // One pass over sorted spans (overlaps merged as it goes): linear in the text.
  const parts: string[] = [];
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (kinds && s.kind && !kinds.includes(s.kind)) continue;
    const start = Math.max(at, s.start);
    if (s.end <= start) continue;
    parts.push(text.slice(at, start), ' '.repeat(s.end - start));
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
