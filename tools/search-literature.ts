import { z } from 'zod';
import { evidenceCall, evidenceStore, provenanceOf, requireSearchCriteria, resolvedSchema, searchHeadline, searchResult, sourcePreferenceSchema } from './evidence-support.js';
import { defineTool, ToolError } from './spec.js';

const year = z.number().int().min(1800).max(2100);

const input = z
  .object({
    query: z.string().max(500).optional().describe('Free text (BM25). "quoted phrases" and prefix* are supported; other punctuation is treated as text. Example: famotidine delirium'),
    drug: z.string().min(2).max(200).optional().describe('Only articles linked to this drug/chemical: DrugBank id, MeSH id (MESH:D015738) or name'),
    condition: z.string().min(2).max(200).optional().describe('Only articles linked to this condition: DOID, MeSH id (MESH:D003693) or name'),
    year_from: year.optional().describe('Earliest publication year (inclusive); offline articles without a year are then left out'),
    year_to: year.optional().describe('Latest publication year (inclusive)'),
    limit: z.number().int().min(1).max(50).default(10).describe('Maximum number of articles returned (1-50)'),
    source: sourcePreferenceSchema,
  })
  .strict();

const articleItem = z.object({
  pmid: z.string(),
  title: z.string(),
  title_kind: z.enum(['title', 'question']).describe('question: PubMedQA records carry the question derived from the title'),
  year: z.number().nullable(),
  mesh: z.array(z.string()),
  snippet: z.string().describe('abstract text around the matched terms, matches in **bold**'),
  url: z.string(),
  score: z.number().nullable(),
  provenance: z.object({ origin: z.enum(['offline', 'live']), sources: z.array(z.string()), license: z.string() }),
});

const output = z.object({
  criteria: input.describe('the search criteria as applied, for provenance'),
  origin: z.enum(['offline', 'live']),
  retrieval: z.enum(['bm25', 'hybrid', 'filter', 'live']),
  resolved: resolvedSchema,
  notices: z.array(z.string()),
  has_more: z.boolean(),
  results: z.array(articleItem).max(50),
});

export const searchLiteratureTool = defineTool({
  name: 'search_literature',
  title: 'Search PubMed literature',
  description:
    'Find PubMed articles (PMIDs) by free text and/or linked drug/chemical and condition, optionally by publication year. ' +
    'Use it for published evidence on efficacy, adverse effects (e.g. chemical-induced disease) or mechanisms behind a recommendation. ' +
    'Each result has a title, a snippet around the matched terms, a link, the source and its license. ' +
    'Do not use it for clinical trial registrations (use search_trials) or to read a full abstract (use get_article). Give at least one of query, drug or condition.',
  input,
  output,
  openWorld: true,
  async handler(args, deps) {
    const store = evidenceStore(deps, 'search_literature');
    requireSearchCriteria('search_literature', args);
    if (args.year_from !== undefined && args.year_to !== undefined && args.year_from > args.year_to) {
      throw new ToolError(`year_from (${args.year_from}) is after year_to (${args.year_to})`);
    }
    const r = await evidenceCall(() =>
      store.searchArticles({
        text: args.query,
        drug: args.drug,
        condition: args.condition,
        yearFrom: args.year_from,
        yearTo: args.year_to,
        limit: args.limit,
        source: args.source,
      }),
    );
    return searchResult(args, r, (a) => ({
      pmid: a.pmid, title: a.title, title_kind: a.titleKind, year: a.year, mesh: a.mesh.slice(0, 20), snippet: a.snippet, url: a.url, score: a.score,
      provenance: provenanceOf(a),
    }));
  },
  render(r) {
    return [searchHeadline(r, 'article'), ...r.results.map((a) => `- PMID ${a.pmid}${a.year ? ` (${a.year})` : ''} ${a.title}\n  ${a.snippet}\n  ${a.url} (${a.provenance.license})`)].join('\n');
  },
});
