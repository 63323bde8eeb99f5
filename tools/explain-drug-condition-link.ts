import { z } from 'zod';
import { lookupEntity, matchNote } from './entity-lookup.js';
import { tierWords } from '../clinical/indication-words.js';
import { defineTool, entityRefSchema, indicationRelationSchema, indicationTierSchema, provenanceSchema } from './spec.js';

export const explainDrugConditionLinkTool = defineTool({
  name: 'explain_drug_condition_link',
  title: 'Mechanism paths between a drug and a condition',
  description:
    'Explain how a drug may act on a condition through the knowledge graph: paths drug → binds → gene ← associated with ← condition, and (optionally) through one gene–gene interaction, ranked by a degree-weighted score (specific paths first), with each edge\'s source and license; also says whether the drug is a recorded indication. ' +
    'Use it to ground a rationale in mechanism or to answer "why X?". An empty result means no such path in the graph, not that the drug is ineffective.',
  input: z
    .object({
      drug: z.string().trim().min(1).max(200).describe('Drug name or identifier, e.g. "metformin" or "DB00331"'),
      condition: z.string().trim().min(1).max(200).describe('Condition name or identifier, e.g. "type 2 diabetes mellitus" or "DOID:9352"'),
      via_gene_interactions: z.boolean().default(true).describe('Also include paths through one gene–gene interaction'),
      limit: z.number().int().min(1).max(25).default(8).describe('Maximum number of paths (1–25)'),
    })
    .strict(),
  output: z.object({
    drug: entityRefSchema,
    condition: entityRefSchema,
    note: z.string().optional(),
    recordedIndication: z.union([indicationRelationSchema, z.literal('none')]),
    tier: indicationTierSchema.optional(),
    /** The subtype of the condition the indication is recorded for, when not the condition itself. */
    via: entityRefSchema.optional(),
    indicationProvenance: z.array(provenanceSchema).optional(),
    paths: z.array(
      z.object({
        nodes: z.array(entityRefSchema),
        edges: z.array(z.object({ metaedge: z.string(), label: z.string(), provenance: z.array(provenanceSchema) })),
        score: z.number(),
        text: z.string(),
      }),
    ),
  }),
  openWorld: false,
  async handler(args, deps) {
    const drug = await lookupEntity(deps.graph, args.drug, 'Compound');
    const condition = await lookupEntity(deps.graph, args.condition, 'Disease');
    const paths = await deps.graph.mechanismPaths(drug.entity.id, condition.entity.id, { limit: args.limit, viaGeneGene: args.via_gene_interactions });
    // The same indication lookup find_drugs_for_condition and recommend_drugs use, so the tools agree.
    const indicated = await deps.graph.indicatedDrugs(condition.entity.id, { limit: 100_000 });
    const indication = indicated.drugs.find((d) => d.drug.id === drug.entity.id);
    const notes = [matchNote(args.drug, drug.match), matchNote(args.condition, condition.match)].filter(Boolean);
    return {
      drug: drug.entity,
      condition: condition.entity,
      ...(notes.length ? { note: notes.join(' ') } : {}),
      recordedIndication: indication?.relation ?? ('none' as const),
      ...(indication ? { tier: indication.tier, indicationProvenance: indication.provenance, ...(indication.via ? { via: indication.via } : {}) } : {}),
      paths,
    };
  },
  render(r) {
    const ind = r.recordedIndication === 'none' ? 'none' : `${tierWords(r.recordedIndication, r.tier ?? 'curated')}${r.via ? `, recorded for ${r.via.name} (${r.via.id})` : ''}`;
    const head = `${r.drug.name} (${r.drug.id}) → ${r.condition.name} (${r.condition.id}); recorded indication: ${ind}.${r.note ? ` ${r.note}` : ''}`;
    if (!r.paths.length) return `${head}\nNo drug–gene–disease path in the graph.`;
    return [
      head,
      ...r.paths.map((p, i) => `${i + 1}. ${p.text} (score ${p.score.toExponential(2)}; ${[...new Set(p.edges.flatMap((e) => e.provenance.map((x) => x.license)))].join(', ')})`),
    ].join('\n');
  },
});
