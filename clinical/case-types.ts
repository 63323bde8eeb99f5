import type { AskedClass, CaseIntent } from './intent.js';
import type { AllergySeverity, CkdStage, HepaticLevel } from './patient-factors.js';
import type { EvidenceItem, PatientCase } from './types.js';

/** A mention in the case, with the KB entity it resolved to (when it resolved). */
export interface CaseEntity {
  /** What the user wrote. */
  text: string;
  id?: string;
  name: string;
  /**
   * The vocabulary entity the text named before it was mapped onto a graph disease ("myasthenia
   * gravis" → its DOID, answered through a broader graph disease): the safety engine matches it.
   */
  matchedId?: string;
}

/** An allergy: the substance as resolved, and how bad the reaction was. */
export interface AllergyEntity extends CaseEntity {
  reaction?: string;
  severity?: AllergySeverity;
}

/** A patient state from the rule tables' `conditions.tsv` (comorbidity, device), with the words that named it. */
export interface CaseState {
  key: string;
  text: string;
}

/** The patient facts the tracked case keeps exactly as the contract's PatientCase states them. */
type SharedFacts = Pick<PatientCase, 'age' | 'sex' | 'weightKg' | 'pregnant' | 'pregnancyWeeks' | 'trimester' | 'breastfeeding' | 'renal' | 'hepatic' | 'familyHistory' | 'qtcMs' | 'longQt' | 'overrides' | 'notes'>;

/** The case as the agent tracks it: like PatientCase, but every mention keeps its KB identifier. */
export interface TrackedCase extends SharedFacts {
  conditions: CaseEntity[];
  currentMedications: CaseEntity[];
  allergies: AllergyEntity[];
  /** Kidney function's parsed parts (`renal` keeps it as the user stated it). */
  egfr?: number;
  crcl?: number;
  ckdStage?: CkdStage;
  dialysis?: boolean;
  hepaticLevel?: HepaticLevel;
  activeLiverDisease?: boolean;
  /** Comorbidities and devices the safety engine knows (rule-table condition keys). */
  states?: CaseState[];
  /** Other diagnoses given as text that matched no state (kept so nothing is silently dropped). */
  otherComorbidities?: string[];
  /** What the latest question asked for where a condition's treatments differ by moment (acute attack vs prevention). */
  intent?: CaseIntent;
  /** The drug class the latest question asked for ("Which anticoagulant?"): the recommender lists that class. */
  askedClass?: AskedClass;
}

/** An evidence item plus the entities it is about, so it can be attached to the right drug. */
export interface LedgerItem extends EvidenceItem {
  drugs?: string[];
  conditions?: string[];
}

export const emptyCase = (): TrackedCase => ({ conditions: [], currentMedications: [], allergies: [] });

const label = (e: CaseEntity) => (e.id ? `${e.name} (${e.id})` : e.name);

/** The contract's PatientCase view of the tracked case (names, with IDs where resolved). */
export function toPatientCase(c: TrackedCase): PatientCase {
  const out: PatientCase = {
    conditions: c.conditions.map(label),
    currentMedications: c.currentMedications.map(label),
    allergies: c.allergies.map((a) => `${label(a)}${a.reaction ? ` — ${a.reaction}` : ''}`),
  };
  const texts = [...new Set([...(c.states ?? []).map((s) => s.text), ...(c.otherComorbidities ?? [])])];
  // "diabetes" beside "type 2 diabetes" says nothing more.
  const comorbidities = texts.filter((t) => !texts.some((o) => o !== t && o.toLowerCase().includes(t.toLowerCase())));
  if (comorbidities.length) out.comorbidities = comorbidities;
  if (c.intent) out.intent = c.intent.phase;
  if (c.askedClass) out.askedClass = c.askedClass.name;
  const shared = ['age', 'sex', 'weightKg', 'pregnant', 'pregnancyWeeks', 'trimester', 'breastfeeding', 'renal', 'hepatic', 'qtcMs', 'longQt', 'overrides', 'familyHistory', 'notes'] as const;
  for (const k of shared) copyStatedFact(c, out, k);
  return out;
}

/** Copies one shared fact when it was stated: an empty list says nothing, so it is left out. */
function copyStatedFact<K extends keyof SharedFacts>(from: SharedFacts, to: SharedFacts, k: K): void {
  const v = from[k];
  if (v !== undefined && !(Array.isArray(v) && !v.length)) to[k] = v;
}
