import { z } from 'zod';
import { ToolError, type ToolDeps } from './spec.js';
import type { EvidenceStore } from '../kb/corpus/store.js';
import { EvidenceQueryError, type EvidenceOrigin, type SearchResponse } from '../kb/base/corpus-types.js';

/**
 * Pieces shared by the four evidence tools (search_trials, get_trial, search_literature,
 * get_article): output schemas, the store lookup and error mapping. Kept here rather than in
 * tools/evidence-tools.ts so the tool files do not import each other in a cycle.
 */

export const sourcePreferenceSchema = z
  .enum(['auto', 'offline', 'live'])
  .default('auto')
  .describe('auto: live API when this deployment enables it, else the offline corpus; offline: the built-in corpus only; live: ClinicalTrials.gov / PubMed (fails if live access is off)');

export const resolvedSchema = z.object({
  drug: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
  condition: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
});

export const linkSchema = z.object({ role: z.enum(['drug', 'condition']), id: z.string(), name: z.string(), method: z.string() });

/** The evidence store from the tool dependencies, or a ToolError saying the deployment lacks one. */
export function evidenceStore(deps: ToolDeps, tool: string): EvidenceStore {
  if (!deps.evidence) {
    throw new ToolError(`${tool} is unavailable: this deployment has no evidence store (knowledge base built without the trial/article corpus)`);
  }
  return deps.evidence;
}

/** Runs a store call, turning expected evidence failures into ToolErrors with their details. */
export async function evidenceCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EvidenceQueryError) throw new ToolError(err.message, err.details);
    throw err;
  }
}

/** Fails unless a search names at least one of query, drug or condition (search_trials, search_literature). */
export function requireSearchCriteria(tool: string, args: { query?: string; drug?: string; condition?: string }): void {
  if (!args.query?.trim() && !args.drug && !args.condition) throw new ToolError(`${tool} needs at least one of query, drug or condition`);
}

/**
 * A search tool's result: the criteria as applied, where the results came from and how they
 * were ranked, at most ten resolved entities per filter, notices, whether more exist, and the
 * items in the tool's own shape (`item`). The tools keep their output schemas; this is the
 * handler side both fill the same way.
 */
export function searchResult<C, T, O>(criteria: C, r: SearchResponse<T>, item: (t: T) => O) {
  return {
    criteria,
    origin: r.origin,
    retrieval: r.retrieval,
    resolved: { drug: r.resolved.drug?.slice(0, 10), condition: r.resolved.condition?.slice(0, 10) },
    notices: r.notices,
    has_more: r.hasMore,
    results: r.items.map(item),
  };
}

/** The `provenance` block of an evidence item in tool output. */
export function provenanceOf(x: { origin: EvidenceOrigin; sources: string[]; license: string }): {
  origin: EvidenceOrigin;
  sources: string[];
  license: string;
} {
  return { origin: x.origin, sources: x.sources, license: x.license };
}

/** First line of a search tool's text rendering: how many `noun`s, from where, ranked how, and any notices. */
export function searchHeadline(r: { results: unknown[]; origin: string; retrieval: string; notices: string[] }, noun: string): string {
  return `${r.results.length} ${noun}(s) (${r.origin}, ${r.retrieval})${r.notices.length ? `\nNote: ${r.notices.join(' | ')}` : ''}`;
}

/** Cuts long text at a word boundary, saying how much was left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  return `${text.slice(0, cut > max * 0.8 ? cut : max)} … [${text.length - max} more characters]`;
}
