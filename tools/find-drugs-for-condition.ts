import { z } from 'zod';
import { lookupEntity, matchNote } from './entity-lookup.js';
import { resourceWords, tierWords } from '../clinical/indication-words.js';
import { defineTool, entityRefSchema, indicationRelationSchema, indicationTierSchema, provenanceSchema } from './spec.js';

const cite = (p: { source: string; license: string }[]) => [...new Set(p.map((x) => `${x.source}, ${x.license}`))].join('; ');

export const findDrugsForConditionTool = defineTool({
  name: 'find_drugs_for_condition',
  title: 'Drugs indicated for a condition',
  description:
    'List drugs recorded as indicated for a condition, best evidence first, each with its tier — physician-curated (PharmacotherapyDB: treats = disease-modifying, palliates = symptomatic), FDA label (LabeledIn), approved (ChEMBL phase 4), label-mined (SIDER, MEDI), EHR-derived or predicted (MEDI low precision, ehrlink, PREDICT), investigational (ChEMBL phase 3) — the independent resources that agree, and provenance. ' +
    'A broad condition ("pneumonia") includes drugs recorded for its subtypes, marked with the subtype. Also lists pairs curators marked as NOT indications. ' +
    'Use it to gather candidate drugs for a case. It reports recorded indications only; for why a drug works use explain_drug_condition_link, for trials use search_trials.',
  input: z
    .object({
      condition: z.string().trim().min(1).max(200).describe('Condition name, synonym or code, e.g. "type 2 diabetes mellitus", "DOID:9352", "ICD10:E11"'),
      relations: z.array(indicationRelationSchema).min(1).max(3).default(['treats', 'palliates', 'indicated']).describe('Which indication types to include: treats / palliates (curated), indicated (other sources, see tier)'),
      tiers: z.array(indicationTierSchema).min(1).max(6).optional().describe('Only these evidence tiers (default: all)'),
      limit: z.number().int().min(1).max(50).default(20).describe('Maximum number of drugs (1–50)'),
    })
    .strict(),
  output: z.object({
    condition: entityRefSchema,
    requested: entityRefSchema.optional(),
    note: z.string().optional(),
    drugs: z.array(
      z.object({
        drug: entityRefSchema,
        relation: indicationRelationSchema,
        tier: indicationTierSchema,
        resources: z.array(z.string()),
        provenance: z.array(provenanceSchema),
        via: entityRefSchema.optional(),
      }),
    ),
    notIndicated: z.array(z.object({ drug: entityRefSchema, provenance: z.array(provenanceSchema) })),
    total: z.number().int(),
  }),
  openWorld: false,
  async handler(args, deps) {
    const { entity, match } = await lookupEntity(deps.graph, args.condition, 'Disease');
    const r = await deps.graph.indicatedDrugs(entity.id, { relations: args.relations, ...(args.tiers ? { tiers: args.tiers } : {}), limit: args.limit });
    const notes = [
      matchNote(args.condition, match),
      r.requested ? `${r.requested.name} (${r.requested.id}) is answered through the broader graph disease ${r.disease.name} (${r.disease.id}).` : undefined,
    ].filter(Boolean);
    return {
      condition: r.disease,
      ...(r.requested ? { requested: r.requested } : {}),
      ...(notes.length ? { note: notes.join(' ') } : {}),
      drugs: r.drugs,
      notIndicated: r.notIndicated,
      total: r.total,
    };
  },
  render(r) {
    const lines = [`Drugs for ${r.condition.name} (${r.condition.id}): ${r.drugs.length} of ${r.total} shown.${r.note ? ` ${r.note}` : ''}`];
    for (const d of r.drugs) {
      const others = resourceWords(d.resources, d.tier).slice(1);
      const agree = others.length ? `; also ${others.slice(0, 3).join('; ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}` : '';
      lines.push(`- ${d.drug.name} (${d.drug.id}) — ${tierWords(d.relation, d.tier)}${d.via ? `, recorded for ${d.via.name} (${d.via.id})` : ''}${agree} — ${cite(d.provenance)}`);
    }
    if (r.notIndicated.length) lines.push(`Recorded as NOT indicated: ${r.notIndicated.map((d) => `${d.drug.name} (${d.drug.id})`).join(', ')}`);
    return lines.join('\n');
  },
});
