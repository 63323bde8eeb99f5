import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { z } from 'zod';
import type { GraphStore } from '../kb/graph/store.js';
import { loadPrompt } from '../prompts/load.js';
import type { CaseEntity, TrackedCase } from './state.js';

/**
 * Case extraction: deterministic rules find the mentions (cue phrases such as "diagnosed with",
 * "takes", "allergic to", negations such as "not diabetic", "stopped warfarin"), and the KB's
 * entity resolution turns each mention into an identifier. Rules rather than a model so the case
 * is right without a model and the same message always gives the same case.
 */

/** Lay terms the vocabulary lacks, mapped to a term it has. */
const LAY_TERMS: Record<string, string> = {
  diabetes: 'type 2 diabetes mellitus',
  diabetic: 'type 2 diabetes mellitus',
  t2dm: 'type 2 diabetes mellitus',
  'type 2 diabetes': 'type 2 diabetes mellitus',
  'type ii diabetes': 'type 2 diabetes mellitus',
  't1dm': 'type 1 diabetes mellitus',
  'type 1 diabetes': 'type 1 diabetes mellitus',
  'high blood pressure': 'hypertension',
  hypertensive: 'hypertension',
  htn: 'hypertension',
  'high cholesterol': 'hypercholesterolemia',
  afib: 'atrial fibrillation',
  'a-fib': 'atrial fibrillation',
  ckd: 'chronic kidney disease',
  copd: 'chronic obstructive pulmonary disease',
  asthmatic: 'asthma',
  epileptic: 'epilepsy',
  depressed: 'major depressive disorder',
  depression: 'major depressive disorder',
  penicillin: 'benzylpenicillin',
  penicillins: 'benzylpenicillin',
  sulfa: 'sulfamethoxazole',
};

/** Words that begin a clause and so end a mention ("with diabetes who takes …"). */
const STOP = /\b(?:who|which|that|but|because|since|currently|taking|takes|take|on|is|was|and is|has|had|also|now|presents?|allergic|allergy|allergies|stopped|no longer|not|she|he|they|her|his|for|in|at|what|why|how|should|could|would|can|please|recommend)\b/i;
const FILLER = /^(?:a|an|the|some|mild|moderate|severe|known|poorly controlled|well controlled|uncontrolled|newly diagnosed|chronic|longstanding|long-standing|history of|h\/o|daily|low-dose|low dose)\s+/i;

/** Dosing and frequency after a drug name ("aspirin 81 mg daily") are not part of the name. */
const TRAILING = /(?:\s+(?:\d+(?:\.\d+)?\s*(?:mg|mcg|g|units?|iu)\b.*|daily|once daily|twice daily|every day|at night|bid|tid|qd|prn|as needed|patients?|case))+$/i;

/** Resolutions are cached per store: the same mention recurs across turns and threads. */
const resolveCache = new WeakMap<GraphStore, Map<string, CaseEntity | null>>();

/** The fuzzy score above which a mention is accepted (below, "diabetes" matches "renal glycosuria"). */
const FUZZY_ACCEPT = 0.87;

/** Resolves one mention to a KB entity of the kind, or null when nothing is close enough. */
export async function resolveMention(graph: GraphStore, text: string, kind: 'Disease' | 'Compound'): Promise<CaseEntity | null> {
  const cleaned = cleanMention(text);
  if (!cleaned) return null;
  let cache = resolveCache.get(graph);
  if (!cache) resolveCache.set(graph, (cache = new Map()));
  const key = `${kind}|${cleaned.toLowerCase()}`;
  if (cache.has(key)) return cache.get(key)!;
  const query = LAY_TERMS[cleaned.toLowerCase()] ?? cleaned;
  const r = await graph.resolve(query, { kinds: [kind], limit: 3 });
  const best = r.matches.find((m) => m.matchType !== 'fuzzy' || m.score >= FUZZY_ACCEPT);
  let out: CaseEntity | null = null;
  if (best) {
    // A vocabulary-only disease is answered through the graph disease it maps to.
    const target = !best.inGraph && best.mapsTo?.length ? best.mapsTo[0] : best;
    out = { text: cleaned, id: target.id, name: target.name };
  }
  if (cache.size > 5000) cache.clear();
  cache.set(key, out);
  return out;
}

function cleanMention(s: string): string {
  let t = s.trim().replace(/^[\s,;:'"(]+|[\s,;:.!?'")]+$/g, '');
  for (let i = 0; i < 3; i++) t = t.replace(FILLER, '');
  t = t.replace(TRAILING, '');
  return t.length >= 2 && t.length <= 80 ? t : '';
}

/** Splits a captured phrase into mentions and cuts it where a new clause begins. */
export function splitMentions(phrase: string): string[] {
  const stop = phrase.search(STOP);
  const head = stop >= 0 ? phrase.slice(0, stop) : phrase;
  return head
    .split(/\s*(?:,|;|\/|\band\b|\bor\b|\bplus\b|&)\s*/i)
    .map(cleanMention)
    .filter(Boolean);
}

interface Cue {
  re: RegExp;
  field: 'conditions' | 'currentMedications' | 'allergies';
  op: 'add' | 'remove';
}

// Order matters: negations first, so "not diabetic" is not also read as "diabetic".
const CUES: Cue[] = [
  { re: /\b(?:not|no longer|isn'?t|is not|never been)\s+(?:a\s+)?(diabetic|hypertensive|asthmatic|epileptic|depressed)\b/gi, field: 'conditions', op: 'remove' },
  { re: /\b(?:does not|doesn'?t|do not|don'?t|no longer)\s+(?:have|has)\s+([^.;!?]+)/gi, field: 'conditions', op: 'remove' },
  { re: /\b(?:ruled out|no history of|without)\s+([^.;!?]+)/gi, field: 'conditions', op: 'remove' },
  { re: /\b(?:stopped|discontinued|quit|ceased|came off|is off|no longer (?:takes|taking|on)|(?:does not|doesn'?t) take|not (?:taking|on))\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'remove' },
  { re: /\b(?:allergic to|allergy to|allergies to|intolerant (?:of|to)|anaphylaxis (?:to|with))\s+([^.;!?]+)/gi, field: 'allergies', op: 'add' },
  { re: /\b([a-z][a-z-]+)\s+allergy\b/gi, field: 'allergies', op: 'add' },
  { re: /\b(?:takes|taking|is on|currently on|started|also on|prescribed|uses|using|receiving|treated with|medications?:?)\s+([^.;!?]+)/gi, field: 'currentMedications', op: 'add' },
  { re: /\b(?:diagnosed with|diagnosis of|has|have|with|history of|suffers from|suffering from|presents with|presenting with|known)\s+([^.;!?]+)/gi, field: 'conditions', op: 'add' },
  { re: /\b(diabetic|hypertensive|asthmatic|epileptic)\b/gi, field: 'conditions', op: 'add' },
];

/** What one message says about the case, before resolution. */
export interface CaseDelta {
  add: Record<'conditions' | 'currentMedications' | 'allergies', string[]>;
  remove: Record<'conditions' | 'currentMedications' | 'allergies', string[]>;
  age?: number;
  sex?: 'female' | 'male' | 'other';
  pregnant?: boolean;
  renal?: string;
  hepatic?: string;
  /** A short message with no cue ("hypertension", "type 2 diabetes patient"): tried as a condition. */
  bare?: string;
}

/** Reads the mentions and demographic facts in one message (no KB access: pure). */
export function parseCaseDelta(message: string): CaseDelta {
  const delta: CaseDelta = {
    add: { conditions: [], currentMedications: [], allergies: [] },
    remove: { conditions: [], currentMedications: [], allergies: [] },
  };
  let text = message.replace(/\s+/g, ' ');
  for (const cue of CUES) {
    text = text.replace(cue.re, (whole, phrase: string) => {
      delta[cue.op][cue.field].push(...splitMentions(phrase));
      // Blank the consumed cue so later (broader) cues do not read it again.
      return ' '.repeat(whole.length) + (whole.endsWith('.') ? '.' : '');
    });
  }
  const age = /\b(\d{1,3})[- ]?(?:years?|yrs?|y)[- ]?(?:old|o\b)|\bage[d]?[: ]\s*(\d{1,3})\b|\b(\d{1,3})\s*(?:yo|y\/o)\b/i.exec(message);
  const years = age ? Number(age[1] ?? age[2] ?? age[3]) : NaN;
  if (years >= 0 && years <= 120) delta.age = years;
  if (/\b(?:woman|female|lady|girl|mother|she|her)\b/i.test(message)) delta.sex = 'female';
  else if (/\b(?:man|male|gentleman|boy|father|he|his|him)\b/i.test(message)) delta.sex = 'male';
  if (/\b(?:not|isn'?t|no longer)\s+pregnant\b/i.test(message)) delta.pregnant = false;
  else if (/\bpregnan(?:t|cy)\b/i.test(message)) delta.pregnant = true;
  const renal = /[^.;]*\b(?:ckd|chronic kidney disease|renal (?:impairment|failure|insufficiency|disease)|kidney (?:disease|failure|function)|egfr|creatinine clearance|dialysis)\b[^.;]*/i.exec(message);
  if (renal) delta.renal = renal[0].trim();
  const hepatic = /[^.;]*\b(?:cirrhosis|hepatic (?:impairment|failure|disease)|liver (?:disease|failure|impairment|function)|child-pugh|hepatitis)\b[^.;]*/i.exec(message);
  if (hepatic) delta.hepatic = hepatic[0].trim();
  const mentioned = [...Object.values(delta.add), ...Object.values(delta.remove)].some((x) => x.length);
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
export async function updateCase(graph: GraphStore, current: TrackedCase, message: string): Promise<{ case: TrackedCase; unresolved: string[]; changed: boolean }> {
  const delta = parseCaseDelta(message);
  return applyCaseDelta(graph, current, delta, message);
}

const MAX_NGRAM = 6;

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
        if (text.replace(/[^\p{L}\p{N}]/gu, '').length < 4) continue;
        const m = (await graph.resolve(text, { kinds: ['Disease'], limit: 1, exactOnly: true })).matches[0];
        if (m && m.matchType !== 'code' && (m.inGraph || m.mapsTo?.length)) {
          const graphDisease = m.inGraph ? m : { ...m.mapsTo![0] };
          out.push({ id: graphDisease.id, name: graphDisease.name, text });
          matched = n;
        }
      }
      i += matched || 1;
    }
  }
  return out;
}

/** Resolves a parsed delta against the KB and applies it to the case. */
export async function applyCaseDelta(graph: GraphStore, current: TrackedCase, delta: CaseDelta, message = ''): Promise<{ case: TrackedCase; unresolved: string[]; changed: boolean }> {
  const next: TrackedCase = structuredClone(current);
  const unresolved: string[] = [];
  const kindOf = { conditions: 'Disease', currentMedications: 'Compound', allergies: 'Compound' } as const;
  for (const field of ['conditions', 'currentMedications', 'allergies'] as const) {
    for (const m of delta.remove[field]) {
      const r = await resolveMention(graph, m, kindOf[field]);
      next[field] = removeMatching(next[field], m, r);
    }
    for (const m of delta.add[field]) {
      const r = await resolveMention(graph, m, kindOf[field]);
      const entity = r ?? (field === 'allergies' ? { text: m, name: m } : null);
      if (!entity) {
        unresolved.push(m);
        continue;
      }
      if (!next[field].some((e) => sameEntity(e, entity))) next[field].push(entity);
      // Adding a drug the patient "stopped" earlier, or a diagnosis, needs no other bookkeeping.
    }
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
  if (delta.age !== undefined) next.age = delta.age;
  if (delta.sex && !next.sex) next.sex = delta.sex;
  if (delta.pregnant !== undefined) next.pregnant = delta.pregnant;
  if (delta.renal) next.renal = delta.renal;
  if (delta.hepatic) next.hepatic = delta.hepatic;
  if (message.trim()) next.notes = [current.notes, message.trim()].filter(Boolean).join('\n').slice(-1500);
  const changed = JSON.stringify({ ...next, notes: undefined }) !== JSON.stringify({ ...current, notes: undefined });
  return { case: next, unresolved, changed };
}

const llmCaseSchema = z.object({
  conditions_add: z.array(z.string()).optional(),
  conditions_remove: z.array(z.string()).optional(),
  medications_add: z.array(z.string()).optional(),
  medications_remove: z.array(z.string()).optional(),
  allergies_add: z.array(z.string()).optional(),
  age: z.number().int().min(0).max(120).optional(),
  sex: z.enum(['female', 'male', 'other']).optional(),
  pregnant: z.boolean().optional(),
  renal: z.string().optional(),
  hepatic: z.string().optional(),
});

/**
 * Model-assisted extraction (optional, model mode): the model reads the message with the
 * case-extraction prompt, and its lists are merged into the rule-based delta. Resolution to KB
 * entities stays in code, so a model cannot add an entity the KB does not have.
 */
export async function modelCaseDelta(model: BaseChatModel, current: TrackedCase, message: string, signal?: AbortSignal): Promise<CaseDelta> {
  const base = parseCaseDelta(message);
  const prompt = loadPrompt('case-extraction', { current_case: JSON.stringify({ ...current, notes: undefined }), message });
  const raw = await model.withStructuredOutput(llmCaseSchema).invoke(prompt, { signal });
  const parsed = llmCaseSchema.safeParse(raw);
  if (!parsed.success) return base;
  const x = parsed.data;
  const add = (a: string[], b?: string[]) => [...new Set([...a, ...(b ?? [])])];
  return {
    add: { conditions: add(base.add.conditions, x.conditions_add), currentMedications: add(base.add.currentMedications, x.medications_add), allergies: add(base.add.allergies, x.allergies_add) },
    remove: { conditions: add(base.remove.conditions, x.conditions_remove), currentMedications: add(base.remove.currentMedications, x.medications_remove), allergies: base.remove.allergies },
    age: base.age ?? x.age,
    sex: base.sex ?? x.sex,
    pregnant: base.pregnant ?? x.pregnant,
    renal: base.renal ?? x.renal,
    hepatic: base.hepatic ?? x.hepatic,
  };
}

/** The case in one paragraph, for prompts and evidence-only answers. */
export function describeCase(c: TrackedCase): string {
  const parts: string[] = [];
  const demo = [c.age !== undefined ? `${c.age}-year-old` : '', c.sex ?? '', c.pregnant ? '(pregnant)' : ''].filter(Boolean).join(' ');
  if (demo) parts.push(`Patient: ${demo}.`);
  const list = (xs: CaseEntity[]) => xs.map((e) => (e.id ? `${e.name} (${e.id})` : e.name)).join(', ');
  parts.push(`Conditions: ${c.conditions.length ? list(c.conditions) : 'none stated'}.`);
  parts.push(`Current medications: ${c.currentMedications.length ? list(c.currentMedications) : 'none stated'}.`);
  if (c.allergies.length) parts.push(`Allergies: ${list(c.allergies)}.`);
  if (c.renal) parts.push(`Renal: ${c.renal}.`);
  if (c.hepatic) parts.push(`Hepatic: ${c.hepatic}.`);
  return parts.join(' ');
}
