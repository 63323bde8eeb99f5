import { DISEASE_FUZZY_ACCEPT } from '../kb/graph/shared.js';
import type { GraphStore } from '../kb/graph/store.js';
import type { AllergyEntity, CaseEntity, CaseState, TrackedCase } from './case-types.js';
import { clauses, negatedBefore, readFactors, type FactorDelta } from './factors-reader.js';
import { readIntent } from './intent.js';
import { reactionSeverity } from './patient-factors.js';
import type { SafetyKnowledge } from './safety/knowledge.js';

/**
 * Case extraction: deterministic rules find the mentions (cue phrases such as "diagnosed with",
 * "takes", "allergic to", negations such as "not diabetic", "stopped warfarin"), and the KB's
 * entity resolution turns each mention into an identifier. Rules rather than a model so the case
 * is right without a model and the same message always gives the same case.
 */

// Lay terms and abbreviations ("diabetes", "CAP", "aspirin") are the graph store's own vocabulary
// (kb/vocabulary/lay-terms.tsv), so the case reader and every tool resolve them alike.

/** Words that begin a clause and so end a mention ("with diabetes who takes …"). */
const STOP = /\b(?:who|which|that|but|because|since|currently|taking|takes|take|on|is|was|and is|has|had|also|now|presents?|allergic|allergy|allergies|stopped|started|starting|switched|changed|restarted|begun|began|no longer|not|she|he|they|her|his|for|in|at|what|why|how|should|could|would|can|please|recommend)\b/i;
const FILLER = /^(?:a|an|the|some|mild|moderate|severe|known|poorly controlled|well controlled|uncontrolled|newly diagnosed|chronic|longstanding|long-standing|long-term|long term|longterm|regular|maintenance|prophylactic|oral|topical|inhaled|daily|low-dose|low dose|high-dose|high dose)\s+/i;

/** Dosing and frequency after a drug name ("aspirin 81 mg daily") are not part of the name. */
const TRAILING = /(?:\s+(?:\d+(?:\.\d+)?\s*(?:mg|mcg|g|units?|iu)\b.*|daily|once daily|twice daily|every day|at night|bid|tid|qd|prn|as needed|patients?|case|last (?:week|month|year|night)|yesterday|today|recently|this (?:week|month|morning)|(?:\d+|a|one|two|three|few|several) (?:days?|weeks?|months?|years?) ago))+$/i;

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
  if (cache.has(key)) return cache.get(key)!;
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

function cleanMention(s: string): string {
  // A mention is a few words: longer text is not one, and the patterns below stay on short strings.
  if (s.length > MAX_MENTION_INPUT) return '';
  let t = s.trim().replace(/^[\s,;:'"(]+|[\s,;:.!?'")]+$/g, '');
  for (let i = 0; i < 3; i++) t = t.replace(FILLER, '');
  t = t.replace(TRAILING, '');
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
  { re: /\b(?:stopped|discontinued|quit|ceased|came off|is off|no longer (?:takes|taking|on)|(?:does not|doesn'?t) take|not (?:taking|on))\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'remove' },
  { re: /\b(?:allergic to|allergic reactions? to|allergy to|allergies to|hypersensitiv(?:e|ity) to|(?:drug |known )?allerg(?:y|ies)\s*(?:[:\u2013\u2014-]|include[sd]?\b|including\b|are\b|is\b|history\s*:)|intolerant (?:of|to)|anaphylaxis (?:to|with))\s*([^.;!?]+)/gi, field: 'allergies', op: 'add' },
  // Bounded runs: a long hyphenated word cannot make this scan backtrack.
  { re: /\b([a-z][a-z-]{1,40})\s+allergy\b/gi, field: 'allergies', op: 'add' },
  { re: /\b([a-z][a-z]{2,40})-allergic\b/gi, field: 'allergies', op: 'add' },
  { re: /\b(?:takes|taking|is on|currently on|started|also on|prescribed|uses|using|receiving|treated with|medications?:?|current meds:?|meds:|drugs:|rx:)\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'add' },
  { re: /\bon\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'add', ifResolves: true },
  { re: /\b(?:diagnosed with|diagnosis of|has|have|with|history of|suffers from|suffering from|presents with|presenting with|known)\s+([^.;!?]+)/gi, field: 'conditions', op: 'add' },
  { re: /\b(diabetic|hypertensive|asthmatic|epileptic)\b/gi, field: 'conditions', op: 'add' },
];

/** Words the "<word> allergy" cue catches that name no allergen ("a bad allergy history", "drug allergy"). */
const NOT_AN_ALLERGEN = /^(?:bad|severe|mild|moderate|serious|drug|drugs|medication|medicine|food|known|no|any|an?|the|her|his|their|seasonal|possible|suspected|reported|documented|multiple|several|true|previous|prior|environmental|unknown|other|an? \w+)$/i;

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
}

/** Reads the mentions and demographic facts in one message (no KB access: pure). */
export function parseCaseDelta(message: string): CaseDelta {
  const delta: CaseDelta = {
    add: { conditions: [], currentMedications: [], allergies: [] },
    remove: { conditions: [], currentMedications: [], allergies: [] },
  };
  // "H. pylori", "E. coli": an initial's full stop does not end the sentence a cue reads to.
  let text = message.replace(/\s+/g, ' ').replace(/\b([A-Z])\.\s(?=[a-z])/g, '$1  ');
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
  const years = age ? Number(age[1] ?? age[2] ?? age[3] ?? age[4] ?? age[5]) : NaN;
  if (years >= 0 && years <= 120) delta.age = years;
  if (/\b(?:woman|female|lady|girl|mother|she|her)\b/i.test(message)) delta.sex = 'female';
  else if (/\b(?:man|male|gentleman|boy|father|he|his|him)\b/i.test(message)) delta.sex = 'male';
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
  const stem = mention.toLowerCase().replace(/(?:ic|ics|es|s)$/, '').slice(0, 7);
  return list.filter((e) => !((resolved && sameEntity(e, resolved)) || (stem.length >= 4 && (e.name.toLowerCase().includes(stem) || e.text.toLowerCase().includes(stem)))));
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
  const out: CaseEntity[] = [];
  for (const fragment of message.split(/[.;:!?,()\n]+/)) {
    const words = fragment.split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length) {
      let matched = 0;
      for (let n = Math.min(MAX_NGRAM, words.length - i); n >= 1 && !matched; n--) {
        const text = words.slice(i, i + n).join(' ');
        // Short words are ordinary words ("cap", "pad") unless written as a capitalised clinical
        // abbreviation ("PMH: HTN, AF, CKD"); those count only as the vocabulary's own abbreviations.
        const short = text.replace(/[^\p{L}\p{N}]/gu, '').length < 4;
        const abbreviation = short && n === 1 && /^[A-Z][A-Z0-9]{1,3}$/.test(text.replace(/[^\p{L}\p{N}]/gu, '')) && !AMBIGUOUS_ABBREVIATIONS.has(text.replace(/[^\p{L}\p{N}]/gu, ''));
        if (short && !abbreviation) continue;
        const m = (await graph.resolve(text, { kinds: ['Disease'], limit: 1, exactOnly: true })).matches[0];
        if (abbreviation && m?.matchType !== 'preferred') continue;
        if (m && m.matchType !== 'code' && (m.inGraph || m.indicated || m.mapsTo?.length)) {
          const direct = m.inGraph || m.indicated;
          const graphDisease = direct ? m : { ...m.mapsTo![0] };
          out.push({ id: graphDisease.id, name: graphDisease.name, text, ...(direct ? {} : { matchedId: m.id }) });
          matched = n;
        }
      }
      i += matched || 1;
    }
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
export async function applyCaseDelta(graph: GraphStore, current: TrackedCase, delta: CaseDelta, message = '', knowledge?: SafetyKnowledge): Promise<CaseUpdate> {
  const next: TrackedCase = structuredClone(current);
  const unresolved: string[] = [];
  const notices: string[] = (delta.factors?.unread ?? []).map((u) => `Could not read ${u}: restate it as a number (for example "eGFR 25", "QTc 480 ms") so the safety rules can use it.`);
  const kindOf = { conditions: 'Disease', currentMedications: 'Compound', allergies: 'Compound' } as const;
  for (const field of ['conditions', 'currentMedications', 'allergies'] as const) {
    for (const m of delta.remove[field]) {
      const r = await resolveMention(graph, m, kindOf[field]);
      (next[field] as CaseEntity[]) = removeMatching(next[field], m, r);
    }
    for (const m of delta.add[field]) {
      let r = await resolveMention(graph, m, kindOf[field]);
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
  for (const m of delta.maybeMedications ?? []) {
    const r = await resolveMention(graph, m, 'Compound');
    if (r && !next.currentMedications.some((e) => sameEntity(e, r)) && !next.allergies.some((e) => sameEntity(e, r))) next.currentMedications.push(r);
  }
  if (delta.bare) {
    const r = await resolveMention(graph, delta.bare, 'Disease');
    if (r && !next.conditions.some((e) => sameEntity(e, r))) next.conditions.push(r);
  }
  // Conditions named without a cue ("Type 2 diabetes, takes warfarin"): known disease terms in the
  // text, unless they sit inside a phrase this message negates.
  const negated = delta.remove.conditions.map((x) => x.toLowerCase());
  for (const found of await scanDiseaseTerms(graph, message)) {
    if (negated.some((n) => n.includes(found.text.toLowerCase()) || found.text.toLowerCase().includes(n))) continue;
    if (!next.conditions.some((e) => sameEntity(e, found))) next.conditions.push(found);
  }
  // The question's phase (acute attack vs prevention) is the latest one asked.
  const intent = readIntent(message);
  if (intent) next.intent = intent;
  if (delta.age !== undefined) next.age = delta.age;
  if (delta.sex && !next.sex) next.sex = delta.sex;
  applyFactors(next, delta);
  if (knowledge) {
    const states = scanStates(knowledge, message);
    const kept = (next.states ?? []).filter((s) => !states.remove.includes(s.key));
    for (const s of states.add) if (!kept.some((k) => k.key === s.key)) kept.push(s);
    next.states = kept;
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

const groupsNamedByPhrase = (k: SafetyKnowledge, phrase: string) => {
  const norm = phrase.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim().replace(/^(?:an?|the|any|all)\s+/, '');
  return [norm, norm.replace(/s$/, ''), `${norm}s`].some((f) => k.groupTerms.has(f));
};

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

const REACTION_WORDS = 'anaphyla\\w*|angio-?o?edema|stevens[- ]johnson(?: syndrome)?|sjs|toxic epidermal necrolysis|dress|bronchospasm|urticaria|hives|(?:itchy |maculopapular |non-urticarial |widespread )?rash|lip swelling|facial swelling|wheez\\w*|blisters?';
/** A reported reaction; its culprit is looked for in the words that follow. */
const REACTION_RE = new RegExp(`\\b(${REACTION_WORDS})\\b`, 'g');
/** "<drug> caused/gave/triggered … <reaction>", "<drug>-induced <reaction>". */
const DRUG_THEN_REACTION = new RegExp(`\\b([a-z][a-z0-9]{2,40})(?:\\s+(?:caused|causes|gave (?:her|him|them|the patient)|induced|triggered|provoked|led to|resulted in)\\s+|-(?:induced|associated|related)\\s+)(?:an?\\s+|severe\\s+|mild\\s+)?(?:[a-z]+\\s+){0,2}?(${REACTION_WORDS})\\b`, 'g');
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
export function scanStates(k: SafetyKnowledge, message: string): { add: CaseState[]; remove: string[] } {
  const index = stateIndex(k);
  const add: CaseState[] = [];
  const remove: string[] = [];
  for (const clause of clauses(message)) {
    const lc = clause.toLowerCase();
    const words = [...lc.matchAll(/[a-z0-9'’]+(?:-[a-z0-9]+)*/g)];
    for (let i = 0; i < words.length; i++) {
      for (const t of index.get(words[i][0]) ?? []) {
        if (i + t.words.length > words.length) continue;
        if (!t.words.every((w, j) => words[i + j][0] === w)) continue;
        const at = words[i].index ?? 0;
        const negated = negatedBefore(lc, at) || /\bno longer (?:has|have|had)\b[^,]*$/.test(lc.slice(0, at));
        if (negated) {
          if (!remove.includes(t.key)) remove.push(t.key);
        } else if (!add.some((s) => s.key === t.key)) add.push({ key: t.key, text: t.term });
      }
    }
  }
  return { add, remove: remove.filter((r) => !add.some((a) => a.key === r)) };
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
  const kidney = [c.egfr !== undefined ? `eGFR ${c.egfr}` : '', c.crcl !== undefined ? `CrCl ${c.crcl} mL/min` : '', c.ckdStage ? `CKD stage ${c.ckdStage}` : '', c.dialysis ? 'on dialysis' : ''].filter(Boolean);
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
  if (c.overrides?.length) parts.push(`Prescriber overrides: ${c.overrides.join(', ')}.`);
  return parts.join(' ');
}
