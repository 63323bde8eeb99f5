import { z } from 'zod';
import { makeAgent } from '../agent/index.js';
import type { FinalAnswer } from '../agent/types.js';
import { updateCase } from '../clinical/case-reader.js';
import { emptyCase, type CaseEntity, type TrackedCase } from '../clinical/case-types.js';
import { ALLERGY_SEVERITIES, CKD_STAGES, HEPATIC_LEVELS } from '../clinical/patient-factors.js';
import type { SafetyEngine } from '../clinical/safety/engine.js';
import type { SafetyKnowledge } from '../clinical/safety/knowledge.js';
import type { EvidenceStore } from '../kb/corpus/store.js';
import type { GraphStore } from '../kb/graph/store.js';
import { normalizeTerm } from '../kb/base/graph-schema.js';
import { parseItemSet, readItemSet } from './item-set.js';

/**
 * The case-reading evaluation (issue 13, "Measured"): clinicians' phrasings
 * (tests/fixtures/cases/phrasings.json), each with the structured case a clinician means by it,
 * read by the case reader exactly as the agent reads a chat turn (`updateCase`, turn by turn for
 * multi-turn scripts), and scored per field:
 *   - conditions, medications, allergies: precision (read entities that a clinician wrote / all
 *     read entities, those an item marks optional left out) and recall (expected entities read);
 *   - patient factors (age, sex, pregnancy and weeks, breastfeeding, eGFR, CrCl, CKD stage,
 *     dialysis, Child–Pugh level, weight, QTc, rule-table states, overrides): exact-match accuracy
 *     per factor, where `null` in the fixture means "must not be set";
 *   - allergy reaction and severity where the text states them;
 *   - negated findings taken as present: anything in an item's `absent` lists that was read, and a
 *     factor the text denies (not pregnant, not breastfeeding, not on dialysis) read as present (goal 0);
 *   - numbers taken as ICD codes: an unexpected condition read from a mention with a digit in it
 *     ("100" of "BP 150/100" as leptospirosis, ICD-9 100), counted over every item; the "numbers"
 *     category holds the phrasings written to provoke it (vitals, labs, scores, dates) (goal 0);
 *   - multi-turn scripts: the evidence-only agent (no model, with the safety engine) answers each turn
 *     and the answer must move as the script says (`answer_changes`); a script passes when all its checks do.
 */

export const CASE_CATEGORIES = [
  'negation',
  'uncertainty',
  'family-history',
  'history',
  'numbers',
  'medications',
  'doses',
  'brands',
  'abbreviations',
  'spelling',
  'typos',
  'allergies',
  'factors',
  'demographics',
  'notes',
  'intent',
  'multi-turn',
] as const;
type CaseCategory = (typeof CASE_CATEGORIES)[number];
export const CASE_FIELDS = ['conditions', 'medications', 'allergies'] as const;
type CaseField = (typeof CASE_FIELDS)[number];

/**
 * One expected entity: a KB identifier ("DOID:9352", "DB00682") or a name ("sulfonamides"), or a
 * list of them, any one of which is what the clinician means ("DOID:9352" or "DOID:9351" for "diabetic").
 */
const refSchema = z.union([z.string().trim().min(1).max(120), z.array(z.string().trim().min(1).max(120)).min(1).max(10)], {
  error: 'an identifier ("DOID:9352", "DB00682") or a name, or a list of them',
});
type Ref = z.infer<typeof refSchema>;

const allergySchema = z.union([
  refSchema,
  z
    .object({
      substance: refSchema,
      /** The reaction as written ("anaphylaxis", "rash"): the read reaction must contain it (or be contained in it). */
      reaction: z.string().trim().min(1).max(80).optional(),
      severity: z.enum(ALLERGY_SEVERITIES).optional(),
    })
    .strict(),
]);

/** Factors a case states; `null`: the text does not state it, so it must not be read. */
const factorsSchema = z
  .object({
    age: z.number().int().min(0).max(120).nullable(),
    sex: z.enum(['female', 'male', 'other']).nullable(),
    pregnant: z.boolean().nullable(),
    pregnancyWeeks: z.number().int().min(1).max(42).nullable(),
    trimester: z.union([z.literal(1), z.literal(2), z.literal(3)]).nullable(),
    breastfeeding: z.boolean().nullable(),
    egfr: z.number().min(0).max(200).nullable(),
    crcl: z.number().min(0).max(250).nullable(),
    ckdStage: z.enum(CKD_STAGES).nullable(),
    dialysis: z.boolean().nullable(),
    hepaticLevel: z.enum(HEPATIC_LEVELS).nullable(),
    activeLiverDisease: z.boolean().nullable(),
    weightKg: z.number().min(0.5).max(350).nullable(),
    qtcMs: z.number().int().min(250).max(800).nullable(),
    /** Rule-table states (clinical/rules/conditions.tsv keys) the case must hold. */
    states: z.array(z.string().regex(/^[a-z0-9_]+$/, 'a conditions.tsv key')).min(1),
    /** Prescriber overrides the case must hold (drug names or rule ids). */
    overrides: z.array(z.string().trim().min(1)).min(1),
  })
  .partial()
  .strict();
type ExpectedFactors = z.infer<typeof factorsSchema>;
const FACTOR_KEYS = Object.keys(factorsSchema.shape) as (keyof ExpectedFactors)[];

const entityLists = {
  conditions: z.array(refSchema).max(40).optional(),
  medications: z.array(refSchema).max(40).optional(),
  allergies: z.array(refSchema).max(40).optional(),
};

const changeSchema = z
  .object({
    /** The turn (1-based, ≥ 2) whose answer is compared with the previous turn's. */
    turn: z.number().int().min(2),
    /** The drug is not recommended at this turn, and was recommended at the turn before or is shown as excluded now. */
    drug_left_out: refSchema.optional(),
    /** The drug is recommended at this turn. */
    drug_recommended: refSchema.optional(),
    /** Whether the top 3 recommendations differ from the previous turn's (false: must stay the same). */
    top3_changes: z.boolean().optional(),
    /**
     * The answer is about this drug ("what about methyldopa instead?"): it is recommended or left out
     * with a reason, or the text names it outside the entries of other drugs (an exclusion reason
     * that happens to name it, "switch to labetalol, nifedipine or methyldopa", does not count).
     */
    mentions: z.string().trim().min(2).max(80).optional(),
    /** The answer's "what changed" lines name this ("pregnan", "eGFR 40"). */
    changes_mention: z.string().trim().min(2).max(80).optional(),
  })
  .strict()
  .refine((c) => [c.drug_left_out, c.drug_recommended, c.top3_changes, c.mentions, c.changes_mention].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of drug_left_out, drug_recommended, top3_changes, mentions, changes_mention',
  });

const expectSchema = z
  .object({
    /** Everything a clinician reads in the text, per field: anything else read counts against precision. */
    conditions: z.array(refSchema).max(40).default([]),
    medications: z.array(refSchema).max(40).default([]),
    allergies: z.array(allergySchema).max(40).default([]),
    factors: factorsSchema.optional(),
    /** What must not be read: negated findings, family history, numbers, stopped drugs, rule-table states denied. */
    absent: z.object({ ...entityLists, states: z.array(z.string().regex(/^[a-z0-9_]+$/, 'a conditions.tsv key')).optional() }).strict().optional(),
    /** What may be read or not without counting either way (a hypothesis: "possible pneumonia"). */
    optional: z.object(entityLists).strict().optional(),
    /** Multi-turn scripts: how the agent's answer must move. */
    answer_changes: z.union([changeSchema, z.array(changeSchema).min(1)]).optional(),
  })
  .strict();

const caseItemSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and hyphens'),
    category: z.enum(CASE_CATEGORIES),
    text: z.string().trim().min(1).max(8000).optional(),
    turns: z.array(z.string().trim().min(1).max(8000)).min(2).max(10).optional(),
    expect: expectSchema,
    /** Where the phrasing comes from or why the expectation is what a clinician means. */
    basis: z.string().trim().min(5).optional(),
  })
  .strict()
  .superRefine((item, ctx) => {
    if ((item.text === undefined) === (item.turns === undefined)) ctx.addIssue({ code: 'custom', path: ['text'], message: 'give exactly one of text and turns' });
    if (item.turns && item.category !== 'multi-turn') ctx.addIssue({ code: 'custom', path: ['category'], message: 'an item with turns is in the multi-turn category' });
    if (item.category === 'multi-turn' && !item.turns) ctx.addIssue({ code: 'custom', path: ['turns'], message: 'a multi-turn item needs turns' });
    const changes = item.expect.answer_changes;
    if (item.category === 'multi-turn' && !changes) ctx.addIssue({ code: 'custom', path: ['expect', 'answer_changes'], message: 'a multi-turn script needs answer_changes' });
    if (changes && !item.turns) ctx.addIssue({ code: 'custom', path: ['expect', 'answer_changes'], message: 'answer_changes needs turns' });
    const turns = item.turns;
    if (changes && turns) {
      (Array.isArray(changes) ? changes : [changes]).forEach((c, i) => {
        if (c.turn > turns.length) ctx.addIssue({ code: 'custom', path: ['expect', 'answer_changes', ...(Array.isArray(changes) ? [i] : []), 'turn'], message: `turn ${c.turn} but the script has ${turns.length} turns` });
      });
    }
  });
export type CaseItem = z.infer<typeof caseItemSchema>;

/**
 * Validates a phrasing set. Every problem is reported, each naming the item (index and id) and
 * the field, so a bad edit to the fixture is found at once.
 */
export function parseCaseItems(raw: unknown, source = 'case items'): CaseItem[] {
  return parseItemSet(raw, caseItemSchema, source, 'phrasing items');
}

/** Reads and validates a phrasing set file. */
export function readCaseItems(file: string): CaseItem[] {
  return readItemSet(file, caseItemSchema, 'case items', 'phrasing items');
}

interface FieldScore {
  /** Expected entities (recall's denominator). */
  expected: number;
  /** Expected entities that were read. */
  found: number;
  /** Read entities scored (not optional): precision's denominator. */
  read: number;
  /** Read entities a clinician wrote. */
  correct: number;
  precision: number | null;
  recall: number | null;
}

interface Tally {
  checked: number;
  correct: number;
  accuracy: number | null;
}

type FailureKind = 'missed' | 'extra' | 'negated-as-present' | 'number-as-icd' | 'factor' | 'allergy-detail' | 'answer' | 'error';

/** One thing read wrongly: the item, the field, what a clinician means and what was read. */
interface CaseFailure {
  item: string;
  category: CaseCategory;
  kind: FailureKind;
  field: string;
  expected: string;
  read: string;
}

interface AnswerCheck {
  turn: number;
  check: string;
  passed: boolean;
  detail: string;
}

interface CaseOutcome {
  id: string;
  category: CaseCategory;
  /** The case as read (after the last turn), in words. */
  read: { conditions: string[]; medications: string[]; allergies: string[]; factors: Record<string, unknown> };
  failures: CaseFailure[];
  /** Multi-turn scripts: the answer checks. */
  answer?: { passed: boolean; checks: AnswerCheck[]; top3: string[][] };
}

interface CategoryScore {
  items: number;
  /** Items with no failure of any kind. */
  passed: number;
  fields: Record<CaseField, FieldScore>;
  factors: Tally;
  negatedAsPresent: number;
  numbersAsIcd: number;
}

export interface CaseEvalReport {
  items: number;
  multiTurnScripts: number;
  fields: Record<CaseField, FieldScore>;
  /** Exact-match accuracy per factor, and over all factors. */
  factors: Record<string, Tally>;
  factorsOverall: Tally;
  allergyReaction: Tally;
  allergySeverity: Tally;
  negatedAsPresent: number;
  numbersAsIcd: number;
  multiTurn: { scripts: number; passed: number; rate: number | null; checks: number; checksPassed: number };
  byCategory: Record<string, CategoryScore>;
  /** Expected identifiers the knowledge base does not know (scored as misses). */
  unknownReferences: string[];
  outcomes: CaseOutcome[];
  failures: CaseFailure[];
}

const emptyField = (): FieldScore => ({ expected: 0, found: 0, read: 0, correct: 0, precision: null, recall: null });
const emptyTally = (): Tally => ({ checked: 0, correct: 0, accuracy: null });
const ratio = (a: number, b: number) => (b ? a / b : null);
const ID = /^(?:DOID|EFO|HP|MONDO|MESH|UMLS|NCBIGene|CHEMBL\d|DB\d)/;

/** Names compared with case, punctuation and a plural "s" ignored. */
function nameKeys(name: string): string[] {
  const n = normalizeTerm(name);
  if (!n) return [];
  const singular = n.replace(/(?<=\w{3})s$/, '');
  return [...new Set([`name:${n}`, `name:${singular}`])];
}

/** The drug classes a phrase names (the safety rule tables' group terms: "sulfa", "ACE inhibitors"). */
function groupKeys(k: SafetyKnowledge, phrase: string): string[] {
  const n = normalizeTerm(phrase).replace(/^(?:an?|the|any|all)\s+/, '');
  const groups = new Set<string>();
  for (const f of [n, n.replace(/s$/, ''), `${n}s`]) for (const g of k.groupTerms.get(f) ?? []) groups.add(`group:${g}`);
  return [...groups];
}

type Kind = 'Disease' | 'Compound';

interface Resolver {
  expectedKeys(ref: Ref, kind: Kind): Promise<Set<string>>;
  label(ref: Ref): Promise<string>;
  drugIds(ref: Ref): Promise<string[]>;
  unknown: Set<string>;
}

function makeResolver(graph: GraphStore, knowledge: SafetyKnowledge): Resolver {
  const keyCache = new Map<string, Set<string>>();
  const names = new Map<string, string | null>();
  const unknown = new Set<string>();
  const entityName = async (id: string) => {
    if (!names.has(id)) {
      const e = await graph.getEntity(id);
      names.set(id, e?.name ?? null);
      if (!e) unknown.add(id);
    }
    return names.get(id) ?? null;
  };
  const alts = (ref: Ref) => (Array.isArray(ref) ? ref : [ref]);
  return {
    unknown,
    async expectedKeys(ref, kind) {
      const cacheKey = `${kind}|${alts(ref).join('|')}`;
      const hit = keyCache.get(cacheKey);
      if (hit) return hit;
      const keys = new Set<string>();
      for (const a of alts(ref)) {
        if (ID.test(a)) {
          keys.add(`id:${a}`);
          await entityName(a);
          continue;
        }
        for (const k of nameKeys(a)) keys.add(k);
        if (kind === 'Compound') for (const g of groupKeys(knowledge, a)) keys.add(g);
        // A name stands for the entity it resolves to exactly (the vocabulary's own term), never a fuzzy guess.
        const m = (await graph.resolve(a, { kinds: [kind], limit: 1, exactOnly: true })).matches[0];
        if (m && m.score >= 1) keys.add(`id:${m.id}`);
      }
      keyCache.set(cacheKey, keys);
      return keys;
    },
    async label(ref) {
      const out: string[] = [];
      for (const a of alts(ref)) {
        const name = ID.test(a) ? await entityName(a) : null;
        out.push(name ? `${a} (${name})` : a);
      }
      return out.join(' | ');
    },
    async drugIds(ref) {
      const ids: string[] = [];
      for (const a of alts(ref)) {
        if (ID.test(a)) ids.push(a);
        else {
          const m = (await graph.resolve(a, { kinds: ['Compound'], limit: 1 })).matches[0];
          if (m && (m.matchType !== 'fuzzy' || m.score >= 0.9)) ids.push(m.id);
        }
      }
      return ids;
    },
  };
}

/** The keys a read entity answers to: its identifiers, and for an unresolved mention its words and drug classes. */
function readKeys(e: CaseEntity, kind: Kind, k: SafetyKnowledge): Set<string> {
  const keys = new Set<string>();
  if (e.id) keys.add(`id:${e.id}`);
  if (e.matchedId) keys.add(`id:${e.matchedId}`);
  for (const x of nameKeys(e.name)) keys.add(x);
  if (!e.id) {
    for (const x of nameKeys(e.text)) keys.add(x);
    if (kind === 'Compound') for (const g of [...groupKeys(k, e.name), ...groupKeys(k, e.text)]) keys.add(g);
  }
  return keys;
}

const intersects = (a: Set<string>, b: Set<string>) => [...a].some((x) => b.has(x));
const entityLabel = (e: CaseEntity & { reaction?: string; severity?: string }) => {
  const name = e.id ? `${e.name} (${e.id}${e.matchedId ? ` via ${e.matchedId}` : ''})` : e.name;
  const reaction = e.reaction ? ` [${e.reaction}${e.severity ? `, ${e.severity}` : ''}]` : '';
  const readFrom = normalizeTerm(e.text) !== normalizeTerm(e.name) ? ` ← "${e.text}"` : '';
  return `${name}${reaction}${readFrom}`;
};

const caseField = (c: TrackedCase, f: CaseField) => (f === 'conditions' ? c.conditions : f === 'medications' ? c.currentMedications : c.allergies);
const KIND: Record<CaseField, Kind> = { conditions: 'Disease', medications: 'Compound', allergies: 'Compound' };

/** The factors as the tracked case holds them, for the report. */
function readFactorsOf(c: TrackedCase): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FACTOR_KEYS) {
    if (k === 'states') {
      if (c.states?.length) out.states = c.states.map((s) => s.key);
    } else {
      const v: unknown = c[k];
      if (v !== undefined && !(Array.isArray(v) && !v.length)) out[k] = v;
    }
  }
  return out;
}

const show = (v: unknown) => (v === undefined ? '(not read)' : v === null ? '(not stated)' : JSON.stringify(v));

/** Reads a script the way the agent does: each turn applied to the case so far. */
async function readScript(graph: GraphStore, knowledge: SafetyKnowledge, turns: string[]): Promise<TrackedCase> {
  let c = emptyCase();
  for (const t of turns) c = (await updateCase(graph, c, t, knowledge)).case;
  return c;
}

/** Scores one item's case as read. */
async function scoreItem(
  item: CaseItem,
  c: TrackedCase,
  res: Resolver,
  knowledge: SafetyKnowledge,
): Promise<{
  failures: CaseFailure[];
  fields: Record<CaseField, FieldScore>;
  factors: Record<string, Tally>;
  reaction: Tally;
  severity: Tally;
  negated: number;
  numbers: number;
}> {
  const failures: CaseFailure[] = [];
  const fail = (kind: FailureKind, field: string, expected: string, read: string) =>
    failures.push({ item: item.id, category: item.category, kind, field, expected, read });
  const fields = { conditions: emptyField(), medications: emptyField(), allergies: emptyField() };
  const factors: Record<string, Tally> = {};
  const reaction = emptyTally();
  const severity = emptyTally();
  let negated = 0;
  let numbers = 0;
  const e = item.expect;
  for (const f of CASE_FIELDS) {
    const kind = KIND[f];
    const read = caseField(c, f) as (CaseEntity & { reaction?: string; severity?: string })[];
    const readKeyed = read.map((r) => ({ r, keys: readKeys(r, kind, knowledge) }));
    const expected =
      f === 'allergies'
        ? e.allergies.map((a) => (typeof a === 'object' && !Array.isArray(a) ? a : { substance: a }))
        : (f === 'conditions' ? e.conditions : e.medications).map((x) => ({ substance: x }));
    const expKeys = await Promise.all(expected.map((x) => res.expectedKeys(x.substance, kind)));
    const optKeys = await Promise.all((e.optional?.[f] ?? []).map((x) => res.expectedKeys(x, kind)));
    const absentRefs = e.absent?.[f] ?? [];
    const absentKeys = await Promise.all(absentRefs.map((x) => res.expectedKeys(x, kind)));
    const s = fields[f];
    // Recall: each expected entity read by some entity.
    for (let i = 0; i < expected.length; i++) {
      s.expected++;
      const match = readKeyed.find((x) => intersects(x.keys, expKeys[i]));
      if (match) s.found++;
      else fail('missed', f, await res.label(expected[i].substance), read.length ? read.map(entityLabel).join('; ') : '(nothing)');
      const x = expected[i] as { substance: Ref; reaction?: string; severity?: string };
      if (x.reaction) {
        reaction.checked++;
        const got = (match?.r as { reaction?: string } | undefined)?.reaction;
        const ok = !!got && (normalizeTerm(got).includes(normalizeTerm(x.reaction)) || normalizeTerm(x.reaction).includes(normalizeTerm(got)));
        if (ok) reaction.correct++;
        else fail('allergy-detail', 'allergies.reaction', `${await res.label(x.substance)}: ${x.reaction}`, match ? show(got) : '(allergy not read)');
      }
      if (x.severity) {
        severity.checked++;
        const got = (match?.r as { severity?: string } | undefined)?.severity;
        if (got === x.severity) severity.correct++;
        else fail('allergy-detail', 'allergies.severity', `${await res.label(x.substance)}: ${x.severity}`, match ? show(got) : '(allergy not read)');
      }
    }
    // Precision: each read entity a clinician wrote; optional ones are not scored.
    for (const { r, keys } of readKeyed) {
      if (expKeys.some((k) => intersects(keys, k))) {
        s.read++;
        s.correct++;
        continue;
      }
      if (optKeys.some((k) => intersects(keys, k))) continue;
      s.read++;
      const absentAt = absentKeys.findIndex((k) => intersects(keys, k));
      if (absentAt >= 0) {
        negated++;
        fail('negated-as-present', f, `not ${await res.label(absentRefs[absentAt])}`, entityLabel(r));
      } else if (f === 'conditions' && /\d/.test(r.text)) {
        numbers++;
        fail('number-as-icd', f, '(no condition from a number)', entityLabel(r));
      } else fail('extra', f, '(not in the text)', entityLabel(r));
    }
  }
  // Factors: exact match; null = must not be read.
  for (const [k, want] of Object.entries(e.factors ?? {}) as [keyof ExpectedFactors, unknown][]) {
    if (want === undefined) continue;
    const t = (factors[k] ??= emptyTally());
    if (k === 'states' || k === 'overrides') {
      const have = k === 'states' ? (c.states ?? []).map((s) => s.key) : (c.overrides ?? []).map((o) => o.toLowerCase());
      for (const w of want as string[]) {
        t.checked++;
        if (have.includes(k === 'overrides' ? w.toLowerCase() : w)) t.correct++;
        else fail('factor', `factors.${k}`, w, have.length ? have.join(', ') : '(none)');
      }
      continue;
    }
    t.checked++;
    const v: unknown = c[k];
    const ok = want === null ? v === undefined : typeof want === 'number' ? typeof v === 'number' && Math.abs(v - want) < 1e-6 : v === want;
    if (ok) t.correct++;
    else {
      // A factor the text denies, read as present: "28-year-old non-pregnant woman" → pregnant.
      const denied = want === false && v === true;
      if (denied) negated++;
      fail(denied ? 'negated-as-present' : 'factor', `factors.${k}`, show(want), show(v));
    }
  }
  for (const key of e.absent?.states ?? []) {
    const st = (c.states ?? []).find((s) => s.key === key);
    if (st) {
      negated++;
      fail('negated-as-present', 'states', `not ${key}`, `${key} ← "${st.text}"`);
    }
  }
  for (const f of CASE_FIELDS) {
    const s = fields[f];
    s.precision = ratio(s.correct, s.read);
    s.recall = ratio(s.found, s.expected);
  }
  return { failures, fields, factors, reaction, severity, negated, numbers };
}

const top = (a: FinalAnswer | undefined, n = 3) => (a?.recommendations ?? []).slice(0, n).map((r) => r.drug.id);

/** Runs one script through the evidence-only agent and checks how its answer moved. */
async function checkAnswers(
  script: { turns: string[]; changes: NonNullable<CaseItem['expect']['answer_changes']> },
  agent: ReturnType<typeof makeAgent>,
  threadId: string,
  res: Resolver,
): Promise<NonNullable<CaseOutcome['answer']>> {
  const answers: FinalAnswer[] = [];
  for (const t of script.turns) answers.push(await agent.invoke({ threadId, message: t }));
  const raw = script.changes;
  const checks: AnswerCheck[] = [];
  const names = (a: FinalAnswer, ids: string[]) => a.recommendations.filter((r) => ids.includes(r.drug.id)).map((r) => r.drug.name);
  for (const ch of Array.isArray(raw) ? raw : [raw]) {
    const now = answers[ch.turn - 1];
    const before = answers[ch.turn - 2];
    const recNow = now.recommendations.map((r) => r.drug.id);
    const list = (a: FinalAnswer) => a.recommendations.slice(0, 5).map((r) => r.drug.name).join(', ') || '(none)';
    const ref = ch.drug_left_out ?? ch.drug_recommended;
    if (ref !== undefined) {
      const ids = await res.drugIds(ref);
      const label = Array.isArray(ref) ? ref.join(' | ') : ref;
      if (!ids.length) {
        checks.push({ turn: ch.turn, check: `${ch.drug_left_out !== undefined ? 'left out' : 'recommended'}: ${label}`, passed: false, detail: 'the KB does not know this drug' });
        continue;
      }
      if (ch.drug_left_out !== undefined) {
        const stillThere = names(now, ids);
        const wasThere = before.recommendations.some((r) => ids.includes(r.drug.id));
        const excluded = now.excluded.find((x) => ids.includes(x.drug.id));
        const passed = !stillThere.length && (wasThere || !!excluded);
        checks.push({
          turn: ch.turn,
          check: `left out: ${label}`,
          passed,
          detail: stillThere.length ? `still recommended (${list(now)})` : excluded ? `excluded: ${excluded.reason.slice(0, 160)}` : wasThere ? 'no longer recommended' : `neither recommended before nor shown as excluded (before: ${list(before)})`,
        });
      } else {
        const passed = recNow.some((id) => ids.includes(id));
        const excluded = now.excluded.find((x) => ids.includes(x.drug.id));
        checks.push({ turn: ch.turn, check: `recommended: ${label}`, passed, detail: passed ? `recommended (${list(now)})` : excluded ? `excluded: ${excluded.reason.slice(0, 160)}` : `not recommended (${list(now)})` });
      }
    } else if (ch.top3_changes !== undefined) {
      const changed = top(now).join() !== top(before).join();
      const t = (a: FinalAnswer) => a.recommendations.slice(0, 3).map((r) => r.drug.name).join(', ') || '(none)';
      checks.push({ turn: ch.turn, check: ch.top3_changes ? 'top 3 changes' : 'top 3 stays', passed: changed === ch.top3_changes, detail: `before: ${t(before)}; now: ${t(now)}` });
    } else if (ch.mentions !== undefined) {
      const ids = await res.drugIds(ch.mentions);
      const word = ch.mentions.toLowerCase();
      const listed = [...now.recommendations, ...now.excluded].find((x) => ids.includes(x.drug.id));
      // Lines that belong to another drug's entry (its rationale, its exclusion reason) do not answer about this one.
      const others = [...now.recommendations, ...now.excluded]
        .map((x) => x.drug)
        .filter((d) => !ids.includes(d.id) && !d.name.toLowerCase().includes(word))
        .map((d) => d.name.toLowerCase());
      const own = now.text.split('\n').filter((l) => !others.some((n) => l.toLowerCase().includes(n)));
      // A line headed by the drug ("About Mirtazapine for this patient: …") is about it, whatever else it cites.
      const headed = now.text.split('\n').some((l) => l.toLowerCase().startsWith(`about ${word}`) || l.toLowerCase().startsWith(`why not ${word}`));
      const named = headed || own.some((l) => l.toLowerCase().includes(word));
      const passed = !!listed || named;
      checks.push({
        turn: ch.turn,
        check: `answer is about "${ch.mentions}"`,
        passed,
        detail: listed ? `${now.recommendations.some((r) => r === listed) ? 'recommended' : 'left out'}: ${listed.drug.name}` : named ? 'named in the answer' : `not answered (recommended: ${list(now)})`,
      });
    } else if (ch.changes_mention !== undefined) {
      const said = now.changes.join(' ');
      const passed = said.toLowerCase().includes(ch.changes_mention.toLowerCase());
      checks.push({ turn: ch.turn, check: `changes mention "${ch.changes_mention}"`, passed, detail: said ? said.slice(0, 240) : '(no changes reported)' });
    }
  }
  return { passed: checks.every((c) => c.passed), checks, top3: answers.map((a) => a.recommendations.slice(0, 3).map((r) => r.drug.name)) };
}

/**
 * Runs the set. `agent: false` skips the multi-turn answer checks (case reading only).
 * Throws, naming the item and field, when an item names a rule-table state the KB does not have.
 */
export async function runCaseEval(opts: {
  graph: GraphStore;
  evidence?: EvidenceStore;
  safety: SafetyEngine;
  items: CaseItem[];
  agent?: boolean;
}): Promise<CaseEvalReport> {
  const knowledge = opts.safety.knowledge;
  for (const item of opts.items) {
    const states = [...(item.expect.factors?.states ?? []).map((s) => ['expect.factors.states', s]), ...(item.expect.absent?.states ?? []).map((s) => ['expect.absent.states', s])];
    for (const [field, key] of states) if (!knowledge.conditionsByKey.has(key)) throw new Error(`case items: item ${item.id}, field ${field}: unknown state "${key}" (not a key of clinical/rules/conditions.tsv)`);
  }
  const res = makeResolver(opts.graph, knowledge);
  const agent = opts.agent === false ? null : makeAgent({ model: null, deps: { graph: opts.graph, evidence: opts.evidence, safety: opts.safety } });
  const outcomes: CaseOutcome[] = [];
  const fields = { conditions: emptyField(), medications: emptyField(), allergies: emptyField() };
  const factors: Record<string, Tally> = {};
  const factorsOverall = emptyTally();
  const allergyReaction = emptyTally();
  const allergySeverity = emptyTally();
  const byCategory: Record<string, CategoryScore> = {};
  let negatedAsPresent = 0;
  let numbersAsIcd = 0;
  const multiTurn = { scripts: 0, passed: 0, rate: null as number | null, checks: 0, checksPassed: 0 };
  let thread = 0;
  for (const item of opts.items) {
    const turns = item.turns ?? (item.text !== undefined ? [item.text] : undefined);
    if (!turns) throw new Error(`case items: item ${item.id} has neither text nor turns`);
    const cat = (byCategory[item.category] ??= {
      items: 0,
      passed: 0,
      fields: { conditions: emptyField(), medications: emptyField(), allergies: emptyField() },
      factors: emptyTally(),
      negatedAsPresent: 0,
      numbersAsIcd: 0,
    });
    cat.items++;
    let c: TrackedCase;
    let failures: CaseFailure[] = [];
    try {
      c = await readScript(opts.graph, knowledge, turns);
    } catch (err) {
      c = emptyCase();
      failures.push({ item: item.id, category: item.category, kind: 'error', field: '(reader)', expected: 'a case', read: `error: ${(err as Error).message}` });
    }
    const s = await scoreItem(item, c, res, knowledge);
    failures = [...failures, ...s.failures];
    for (const f of CASE_FIELDS) {
      for (const into of [fields[f], cat.fields[f]]) {
        into.expected += s.fields[f].expected;
        into.found += s.fields[f].found;
        into.read += s.fields[f].read;
        into.correct += s.fields[f].correct;
      }
    }
    for (const [k, t] of Object.entries(s.factors)) {
      const into = (factors[k] ??= emptyTally());
      for (const x of [into, factorsOverall, cat.factors]) {
        x.checked += t.checked;
        x.correct += t.correct;
      }
    }
    allergyReaction.checked += s.reaction.checked;
    allergyReaction.correct += s.reaction.correct;
    allergySeverity.checked += s.severity.checked;
    allergySeverity.correct += s.severity.correct;
    negatedAsPresent += s.negated;
    numbersAsIcd += s.numbers;
    cat.negatedAsPresent += s.negated;
    cat.numbersAsIcd += s.numbers;
    const outcome: CaseOutcome = {
      id: item.id,
      category: item.category,
      read: {
        conditions: c.conditions.map(entityLabel),
        medications: c.currentMedications.map(entityLabel),
        allergies: c.allergies.map(entityLabel),
        factors: readFactorsOf(c),
      },
      failures,
    };
    if (item.turns && item.expect.answer_changes && agent) {
      multiTurn.scripts++;
      try {
        outcome.answer = await checkAnswers({ turns: item.turns, changes: item.expect.answer_changes }, agent, `case-eval-${++thread}`, res);
      } catch (err) {
        outcome.answer = { passed: false, checks: [{ turn: 0, check: 'agent', passed: false, detail: `error: ${(err as Error).message}` }], top3: [] };
      }
      multiTurn.checks += outcome.answer.checks.length;
      multiTurn.checksPassed += outcome.answer.checks.filter((x) => x.passed).length;
      if (outcome.answer.passed) multiTurn.passed++;
      for (const ch of outcome.answer.checks.filter((x) => !x.passed)) {
        failures.push({ item: item.id, category: item.category, kind: 'answer', field: `answer (turn ${ch.turn})`, expected: ch.check, read: ch.detail });
      }
    }
    if (!failures.length) cat.passed++;
    outcomes.push(outcome);
  }
  for (const s of [fields, ...Object.values(byCategory).map((c) => c.fields)]) {
    for (const f of CASE_FIELDS) {
      s[f].precision = ratio(s[f].correct, s[f].read);
      s[f].recall = ratio(s[f].found, s[f].expected);
    }
  }
  const tallies = [...Object.values(factors), factorsOverall, allergyReaction, allergySeverity, ...Object.values(byCategory).map((c) => c.factors)];
  for (const t of tallies) t.accuracy = ratio(t.correct, t.checked);
  multiTurn.rate = ratio(multiTurn.passed, multiTurn.scripts);
  return {
    items: opts.items.length,
    multiTurnScripts: opts.items.filter((i) => i.turns).length,
    fields,
    factors,
    factorsOverall,
    allergyReaction,
    allergySeverity,
    negatedAsPresent,
    numbersAsIcd,
    multiTurn,
    byCategory,
    unknownReferences: [...res.unknown].sort(),
    outcomes,
    failures: outcomes.flatMap((o) => o.failures),
  };
}

const f2 = (x: number | null) => (x === null ? '–' : x.toFixed(3));
const pct = (t: Tally) => (t.accuracy === null ? '–' : `${t.correct} / ${t.checked} (${(100 * t.accuracy).toFixed(1)}%)`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report as Markdown: per field, per factor, per category, the multi-turn scripts, then every failure. */
export function caseMarkdown(r: CaseEvalReport): string {
  const lines = [
    `# Case reading (${r.items} items, ${r.multiTurnScripts} multi-turn scripts)`,
    '',
    '| field | expected | found | read | correct | precision | recall |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const f of CASE_FIELDS) {
    const s = r.fields[f];
    lines.push(`| ${f} | ${s.expected} | ${s.found} | ${s.read} | ${s.correct} | ${f2(s.precision)} | ${f2(s.recall)} |`);
  }
  const multiTurnRate = r.multiTurn.rate === null ? '' : ` (${(100 * r.multiTurn.rate).toFixed(1)}%)`;
  lines.push(
    '',
    `- negated findings taken as present: **${r.negatedAsPresent}** (goal 0)`,
    `- numbers taken as ICD codes: **${r.numbersAsIcd}** (goal 0)`,
    `- multi-turn scripts whose answer changes as expected: **${r.multiTurn.passed} / ${r.multiTurn.scripts}**${multiTurnRate}; checks passed ${r.multiTurn.checksPassed} / ${r.multiTurn.checks}`,
    `- patient factors, exact match: ${pct(r.factorsOverall)}`,
    `- allergy reaction read: ${pct(r.allergyReaction)}; severity: ${pct(r.allergySeverity)}`,
  );
  if (r.unknownReferences.length) lines.push(`- expected identifiers the KB does not know (scored as misses): ${r.unknownReferences.join(', ')}`);
  lines.push('', '| factor | checked | correct | accuracy |', '|---|---|---|---|');
  for (const [k, t] of Object.entries(r.factors).sort()) lines.push(`| ${k} | ${t.checked} | ${t.correct} | ${f2(t.accuracy)} |`);
  lines.push('', '| category | items | all correct | conditions P / R | medications P / R | allergies P / R | factors | negated as present | numbers as ICD |', '|---|---|---|---|---|---|---|---|---|');
  for (const [k, c] of Object.entries(r.byCategory)) {
    const pr = (f: CaseField) => `${f2(c.fields[f].precision)} / ${f2(c.fields[f].recall)}`;
    lines.push(`| ${k} | ${c.items} | ${c.passed} | ${pr('conditions')} | ${pr('medications')} | ${pr('allergies')} | ${f2(c.factors.accuracy)} | ${c.negatedAsPresent} | ${c.numbersAsIcd} |`);
  }
  const scripts = r.outcomes.flatMap((o) => (o.answer ? [{ id: o.id, answer: o.answer }] : []));
  if (scripts.length) {
    lines.push('', '## Multi-turn scripts', '', '| script | passed | checks | top 3 per turn |', '|---|---|---|---|');
    for (const o of scripts) {
      const checks = o.answer.checks.map((c) => `turn ${c.turn} ${c.check}: ${c.passed ? 'ok' : 'FAILED'}`).join('; ');
      const top3 = o.answer.top3.map((t, i) => `${i + 1}: ${t.join(', ') || '–'}`).join(' → ');
      lines.push(`| ${o.id} | ${o.answer.passed ? 'yes' : 'no'} | ${cell(checks)} | ${cell(top3)} |`);
    }
  }
  if (r.failures.length) {
    lines.push('', `## Failures (${r.failures.length})`, '', '| item | category | kind | field | expected | read |', '|---|---|---|---|---|---|');
    for (const f of r.failures) lines.push(`| ${f.item} | ${f.category} | ${f.kind} | ${f.field} | ${cell(f.expected)} | ${cell(f.read)} |`);
  }
  return lines.join('\n');
}
