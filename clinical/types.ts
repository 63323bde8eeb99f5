/**
 * Domain types shared by the clinical layer and everything above it (tools, agent, interfaces).
 * `agent/types.ts` re-exports them as part of the interface contract.
 */

/** The patient case as interfaces show it: names (with ids where resolved) and the patient factors. */
export interface PatientCase {
  conditions: string[];
  currentMedications: string[];
  allergies: string[];
  age?: number;
  sex?: 'female' | 'male' | 'other';
  weightKg?: number;
  pregnant?: boolean;
  pregnancyWeeks?: number;
  trimester?: 1 | 2 | 3;
  breastfeeding?: boolean;
  /** Kidney function as stated ("eGFR 22", "CKD stage 4", "on dialysis"). */
  renal?: string;
  /** Liver function as stated ("Child–Pugh B", "cirrhosis"). */
  hepatic?: string;
  /** Other patient states the safety engine checks: comorbidities and devices ("asthma", "mechanical heart valve"). */
  comorbidities?: string[];
  /** The drug class the question asks for, as the rule tables name it ("Anticoagulants (all)"). */
  askedClass?: string;
  /** Relatives' diagnoses, as read ("mother had breast cancer"): never the patient's conditions. */
  familyHistory?: string[];
  qtcMs?: number;
  longQt?: boolean;
  /** Drugs or rule ids the prescriber chose to use despite an "avoid unless" rule. */
  overrides?: string[];
  /** The phase the question asks about, where it matters: "acute" (attack, flare, reliever) or "prevention" (maintenance, controller). */
  intent?: 'acute' | 'prevention';
  notes?: string;
}

type EvidenceType = 'kg_fact' | 'kg_path' | 'trial' | 'article' | 'interaction' | 'side_effect' | 'label' | 'guideline';

export interface EvidenceItem {
  type: EvidenceType;
  /** NCT ID, PMID, a KG fact id such as "DB00331-CtD-DOID:9352", or a safety rule id ("RULE:renal-metformin-egfr30"). */
  id: string;
  /** Link to ClinicalTrials.gov / PubMed / DailyMed / the entity page where one exists. */
  url?: string;
  snippet: string;
  source: string;
  license: string;
}

/** How strongly a safety finding acts: contraindicated and avoid_unless exclude the drug. */
export type Severity = 'contraindicated' | 'avoid_unless' | 'caution' | 'monitor';

export interface Warning {
  kind: 'interaction' | 'side_effect' | 'serious_effect' | 'allergy' | 'contraindication' | 'not_indicated' | 'duplicate' | 'notice';
  message: string;
  drugs?: string[];
  /** The safety rule that produced it, when one did. */
  rule?: string;
  severity?: Severity;
  evidence?: EvidenceItem[];
}

export interface RecommendedDrug {
  rank: number;
  drug: { id: string; name: string };
  score?: number;
  /** The recommendation in one line, for cards and compact answers. */
  summary?: string;
  rationale: string;
  evidence: EvidenceItem[];
  warnings: Warning[];
}

/** A drug left out by the safety engine: always shown, with the rule and its citation. */
export interface ExcludedDrug {
  drug: { id: string; name: string };
  /** "contraindicated", "avoid_unless" (can be overridden), or "not_indicated" (curated non-indication) / "already_taking". */
  severity: 'contraindicated' | 'avoid_unless' | 'not_indicated' | 'already_taking';
  reason: string;
  /** Rule id (e.g. "preg-raas-fetotoxicity"); absent for the built-in reasons. */
  rule?: string;
  citation?: { source: string; url?: string };
  /** True when the prescriber may override it (avoid_unless). */
  overridable: boolean;
}
