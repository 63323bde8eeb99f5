import { z } from 'zod';
import { lookupEntity, matchNote } from './entity-lookup.js';
import { tierWords } from '../clinical/indication-words.js';
import { defineTool, entityRefSchema, indicationRelationSchema, indicationTierSchema, provenanceSchema } from './spec.js';

const MAX_DESCRIPTION = 600;

export const getDrugProfileTool = defineTool({
  name: 'get_drug_profile',
  title: 'Drug profile',
  description:
    'Profile of one drug: description, ATC codes, protein targets (with actions and PubMed IDs), pharmacologic classes, side effects with SIDER frequencies, and recorded indications, each with source and license. ' +
    'Use it to justify or question a candidate (mechanism, class, tolerability). For interactions between drugs use check_interactions; for a drug–disease mechanism use explain_drug_condition_link.',
  input: z
    .object({
      drug: z.string().trim().min(1).max(200).describe('Drug name, brand name or identifier, e.g. "metformin", "Glucophage", "DB00331"'),
      max_targets: z.number().int().min(0).max(50).default(10).describe('Maximum number of targets (0–50)'),
      max_side_effects: z.number().int().min(0).max(100).default(15).describe('Maximum number of side effects, most frequent first (0–100)'),
      max_indications: z.number().int().min(0).max(200).default(30).describe('Maximum number of indications, best-evidenced first (0–200)'),
    })
    .strict(),
  output: z.object({
    drug: entityRefSchema.extend({ description: z.string().nullable(), atc: z.array(z.string()), groups: z.array(z.string()), synonyms: z.array(z.string()) }),
    note: z.string().optional(),
    targets: z.array(z.object({ gene: entityRefSchema, actions: z.array(z.string()), provenance: z.array(provenanceSchema) })),
    classes: z.array(z.object({ cls: entityRefSchema, provenance: z.array(provenanceSchema) })),
    sideEffects: z.array(
      z.object({ sideEffect: entityRefSchema, frequency: z.string().optional(), frequencyValue: z.number().optional(), provenance: z.array(provenanceSchema) }),
    ),
    indications: z.array(
      z.object({
        disease: entityRefSchema,
        relation: indicationRelationSchema,
        tier: indicationTierSchema,
        resources: z.array(z.string()),
        provenance: z.array(provenanceSchema),
      }),
    ),
    counts: z.object({ targets: z.number().int(), sideEffects: z.number().int(), classes: z.number().int(), indications: z.number().int() }),
  }),
  openWorld: false,
  async handler(args, deps) {
    const { entity, match } = await lookupEntity(deps.graph, args.drug, 'Compound');
    const p = await deps.graph.drugProfile(entity.id, { maxTargets: args.max_targets, maxSideEffects: args.max_side_effects, maxClasses: 15 });
    const description =
      p.drug.description && p.drug.description.length > MAX_DESCRIPTION ? `${p.drug.description.slice(0, MAX_DESCRIPTION)}…` : p.drug.description;
    const note = matchNote(args.drug, match);
    return { ...p, drug: { ...p.drug, description }, indications: p.indications.slice(0, args.max_indications), ...(note ? { note } : {}) };
  },
  render(p) {
    const lines = [`${p.drug.name} (${p.drug.id})${p.drug.atc.length ? ` ATC ${p.drug.atc.join(', ')}` : ''}${p.note ? ` — ${p.note}` : ''}`];
    if (p.drug.description) lines.push(p.drug.description);
    if (p.targets.length) {
      const targets = p.targets.map((t) => `${t.gene.name}${t.actions.length ? ` [${t.actions.join(', ')}]` : ''}`).join('; ');
      const licenses = [...new Set(p.targets.flatMap((t) => t.provenance.map((x) => x.license)))].join(', ');
      lines.push(`Targets (${p.targets.length}/${p.counts.targets}): ${targets} — ${licenses}`);
    }
    if (p.classes.length) lines.push(`Classes: ${p.classes.map((c) => c.cls.name).join('; ')} (DrugCentral, CC BY 4.0)`);
    if (p.sideEffects.length) {
      const effects = p.sideEffects.map((s) => `${s.sideEffect.name}${s.frequency ? ` (${s.frequency})` : ''}`).join('; ');
      lines.push(`Side effects (${p.sideEffects.length}/${p.counts.sideEffects}, SIDER 4.1, CC BY-NC-SA 4.0): ${effects}`);
    }
    if (p.indications.length) {
      const indications = p.indications.map((i) => `${i.disease.name} (${i.disease.id}) — ${tierWords(i.relation, i.tier)}`).join('; ');
      lines.push(`Indications (${p.indications.length}/${p.counts.indications}, best evidence first): ${indications}`);
    }
    return lines.join('\n');
  },
});
