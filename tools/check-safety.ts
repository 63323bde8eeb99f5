import { z } from 'zod';
import { exclusionReason, SEVERITY_LABEL } from '../clinical/safety/engine.js';
import { safetyPatientFromCase } from '../clinical/safety/patient.js';
import { lookupEntity } from './entity-lookup.js';
import { caseFromArgs, patientShape, requireSafety } from './patient-input.js';
import { citationSchema, severitySchema, warningSchema } from './safety-schemas.js';
import { defineTool } from './spec.js';

/** An excluded verdict always carries the severity that excluded it (its worst finding); a missing one is a bug, never a blank label. */
function exclusionSeverity(result: { drug: { id: string }; severity?: z.infer<typeof severitySchema> }): z.infer<typeof severitySchema> {
  if (!result.severity) throw new Error(`check_safety: the excluded verdict for ${result.drug.id} carries no severity`);
  return result.severity;
}

export const checkSafetyTool = defineTool({
  name: 'check_safety',
  title: 'Safety check of drugs for a patient',
  description:
    'Check named drugs against the patient: the same rule engine recommend_drugs uses (FDA labels and guidelines, cited per rule) for pregnancy and breastfeeding, kidney and liver function, age, comorbidities and devices, allergies with cross-reactivity, current medications and QT. ' +
    'Returns a verdict per drug (excluded, warned or ok) with every finding, its severity and citation. Use it to vet any drug you are about to suggest that recommend_drugs did not return, or to answer "why not X?". An "ok" verdict means no rule here fired, not that the drug is safe.',
  input: z
    .object({
      drugs: z.array(z.string().trim().min(1).max(200)).min(1).max(30).describe('Drug names or DrugBank ids to check, e.g. ["losartan", "labetalol"]'),
      conditions: z.array(z.string().trim().min(1).max(200)).max(10).default([]).describe('Conditions being treated (optional; they also count as comorbidities)'),
      ...patientShape,
    })
    .strict(),
  output: z.object({
    results: z.array(
      z.object({
        drug: z.object({ id: z.string(), name: z.string() }),
        verdict: z.enum(['excluded', 'warned', 'ok']),
        severity: severitySchema.optional(),
        overridable: z.boolean(),
        reason: z.string().optional(),
        findings: z.array(
          z.object({
            kind: z.string(),
            severity: severitySchema,
            rule: z.string(),
            message: z.string(),
            trigger: z.string().optional(),
            citation: citationSchema,
            overridden: z.boolean().optional(),
          }),
        ),
      }),
    ),
    warnings: z.array(warningSchema),
    notices: z.array(z.string()),
  }),
  openWorld: false,
  async handler(args, deps) {
    const { drugs, conditions, ...patient } = args;
    const safety = requireSafety(deps);
    const resolved = [];
    for (const d of drugs) resolved.push((await lookupEntity(deps.graph, d, 'Compound')).entity);
    const built = await caseFromArgs(deps, conditions, patient, false);
    const report = await safety.check(resolved.map((d) => ({ id: d.id, name: d.name })), safetyPatientFromCase(safety.knowledge, built.case));
    const results = [...report.verdicts.values()].map((v) => {
      const why = exclusionReason(v);
      return {
        drug: v.drug,
        verdict: v.verdict,
        ...(v.worst ? { severity: v.worst } : {}),
        overridable: v.verdict === 'excluded' && v.worst === 'avoid_unless',
        ...(why ? { reason: why.message } : {}),
        findings: v.findings.map((f) => ({
          kind: f.kind,
          severity: f.severity,
          rule: f.rule,
          message: f.message,
          ...(f.trigger ? { trigger: f.trigger } : {}),
          citation: f.citation,
          ...(f.overridden ? { overridden: true } : {}),
        })),
      };
    });
    return { results, warnings: report.general, notices: built.notices };
  },
  render(r) {
    const lines: string[] = [];
    for (const x of r.results) {
      const head =
        x.verdict === 'excluded'
          ? `EXCLUDED (${SEVERITY_LABEL[exclusionSeverity(x)]}${x.overridable ? ', can be overridden' : ''})`
          : x.verdict === 'warned'
            ? 'KEEP WITH WARNINGS'
            : 'NO RULE FIRED';
      lines.push(`${x.drug.name} (${x.drug.id}): ${head}`);
      for (const f of x.findings) lines.push(`  - ${SEVERITY_LABEL[f.severity]}: ${f.message} [${f.citation.source}${f.citation.url ? ` ${f.citation.url}` : ''}]`);
    }
    for (const w of r.warnings) lines.push(`Note: ${w.message}`);
    for (const n of r.notices) lines.push(`Note: ${n}`);
    return lines.join('\n');
  },
});
