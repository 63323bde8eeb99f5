import type { GraphStore } from '../kb/graph/store.js';
import { resolveMention } from './case-reader.js';
import type { AllergyEntity, CaseEntity, CaseState, TrackedCase } from './case-types.js';
import { hepaticLevel, reactionSeverity, type PatientFactors } from './patient-factors.js';
import { groupsNamedBy, type SafetyKnowledge } from './safety/knowledge.js';
import { statesInPhrase } from './safety/patient.js';

/**
 * Builds a tracked case from typed patient factors (the `recommend_drugs` / `check_safety`
 * arguments): every name resolved against the KB, every comorbidity and device matched to the
 * rule tables' states. What matches nothing is returned in `notices`, never dropped silently.
 */
export async function caseFromFactors(
  graph: GraphStore,
  k: SafetyKnowledge,
  conditions: string[],
  f: PatientFactors,
): Promise<{ case: TrackedCase; notices: string[]; unresolvedConditions: string[] }> {
  const notices: string[] = [];
  const resolved: CaseEntity[] = [];
  const unresolvedConditions: string[] = [];
  for (const x of conditions) {
    const e = await resolveMention(graph, x, 'Disease');
    if (e) resolved.push(e);
    else unresolvedConditions.push(x);
  }
  const meds: CaseEntity[] = [];
  const unknownMeds: string[] = [];
  for (const m of f.current_medications) {
    const e = await resolveMention(graph, m, 'Compound');
    if (e) meds.push(e);
    else {
      meds.push({ text: m, name: m });
      if (!groupsNamedBy(k, m).length) unknownMeds.push(m);
    }
  }
  const allergies: AllergyEntity[] = [];
  for (const a of f.allergies) {
    const e = await resolveMention(graph, a.substance, 'Compound');
    const severity = a.severity ?? reactionSeverity(a.reaction);
    allergies.push({ ...(e ?? { text: a.substance, name: a.substance }), text: a.substance, ...(a.reaction ? { reaction: a.reaction } : {}), severity });
  }
  const states: CaseState[] = [];
  const other: string[] = [];
  for (const text of [...f.comorbidities, ...f.devices]) {
    const keys = statesInPhrase(k, text);
    // A diagnosis named by its DO term ("DOID:437") or a synonym the tables lack still counts, by id.
    if (!keys.length) {
      const e = await resolveMention(graph, text, 'Disease');
      for (const id of [e?.matchedId, e?.id]) for (const key of (id && k.conditionsByDoid.get(id)) || []) keys.push(key);
    }
    if (keys.length) for (const key of keys) if (!states.some((s) => s.key === key)) states.push({ key, text });
    if (!keys.length) other.push(text);
  }
  if (other.length) notices.push(`Not matched to any safety rule's condition (no drug–disease rule checked for them): ${other.map((o) => `"${o}"`).join(', ')}.`);
  if (unknownMeds.length) notices.push(`Medication(s) not matched to a known drug or class (interactions not checked): ${unknownMeds.map((o) => `"${o}"`).join(', ')}.`);
  const r = f.renal;
  const h = f.hepatic;
  const c: TrackedCase = {
    conditions: resolved,
    currentMedications: meds,
    allergies,
    ...(f.age !== undefined ? { age: f.age } : {}),
    ...(f.sex ? { sex: f.sex } : {}),
    ...(f.weight_kg !== undefined ? { weightKg: f.weight_kg } : {}),
    ...(f.pregnancy
      ? {
          pregnant: f.pregnancy.pregnant,
          ...(f.pregnancy.weeks !== undefined ? { pregnancyWeeks: f.pregnancy.weeks } : {}),
          ...(f.pregnancy.trimester ? { trimester: f.pregnancy.trimester } : {}),
        }
      : {}),
    ...(f.breastfeeding !== undefined ? { breastfeeding: f.breastfeeding } : {}),
    ...(r ? { egfr: r.egfr, crcl: r.crcl, ckdStage: r.ckd_stage, dialysis: r.dialysis, renal: describeRenal(r) } : {}),
    ...(h
      ? {
          hepaticLevel: hepaticLevel(h),
          activeLiverDisease: h.active_liver_disease,
          hepatic: [
            h.child_pugh ? `Child–Pugh ${h.child_pugh}` : '',
            h.impairment ? `${h.impairment} impairment` : '',
            h.active_liver_disease ? 'active liver disease' : '',
          ].filter(Boolean).join(', '),
        }
      : {}),
    states,
    otherComorbidities: other,
    ...(f.qtc_ms !== undefined ? { qtcMs: f.qtc_ms } : {}),
    ...(f.long_qt !== undefined ? { longQt: f.long_qt } : {}),
    overrides: f.overrides,
  };
  for (const key of Object.keys(c) as (keyof TrackedCase)[]) if (c[key] === undefined) delete c[key];
  return { case: c, notices, unresolvedConditions };
}

const describeRenal = (r: NonNullable<PatientFactors['renal']>) =>
  [
    r.egfr !== undefined ? `eGFR ${r.egfr}` : '',
    r.crcl !== undefined ? `CrCl ${r.crcl} mL/min` : '',
    r.ckd_stage ? `CKD stage ${r.ckd_stage}` : '',
    r.dialysis ? 'on dialysis' : '',
  ].filter(Boolean).join(', ');
