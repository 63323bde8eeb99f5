import { z } from 'zod';

/**
 * Patient factors: everything about the patient that can make a drug unsafe, in one schema that
 * every interface uses (MCP `recommend_drugs` / `check_safety` arguments, the chat agent's case,
 * the safety eval set). Each field is bounded and described so a client model can fill it.
 */

const short = (what: string) => z.string().trim().min(1).max(200).describe(what);

/** How bad an allergic reaction was: it decides cross-reactivity (penicillin → cephalosporin). */
export const ALLERGY_SEVERITIES = ['severe', 'nonsevere', 'unknown'] as const;
export type AllergySeverity = (typeof ALLERGY_SEVERITIES)[number];

export const allergySchema = z
  .object({
    substance: short('The drug or drug class the patient reacted to, e.g. "penicillin", "sulfonamide antibiotics", "co-trimoxazole"'),
    reaction: z.string().trim().max(200).optional().describe('What happened, e.g. "anaphylaxis", "SJS", "rash", "hives"'),
    severity: z
      .enum(ALLERGY_SEVERITIES)
      .optional()
      .describe('severe = anaphylaxis, angioedema, bronchospasm, SJS/TEN, DRESS, organ involvement; nonsevere = rash, itch, GI upset; unknown when not stated (derived from `reaction` when omitted)'),
  })
  .strict();

export const CKD_STAGES = ['1', '2', '3a', '3b', '4', '5'] as const;
export type CkdStage = (typeof CKD_STAGES)[number];

const renalSchema = z
  .object({
    egfr: z.number().min(0).max(200).optional().describe('eGFR in mL/min/1.73 m²'),
    crcl: z.number().min(0).max(250).optional().describe('Creatinine clearance (Cockcroft–Gault) in mL/min'),
    ckd_stage: z.enum(CKD_STAGES).optional().describe('CKD stage (KDIGO G1–G5): 1, 2, 3a, 3b, 4, 5'),
    dialysis: z.boolean().optional().describe('On haemodialysis or peritoneal dialysis'),
  })
  .strict();
export type RenalFunction = z.infer<typeof renalSchema>;

export const HEPATIC_LEVELS = ['mild', 'moderate', 'severe'] as const;
export type HepaticLevel = (typeof HEPATIC_LEVELS)[number];

const hepaticSchema = z
  .object({
    child_pugh: z.enum(['A', 'B', 'C']).optional().describe('Child–Pugh class'),
    impairment: z.enum(HEPATIC_LEVELS).optional().describe('mild (Child–Pugh A), moderate (B), severe (C); "cirrhosis" without a class counts as moderate'),
    active_liver_disease: z.boolean().optional().describe('Active liver disease or unexplained persistent transaminase elevation'),
  })
  .strict();
export type HepaticFunction = z.infer<typeof hepaticSchema>;

const pregnancySchema = z
  .object({
    pregnant: z.boolean().describe('Currently pregnant'),
    weeks: z.number().int().min(0).max(45).optional().describe('Gestational age in weeks'),
    trimester: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional().describe('Trimester (1–3), when weeks are not known'),
  })
  .strict();
export type Pregnancy = z.infer<typeof pregnancySchema>;

/**
 * The patient factors as typed fields. Conditions to treat are not here: they are the question,
 * not a property of the patient; every condition the patient has belongs in `comorbidities` too
 * (the safety engine checks drug–disease contraindications against all of them).
 */
export const patientFactorsSchema = z
  .object({
    age: z.number().int().min(0).max(120).optional().describe('Age in years'),
    sex: z.enum(['female', 'male', 'other']).optional(),
    weight_kg: z.number().min(0.5).max(400).optional().describe('Body weight in kg'),
    pregnancy: pregnancySchema.optional(),
    breastfeeding: z.boolean().optional().describe('Currently breastfeeding'),
    renal: renalSchema.optional(),
    hepatic: hepaticSchema.optional(),
    allergies: z.array(allergySchema).max(20).default([]).describe('Drug or drug-class allergies with the reaction'),
    comorbidities: z
      .array(short('A diagnosis, e.g. "asthma", "heart failure with reduced ejection fraction", "myasthenia gravis"'))
      .max(30)
      .default([])
      .describe('Every other diagnosis the patient has (drug–disease contraindications are checked against them)'),
    current_medications: z.array(short('A drug the patient takes now, e.g. "warfarin"')).max(40).default([]).describe('Drugs the patient takes now (interactions, duplicate therapy)'),
    devices: z.array(short('e.g. "mechanical mitral valve"')).max(10).default([]).describe('Implanted devices that matter for drug choice (mechanical heart valve, pacemaker)'),
    qtc_ms: z.number().int().min(200).max(800).optional().describe('Most recent QTc in milliseconds'),
    long_qt: z.boolean().optional().describe('Congenital or acquired long-QT syndrome, or a history of torsades de pointes'),
    overrides: z
      .array(short('A drug name or a rule id'))
      .max(20)
      .default([])
      .describe('Drugs (or rule ids) the prescriber has decided to use despite an "avoid unless" rule; contraindications cannot be overridden'),
  })
  .strict();
export type PatientFactors = z.infer<typeof patientFactorsSchema>;

/** Reactions that make an allergy severe (cross-reactive classes are then avoided, not only flagged). */
const SEVERE_REACTION = /\b(?:anaphyla\w*|angio-?o?edema|bronchospasm|stevens[- ]johnson|sjs|toxic epidermal|ten\b|dress|drug reaction with eosinophilia|serum sickness|hepatitis|nephritis|haemolytic|hemolytic|agranulocytosis|severe|blistering|exfoliative|airway|intubat\w*|(?:throat|lip|lips|tongue|facial|face) (?:swelling|closing)|hypotension|shock|icu)\b/i;
const NONSEVERE_REACTION = /\b(?:rash|itch\w*|pruritus|hives|urticaria|nausea|vomiting|diarrh\w*|gi upset|upset stomach|headache|mild|flushing|intolerance|side effect)\b/i;

/** The severity class of a reported reaction ("SJS" → severe, "rash" → nonsevere, nothing → unknown). */
export function reactionSeverity(reaction: string | undefined): AllergySeverity {
  if (!reaction?.trim()) return 'unknown';
  if (SEVERE_REACTION.test(reaction)) return 'severe';
  if (NONSEVERE_REACTION.test(reaction)) return 'nonsevere';
  return 'unknown';
}

/** The lowest kidney function the factors state, as mL/min(/1.73 m²): eGFR, CrCl, or the top of the CKD stage's band. */
export function kidneyFunction(r: RenalFunction | undefined): { value: number; basis: string } | undefined {
  if (!r) return undefined;
  const candidates: { value: number; basis: string }[] = [];
  if (r.egfr !== undefined) candidates.push({ value: r.egfr, basis: `eGFR ${r.egfr}` });
  if (r.crcl !== undefined) candidates.push({ value: r.crcl, basis: `CrCl ${r.crcl} mL/min` });
  // A stage without a number: the band's upper bound, so a threshold rule fires only when the whole band is below it.
  const stageTop: Record<CkdStage, number> = { '1': 120, '2': 89, '3a': 59, '3b': 44, '4': 29, '5': 14 };
  if (r.ckd_stage && !candidates.length) candidates.push({ value: stageTop[r.ckd_stage], basis: `CKD stage ${r.ckd_stage} (eGFR ≤ ${stageTop[r.ckd_stage]})` });
  if (r.dialysis) candidates.push({ value: 10, basis: 'on dialysis' });
  if (!candidates.length) return undefined;
  return candidates.reduce((a, b) => (b.value < a.value ? b : a));
}

/** Hepatic impairment as a level, from the Child–Pugh class or the stated impairment. */
export function hepaticLevel(h: HepaticFunction | undefined): HepaticLevel | undefined {
  if (!h) return undefined;
  const fromClass = h.child_pugh ? ({ A: 'mild', B: 'moderate', C: 'severe' } as const)[h.child_pugh] : undefined;
  const levels = [fromClass, h.impairment].filter((x): x is HepaticLevel => !!x);
  if (!levels.length) return h.active_liver_disease ? 'mild' : undefined;
  return levels.reduce((a, b) => (HEPATIC_LEVELS.indexOf(b) > HEPATIC_LEVELS.indexOf(a) ? b : a));
}

/** Gestational weeks, from the weeks or the trimester's first week. */
export function gestationalWeeks(p: Pregnancy | undefined): number | undefined {
  if (!p?.pregnant) return undefined;
  if (p.weeks !== undefined) return p.weeks;
  if (p.trimester) return { 1: 0, 2: 14, 3: 28 }[p.trimester];
  return undefined;
}
