import { z } from 'zod';
import { summarizeRecommendations } from '../clinical/compact-answer.js';
import { exclusionLine, recommendDrugs } from '../clinical/recommender.js';
import { caseFromArgs, clinicalDeps, patientShape } from './patient-input.js';
import { evidenceSchema, excludedSchema, warningSchema } from './safety-schemas.js';
import { defineTool } from './spec.js';

export const recommendDrugsTool = defineTool({
  name: 'recommend_drugs',
  title: 'Evidence-only drug recommendation with safety checks',
  description:
    'Rank candidate drugs for a patient deterministically from the evidence (recorded indications, curation strength, trials and articles in the knowledge base, a mechanism path), with a transparent score, after a safety engine applies reviewed FDA-label and guideline rules for THIS patient: pregnancy and breastfeeding, kidney and liver function, age, comorbidities and devices, allergies with cross-reactivity, current medications (interactions, duplicate therapy) and QT. ' +
    'Pass every patient factor you know as typed fields: drugs the rules exclude are listed in `excluded` with the rule and its citation, never hidden. Use it first for a grounded candidate list; use check_safety to vet a drug you thought of yourself. Not a prescription.',
  input: z
    .object({
      conditions: z.array(z.string().trim().min(1).max(200)).min(1).max(10).describe('The condition(s) to treat: names or identifiers, e.g. ["type 2 diabetes mellitus", "DOID:10763"]'),
      ...patientShape,
      limit: z.number().int().min(1).max(20).default(5).describe('Number of recommendations (1–20)'),
      detail: z.enum(['summary', 'full']).default('summary').describe('"summary": each drug with its one-line reason, patient checks, safety flags and citable ids; "full": every rationale, score component and evidence item'),
    })
    .strict(),
  output: z.object({
    recommendations: z.array(
      z.object({
        rank: z.number().int(),
        drug: z.object({ id: z.string(), name: z.string() }),
        score: z.number(),
        score_components: z.record(z.string(), z.number()),
        summary: z.string().optional().describe('The recommendation in one line (line of therapy or indication record, trials, cautions)'),
        rationale: z.string(),
        evidence: z.array(evidenceSchema),
        warnings: z.array(warningSchema),
      }),
    ),
    excluded: z.array(excludedSchema),
    warnings: z.array(warningSchema),
    notices: z.array(z.string()),
  }),
  openWorld: false,
  async handler(args, deps) {
    const { conditions, limit, detail: _detail, ...patient } = args;
    const built = await caseFromArgs(deps, conditions, patient, true);
    const r = await recommendDrugs(clinicalDeps(deps), built.case, { limit });
    return {
      recommendations: r.recommendations.map((x) => ({
        rank: x.rank,
        drug: x.drug,
        score: x.score ?? 0,
        score_components: { ...x.components },
        ...(x.summary ? { summary: x.summary } : {}),
        rationale: x.rationale,
        evidence: x.evidence,
        warnings: x.warnings,
      })),
      excluded: r.excluded,
      warnings: r.warnings,
      notices: [...r.notices, ...built.notices],
    };
  },
  summarize: (r) => summarizeRecommendations(r),
  render(r) {
    const lines = r.recommendations.map((x) => {
      const warnings = x.warnings.filter((w) => w.kind !== 'side_effect').map((w) => `\n   ${w.kind === 'serious_effect' ? '' : 'Warning: '}${w.message}`).join('');
      return `${x.rank}. ${x.drug.name} (${x.drug.id}) score ${x.score}: ${x.rationale}${warnings}`;
    });
    if (!r.recommendations.length) lines.push('No recommendation.');
    if (r.excluded.length) lines.push('Left out for this patient:', ...r.excluded.map((e) => `- ${exclusionLine(e)}`));
    if (r.warnings.length) lines.push(...r.warnings.map((w) => `Note: ${w.message}`));
    if (r.notices.length) lines.push(`Notes: ${r.notices.join(' ')}`);
    return lines.join('\n');
  },
});
