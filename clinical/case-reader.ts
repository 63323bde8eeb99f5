import { DISEASE_FUZZY_ACCEPT } from '../kb/graph/shared.js';
import type { EntityMatch, EntityRef, GraphStore } from '../kb/graph/store.js';
import type { AllergyEntity, CaseEntity, CaseState, TrackedCase } from './case-types.js';
import { clauses, negatedBefore, readFactors, type FactorDelta } from './factors-reader.js';
import { blankSpans, contextOf, readContext, scopeText } from './context.js';
import { readAskedClass, readIntent } from './intent.js';
import { reactionSeverity } from './patient-factors.js';
import { groupsNamedBy, type SafetyKnowledge } from './safety/knowledge.js';

/**
 * Case extraction: deterministic rules find the mentions (cue phrases such as "diagnosed with",
 * "takes", "allergic to", negations such as "not diabetic", "stopped warfarin"), and the KB's
 * entity resolution turns each mention into an identifier. Rules rather than a model so the case
 * is right without a model and the same message always gives the same case.
 */

// Lay terms and abbreviations ("diabetes", "CAP", "aspirin") are the graph store's own vocabulary
// (kb/vocabulary/lay-terms.tsv), so the case reader and every tool resolve them alike.

/** Words that begin a clause and so end a mention ("with diabetes who takes …"). */
const STOP = /\b(?:who|which|that|but|because|since|currently|taking|takes|take|on|is|was|and is|has|had|also|now|presents?|allergic|allergy|allergies|stopped|started|starting|switched|changed|restarted|begun|began|no longer|not|she|he|they|her|his|for|in|at|what|why|how|should|could|would|can|please|recommend|until|previously|instead)\b/i;
const FILLER = /^(?:a|an|the|some|mild|moderate|severe|known|poorly controlled|well controlled|uncontrolled|newly diagnosed|chronic|longstanding|long-standing|long-term|long term|longterm|regular|maintenance|prophylactic|oral|topical|inhaled|daily|low-dose|low dose|high-dose|high dose)\s+/i;

/** Dosing and frequency after a drug name ("aspirin 81 mg daily") are not part of the name. */
const TRAILING = /(?:\s+(?:\d+(?:\.\d+)?\s*(?:mg|mcg|µg|micrograms?|g|units?|iu|ml)\b.*|\d+(?:\.\d+)?|daily|once daily|twice daily|every (?:day|morning|evening|night)|at night|in the morning|bid|tid|qid|qd|od|bd|tds|qds|nocte|mane|prn|as needed|as required|(?:inhalers?|tablets?|capsules?|patch(?:es)?|cream|gel|eye ?drops|injections?|auto-?injector|pen|spray)|patients?|case|last (?:week|month|year|night)|yesterday|today|recently|this (?:week|month|morning)|(?:\d+|a|one|two|three|few|several) (?:days?|weeks?|months?|years?) ago))+$/i;

/** Resolutions are cached per store: the same mention recurs across turns and threads. */
const resolveCache = new WeakMap<GraphStore, Map<string, CaseEntity | null>>();

/** The fuzzy score above which a mention is accepted: the bar every tool holds (below, "insomnia" matches fatal familial insomnia). */
const FUZZY_ACCEPT = DISEASE_FUZZY_ACCEPT;

/** Resolves one mention to a KB entity of the kind, or null when nothing is close enough. */
export async function resolveMention(graph: GraphStore, text: string, kind: 'Disease' | 'Compound'): Promise<CaseEntity | null> {
  const cleaned = cleanMention(text);
  if (!cleaned) return null;
  let cache = resolveCache.get(graph);
  if (!cache) resolveCache.set(graph, (cache = new Map()));
  const key = `${kind}|${cleaned.toLowerCase()}`;
  // Cached values are an entity or null (nothing close enough); undefined only when not cached.
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const r = await graph.resolve(cleaned, { kinds: [kind], limit: 3 });
  // The top match or nothing, as the tools decide: a weaker match further down is not picked instead.
  const best = r.matches[0] && (r.matches[0].matchType !== 'fuzzy' || r.matches[0].score >= FUZZY_ACCEPT) ? r.matches[0] : undefined;
  let out: CaseEntity | null = null;
  if (best) {
    // A disease with no indications of its own is answered through the graph disease it maps to.
    const target = !best.inGraph && !best.indicated && best.mapsTo?.length ? best.mapsTo[0] : best;
    out = { text: cleaned, id: target.id, name: target.name, ...(target !== best ? { matchedId: best.id } : {}) };
  }
  if (cache.size > 5000) cache.clear();
  cache.set(key, out);
  return out;
}

/**
 * A drug name that stands for several drugs (a combination such as co-amoxiclav or Seretide: rows
 * of kb/vocabulary/lay-terms.tsv with one target each): all of them, so every component is checked.
 * One drug, or none, otherwise.
 */
async function resolveDrugs(graph: GraphStore, text: string): Promise<CaseEntity[]> {
  const cleaned = cleanMention(text);
  if (!cleaned) return [];
  const r = await graph.resolve(cleaned, { kinds: ['Compound'], limit: 6, exactOnly: true });
  const parts = r.matches.filter((m) => m.matchType === 'preferred');
  if (parts.length > 1) return parts.map((m) => ({ text: cleaned, id: m.id, name: m.name }));
  const one = await resolveMention(graph, text, 'Compound');
  return one ? [one] : [];
}

/** The drug named exactly so (name, synonym, brand or lay term), or null: no near spellings. */
async function exactDrug(graph: GraphStore, text: string): Promise<CaseEntity | null> {
  const cleaned = cleanMention(text);
  const m = cleaned ? (await graph.resolve(cleaned, { kinds: ['Compound'], limit: 1, exactOnly: true })).matches[0] : undefined;
  return m && m.matchType !== 'code' ? { text: cleaned, id: m.id, name: m.name } : null;
}

function cleanMention(s: string): string {
  // A mention is a few words: longer text is not one, and the patterns below stay on short strings.
  if (s.length > MAX_MENTION_INPUT) return '';
  let t = s.trim().replace(/^[\s,;:'"(]+|[\s,;:.!?'")]+$/g, '');
  for (let i = 0; i < 3; i++) t = t.replace(FILLER, '');
  t = t.replace(TRAILING, '');
  // A negation cue left behind when its scope was blanked ("…, no other conditions") names nothing.
  if (/^(?:no|not|none|nothing|nil|neither|nor|other|else|nothing else|none else|no others?)$/i.test(t)) return '';
  return t.length >= 2 && t.length <= 80 ? t : '';
}

/** Splits a captured phrase into mentions and cuts it where a new clause begins. */
export function splitMentions(phrase: string): string[] {
  // Blanked cues leave runs of spaces; collapsed, no pattern below ever rescans a long run.
  const flat = phrase.replace(/\s+/g, ' ');
  const stop = flat.search(STOP);
  const head = stop >= 0 ? flat.slice(0, stop) : flat;
  // A parenthesised list names the parts ("triple therapy (clarithromycin, amoxicillin, omeprazole)").
  return head
    .split(/\s*(?:,|;|\/|\(|\)|\band\b|\bor\b|\bplus\b|&)\s*/i)
    .map(cleanMention)
    .filter(Boolean);
}

/** Longest text cleanMention looks at (mentions over 80 characters are dropped anyway). */
const MAX_MENTION_INPUT = 200;
/** Mentions kept per field of one message (conditions, medications, allergies). */
const MAX_MENTIONS = 30;

interface Cue {
  re: RegExp;
  field: 'conditions' | 'currentMedications' | 'allergies';
  op: 'add' | 'remove';
  /** An ambiguous cue ("on …" is also "on examination"): keep only mentions that resolve to a KB drug. */
  ifResolves?: boolean;
}

// Order matters: negations first, so "not diabetic" is not also read as "diabetic".
const CUES: Cue[] = [
  { re: /\b(?:not|no longer|isn'?t|is not|never been)\s+(?:a\s+)?(diabetic|hypertensive|asthmatic|epileptic|depressed)\b/gi, field: 'conditions', op: 'remove' },
  { re: /\b(?:does not|doesn'?t|do not|don'?t|no longer)\s+(?:have|has)\s+([^.;!?]+)/gi, field: 'conditions', op: 'remove' },
  { re: /\b(?:ruled out|no history of|without)\s+([^.;!?]+)/gi, field: 'conditions', op: 'remove' },
  { re: /\b(?:stopped|discontinued|quit|ceased|came off|is off|no longer (?:takes|taking|on)|(?:does not|doesn'?t) take|not (?:taking|on)|(?:previously|formerly|once) (?:on|took|taking|treated with|tried)|used to (?:take|be on)|was (?:on|taking|treated with)|(?:has )?(?:tried|failed)|completed (?:\w+ ){0,3}(?:of|on))\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'remove' },
  { re: /\b([a-z][a-z-]{2,40})\s+(?:was\s+|has been\s+|had been\s+)?(?:stopped|discontinued|withdrawn|withheld|ceased)\b/gi, field: 'currentMedications', op: 'remove' },
  // "The penicillin allergy was disproved on testing": de-labelled allergies come off the list.
  { re: /\b([a-z][a-z-]{2,40})\s+allergy\s+(?:was|has been|is|now)?\s*(?:disproved|de-?labell?ed|removed|ruled out|excluded|refuted)\b/gi, field: 'allergies', op: 'remove' },
  { re: /\b(?:not|no longer|never been)\s+allergic to\s+([^.;!?]+)/gi, field: 'allergies', op: 'remove' },
  // "<drug> allergy" first, so "trimethoprim allergy - severe rash" keeps its drug; "drug allergy:
  // penicillin" is left to the list cue below. Bounded runs: a long hyphenated word cannot backtrack.
  { re: /\b(?!(?:drug|drugs|known|medication|medicine|food|no|any|severe|mild|moderate|serious|documented|reported|possible|suspected|true|previous|prior|multiple|several|other|the|an?)\b)([a-z][a-z-]{1,40})\s+(?:allergy|intolerance|hypersensitivity)\b/gi, field: 'allergies', op: 'add' },
  { re: /\b(?:allergic to|allergic reactions? to|allergy to|allergies to|hypersensitiv(?:e|ity) to|(?:drug |known )?allerg(?:y|ies)\s*(?:[:\u2013\u2014-]|include[sd]?\b|including\b|are\b|is\b|history\s*:)|intolerant (?:of|to)|anaphylaxis (?:to|with)|adrs?\s*:|adverse (?:drug )?reactions?\s*:)\s*([^.;!?]+)/gi, field: 'allergies', op: 'add' },
  { re: /\b([a-z][a-z]{2,40})-allergic\b/gi, field: 'allergies', op: 'add' },
  { re: /\b(?:takes|taking|is on|currently on|started|also on|prescribed|uses|using|receiving|treated with|medications?:?|current meds:?|meds:|drugs:|rx:)\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'add' },
  { re: /\bon\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'add', ifResolves: true },
  { re: /\b(?:diagnosed with|diagnosis of|has|have|with|history of|suffers from|suffering from|presents with|presenting with|known)\s+([^.;!?]+)/gi, field: 'conditions', op: 'add' },
  { re: /(?<!\b(?:type\s?(?:1|i|one)|t1|gestational|pre)[\s-]?)\b(diabetic|hypertensive|asthmatic|epileptic)\b/gi, field: 'conditions', op: 'add' },
];

/** Words the "<word> allergy" cue catches that name no allergen ("a bad allergy history", "drug allergy"). */
// A clause that follows the allergy list ("allergic to aspirin, needs a controller") is not an allergen.
const NOT_AN_ALLERGEN = /^(?:(?:needs?|wants?|requires?|asks?|is|has|takes?|taking|was|presents?|with)\b.*|none|nil|nkda|nka|n\/a|not known|none known|unknown|no|bad|severe|mild|moderate|serious|drug|drugs|medication|medicine|food|known|no|any|an?|the|her|his|their|seasonal|possible|suspected|reported|documented|multiple|several|true|previous|prior|environmental|unknown|other|an? \w+)$/i;

/** What one message says about the case, before resolution. */
export interface CaseDelta {
  add: Record<'conditions' | 'currentMedications' | 'allergies', string[]>;
  remove: Record<'conditions' | 'currentMedications' | 'allergies', string[]>;
  age?: number;
  sex?: 'female' | 'male' | 'other';
  pregnant?: boolean;
  renal?: string;
  hepatic?: string;
  /** Patient factors the message states (pregnancy stage, kidney and liver function, weight, QTc, overrides). */
  factors?: FactorDelta;
  /** The reaction written beside an allergy mention ("SJS", "anaphylaxis", "rash"), by mention. */
  allergyReactions?: Record<string, string>;
  /** Mentions after an ambiguous cue ("on …"): kept as medications only when they resolve to a drug. */
  maybeMedications?: string[];
  /** Culprits of a reported reaction ("rash on amoxicillin"): allergies when they resolve to a drug or class. */
  maybeAllergies?: string[];
  /** A short message with no cue ("hypertension", "type 2 diabetes patient"): tried as a condition. */
  bare?: string;
  /** Findings in a negated stretch ("no hepatitis B", "not on warfarin"): taken off the case, never added. */
  negated?: { mention: string; allergy: boolean }[];
  /** Findings of a relative ("mother had breast cancer"): family history, not the patient's. */
  family?: string[];
  /** The message with negated and family stretches blanked (same offsets): what the dictionary scans read. */
  scanText?: string;
  /** What the reading itself has to tell the clinician (a model's reading the text contradicts, …). */
  notices?: string[];
}

/** Reads the mentions and demographic facts in one message (no KB access: pure). */
export function parseCaseDelta(message: string): CaseDelta {
  const delta: CaseDelta = {
    add: { conditions: [], currentMedications: [], allergies: [] },
    remove: { conditions: [], currentMedications: [], allergies: [] },
  };
  // "H. pylori", "E. coli": an initial's full stop does not end the sentence a cue reads to.
  let text = message.replace(/\s+/g, ' ').replace(/\b([A-Z])\.\s(?=[a-z])/g, '$1  ');
  // Negated and family stretches (NegEx/ConText scopes) are read apart and then blanked, so no cue or
  // scan below takes "no hepatitis B" or "mother had breast cancer" as the patient's finding.
  const spans = readContext(text);
  for (const span of spans) {
    const words = scopeText(text, span);
    // "not allergic to penicillin", "no allergy to sulfa": the drug follows the allergy word; "no
    // penicillin allergy": it comes before it, and what follows the word is not a finding.
    const named = words.replace(/\b(?:allergic|allergy|allergies|intolerant|intolerance|hypersensitive|hypersensitivity)\s+(?:to|of|with)\s+/i, '');
    const mentions = splitMentions(named.replace(/\b(?:allerg\w*|intoleran\w*|hypersensitiv\w*)\b.*$/i, '')).slice(0, MAX_MENTIONS);
    if ((delta.family?.length ?? 0) + (delta.negated?.length ?? 0) >= MAX_MENTIONS) break;
    if (span.kind === 'family') (delta.family ??= []).push(...mentions);
    else {
      const allergy = /\ballerg|\bintoleran|\bhypersensitiv/i.test(text.slice(span.start, span.end + 24));
      (delta.negated ??= []).push(...mentions.map((mention) => ({ mention, allergy })));
    }
  }
  text = blankSpans(text, spans, ['negated', 'family']);
  delta.scanText = text;
  for (const cue of CUES) {
    text = text.replace(cue.re, (whole, phrase: string) => {
      const mentions = splitMentions(phrase);
      // No case lists more: the cap bounds the work (each mention is looked up in the KB) whatever the text.
      const into = cue.ifResolves ? (delta.maybeMedications ??= []) : delta[cue.op][cue.field];
      const kept = cue.field === 'allergies' ? mentions.filter((m) => !NOT_AN_ALLERGEN.test(m)) : mentions;
      into.push(...kept.slice(0, Math.max(0, MAX_MENTIONS - into.length)));
      // Blank what was consumed so later (broader) cues do not read it again; what follows a new
      // clause ("stopped warfarin and started apixaban") stays for the cues that read it.
      const stop = whole.endsWith(phrase) ? phrase.search(STOP) : -1;
      const used = stop > 0 ? whole.length - phrase.length + stop : whole.length;
      return ' '.repeat(used) + whole.slice(used) + (used === whole.length && whole.endsWith('.') ? '.' : '');
    });
  }
  // "Metformin 500 mg bd, lisinopril 10 mg": a name with a dose is a medication when it resolves to a
  // drug ("creatinine 2.1 mg/dL" is a lab value: a unit with a slash is not a dose).
  for (const m of text.matchAll(/\b([A-Za-z][A-Za-z-]{2,40}(?: [A-Za-z][A-Za-z-]{2,40})?) (?:\d+(?:\.\d+)?) ?(?:mg|mcg|µg|micrograms?|g|units?|iu)\b(?! ?\/)/gi)) {
    const into = (delta.maybeMedications ??= []);
    if (into.length < MAX_MENTIONS) into.push(...splitMentions(m[1]));
  }
  // "62-year-old", "aged 62", "62 yo", "she is 82" (not "she is 82 kg"), "82F".
  const age = /\b(\d{1,3})[- ]?(?:years?|yrs?|y)[- ]?(?:old|o\b)|\bage[d]?[: ]\s*(\d{1,3})\b|\b(\d{1,3})\s*(?:yo|y\/o)\b|\b(?:she|he|patient|pt) is (\d{1,3})\b(?!\s*(?:kg|kilos?|lbs?|%|mg|cm|weeks?|wks?|days?|months?|\/|mmhg|ml))|\b(\d{2,3})\s?[FM]\b/i.exec(message);
  // "boy, 12", "Mr Jones, 67": a bare number right after the person.
  const listed = age ? undefined : /\b(?:boy|girl|man|woman|male|female|gentleman|lady|(?:mr|mrs|ms|miss)\.?\s+[A-Z][a-z]+),\s*(\d{1,3})\b(?!\s*(?:kg|%|mg|cm|weeks?|days?|months?|\/|mmhg))/i.exec(message);
  const years = age ? Number(age[1] ?? age[2] ?? age[3] ?? age[4] ?? age[5]) : listed ? Number(listed[1]) : NaN;
  if (years >= 0 && years <= 120) delta.age = years;
  // Sex from the patient's own words: a relative's ("his mother had a DVT") says nothing about it.
  const own = blankSpans(message.replace(/\s+/g, ' '), spans, ['family']);
  const written = /\b\d{1,3}\s?(?:yo\s?|y\/o\s?|-year-old\s)?([FM])\b/.exec(own)?.[1] ?? /\b(?:sex|gender)\s*[:=]\s*([FM])\b/i.exec(own)?.[1]?.toUpperCase();
  if (written) delta.sex = written === 'F' ? 'female' : 'male';
  else if (/\b(?:woman|female|lady|girl|she|her|mrs|ms|miss)\b/i.test(own)) delta.sex = 'female';
  else if (/\b(?:man|male|gentleman|boy|he|his|him|mr)\b/i.test(own)) delta.sex = 'male';
  // Kidney and liver function, pregnancy stage and the rest: read clause by clause (linear time).
  const factors = readFactors(message);
  delta.factors = factors;
  if (factors.pregnant !== undefined) delta.pregnant = factors.pregnant;
  if (factors.renalText) delta.renal = factors.renalText;
  if (factors.hepaticText) delta.hepatic = factors.hepaticText;
  readAllergyDetails(message, delta);
  const mentioned = [...Object.values(delta.add), ...Object.values(delta.remove), delta.maybeMedications ?? []].some((x) => x.length);
  const bare = cleanMention(message.replace(/[?!.]+$/, ''));
  if (!mentioned && bare && bare.split(/\s+/).length <= 6 && !/\b(?:why|what|how|which|should|could)\b/i.test(bare)) delta.bare = bare;
  return delta;
}

const sameEntity = (a: CaseEntity, b: CaseEntity) => (a.id && b.id ? a.id === b.id : a.name.toLowerCase() === b.name.toLowerCase());

/** Removes entries matching the mention: same entity, or names sharing the mention's stem ("diabetic" → any diabetes). */
function removeMatching(list: CaseEntity[], mention: string, resolved: CaseEntity | null): CaseEntity[] {
  // A stem stands in only for one word ("diabetic"): "no hepatitis B" must not take hepatitis C off.
  const stem = resolved && /\s/.test(mention.trim()) ? '' : mention.toLowerCase().replace(/(?:ic|ics|es|s)$/, '').slice(0, 7);
  const sharesStem = (e: CaseEntity) => stem.length >= 4 && (e.name.toLowerCase().includes(stem) || e.text.toLowerCase().includes(stem));
  return list.filter((e) => !((resolved && sameEntity(e, resolved)) || sharesStem(e)));
}

/**
 * Applies one user message to the case: adds what it mentions, removes what it negates, and
 * updates demographics. Mentions the KB cannot resolve are kept by name (allergies) or reported
 * in `unresolved` (conditions and drugs, which the tools need as entities).
 */
export async function updateCase(graph: GraphStore, current: TrackedCase, message: string, knowledge?: SafetyKnowledge): Promise<CaseUpdate> {
  const delta = parseCaseDelta(message);
  return applyCaseDelta(graph, current, delta, message, knowledge);
}

const MAX_NGRAM = 6;

/**
 * Capitalised abbreviations a note uses for something else as often as for a disease, never read
 * as one without a cue ("PE: unremarkable" is the physical examination, "seen in ED" the emergency
 * department, "MS" the mental state, "RA" the right atrium).
 */
const AMBIGUOUS_ABBREVIATIONS = new Set(['PE', 'ED', 'MS', 'RA', 'OA', 'UC', 'MI', 'AOM', 'IDA', 'GAD', 'SCD', 'CDI', 'PAD']);

/**
 * Dictionary scan of a message for disease terms the graph can answer for: every word n-gram
 * (longest first, non-overlapping) looked up exactly — never fuzzily, so ordinary words do not
 * turn into diagnoses. Only diseases in the graph, or mapped onto one, count.
 */
export async function scanDiseaseTerms(graph: GraphStore, message: string): Promise<CaseEntity[]> {
  return (await scanTerms(graph, message, 'Disease', MAX_NGRAM)).map((h) => h.entity);
}

/** One dictionary hit: the entity, and where its words stand in the text. */
interface TermHit {
  entity: CaseEntity;
  start: number;
  end: number;
  /** How the words matched the vocabulary (name, synonym, brand, preferred lay term). */
  matchType: string;
}

/** Single words a vocabulary names as a disease that, alone, name no diagnosis of the patient ("allergy"). */
const NOT_A_DIAGNOSIS = new Set(['allergy', 'allergies', 'allergic', 'hypersensitivity', 'intolerance', 'reaction', 'reactions', 'disease', 'illness', 'infection', 'syndrome', 'disorder', 'cancer', 'tumour', 'tumor', 'pain', 'heart disease']);

/**
 * Substances the drug vocabulary holds that a case names as labs, diet or habits far more often
 * than as a medicine ("glucose 250", "alcohol excess", "potassium 6.1"): read as a medication
 * only after a medication cue ("on potassium chloride", "takes iron").
 */
const NOT_A_MEDICATION = new Set([
  'allergy', 'allergies', 'allergic', 'cough', 'cold', 'today', 'water', 'oxygen', 'alcohol', 'ethanol', 'caffeine',
  'nicotine', 'tobacco', 'glucose', 'dextrose', 'sodium', 'potassium', 'calcium', 'magnesium', 'phosphate', 'chloride',
  'bicarbonate', 'iron', 'zinc', 'copper', 'iodine', 'creatinine', 'urea', 'cholesterol', 'albumin', 'hemoglobin',
  'haemoglobin', 'bilirubin', 'lactate', 'troponin', 'ferritin', 'folate', 'protein', 'salt', 'sugar', 'fat',
  'histamine', 'serotonin', 'dopamine', 'estrogen', 'oestrogen', 'progesterone', 'testosterone', 'cortisol',
  'thyroxine', 'insulin', 'vitamin', 'vitamin d', 'vitamin b12', 'cannabis', 'cocaine', 'heroin', 'methamphetamine',
  'amphetamine', 'ice', 'pill', 'tablet', 'sun', 'light', 'air', 'latex', 'peanut', 'peanuts', 'egg', 'eggs', 'milk',
  'soy', 'gelatin', 'nickel',
]);

/**
 * Dictionary scan: every word n-gram (longest first, non-overlapping) looked up exactly — never
 * fuzzily, so ordinary words do not turn into diagnoses or drugs. Diseases count only when the
 * graph can answer for them (in the graph, indicated, or mapped onto one).
 */
async function scanTerms(graph: GraphStore, message: string, kind: 'Disease' | 'Compound', maxN: number): Promise<TermHit[]> {
  const out: TermHit[] = [];
  const ambiguous: { start: number; end: number; text: string }[] = [];
  // Codes count only where the text says it writes codes ("Diagnoses (ICD-10): I10, E11.9"); a bare number never.
  const codesWritten = kind === 'Disease' && /\bICD(?:-?1[01](?:-CM)?)?\b|\bdiagnos[ie]s\s+codes?\b/i.test(message);
  // A full stop inside a token ("E11.9") does not end a fragment.
  for (const fragment of message.matchAll(/(?:[^.;:!?,()\n]|\.(?=\S))+/g)) {
    // "DVT/PE": a slash joins two terms.
    const words = [...fragment[0].matchAll(/[^\s/]+/g)];
    const base = fragment.index ?? 0;
    let i = 0;
    while (i < words.length) {
      let matched = 0;
      for (let n = Math.min(maxN, words.length - i); n >= 1 && !matched; n--) {
        const start = base + (words[i].index ?? 0);
        const last = words[i + n - 1];
        const end = base + (last.index ?? 0) + last[0].length;
        // "HIV-positive": the finding, not its test result.
        const text = message.slice(start, end).replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').replace(/-(?:positive|pos)$/i, '');
        if (!text) continue;
        // Short words are ordinary words ("cap", "pad") unless written as a capitalised clinical
        // abbreviation ("PMH: HTN, AF, CKD"); those count only as the vocabulary's own abbreviations.
        const letters = text.replace(/[^\p{L}\p{N}]/gu, '');
        const short = letters.length < 4;
        const capitalised = n === 1 && /^[A-Z][A-Z0-9]{1,3}$/.test(letters);
        if (capitalised && kind === 'Disease' && AMBIGUOUS_ABBREVIATIONS.has(letters)) {
          ambiguous.push({ start, end, text: letters });
          continue;
        }
        const looksLikeCode = codesWritten && n === 1 && /^[A-Z]\d{2}(?:\.\d{1,4})?$/.test(text);
        if (short && !capitalised && !looksLikeCode) continue;
        const lower = text.toLowerCase();
        if (kind === 'Disease' ? NOT_A_DIAGNOSIS.has(lower) : NOT_A_MEDICATION.has(lower)) continue;
        // "Seizure-free", "pain free": the finding's absence.
        if (kind === 'Disease' && /^[\s-]*free\b/i.test(message.slice(end, end + 8))) continue;
        const m = await lookupSpelling(graph, text, kind);
        if (!m) continue;
        if (looksLikeCode ? m.matchType !== 'code' && m.matchType !== 'preferred' : m.matchType === 'code') continue;
        if (capitalised && short && !looksLikeCode && m.matchType !== 'preferred') continue;
        if (kind === 'Compound') {
          // A one-word brand or synonym that is also an everyday word ("Today", "Allergy", "Cough"
          // are brand names): only as a capitalised name inside a sentence, never a disease's word.
          if (n === 1 && (m.matchType === 'synonym' || m.matchType === 'brand') && !(await plausibleBrand(graph, text))) continue;
          out.push({ entity: { id: m.id, name: m.name, text }, start, end, matchType: m.matchType });
          matched = n;
        } else {
          const target = graphDiseaseFor(m);
          if (target) {
            const entity = { id: target.disease.id, name: target.disease.name, text, ...(target.direct ? {} : { matchedId: m.id }) };
            out.push({ entity, start, end, matchType: m.matchType });
            matched = n;
          }
        }
      }
      i += matched || 1;
    }
  }
  // An ambiguous abbreviation ("PE", "RA", "GAD") is the disease only beside words that make it one:
  // a history cue ("previous PE"), or another diagnosis in the same list ("DVT/PE", "MDD and GAD").
  for (const a of ambiguous) {
    const before = message.slice(Math.max(0, a.start - 24), a.start);
    const listed = out.some(
      (h) =>
        h.end <= a.start
          ? a.start - h.end <= 6 && /^[\s/,&+]*(?:and\s+|or\s+)?$/i.test(message.slice(h.end, a.start))
          : h.start >= a.end && h.start - a.end <= 6 && /^[\s/,&+]*(?:and\s+|or\s+)?$/i.test(message.slice(a.end, h.start)),
    );
    const after = message.slice(a.end, a.end + 24);
    // "(MI 2016)", "RA on MTX": a year or a treatment after it makes it a diagnosis too.
    const cued = /\b(?:previous|prior|history of|h\/o|hx of|recurrent|provoked|unprovoked|bilateral|massive|acute|known|seropositive|seronegative|active)\s*$/i.test(before) || /^\s+(?:in\s+)?(?:19|20)\d\d\b|^\s+on\s+[A-Za-z]/.test(after);
    if (!listed && !cued) continue;
    const m = (await graph.resolve(a.text, { kinds: [kind], limit: 1, exactOnly: true })).matches[0];
    if (m?.matchType === 'preferred') out.push({ entity: { id: m.id, name: m.name, text: a.text }, start: a.start, end: a.end, matchType: m.matchType });
  }
  return out.sort((x, y) => x.start - y.start);
}

/** Edit distance with adjacent transpositions (optimal string alignment): "athsma" is one edit from "asthma". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Words that no vocabulary holds and that are at most this many edits from a one-word disease name are typos of it. */
const typoBudget = (word: string) => (word.length >= 9 ? 2 : 1);
/** Typo candidates per message: the fuzzy lookup is the slow one. */
const MAX_TYPO_WORDS = 12;

/**
 * Misspelt diagnoses ("hypertensoin", "athsma", "diabetis"): a word of six letters or more that no
 * vocabulary holds (no disease, no drug), within one edit (two for long words) of a one-word disease
 * name the graph can answer for. The case keeps the words as written beside the disease they were read as.
 */
async function typoDiseases(graph: GraphStore, text: string, hits: TermHit[]): Promise<TermHit[]> {
  const out: TermHit[] = [];
  let tried = 0;
  for (const w of text.matchAll(/\b[a-z]{6,30}\b/gi)) {
    const start = w.index ?? 0;
    const end = start + w[0].length;
    if (hits.some((h) => h.start < end && h.end > start)) continue;
    const word = w[0].toLowerCase();
    if (NOT_A_DIAGNOSIS.has(word) || ONLY_REACTION.test(word)) continue;
    if ((await graph.resolve(word, { limit: 1, exactOnly: true })).matches.length) continue;
    if (++tried > MAX_TYPO_WORDS) break;
    // Adjacent transpositions first (exact lookups), then the fuzzy index.
    let m = undefined as Awaited<ReturnType<GraphStore['resolve']>>['matches'][number] | undefined;
    for (let i = 0; i < word.length - 1 && !m; i++) {
      const swapped = word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
      const r = (await graph.resolve(swapped, { kinds: ['Disease'], limit: 1, exactOnly: true })).matches[0];
      if (r && r.matchType !== 'code') m = r;
    }
    if (!m) {
      const r = (await graph.resolve(word, { kinds: ['Disease'], limit: 1 })).matches[0];
      if (
        r &&
        r.matchType === 'fuzzy' &&
        r.score >= FUZZY_ACCEPT &&
        !/\s/.test(r.matchedOn) &&
        editDistance(word, r.matchedOn.toLowerCase()) <= typoBudget(word)
      ) {
        m = r;
      }
    }
    if (!m) continue;
    const target = graphDiseaseFor(m);
    if (!target) continue;
    out.push({
      entity: { id: target.disease.id, name: target.disease.name, text: w[0], ...(target.direct ? {} : { matchedId: m.id }) },
      start,
      end,
      matchType: 'typo',
    });
  }
  return out;
}

/** The exact match for a term, trying the US spelling ("haemorrhoids" → "hemorrhoids") and the singular after the text as written. */
/**
 * The graph disease a matched disease term stands for: the term itself when the graph holds it or
 * records an indication for it (direct), else the first graph disease it maps to; undefined when
 * neither, since a disease the graph cannot answer for is not read into the case.
 */
function graphDiseaseFor(m: EntityMatch): { disease: EntityRef; direct: boolean } | undefined {
  if (m.inGraph || m.indicated) return { disease: m, direct: true };
  const mapped = m.mapsTo?.[0];
  return mapped ? { disease: mapped, direct: false } : undefined;
}

async function lookupSpelling(graph: GraphStore, text: string, kind: 'Disease' | 'Compound') {
  const first = (await graph.resolve(text, { kinds: [kind], limit: 1, exactOnly: true })).matches[0];
  if (first || text.length < 6) return first;
  const us = text.replace(/ae/gi, 'e').replace(/oe(?=[a-z])/gi, 'e');
  const tries = [us !== text ? us : '', /[^s]s$/i.test(us) ? us.slice(0, -1) : ''].filter(Boolean);
  for (const t of tries) {
    const m = (await graph.resolve(t, { kinds: [kind], limit: 1, exactOnly: true })).matches[0];
    if (m && m.matchType !== 'code') return m;
  }
  return undefined;
}

/** Brand names that are everyday words, never read as a drug without a medication cue. */
const EVERYDAY_BRANDS = new Set([
  'relief', 'care', 'plan', 'sleep', 'rest', 'calm', 'fever', 'pain', 'heartburn', 'migraine', 'acne', 'clear',
  'control', 'balance', 'energy', 'focus', 'nature', 'natural', 'daily', 'ultra', 'extra', 'regular', 'original',
  'advanced', 'junior', 'children', 'infant', 'adult', 'night', 'day', 'morning', 'flu', 'sinus', 'nasal', 'eye',
  'skin', 'hair', 'oral', 'dental', 'mouth', 'throat', 'stomach', 'gas', 'itch', 'rash', 'burn', 'wound', 'bleed',
  'stop', 'quit', 'block', 'guard', 'shield', 'protect', 'defense', 'support', 'boost', 'restore', 'repair', 'therapy',
  'treatment', 'solution', 'formula', 'complete', 'total', 'max', 'plus', 'forte', 'rapid', 'fast', 'quick', 'long',
  'slow', 'release', 'hospital', 'patient', 'doctor', 'nurse',
]);

/** A one-word brand or synonym read as a drug: capitalised (or drug-shaped), not an everyday word, not a disease's name. */
async function plausibleBrand(graph: GraphStore, text: string): Promise<boolean> {
  if (EVERYDAY_BRANDS.has(text.toLowerCase())) return false;
  if ((await graph.resolve(text, { kinds: ['Disease'], limit: 1, exactOnly: true })).matches.length) return false;
  // Lower case: an ordinary word unless the vocabulary has it as the drug's own international name.
  if (!/^[A-Z]/.test(text)) return text.length >= 6 && /(?:ol|il|in|ine|ide|ate|one|pam|lam|vir|mab|nib|cin|mycin|cillin|azole|pine|pril|sartan|statin|olol|tide|gliptin|flozin|parin|xaban|dronate|tidine|prazole|oxacin|cycline|sone|lone|terol)$/i.test(text);
  return true;
}

/** Longest drug name scanned for, in words ("insulin glargine", "sodium valproate", "ethinyl estradiol"). */
const MAX_DRUG_NGRAM = 3;

/** Words before a drug that make it a reported reaction's culprit, not a medicine taken now. */
const ALLERGY_NEAR = /\b(?:allerg\w*|intoleran\w*|hypersensitiv\w*|anaphyla\w*|reactions?|adrs?|sensitivity)\b/i;
/** Words before a drug that make it a question or a plan, not a medicine taken now ("what about X", "switch to X"). */
const ASKED_BEFORE = /\b(?:what about|how about|instead of|rather than|should (?:i|we|she|he) (?:start|add|use|give|prescribe|try|consider|begin|initiate)|could (?:i|we|she|he|you) (?:use|take|have|try|give|start|add)|can (?:i|we|she|he) (?:take|use|have|try|start|be given)|consider(?:ing)?|recommend(?:ed)?|suggest(?:ed)?|(?:switch|switching|change|changing|convert|converting|move|moving)\b.*\bto|trial of|versus|vs\.?|wants?|would like|asking for|requests?|requesting|(?:^|[.;,]\s*)(?:use|give|prescribe|try|start|add))\s+(?:\w+\s+){0,2}$/i;
let reactionAfterRe: RegExp | undefined;
/** A reaction right after a drug ("aspirin causes hives", "morphine makes her itchy", "amoxicillin – rash"). */
const reactionAfter = () =>
  (reactionAfterRe ??= new RegExp(`^\\s*(?:[-:\u2013\u2014(]\\s*)?(?:${REACTION_WORDS}|itch\\w*|nausea|vomiting|myalgia|causes|caused|makes|made|gave|gives|induced|-induced)`, 'i'));

/** Words before a drug that put it in the past ("previously on", "completed 6 months of", "until 2021"). */
const PAST_BEFORE = /\b(?:stopped|discontinued|ceased|quit|came off|previously|formerly|used to|was on|were on|had been on|tried|failed|completed|finished|course of|ex-|history of|allergic|intolerant)\b/i;

/**
 * Drugs the message names outside any cue ("carries an adrenaline auto-injector", "Lipitor 20 and
 * Norvasc 5", "RA on MTX"), read as current medications unless the words around them say otherwise:
 * a relative's or negated stretch (already blanked), an allergy or reaction, a question or plan
 * ("what about methyldopa?", "switch to sertraline"), or the past ("previously on sertraline").
 */
async function scanCurrentDrugs(graph: GraphStore, text: string, diseaseHits: TermHit[]): Promise<TermHit[]> {
  const diseaseSpans = diseaseHits.filter((h) => /\s/.test(h.entity.text));
  // A drug's name inside a longer disease name ("lithium toxicity", "aspirin-exacerbated respiratory disease") is the disease.
  const rest = blankSpans(text, diseaseSpans);
  const out: TermHit[] = [];
  for (const hit of await scanTerms(graph, rest, 'Compound', MAX_DRUG_NGRAM)) {
    // The words before it in its sentence and clause, within a bounded window.
    const origin = Math.max(0, hit.start - 160);
    const window = rest.slice(origin, hit.start);
    const sentence = window.slice(Math.max(window.lastIndexOf('.'), window.lastIndexOf(';'), window.lastIndexOf('\n')) + 1);
    const before = sentence.slice(sentence.lastIndexOf(',') + 1);
    const after = rest.slice(hit.end, hit.end + 40);
    if (ALLERGY_NEAR.test(sentence) || ALLERGY_NEAR.test(after.split(/[.;,]/)[0]) || reactionAfter().test(after)) continue;
    if (ASKED_BEFORE.test(before) || /^\s*(?:instead|would|could|is it|safe|request|enquiry|query|anyway)/i.test(after)) continue;
    if (PAST_BEFORE.test(before) || /^\s*(?:(?:was|were|has been|had been)\s+)?(?:stopped|discontinued|withdrawn|withheld|held|ceased)\b|^[^.;,]*\buntil\b/i.test(after)) continue;
    out.push(hit);
  }
  return out;
}

/** A message applied to the case. */
export interface CaseUpdate {
  case: TrackedCase;
  /** Conditions and drugs the KB could not match (left out of the case). */
  unresolved: string[];
  /** What the message said that could not be read safely, for the clinician to restate. */
  notices: string[];
  changed: boolean;
}

/** Resolves a parsed delta against the KB and applies it to the case. */
export async function applyCaseDelta(
  graph: GraphStore,
  current: TrackedCase,
  delta: CaseDelta,
  message = '',
  knowledge?: SafetyKnowledge,
): Promise<CaseUpdate> {
  const next: TrackedCase = structuredClone(current);
  const unresolved: string[] = [];
  const notices: string[] = [...(delta.notices ?? [])];
  notices.push(...(delta.factors?.unread ?? []).map((u) => `Could not read ${u}: restate it as a number (for example "eGFR 25", "QTc 480 ms") so the safety rules can use it.`));
  const kindOf = { conditions: 'Disease', currentMedications: 'Compound', allergies: 'Compound' } as const;
  // Negated findings come off the case and are never added ("no hepatitis B", "not on warfarin",
  // "no penicillin allergy"); only what resolves is taken off, so a stray word removes nothing.
  const removedDrugs: CaseEntity[] = [];
  for (const { mention, allergy } of delta.negated ?? []) {
    const disease = await resolveMention(graph, mention, 'Disease');
    if (disease) next.conditions = removeMatching(next.conditions, mention, disease);
    // "does not have hypertension after all": the diseases named inside the negated words.
    else for (const hit of await scanTerms(graph, mention, 'Disease', MAX_NGRAM)) next.conditions = removeMatching(next.conditions, hit.entity.text, hit.entity);
    for (const drug of await resolveDrugs(graph, mention)) {
      removedDrugs.push(drug);
      next.currentMedications = next.currentMedications.filter((e) => !sameEntity(e, drug));
      if (allergy) next.allergies = next.allergies.filter((e) => !sameEntity(e, drug));
    }
    if (allergy && knowledge && groupsNamedByPhrase(knowledge, mention)) {
      next.allergies = next.allergies.filter((e) => e.name.toLowerCase() !== mention.toLowerCase());
    }
  }
  // A relative's diagnoses are family history: kept apart, never the patient's conditions.
  for (const m of delta.family ?? []) {
    const d = await resolveMention(graph, m, 'Disease');
    const name = d?.name ?? (m.split(/\s+/).length <= 5 ? m : '');
    if (name && !(next.familyHistory ??= []).includes(name)) next.familyHistory.push(name);
  }
  for (const field of ['conditions', 'currentMedications', 'allergies'] as const) {
    for (const m of delta.remove[field]) {
      const r = await resolveMention(graph, m, kindOf[field]);
      if (r && field === 'currentMedications') removedDrugs.push(r);
      (next[field] as CaseEntity[]) = removeMatching(next[field], m, r);
    }
    for (const m of delta.add[field]) {
      // A class name ("statins", "an SSRI", "NSAIDs") is the class unless a drug is named exactly so:
      // a near spelling ("statin" ~ "simvastatin") is not that drug.
      const classNamed = field !== 'conditions' && !!knowledge && groupsNamedByPhrase(knowledge, m);
      let r = classNamed ? await exactDrug(graph, m) : await resolveMention(graph, m, kindOf[field]);
      if (r && field === 'currentMedications') {
        const parts = await resolveDrugs(graph, m);
        if (parts.length > 1) {
          for (const part of parts) if (!next.currentMedications.some((e) => sameEntity(e, part))) next.currentMedications.push(part);
          continue;
        }
      }
      // "throat swelling to amoxicillin": the drug is the words after the last to/with/from.
      const tail = field === 'allergies' && !r ? /\b(?:to|with|from|after|of)\s+([^\s].*)$/i.exec(m)?.[1] : undefined;
      if (tail) r = await resolveMention(graph, tail, 'Compound');
      // An allergy or a medication named by class ("sulfa", "an SSRI") is kept by name: the safety engine reads classes.
      const byClass = field !== 'conditions' && knowledge && groupsNamedByPhrase(knowledge, m);
      const entity: CaseEntity | null = r ?? (field === 'allergies' || byClass ? { text: m, name: m } : null);
      if (!entity) {
        // A patient factor the factor reader already took ("8 weeks pregnant", "eGFR 22"), or a drug
        // caught by a diagnosis cue ("SJS with co-trimoxazole"), is not an unmatched diagnosis.
        const isFactor = FACTOR_WORDS.test(m) || (knowledge && scanStates(knowledge, m).add.length > 0);
        const isDrug = field === 'conditions' && (await resolveMention(graph, m, 'Compound'));
        if (!isFactor && !isDrug) unresolved.push(m);
        continue;
      }
      if (field === 'allergies') {
        const reaction = delta.allergyReactions?.[m];
        const a: AllergyEntity = { ...entity, ...(reaction ? { reaction, severity: reactionSeverity(reaction) } : {}) };
        const existing = next.allergies.find((e) => sameEntity(e, a));
        if (existing) Object.assign(existing, reaction ? { reaction: a.reaction, severity: a.severity } : {});
        else next.allergies.push(a);
        continue;
      }
      if (!next[field].some((e) => sameEntity(e, entity))) next[field].push(entity);
    }
  }
  for (const m of delta.maybeAllergies ?? []) {
    const r = await resolveMention(graph, m, 'Compound');
    const byClass = !r && knowledge && groupsNamedByPhrase(knowledge, m);
    if (!r && !byClass) continue;
    const reaction = delta.allergyReactions?.[m];
    const a: AllergyEntity = { ...(r ?? { text: m, name: m }), ...(reaction ? { reaction, severity: reactionSeverity(reaction) } : {}) };
    if (!next.allergies.some((e) => sameEntity(e, a))) next.allergies.push(a);
    // A culprit is not also a current medication ("rash on day 7 of amoxicillin").
    next.currentMedications = next.currentMedications.filter((e) => !sameEntity(e, a));
  }
  const addMedication = (r: CaseEntity) => {
    if (removedDrugs.some((e) => sameEntity(e, r)) || next.allergies.some((e) => sameEntity(e, r))) return;
    if (!next.currentMedications.some((e) => sameEntity(e, r))) next.currentMedications.push(r);
  };
  for (const m of delta.maybeMedications ?? []) {
    // "On a statin and an SSRI": a class named as such is kept by name (the safety engine reads classes).
    if (knowledge && groupsNamedByPhrase(knowledge, m) && !(await exactDrug(graph, m))) addMedication({ text: m, name: m.replace(/^(?:an?|the)\s+/i, '') });
    else for (const r of await resolveDrugs(graph, m)) addMedication(r);
  }
  // Dictionary scans of what no cue took, on the text with negated and family stretches blanked.
  const scanText = delta.scanText ?? message;
  const diseaseHits = await scanTerms(graph, scanText, 'Disease', MAX_NGRAM);
  // Drugs named outside any cue ("carries an adrenaline auto-injector", "RA on MTX", "Lipitor 20").
  for (const hit of await scanCurrentDrugs(graph, scanText, diseaseHits)) {
    const parts = await resolveDrugs(graph, hit.entity.text);
    for (const r of parts.length ? parts : [hit.entity]) addMedication(r);
  }
  if (delta.bare) {
    const r = await resolveMention(graph, delta.bare, 'Disease');
    if (r && !next.conditions.some((e) => sameEntity(e, r))) next.conditions.push(r);
  }
  // Conditions named without a cue ("Type 2 diabetes, takes warfarin"): known disease terms in the
  // text, unless they sit inside a phrase this message negates.
  const negated = delta.remove.conditions.map((x) => x.toLowerCase());
  // A reaction written beside an allergy ("amoxicillin – rash", "codeine (vomiting)") is the allergy's, not a diagnosis.
  const reactions = new Set(Object.values(delta.allergyReactions ?? {}).flatMap((r) => r.toLowerCase().split(/,\s*/)));
  const allergyTalk = reactions.size > 0 || next.allergies.length > current.allergies.length || /\ballerg|\bintoleran|\bhypersensitiv|\badrs?\b/i.test(message);
  const typos = await typoDiseases(graph, scanText, diseaseHits);
  // "stopped bisoprolol because of fatigue": the reason a drug was stopped is its adverse effect, not a diagnosis.
  const stopReason = (h: TermHit) => /\b(?:stopped|discontinued|came off|withdrawn|intoleran\w*)\b[^.;]{0,60}\b(?:because of|due to|owing to)\s+(?:\w+\s+){0,2}$/i.test(scanText.slice(Math.max(0, h.start - 100), h.start));
  for (const found of [...diseaseHits, ...typos].filter((h) => !stopReason(h)).map((h) => h.entity)) {
    if (negated.some((n) => n.includes(found.text.toLowerCase()) || found.text.toLowerCase().includes(n))) continue;
    const t = found.text.toLowerCase();
    if (reactions.has(t) || (allergyTalk && ONLY_REACTION.test(t))) continue;
    if (!next.conditions.some((e) => sameEntity(e, found))) next.conditions.push(found);
  }
  // The question's phase (acute attack vs prevention) is the latest one asked.
  const intent = readIntent(message);
  if (intent) next.intent = intent;
  // The class the question asks for ("Which anticoagulant?"), also the latest one asked.
  const asked = knowledge && readAskedClass(knowledge, message);
  if (asked) next.askedClass = asked;
  if (delta.age !== undefined) next.age = delta.age;
  if (delta.sex && !next.sex) next.sex = delta.sex;
  applyFactors(next, delta);
  if (knowledge) {
    const states = scanStates(knowledge, message);
    // A state named again takes the new words ("no asthma: it is COPD" keeps the airway state as COPD).
    const kept = (next.states ?? []).filter((s) => !states.negated.includes(s.key) && !states.add.some((a) => a.key === s.key));
    const potassium = potassiumStates(knowledge, message);
    for (const s of [...states.add, ...potassium.add]) if (!kept.some((k) => k.key === s.key)) kept.push(s);
    next.states = kept.filter((s) => !potassium.remove.includes(s.key));
  }
  if (message.trim()) next.notes = [current.notes, message.trim().slice(0, 1500)].filter(Boolean).join('\n').slice(-1500);
  const changed = JSON.stringify({ ...next, notes: undefined }) !== JSON.stringify({ ...current, notes: undefined });
  // Allergy words that named nothing: the allergy is not in the case, and the clinician must know.
  const allergyWords = /\b(?:allerg\w*|anaphyla\w*|hypersensitiv\w*)/i.test(message) && !/\b(?:no known (?:drug )?allerg\w*|nkda|no allerg\w*|denies (?:any )?allerg\w*)/i.test(message);
  if (allergyWords && JSON.stringify(next.allergies) === JSON.stringify(current.allergies) && !current.allergies.length) {
    notices.push('The message mentions an allergy, but no drug or drug class could be read from it, so no allergy was added: state it as "allergic to <drug or class> (<reaction>)".');
  }
  return { case: next, unresolved, notices, changed };
}

/** Phrases that state a patient factor, read by the factor reader rather than resolved as entities. */
const FACTOR_WORDS = /\b(?:pregnan\w*|gestation\w*|weeks?|trimester|breast-?feeding|lactating|e-?gfr|crcl|creatinine|dialysis|ckd stage|stage [1-5]|child-?pugh|qtc|kg|mmhg|bp|hba1c)\b|\d/i;

const groupsNamedByPhrase = (k: SafetyKnowledge, phrase: string) => groupsNamedBy(k, phrase).length > 0;

/** Applies the patient factors a message stated: a newer value replaces an older one. */
function applyFactors(next: TrackedCase, delta: CaseDelta): void {
  const f = delta.factors;
  if (delta.pregnant !== undefined) next.pregnant = delta.pregnant;
  if (delta.renal) next.renal = delta.renal;
  if (delta.hepatic) next.hepatic = delta.hepatic;
  if (!f) return;
  if (f.pregnant === false) {
    delete next.pregnancyWeeks;
    delete next.trimester;
  }
  if (f.pregnancyWeeks !== undefined) {
    next.pregnancyWeeks = f.pregnancyWeeks;
    delete next.trimester;
  }
  if (f.trimester !== undefined && f.pregnancyWeeks === undefined) next.trimester = f.trimester;
  if (f.breastfeeding !== undefined) next.breastfeeding = f.breastfeeding;
  // Kidney function: each measure is replaced only when restated ("not on dialysis" leaves the eGFR,
  // a new eGFR leaves the CrCl: the engine takes the lower of the two). A stage without a number
  // supersedes the old numbers ("now CKD 4" after "eGFR 50"), and a number supersedes the old stage.
  if (f.egfr !== undefined) next.egfr = f.egfr;
  if (f.crcl !== undefined) next.crcl = f.crcl;
  if (f.ckdStage !== undefined) {
    next.ckdStage = f.ckdStage;
    if (f.egfr === undefined && f.crcl === undefined) {
      delete next.egfr;
      delete next.crcl;
    }
  } else if (f.egfr !== undefined || f.crcl !== undefined) delete next.ckdStage;
  if (f.dialysis !== undefined) next.dialysis = f.dialysis;
  if (f.hepaticLevel !== undefined) next.hepaticLevel = f.hepaticLevel;
  if (f.activeLiverDisease !== undefined) next.activeLiverDisease = f.activeLiverDisease;
  if (f.weightKg !== undefined) next.weightKg = f.weightKg;
  if (f.qtcMs !== undefined) next.qtcMs = f.qtcMs;
  if (f.overrides.length) next.overrides = [...new Set([...(next.overrides ?? []), ...f.overrides])];
  // "Cancel the override for warfarin": the prescriber takes an override back by the drug or rule it named.
  if (f.revokedOverrides.length && next.overrides?.length) {
    const gone = f.revokedOverrides.map((r) => r.toLowerCase());
    next.overrides = next.overrides.filter((o) => !gone.some((g) => o.toLowerCase().includes(g)));
    if (!next.overrides.length) delete next.overrides;
  }
}

const REACTION_WORDS = 'itch\\w*|vomiting|myalgia|muscle (?:pain|aches?)|diarrh\\w*|gi upset|anaphyla\\w*|angio-?o?edema|stevens[- ]johnson(?: syndrome)?|sjs|toxic epidermal necrolysis|dress|bronchospasm|urticaria|hives|(?:itchy |maculopapular |non-urticarial |widespread )?rash|lip swelling|facial swelling|wheez\\w*|blisters?';
/** A reported reaction; its culprit is looked for in the words that follow. */
const REACTION_RE = new RegExp(`\\b(${REACTION_WORDS})\\b`, 'g');
/** "<drug> caused/gave/triggered … <reaction>", "<drug>-induced <reaction>". */
const DRUG_THEN_REACTION = new RegExp(`\\b([a-z][a-z0-9]{2,40})(?:\\s+(?:caused|causes|cause|gave (?:her|him|them|the patient)|makes (?:her|him|them|the patient)|made (?:her|him|them|the patient)|induced|triggered|provoked|led to|resulted in)\\s+|-(?:induced|associated|related)\\s+)(?:an?\\s+|severe\\s+|mild\\s+)?(?:[a-z]+\\s+){0,2}?(${REACTION_WORDS}|hepatitis|cholesta\\w*|jaundice|pancreatitis|agranulocytosis|neutropenia|nephritis|myopathy|rhabdomyolysis)\\b`, 'g');
/** Words the culprit patterns catch that are not drugs. */
const NOT_A_DRUG = /^(?:the|a|an|her|his|it|this|that|day|days|him|them|first|last|previous|prior|exposure|treatment|therapy|dose|use|throat|lips?|face|tongue|skin)$/;

/** Reaction words beside an allergy ("SJS", "anaphylaxis", "rash"), and allergies a message negates. */
const REACTION = /\b(anaphyla\w*|angio-?o?edema|stevens[- ]johnson(?: syndrome)?|sjs|toxic epidermal necrolysis|dress|bronchospasm|urticaria|hives|rash|itch\w*|swelling|wheez\w*|blisters?|hepatitis|intolerance|gi upset|nausea)\b/;

/** A whole mention that is a reaction, not a drug ("anaphylaxis" in "amoxicillin (anaphylaxis)"). */
const ONLY_REACTION = new RegExp(`^(?:severe |mild |moderate |an? )?(?:${REACTION_WORDS}|reaction|itch\\w*|swelling|hepatitis|intolerance|gi upset|nausea)$`, 'i');
/** "penicillin - hives", "sulfa: rash", "codeine causes nausea": the drug, then its reaction. */
const NAME_THEN_REACTION = new RegExp(`^(.{2,60}?)\\s*(?:[:\u2013\u2014-]\\s+|\\s(?:caus\\w*|gave|gives|with|led to)\\s+)(?:an? |severe |mild )?((?:${REACTION_WORDS}|itch\\w*|swelling|nausea).*)$`, 'i');

function readAllergyDetails(message: string, delta: CaseDelta): void {
  const reactions: Record<string, string> = {};
  const keep: string[] = [];
  const lowered = clauses(message).map((c) => c.toLowerCase());
  // Reaction words the list split off as mentions belong to the drug before them.
  const pairs: { name: string; reaction?: string }[] = [];
  for (const mention of delta.add.allergies) {
    const split = NAME_THEN_REACTION.exec(mention);
    if (split && !ONLY_REACTION.test(split[1].trim())) pairs.push({ name: split[1].trim(), reaction: split[2].trim() });
    else if (ONLY_REACTION.test(mention.trim())) {
      const prev = pairs[pairs.length - 1];
      if (prev && !prev.reaction) prev.reaction = mention.trim().replace(/^(?:an?|severe|mild|moderate)\s+/i, '');
    } else pairs.push({ name: mention });
  }
  for (const { name: mention, reaction } of pairs) {
    const m = mention.toLowerCase();
    const found = lowered.filter((c) => c.includes(m));
    if (!found.length) {
      keep.push(mention);
      if (reaction) reactions[mention] = reaction;
      continue;
    }
    // "no penicillin allergy", "denies sulfa allergy": not an allergy; it counts if any mention of it is not negated.
    const stated = found.find((c) => !negatedBefore(c, c.indexOf(m)) && !/\bno known (?:drug )?allerg|\bnkda\b/.test(c));
    if (!stated) continue;
    keep.push(mention);
    const at = stated.indexOf(m);
    const r = reaction ?? REACTION.exec(stated.slice(Math.max(0, at - 60), at + m.length + 80))?.[1];
    if (r) reactions[mention] = r;
  }
  // A reaction and its culprit, however the sentence runs: "SJS with co-trimoxazole", "anaphylaxis
  // (throat swelling) to amoxicillin", "rash on day 7 of amoxicillin", "allopurinol caused DRESS".
  // Culprits are only candidates: they count when they resolve to a drug or a drug class.
  const culprits: Record<string, string> = {};
  for (const lc of lowered) {
    if (Object.keys(culprits).length >= MAX_MENTIONS) break;
    // All the reactions the clause reports, so "urticaria and lip swelling" counts as the worse of the two.
    const all = [...new Set([...lc.matchAll(REACTION_RE)].map((x) => x[1]))].join(', ');
    for (const m of lc.matchAll(REACTION_RE)) {
      if (negatedBefore(lc, m.index ?? 0)) continue;
      // Every "to/with/after/of <word>" shortly after the reaction is a candidate; resolution keeps the drugs.
      const after = lc.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 80);
      for (const w of after.matchAll(/\b(?:to|with|after|from|following|of|on)\s+([a-z][a-z0-9-]{2,40})/g)) culprits[w[1]] ??= all;
    }
    for (const m of lc.matchAll(DRUG_THEN_REACTION)) if (!negatedBefore(lc, m.index ?? 0)) culprits[m[1]] ??= all || m[2];
  }
  for (const [drug, reaction] of Object.entries(culprits)) {
    if (NOT_A_DRUG.test(drug)) continue;
    if (!keep.some((k) => k.toLowerCase() === drug)) (delta.maybeAllergies ??= []).push(drug);
    reactions[drug] = reaction;
  }
  for (const k of keep) if (!reactions[k]) {
    const any = Object.values(culprits)[0];
    if (any) reactions[k] = any;
  }
  delta.add.allergies = keep;
  delta.allergyReactions = reactions;
}

/**
 * The rule tables' patient states (comorbidities, devices) a message names, by whole-word term
 * match on each clause, and the ones it negates ("no asthma", "no longer has heart failure").
 * Linear: each clause's words are looked up in an index of the terms' first words.
 */
function scanStates(k: SafetyKnowledge, message: string): { add: CaseState[]; remove: string[]; negated: string[] } {
  const index = stateIndex(k);
  const add: CaseState[] = [];
  const remove: string[] = [];
  const text = message.replace(/\s/g, ' ');
  // The same negation and family scopes as the case reader's: "no history of stroke or TIA" takes
  // the state off, "his sister has epilepsy" says nothing of the patient.
  const spans = readContext(text);
  for (const clause of text.matchAll(/[^;!?\n.]+(?:\.(?!\s|$)[^;!?\n.]*)*/g)) {
    const lc = clause[0].toLowerCase();
    const base = clause.index ?? 0;
    const words = [...lc.matchAll(/[a-z0-9'’]+(?:-[a-z0-9]+)*/g)];
    for (let i = 0; i < words.length; i++) {
      for (const t of index.get(words[i][0]) ?? []) {
        if (i + t.words.length > words.length) continue;
        if (!t.words.every((w, j) => words[i + j][0] === w)) continue;
        const at = base + (words[i].index ?? 0);
        const last = words[i + t.words.length - 1];
        const ctx = contextOf(spans, at, base + (last.index ?? 0) + last[0].length);
        if (ctx === 'family') continue;
        if (ctx === 'negated' || negatedBefore(lc, words[i].index ?? 0)) {
          if (!remove.includes(t.key)) remove.push(t.key);
        } else if (!add.some((s) => s.key === t.key)) add.push({ key: t.key, text: t.term });
      }
    }
  }
  return { add, remove: remove.filter((r) => !add.some((a) => a.key === r)), negated: remove };
}

/**
 * Hyperkalaemia from a measured potassium ("K+ 6.1", "his potassium is 6.1"): above 5.5 mmol/L
 * (UK Kidney Association, Clinical Practice Guideline: Treatment of Acute Hyperkalaemia in Adults,
 * 2020), the state the rule tables key potassium-raising drugs on; a normal value takes it off.
 */
function potassiumStates(k: SafetyKnowledge, message: string): { add: CaseState[]; remove: string[] } {
  if (!k.conditions.some((c) => c.key === 'hyperkalaemia')) return { add: [], remove: [] };
  const m = /\bpotassium\b[^.;\d]{0,24}?(\d(?:\.\d{1,2})?)\b(?!\s*(?:mg|g|%|years?))/i.exec(message) ?? /\bK\+?\s*(?:is|was|of|now)?\s*[:=]?\s*(\d\.\d{1,2})\b/.exec(message);
  const value = m ? Number(m[1]) : NaN;
  if (!(value >= 1.5 && value <= 10)) return { add: [], remove: [] };
  return value > 5.5 ? { add: [{ key: 'hyperkalaemia', text: `potassium ${value}` }], remove: [] } : { add: [], remove: ['hyperkalaemia'] };
}

const stateIndexes = new WeakMap<SafetyKnowledge, Map<string, { key: string; term: string; words: string[] }[]>>();
function stateIndex(k: SafetyKnowledge) {
  let idx = stateIndexes.get(k);
  if (idx) return idx;
  idx = new Map();
  for (const c of k.conditions) {
    for (const term of c.terms) {
      const words = [...term.matchAll(/[a-z0-9'’]+(?:-[a-z0-9]+)*/g)].map((m) => m[0]);
      if (!words.length) continue;
      const list = idx.get(words[0]) ?? [];
      list.push({ key: c.key, term, words });
      idx.set(words[0], list);
    }
  }
  stateIndexes.set(k, idx);
  return idx;
}

/** The patient factors in words: "20 weeks pregnant", "eGFR 22", "Child–Pugh B". */
export function describeFactors(c: TrackedCase): string[] {
  const out: string[] = [];
  if (c.pregnant) out.push(c.pregnancyWeeks !== undefined ? `pregnant, ${c.pregnancyWeeks} weeks` : c.trimester ? `pregnant, trimester ${c.trimester}` : 'pregnant');
  if (c.breastfeeding) out.push('breastfeeding');
  const kidney = [
    c.egfr !== undefined ? `eGFR ${c.egfr}` : '',
    c.crcl !== undefined ? `CrCl ${c.crcl} mL/min` : '',
    c.ckdStage ? `CKD stage ${c.ckdStage}` : '',
    c.dialysis ? 'on dialysis' : '',
  ].filter(Boolean);
  if (kidney.length) out.push(kidney.join(', '));
  if (c.hepaticLevel) out.push(`${c.hepaticLevel} hepatic impairment`);
  if (c.activeLiverDisease) out.push('active liver disease');
  if (c.weightKg !== undefined) out.push(`${c.weightKg} kg`);
  if (c.qtcMs !== undefined) out.push(`QTc ${c.qtcMs} ms`);
  if (c.longQt) out.push('long QT');
  for (const s of c.states ?? []) out.push(s.text);
  return out;
}

/** The case in one paragraph, for prompts and evidence-only answers. */
export function describeCase(c: TrackedCase): string {
  const parts: string[] = [];
  const demo = [c.age !== undefined ? `${c.age}-year-old` : '', c.sex ?? ''].filter(Boolean).join(' ');
  if (demo) parts.push(`Patient: ${demo}.`);
  const list = (xs: CaseEntity[]) => xs.map((e) => (e.id ? `${e.name} (${e.id})` : e.name)).join(', ');
  parts.push(`Conditions: ${c.conditions.length ? list(c.conditions) : 'none stated'}.`);
  parts.push(`Current medications: ${c.currentMedications.length ? list(c.currentMedications) : 'none stated'}.`);
  if (c.allergies.length) parts.push(`Allergies: ${c.allergies.map((a) => `${a.id ? `${a.name} (${a.id})` : a.name}${a.reaction ? ` — ${a.reaction}` : ''}`).join(', ')}.`);
  const factors = describeFactors(c);
  if (factors.length) parts.push(`Patient factors: ${factors.join('; ')}.`);
  if (c.renal) parts.push(`Renal (as written): ${c.renal}.`);
  if (c.hepatic) parts.push(`Hepatic (as written): ${c.hepatic}.`);
  if (c.familyHistory?.length) parts.push(`Family history (not the patient's): ${c.familyHistory.join(', ')}.`);
  if (c.overrides?.length) parts.push(`Prescriber overrides: ${c.overrides.join(', ')}.`);
  return parts.join(' ');
}
