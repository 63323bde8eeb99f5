import { z } from 'zod';
import { TRIAL_PHASES, TRIAL_STATUSES } from '../kb/base/corpus-schema.js';
import { evidenceCall, evidenceStore, provenanceOf, requireSearchCriteria, resolvedSchema, searchHeadline, searchResult, sourcePreferenceSchema } from './evidence-support.js';
import { defineTool } from './spec.js';

const input = z
  .object({
    query: z.string().max(500).optional().describe('Free text (BM25). "quoted phrases" and prefix* are supported; other punctuation is treated as text. Example: "metformin" cancer'),
    drug: z.string().min(2).max(200).optional().describe('Only trials linked to this drug: DrugBank id (DB00331), MeSH id (MESH:D008687) or name (metformin)'),
    condition: z.string().min(2).max(200).optional().describe('Only trials linked to this condition: DOID (DOID:1612), MeSH id or name (breast cancer); a Disease Ontology term includes its subtypes'),
    phase: z.array(z.enum(TRIAL_PHASES)).max(6).optional().describe('Only trials in any of these phases (ClinicalTrials.gov values, e.g. PHASE2, PHASE3)'),
    status: z.array(z.enum(TRIAL_STATUSES)).max(14).optional().describe('Only trials with any of these overall statuses (e.g. COMPLETED, TERMINATED, RECRUITING)'),
    limit: z.number().int().min(1).max(50).default(10).describe('Maximum number of trials returned (1-50)'),
    source: sourcePreferenceSchema,
  })
  .strict();

const trialItem = z.object({
  nct_id: z.string(),
  title: z.string(),
  title_kind: z.enum(['registry', 'derived']).describe('derived: composed from drugs and conditions because the offline source has no title'),
  phase: z.string().nullable(),
  status: z.string().nullable(),
  conditions: z.array(z.string()),
  interventions: z.array(z.string()),
  why_stopped: z.string().nullable(),
  outcome_label: z.number().nullable().describe('HINT outcome label: 1 met primary endpoint, 0 did not'),
  snippet: z.string().describe('evidence text around the matched terms, matches in **bold**'),
  url: z.string(),
  score: z.number().nullable(),
  provenance: z.object({ origin: z.enum(['offline', 'live']), sources: z.array(z.string()), license: z.string() }),
});

const output = z.object({
  criteria: input.describe('the search criteria as applied, for provenance'),
  origin: z.enum(['offline', 'live']),
  retrieval: z.enum(['bm25', 'hybrid', 'filter', 'live']),
  resolved: resolvedSchema.describe('entities the drug/condition filters matched'),
  notices: z.array(z.string()),
  has_more: z.boolean(),
  results: z.array(trialItem).max(50),
});

export const searchTrialsTool = defineTool({
  name: 'search_trials',
  title: 'Search clinical trials',
  description:
    'Find clinical trials (NCT IDs) by free text and/or by linked drug and condition, optionally filtered by phase and status. ' +
    'Use it to ground a recommendation in trial evidence (was drug X tested in condition Y, did it stop and why). ' +
    'Each result has a title, a short snippet around the matched terms, a link, the source and its license. ' +
    'Do not use it for literature (use search_literature) or to read a whole trial (use get_trial with the NCT ID). ' +
    'Give at least one of query, drug or condition.',
  input,
  output,
  openWorld: true,
  async handler(args, deps) {
    const store = evidenceStore(deps, 'search_trials');
    requireSearchCriteria('search_trials', args);
    const r = await evidenceCall(() =>
      store.searchTrials({
        text: args.query,
        drug: args.drug,
        condition: args.condition,
        phase: args.phase,
        status: args.status,
        limit: args.limit,
        source: args.source,
      }),
    );
    return searchResult(args, r, (t) => ({
      nct_id: t.nctId, title: t.title, title_kind: t.titleKind, phase: t.phase, status: t.status,
      conditions: t.conditions.slice(0, 10), interventions: t.interventions.slice(0, 10), why_stopped: t.whyStopped,
      outcome_label: t.outcomeLabel, snippet: t.snippet, url: t.url, score: t.score, provenance: provenanceOf(t),
    }));
  },
  render(r) {
    return [
      searchHeadline(r, 'trial'),
      ...r.results.map((t) => `- ${t.nct_id} [${t.phase ?? 'phase ?'}, ${t.status ?? 'status ?'}] ${t.title}\n  ${t.snippet}\n  ${t.url} (${t.provenance.license})`),
    ].join('\n');
  },
});
