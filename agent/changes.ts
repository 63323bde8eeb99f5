import { describeFactors } from '../clinical/case-reader.js';
import type { TrackedCase } from '../clinical/case-types.js';
import type { ExcludedDrug, RecommendedDrug } from '../clinical/types.js';

/** What one answer said, kept on the thread so the next answer can say what changed. */
export interface TurnSummary {
  facts: string[];
  recommended: { id: string; name: string }[];
  excluded: { id: string; name: string; reason: string }[];
}

const entityNames = (c: TrackedCase) => [
  ...c.conditions.map((x) => x.name),
  ...c.currentMedications.map((x) => `on ${x.name}`),
  ...c.allergies.map((x) => `allergic to ${x.name}${x.reaction ? ` (${x.reaction})` : ''}`),
  ...(c.age !== undefined ? [`age ${c.age}`] : []),
];

export function turnSummary(c: TrackedCase, recs: RecommendedDrug[], excluded: ExcludedDrug[]): TurnSummary {
  return {
    facts: [...entityNames(c), ...describeFactors(c)],
    recommended: recs.map((r) => ({ id: r.drug.id, name: r.drug.name })),
    excluded: excluded.map((e) => ({ id: e.drug.id, name: e.drug.name, reason: e.reason })),
  };
}

/**
 * The difference between two answers in words: new facts, drugs now left out (with why), drugs
 * no longer or newly recommended. Empty on a first turn, or when nothing changed.
 */
export function describeChanges(prev: TurnSummary | null | undefined, now: TurnSummary): string[] {
  if (!prev) return [];
  const out: string[] = [];
  // A fact can be listed more than once (a condition that is also a comorbidity state): said once.
  const added = [...new Set(now.facts.filter((f) => !prev.facts.includes(f)))];
  const removed = [...new Set(prev.facts.filter((f) => !now.facts.includes(f)))];
  if (added.length) out.push(`New in the case: ${added.join('; ')}.`);
  if (removed.length) out.push(`No longer in the case: ${removed.join('; ')}.`);
  const nowIds = new Set(now.recommended.map((r) => r.id));
  const prevIds = new Set(prev.recommended.map((r) => r.id));
  for (const e of now.excluded) {
    if (prevIds.has(e.id)) out.push(`${e.name} was recommended before and is now left out: ${e.reason}`);
  }
  const dropped = prev.recommended.filter((r) => !nowIds.has(r.id) && !now.excluded.some((e) => e.id === r.id));
  if (dropped.length) out.push(`No longer in the list (ranked lower or no longer a candidate): ${dropped.map((d) => d.name).join(', ')}.`);
  const fresh = now.recommended.filter((r) => !prevIds.has(r.id));
  if (fresh.length) out.push(`Newly recommended: ${fresh.map((d) => d.name).join(', ')}.`);
  const back = now.recommended.filter((r) => prev.excluded.some((e) => e.id === r.id));
  if (back.length) out.push(`No longer left out: ${back.map((d) => d.name).join(', ')}.`);
  if (!out.length && prev.recommended.map((r) => r.id).join() !== now.recommended.map((r) => r.id).join()) out.push('The order of the recommendations changed.');
  return out;
}
