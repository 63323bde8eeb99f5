import { z } from 'zod';
import { clip, evidenceCall, evidenceStore, linkSchema, sourcePreferenceSchema } from './evidence-support.js';
import { defineTool } from './spec.js';

const input = z
  .object({
    nct_id: z.string().regex(/^[Nn][Cc][Tt]\d{8}$/, 'an NCT ID is NCT followed by 8 digits').describe('ClinicalTrials.gov identifier, e.g. NCT00000378'),
    max_chars: z.number().int().min(200).max(20_000).default(4000).describe('Longest summary and eligibility text returned, in characters (200-20000)'),
    source: sourcePreferenceSchema,
  })
  .strict();

const output = z.object({
  criteria: input.describe('the request as applied, for provenance'),
  nct_id: z.string(),
  title: z.string(),
  title_kind: z.enum(['registry', 'derived']),
  phase: z.string().nullable(),
  status: z.string().nullable(),
  why_stopped: z.string().nullable(),
  outcome_label: z.number().nullable().describe('HINT outcome label: 1 met primary endpoint, 0 did not'),
  conditions: z.array(z.string()),
  interventions: z.array(z.string()),
  icd10: z.array(z.string()),
  keywords: z.array(z.string()),
  summary: z.string(),
  outcome_measures: z.string(),
  eligibility_criteria: z.string(),
  links: z.array(linkSchema).describe('knowledge-graph entities this trial is linked to, and how'),
  snippet: z.string(),
  url: z.string(),
  notices: z.array(z.string()),
  provenance: z.object({ origin: z.enum(['offline', 'live']), sources: z.array(z.string()), license: z.string() }),
});

export const getTrialTool = defineTool({
  name: 'get_trial',
  title: 'Get a clinical trial',
  description:
    'Read one clinical trial by NCT ID: phase, status, why it stopped, outcome label, conditions, interventions, eligibility criteria and the drug/condition entities it is linked to. ' +
    'Use it after search_trials, or when the user names an NCT ID. Do not use it to find trials (use search_trials) or for PubMed articles (use get_article).',
  input,
  output,
  openWorld: true,
  async handler(args, deps) {
    const store = evidenceStore(deps, 'get_trial');
    const { trial: t, notices } = await evidenceCall(() => store.getTrial(args.nct_id, args.source));
    return {
      criteria: args,
      nct_id: t.nctId, title: t.title, title_kind: t.titleKind, phase: t.phase, status: t.status, why_stopped: t.whyStopped,
      outcome_label: t.outcomeLabel, conditions: t.conditions.slice(0, 50), interventions: t.interventions.slice(0, 50),
      icd10: t.icd10.slice(0, 50), keywords: t.keywords.slice(0, 50), summary: clip(t.summary, args.max_chars),
      outcome_measures: clip(t.outcomeMeasures, args.max_chars), eligibility_criteria: clip(t.criteria, args.max_chars),
      links: t.links.slice(0, 100), snippet: t.snippet, url: t.url, notices,
      provenance: { origin: t.origin, sources: t.sources, license: t.license },
    };
  },
  render(t) {
    return [
      `${t.nct_id}: ${t.title}`,
      `phase ${t.phase ?? '?'} · status ${t.status ?? '?'}${t.why_stopped ? ` · stopped: ${t.why_stopped}` : ''}${t.outcome_label !== null ? ` · outcome label ${t.outcome_label}` : ''}`,
      `conditions: ${t.conditions.join('; ')}`,
      `interventions: ${t.interventions.join('; ')}`,
      t.summary && `summary: ${t.summary}`,
      t.eligibility_criteria && `eligibility:\n${t.eligibility_criteria}`,
      `${t.url} (${t.provenance.origin}; ${t.provenance.license})`,
    ].filter(Boolean).join('\n');
  },
});
