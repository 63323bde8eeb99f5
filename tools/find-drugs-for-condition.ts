import { z } from 'zod';
import { lookupEntity, matchNote } from './entity-lookup.js';
import { defineTool, entityRefSchema, provenanceSchema } from './spec.js';

const cite = (p: { source: string; license: string }[]) => [...new Set(p.map((x) => `${x.source}, ${x.license}`))].join('; ');

export const findDrugsForConditionTool = defineTool({
  name: 'find_drugs_for_condition',
  title: 'Drugs indicated for a condition',
  description:
    'List drugs recorded as treating (disease-modifying) or palliating (symptomatic) a condition, from Hetionet and the physician-curated PharmacotherapyDB, with provenance; also pairs curators marked as NOT indications. ' +
    'Use it to gather candidate drugs for a case. It reports recorded indications only; for why a drug works use explain_drug_condition_link, for trials use search_trials.',
  input: z
    .object({
      condition: z.string().trim().min(1).max(200).describe('Condition name, synonym or code, e.g. "type 2 diabetes mellitus", "DOID:9352", "ICD10:E11"'),
      relations: z.array(z.enum(['treats', 'palliates'])).min(1).max(2).default(['treats', 'palliates']).describe('Which indication types to include'),
      limit: z.number().int().min(1).max(50).default(20).describe('Maximum number of drugs (1–50)'),
    })
    .strict(),
  output: z.object({
    condition: entityRefSchema,
    requested: entityRefSchema.optional(),
    note: z.string().optional(),
    drugs: z.array(z.object({ drug: entityRefSchema, relation: z.enum(['treats', 'palliates']), provenance: z.array(provenanceSchema) })),
    notIndicated: z.array(z.object({ drug: entityRefSchema, provenance: z.array(provenanceSchema) })),
    total: z.number().int(),
  }),
  openWorld: false,
  async handler(args, deps) {
    const { entity, match } = await lookupEntity(deps.graph, args.condition, 'Disease');
    const r = await deps.graph.indicatedDrugs(entity.id, { relations: args.relations, limit: args.limit });
    const notes = [matchNote(args.condition, match), r.requested ? `${r.requested.name} (${r.requested.id}) is answered through the broader graph disease ${r.disease.name} (${r.disease.id}).` : undefined].filter(Boolean);
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
    for (const d of r.drugs) lines.push(`- ${d.drug.name} (${d.drug.id}) ${d.relation} — ${cite(d.provenance)}`);
    if (r.notIndicated.length) lines.push(`Recorded as NOT indicated: ${r.notIndicated.map((d) => `${d.drug.name} (${d.drug.id})`).join(', ')}`);
    return lines.join('\n');
  },
});
