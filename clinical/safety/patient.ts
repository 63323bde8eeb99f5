import { normalizeTerm } from '../../kb/base/graph-schema.js';
import type { TrackedCase } from '../case-types.js';
import { hepaticLevel, kidneyFunction, reactionSeverity, type AllergySeverity, type HepaticLevel } from '../patient-factors.js';
import type { SafetyKnowledge } from './knowledge.js';

/**
 * The patient as the safety engine sees it: every factor normalised once (kidney function as one
 * number with what it stands on, hepatic impairment as a level, comorbidities as rule-table
 * condition keys with the words that named them), so each rule is a simple comparison.
 */
export interface SafetyPatient {
  age?: number;
  sex?: 'female' | 'male' | 'other';
  pregnant: boolean;
  /** Gestational weeks when stated. */
  pregnancyWeeks?: number;
  /** The trimester when only that is stated: a range of weeks, not its first week. */
  trimester?: 1 | 2 | 3;
  breastfeeding: boolean;
  kidney?: { value: number; basis: string };
  dialysis: boolean;
  hepatic?: HepaticLevel;
  hepaticBasis?: string;
  /** Condition key → the words that named it (for the sentence that says why a rule fired). */
  states: Map<string, string>;
  longQt: boolean;
  qtBasis?: string;
  medications: { id?: string; name: string; text: string }[];
  allergies: { id?: string; name: string; text: string; severity: AllergySeverity; reaction?: string }[];
  /** Lower-cased drug names, drug ids and rule ids the prescriber accepted despite an avoid-unless rule. */
  overrides: Set<string>;
}

/** QTc at or above which QT is long enough to count (AHA/ACCF 2010: > 460 ms women, > 450 ms men; unknown sex uses the lower). */
const LONG_QTC = { female: 470, male: 450, other: 450 } as const;

const wordsRe = (term: string) => new RegExp(`(?:^|[^a-z0-9])${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:$|[^a-z0-9])`);

/** Condition keys a phrase names, by the rule tables' terms (whole words, lower case). */
export function statesInPhrase(k: SafetyKnowledge, phrase: string): string[] {
  const text = ` ${phrase.toLowerCase()} `;
  return k.conditions.filter((c) => c.terms.some((t) => text.includes(t) && wordsRe(t).test(text))).map((c) => c.key);
}

/** The engine's view of a tracked case. */
export function safetyPatientFromCase(k: SafetyKnowledge, c: TrackedCase): SafetyPatient {
  const states = new Map<string, string>();
  const add = (key: string, text: string) => {
    if (!states.has(key)) states.set(key, text);
  };
  for (const s of c.states ?? []) add(s.key, s.text);
  // Diagnoses in the case count as comorbidities, by their ids and by their words.
  for (const cond of c.conditions) {
    for (const id of [cond.matchedId, cond.id]) {
      if (!id) continue;
      for (const key of k.conditionsByDoid.get(id) ?? []) add(key, cond.text || cond.name);
    }
    for (const key of statesInPhrase(k, `${cond.text} ${cond.name}`)) add(key, cond.text || cond.name);
  }
  for (const text of c.otherComorbidities ?? []) for (const key of statesInPhrase(k, text)) add(key, text);
  const kidney = kidneyFunction({ egfr: c.egfr, crcl: c.crcl, ckd_stage: c.ckdStage, dialysis: c.dialysis });
  const hepatic = c.hepaticLevel ?? hepaticLevel(c.activeLiverDisease ? { active_liver_disease: true } : undefined) ?? (states.has('hepatic_disease') ? 'moderate' : undefined);
  const qtLimit = LONG_QTC[c.sex ?? 'other'];
  const longQtByValue = c.qtcMs !== undefined && c.qtcMs >= qtLimit;
  const longQt = !!c.longQt || longQtByValue || states.has('long_qt');
  return {
    age: c.age,
    sex: c.sex,
    pregnant: !!c.pregnant,
    pregnancyWeeks: c.pregnant ? c.pregnancyWeeks : undefined,
    trimester: c.pregnant && c.pregnancyWeeks === undefined ? c.trimester : undefined,
    breastfeeding: !!c.breastfeeding,
    kidney,
    dialysis: !!c.dialysis,
    hepatic,
    hepaticBasis: c.hepatic ?? (c.hepaticLevel ? `${c.hepaticLevel} hepatic impairment` : states.has('hepatic_disease') ? states.get('hepatic_disease') : undefined),
    states,
    longQt,
    qtBasis: longQtByValue ? `QTc ${c.qtcMs} ms` : c.longQt ? 'long QT' : states.get('long_qt'),
    medications: c.currentMedications.map((m) => ({ id: m.id, name: m.name, text: m.text })),
    allergies: c.allergies.map((a) => ({ id: a.id, name: a.name, text: a.text, reaction: a.reaction, severity: a.severity ?? reactionSeverity(a.reaction) })),
    overrides: new Set((c.overrides ?? []).map((o) => normalizeTerm(o))),
  };
}
