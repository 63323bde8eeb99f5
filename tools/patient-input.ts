import { z } from 'zod';
import { caseFromFactors } from '../clinical/case-from-factors.js';
import type { TrackedCase } from '../clinical/case-types.js';
import type { ClinicalDeps } from '../clinical/deps.js';
import { allergySchema, patientFactorsSchema, type PatientFactors } from '../clinical/patient-factors.js';
import type { SafetyEngine } from '../clinical/safety/engine.js';
import { ToolError, type ToolDeps } from './spec.js';

/**
 * The patient-factor arguments `recommend_drugs` and `check_safety` share: one schema, so a
 * client model fills pregnancy, kidney function, allergies with reactions, comorbidities and
 * current medications the same way for both. An allergy may be a plain name ("penicillin") or an
 * object with the reaction, which decides cross-reactivity.
 */
export const patientShape = {
  ...patientFactorsSchema.shape,
  allergies: z
    .array(z.union([z.string().trim().min(1).max(200), allergySchema]))
    .max(20)
    .default([])
    .describe('Drug or drug-class allergies: a name ("penicillin", "sulfonamide antibiotics") or {substance, reaction, severity}; the reaction (anaphylaxis, SJS vs rash) decides cross-reactive classes'),
};

/** The typed factors from parsed arguments (string allergies become objects). */
function factorsOf(args: z.infer<z.ZodObject<typeof patientShape>>): PatientFactors {
  return { ...args, allergies: args.allergies.map((a) => (typeof a === 'string' ? { substance: a } : a)) };
}

/** The safety engine of this deployment; a missing one is a wiring error, never a silent skip. */
export function requireSafety(deps: ToolDeps): SafetyEngine {
  if (!deps.safety) throw new Error('the safety engine is not configured in this deployment (deps.safety): refusing to answer unchecked');
  return deps.safety;
}

export function clinicalDeps(deps: ToolDeps): ClinicalDeps {
  return { graph: deps.graph, evidence: deps.evidence, safety: requireSafety(deps) };
}

/** Resolves the arguments into a case; conditions that match nothing are reported, all of them unmatched is an error. */
export async function caseFromArgs(
  deps: ToolDeps,
  conditions: string[],
  args: z.infer<z.ZodObject<typeof patientShape>>,
  requireCondition: boolean,
): Promise<{ case: TrackedCase; notices: string[] }> {
  const safety = requireSafety(deps);
  const r = await caseFromFactors(deps.graph, safety.knowledge, conditions, factorsOf(args));
  if (requireCondition && !r.case.conditions.length) {
    throw new ToolError(`None of the conditions ${JSON.stringify(conditions)} matches the knowledge base. Use resolve_entity with kinds ["Disease"] to find the name or DOID.`);
  }
  const notices = [...r.notices];
  if (r.unresolvedConditions.length) notices.push(`Unrecognised condition(s) ignored: ${r.unresolvedConditions.join(', ')}.`);
  return { case: r.case, notices };
}
