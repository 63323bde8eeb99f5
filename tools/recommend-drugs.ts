import { z } from 'zod';
import { resolveMention } from '../agent/case.js';
import { recommendDrugs } from '../agent/recommender.js';
import type { CaseEntity, TrackedCase } from '../agent/state.js';
import { defineTool, ToolError } from './spec.js';

const names = (what: string) => z.array(z.string().trim().min(1).max(200)).max(20).default([]).describe(what);

const evidenceSchema = z.object({
  type: z.enum(['kg_fact', 'kg_path', 'trial', 'article', 'interaction', 'side_effect']),
  id: z.string(),
  url: z.string().optional(),
  snippet: z.string(),
  source: z.string(),
  license: z.string(),
});
const warningSchema = z.object({
  kind: z.enum(['interaction', 'side_effect', 'allergy', 'contraindication', 'not_indicated', 'notice']),
  message: z.string(),
  drugs: z.array(z.string()).optional(),
  evidence: z.array(evidenceSchema).optional(),
});

export const recommendDrugsTool = defineTool({
  name: 'recommend_drugs',
  title: 'Evidence-only drug recommendation',
  description:
    'Rank candidate drugs for a patient case deterministically from the evidence: recorded indications and how strongly curators support them, how many trials and articles in the knowledge base study the drug in the condition, and whether a mechanism path exists, with a transparent score (each component named and cited) and a safety filter (interactions with current medications, allergy/class conflicts, curated non-indications). ' +
    'Use it first to get a grounded candidate list, then check or explain individual drugs with the other tools. It does not weigh free-text clinical detail; it is not a prescription.',
  input: z
    .object({
      conditions: z.array(z.string().trim().min(1).max(200)).min(1).max(10).describe('The patient\'s diagnoses: names or identifiers, e.g. ["type 2 diabetes mellitus", "DOID:10763"]'),
      current_medications: names('Drugs the patient takes now (checked for interactions), e.g. ["warfarin"]'),
      allergies: names('Drug or drug-class allergies, e.g. ["penicillin"]'),
      limit: z.number().int().min(1).max(20).default(5).describe('Number of recommendations (1–20)'),
    })
    .strict(),
  output: z.object({
    recommendations: z.array(
      z.object({
        rank: z.number().int(),
        drug: z.object({ id: z.string(), name: z.string() }),
        score: z.number(),
        score_components: z.record(z.string(), z.number()),
        rationale: z.string(),
        evidence: z.array(evidenceSchema),
        warnings: z.array(warningSchema),
      }),
    ),
    excluded: z.array(z.object({ drug: z.object({ id: z.string(), name: z.string() }), reason: z.string() })),
    warnings: z.array(warningSchema),
    notices: z.array(z.string()),
  }),
  openWorld: false,
  async handler(args, deps) {
    const resolveAll = async (xs: string[], kind: 'Disease' | 'Compound', keepUnresolved: boolean) => {
      const out: CaseEntity[] = [];
      const missing: string[] = [];
      for (const x of xs) {
        const e = await resolveMention(deps.graph, x, kind);
        if (e) out.push(e);
        else if (keepUnresolved) out.push({ text: x, name: x });
        else missing.push(x);
      }
      return { out, missing };
    };
    const conds = await resolveAll(args.conditions, 'Disease', false);
    if (!conds.out.length) {
      throw new ToolError(`None of the conditions ${JSON.stringify(args.conditions)} matches the knowledge base. Use resolve_entity with kinds ["Disease"] to find the name or DOID.`);
    }
    const meds = await resolveAll(args.current_medications, 'Compound', true);
    const allergies = await resolveAll(args.allergies, 'Compound', true);
    const c: TrackedCase = { conditions: conds.out, currentMedications: meds.out, allergies: allergies.out };
    const r = await recommendDrugs(deps, c, { limit: args.limit });
    const notices = [...r.notices];
    if (conds.missing.length) notices.push(`Unrecognised condition(s) ignored: ${conds.missing.join(', ')}.`);
    const strip = (w: (typeof r.warnings)[number]) => ({ ...w, evidence: w.evidence?.map(({ type, id, url, snippet, source, license }) => ({ type, id, ...(url ? { url } : {}), snippet, source, license })) });
    return {
      recommendations: r.recommendations.map((x) => ({ rank: x.rank, drug: x.drug, score: x.score ?? 0, score_components: { ...x.components }, rationale: x.rationale, evidence: x.evidence, warnings: x.warnings.map(strip) })),
      excluded: r.excluded.map((e) => ({ drug: { id: e.drug.id, name: e.drug.name }, reason: e.reason })),
      warnings: r.warnings.map(strip),
      notices,
    };
  },
  render(r) {
    const lines = r.recommendations.map((x) => `${x.rank}. ${x.drug.name} (${x.drug.id}) score ${x.score}: ${x.rationale}${x.warnings.filter((w) => w.kind !== 'side_effect').map((w) => `\n   Warning: ${w.message}`).join('')}`);
    if (r.excluded.length) lines.push(`Left out: ${r.excluded.map((e) => `${e.drug.name} (${e.reason})`).join('; ')}`);
    if (r.notices.length) lines.push(`Notes: ${r.notices.join(' ')}`);
    return lines.join('\n') || 'No recommendation.';
  },
});
