import { DISEASE_FUZZY_ACCEPT } from '../kb/graph/shared.js';
import type { EntityMatch, EntityRef, GraphStore } from '../kb/graph/store.js';
import { ToolError } from './spec.js';

const KIND_LABEL: Record<string, string> = { Compound: 'drug', Disease: 'condition', Gene: 'gene' };

/**
 * Turns what a user or model typed (a name, brand, synonym, code or ID) into one entity of the
 * needed kind. Exact matches win; a close fuzzy match is accepted and reported as such; anything
 * else is a ToolError that lists the nearest valid entities.
 */
export async function lookupEntity(graph: GraphStore, query: string, kind: 'Compound' | 'Disease'): Promise<{ entity: EntityRef; match: EntityMatch }> {
  const r = await graph.resolve(query, { kinds: [kind], limit: 5 });
  const best = r.matches[0];
  // A disease matched only loosely is a suggestion, not an answer (the case reader holds the same bar).
  const loose = kind === 'Disease' && best?.matchType === 'fuzzy' && best.score < DISEASE_FUZZY_ACCEPT;
  if (best && !loose) return { entity: { id: best.id, kind: best.kind, name: best.name }, match: best };
  if (loose) r.suggestions = r.matches.map(({ id, kind: k, name }) => ({ id, kind: k, name }));
  const label = KIND_LABEL[kind] ?? kind;
  const hint = r.suggestions.length
    ? ` Did you mean: ${r.suggestions.map((s) => `${s.name} (${s.id})`).join(', ')}?`
    : ` Try a generic name, brand name or identifier (${kind === 'Compound' ? 'e.g. "metformin", "Glucophage", "DB00331"' : 'e.g. "type 2 diabetes mellitus", "DOID:9352", "ICD10:E11"'}).`;
  throw new ToolError(`No ${label} matches ${JSON.stringify(query)}.${hint}`, { suggestions: r.suggestions });
}

/** Note shown with results when the entity was matched approximately, so the reader can check it. */
export function matchNote(query: string, match: EntityMatch): string | undefined {
  if (match.matchType !== 'fuzzy') return undefined;
  return `"${query}" was matched approximately to ${match.name} (${match.id}, similarity ${match.score}).`;
}
