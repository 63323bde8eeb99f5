import { z } from 'zod';
import { defineTool, entityRefSchema } from './spec.js';

const KINDS = ['Compound', 'Disease', 'Gene', 'Side Effect', 'Symptom', 'Pharmacologic Class', 'Anatomy', 'Pathway', 'Biological Process', 'Molecular Function', 'Cellular Component'] as const;

export const resolveEntityTool = defineTool({
  name: 'resolve_entity',
  title: 'Resolve a drug, disease or other entity',
  description:
    'Find knowledge-graph entities from a name, synonym, brand name or code (DrugBank DB…, DOID:…, MeSH, UMLS, ICD-9/ICD-10, ATC, RxNorm, UNII, NCBI Gene). ' +
    'Use it first when a name is ambiguous or you need an ID for another tool; returns exact matches, close fuzzy matches and "did you mean" suggestions. ' +
    'Not needed when you already have a DB or DOID identifier: the other tools accept names directly.',
  input: z
    .object({
      query: z.string().trim().min(1).max(200).describe('Name, synonym, brand name or code, e.g. "Glucophage", "DB00331", "ICD10:E11", "type 2 diabetes"'),
      kinds: z.array(z.enum(KINDS)).max(KINDS.length).optional().describe('Restrict to these entity kinds, e.g. ["Compound"] for drugs, ["Disease"] for conditions'),
      limit: z.number().int().min(1).max(20).default(5).describe('Maximum number of matches (1–20)'),
    })
    .strict(),
  output: z.object({
    query: z.string(),
    matches: z.array(
      entityRefSchema.extend({
        matchedOn: z.string(),
        matchType: z.enum(['id', 'code', 'preferred', 'name', 'synonym', 'brand', 'fuzzy']),
        score: z.number(),
        inGraph: z.boolean(),
        mapsTo: z.array(entityRefSchema).optional(),
        indicated: z.boolean().optional(),
      }),
    ),
    suggestions: z.array(entityRefSchema),
    source: z.string(),
  }),
  openWorld: false,
  async handler(args, deps) {
    const r = await deps.graph.resolve(args.query, { kinds: args.kinds, limit: args.limit });
    return { ...r, source: 'KEDRec knowledge base (Hetionet, DrugBank, DrugCentral, Disease Ontology vocabularies)' };
  },
  render(r) {
    if (!r.matches.length) {
      return `No match for "${r.query}".${r.suggestions.length ? ` Did you mean: ${r.suggestions.map((s) => `${s.name} (${s.id})`).join(', ')}?` : ''}`;
    }
    return r.matches
      .map((m) => {
        const similarity = m.matchType === 'fuzzy' ? ` (similarity ${m.score})` : '';
        const vocabularyOnly = m.inGraph || m.indicated ? '' : ' (vocabulary only)';
        const inGraph =
          m.kind === 'Disease' && m.indicated
            ? '; drugs are recorded as indicated for it'
            : m.mapsTo
              ? `; in the graph as ${m.mapsTo.map((d) => `${d.name} (${d.id})`).join(', ')}`
              : '';
        return `${m.name} [${m.kind}] ${m.id} — matched ${m.matchType} "${m.matchedOn}"${similarity}${vocabularyOnly}${inGraph}`;
      })
      .join('\n');
  },
});
