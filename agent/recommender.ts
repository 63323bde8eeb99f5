import type { EvidenceStore } from '../kb/corpus/store.js';
import type { EntityRef, GraphStore } from '../kb/graph/store.js';
import type { ToolDeps } from '../tools/spec.js';
import { describeCase } from './case.js';
import { articleItem, indicationItem, pathItem, publicItem, trialItem } from './citations.js';

export { publicItem };
import { safetyCheck } from './safety.js';
import type { LedgerItem, TrackedCase } from './state.js';
import type { RecommendedDrug, Warning } from './types.js';

/**
 * The evidence-only recommender: deterministic, over the same KB the tools use. Candidates come
 * from recorded indications and from trials of the condition; each gets a transparent score
 * that is the sum of named components, so the rationale can show the arithmetic.
 */

/** Score weights; the rationale prints each component so a reader can redo the sum. */
export const SCORE_WEIGHTS = {
  treats: 1.0,
  palliates: 0.6,
  /** Per condition beyond the first that the drug is also indicated for. */
  extraCondition: 0.5,
  /** Per supporting trial (up to 3). */
  trial: 0.1,
  /** Per supporting article (up to 3). */
  article: 0.05,
  /** Mechanism path strength: 0.3 × min(paths, 3) / 3. */
  mechanism: 0.3,
  /** Per interaction with a current medication (up to 2). */
  interaction: -0.25,
  /** Curators recorded the pair as not indicated. */
  notIndicated: -1.0,
  /**
   * Strength of curation (PharmacotherapyDB): per curator who agreed (up to 3) and per resource
   * listing the indication (up to 4). Separates first-line drugs (metformin: 3 curators, 4
   * resources) from weakly supported ones without it ties would be broken alphabetically.
   */
  curator: 0.05,
  resource: 0.025,
} as const;

/** Curator and resource counts as recorded in a PharmacotherapyDB provenance detail. */
function curationSupport(provenance: { detail?: string }[]): number {
  let best = 0;
  for (const p of provenance) {
    const curators = Number(/curators: (\d+)/.exec(p.detail ?? '')?.[1] ?? 0);
    const resources = Number(/resources: (\d+)/.exec(p.detail ?? '')?.[1] ?? 0);
    best = Math.max(best, SCORE_WEIGHTS.curator * Math.min(curators, 3) + SCORE_WEIGHTS.resource * Math.min(resources, 4));
  }
  return Math.round(best * 1000) / 1000;
}

export interface ScoreComponents {
  indication: number;
  curation: number;
  mechanism: number;
  trials: number;
  articles: number;
  interactions: number;
  notIndicated: number;
}

export interface Recommendation extends RecommendedDrug {
  components: ScoreComponents;
}

export interface RecommendOptions {
  /** Recommendations returned (default 5). */
  limit?: number;
  /** Candidates enriched with mechanism paths and text evidence (default 10): bounds the cost. */
  enrich?: number;
  /** Skip trial/article retrieval even when an evidence store exists. */
  graphOnly?: boolean;
}

export interface RecommendResult {
  recommendations: Recommendation[];
  /** Candidates left out by the safety filter, with the reason. */
  excluded: { drug: EntityRef; reason: string }[];
  warnings: Warning[];
  notices: string[];
  /** Every evidence item used, for the citation ledger. */
  evidence: LedgerItem[];
  /** The answer as text, saying plainly that no language model wrote it. */
  text: string;
}

export const EVIDENCE_ONLY_BANNER = 'Evidence-only answer: no language model wrote this. It was assembled by a deterministic recommender from the knowledge graph, trials and literature in the knowledge base.';

interface Candidate {
  drug: EntityRef;
  components: ScoreComponents;
  evidence: LedgerItem[];
  indications: { relation: 'treats' | 'palliates'; disease: EntityRef }[];
  pathTexts: string[];
}

const evidenceStore = (deps: ToolDeps): EvidenceStore | undefined => {
  const e = deps.evidence as Partial<EvidenceStore> | undefined;
  return e && typeof e.searchTrials === 'function' && typeof e.searchArticles === 'function' ? (e as EvidenceStore) : undefined;
};

const total = (c: ScoreComponents) => Math.round(Object.values(c).reduce((a, b) => a + b, 0) * 1000) / 1000;

/** Explains a score as "1.35 = indication 1.00 + mechanism 0.20 + …", leaving out zero terms. */
export function explainScore(c: ScoreComponents): string {
  const parts = (Object.entries(c) as [keyof ScoreComponents, number][]).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v >= 0 ? '' : '−'}${Math.abs(v).toFixed(2)}`);
  return `${total(c).toFixed(2)} = ${parts.join(' + ') || '0'}`;
}

/** Recommends drugs for a case from the evidence alone. */
export async function recommendDrugs(deps: ToolDeps, c: TrackedCase, opts: RecommendOptions = {}): Promise<RecommendResult> {
  const graph: GraphStore = deps.graph;
  const limit = opts.limit ?? 5;
  const notices: string[] = [];
  const conditions = c.conditions.filter((x): x is typeof x & { id: string } => !!x.id);
  if (!conditions.length) {
    return {
      recommendations: [], excluded: [], warnings: [], evidence: [],
      notices: ['No condition in the case could be matched to the knowledge base, so there is nothing to recommend for yet. Name a diagnosis (e.g. "type 2 diabetes", "DOID:9352").'],
      text: `${EVIDENCE_ONLY_BANNER}\n\nNo recommendation: the case names no condition the knowledge base knows. ${describeCase(c)}`,
    };
  }

  const candidates = new Map<string, Candidate>();
  const notIndicated = new Map<string, string>();
  const get = (drug: EntityRef) => {
    let x = candidates.get(drug.id);
    if (!x) candidates.set(drug.id, (x = { drug, components: { indication: 0, curation: 0, mechanism: 0, trials: 0, articles: 0, interactions: 0, notIndicated: 0 }, evidence: [], indications: [], pathTexts: [] }));
    return x;
  };
  for (const cond of conditions) {
    const ind = await graph.indicatedDrugs(cond.id, { limit: 50 });
    for (const d of ind.drugs) {
      const x = get(d.drug);
      const w = d.relation === 'treats' ? SCORE_WEIGHTS.treats : SCORE_WEIGHTS.palliates;
      // The best indication counts fully; each further condition the drug covers adds a bonus.
      x.components.indication = x.indications.length ? x.components.indication + SCORE_WEIGHTS.extraCondition * w : w;
      x.components.curation = Math.max(x.components.curation, curationSupport(d.provenance));
      x.indications.push({ relation: d.relation, disease: ind.disease });
      x.evidence.push(indicationItem(d.drug, d.relation, ind.disease, d.provenance));
    }
    for (const n of ind.notIndicated) notIndicated.set(n.drug.id, `${n.drug.name} is recorded as not indicated for ${ind.disease.name}`);
  }

  const store = opts.graphOnly ? undefined : evidenceStore(deps);
  // Trial-derived candidates: drugs tested in trials of the condition that the KB can name exactly.
  // Only when indications are sparse: resolving free-text interventions is the slow part.
  if (store && candidates.size < limit) {
    for (const cond of conditions.slice(0, 2)) {
      try {
        const r = await store.searchTrials({ condition: cond.id, limit: 15, source: 'offline' });
        for (const t of r.items) {
          for (const iv of t.interventions.slice(0, 3)) {
            const m = (await graph.resolve(iv, { kinds: ['Compound'], limit: 1 })).matches[0];
            if (m && m.matchType !== 'fuzzy' && !candidates.has(m.id)) get({ id: m.id, kind: m.kind, name: m.name });
          }
        }
      } catch (err) {
        notices.push(`Trial search for ${cond.name} failed (${(err as Error).message}); candidates come from the knowledge graph only.`);
      }
    }
  }
  if (!store && !opts.graphOnly) {
    notices.push('No trial/literature corpus is available in this deployment: evidence comes from the knowledge graph only.');
  }
  for (const [id] of notIndicated) {
    const x = candidates.get(id);
    if (x) x.components.notIndicated = SCORE_WEIGHTS.notIndicated;
  }

  // Enrich the strongest candidates by graph score: mechanism paths, then trials and articles.
  const ranked = [...candidates.values()].sort((a, b) => total(b.components) - total(a.components) || a.drug.name.localeCompare(b.drug.name));
  const enrich = ranked.slice(0, opts.enrich ?? 10);
  const primary = conditions[0];
  await Promise.all(
    enrich.map(async (x) => {
      const target = x.indications[0]?.disease.id ?? primary.id;
      try {
        const paths = await graph.mechanismPaths(x.drug.id, target, { limit: 3, viaGeneGene: false });
        x.components.mechanism = Math.round(SCORE_WEIGHTS.mechanism * (Math.min(paths.length, 3) / 3) * 1000) / 1000;
        for (const p of paths) {
          x.evidence.push(pathItem(p));
          x.pathTexts.push(p.text);
        }
      } catch {
        // A drug without graph relations has no paths; its score simply lacks the term.
      }
      if (!store) return;
      try {
        const t = await store.searchTrials({ drug: x.drug.id, condition: target, limit: 3, source: 'offline' });
        x.components.trials = Math.round(SCORE_WEIGHTS.trial * Math.min(t.items.length, 3) * 1000) / 1000;
        for (const it of t.items) x.evidence.push(trialItem(it, [x.drug.id], [target]));
      } catch {
        // An unknown drug in the corpus is "no trials", which the score already reflects.
      }
      try {
        const a = await store.searchArticles({ drug: x.drug.id, condition: target, limit: 3, source: 'offline' });
        x.components.articles = Math.round(SCORE_WEIGHTS.article * Math.min(a.items.length, 3) * 1000) / 1000;
        for (const it of a.items) x.evidence.push(articleItem(it, [x.drug.id], [target]));
      } catch {
        // Same as trials.
      }
    }),
  );

  // Safety over the enriched set, then the final order.
  const safety = await safetyCheck(graph, enrich.map((x) => x.drug), c);
  const excluded: { drug: EntityRef; reason: string }[] = [];
  const kept: Candidate[] = [];
  for (const x of enrich) {
    const reason = safety.excluded.get(x.drug.id) ?? (x.components.notIndicated ? notIndicated.get(x.drug.id) : undefined);
    if (reason) {
      excluded.push({ drug: x.drug, reason });
      continue;
    }
    const n = (safety.perDrug.get(x.drug.id) ?? []).filter((w) => w.kind === 'interaction').length;
    x.components.interactions = SCORE_WEIGHTS.interaction * Math.min(n, 2);
    kept.push(x);
  }
  kept.sort((a, b) => total(b.components) - total(a.components) || a.drug.name.localeCompare(b.drug.name));
  const recommendations: Recommendation[] = kept.slice(0, limit).map((x, i) => {
    const warnings = safety.perDrug.get(x.drug.id) ?? [];
    return {
      rank: i + 1,
      drug: { id: x.drug.id, name: x.drug.name },
      score: total(x.components),
      components: x.components,
      rationale: rationale(x, warnings),
      evidence: x.evidence.slice(0, 10).map(publicItem),
      warnings,
    };
  });
  const evidence = [...enrich.flatMap((x) => x.evidence), ...safety.harvest.items];
  const text = renderAnswer(c, recommendations, excluded, safety.general, notices);
  return { recommendations, excluded, warnings: safety.general, notices, evidence, text };
}


function rationale(x: Candidate, warnings: Warning[]): string {
  const parts: string[] = [];
  for (const ind of x.indications) {
    const id = x.evidence.find((e) => e.type === 'kg_fact' && e.conditions?.includes(ind.disease.id))?.id;
    parts.push(`${x.drug.name} is a recorded ${ind.relation === 'treats' ? 'treatment (disease-modifying)' : 'palliative (symptomatic) therapy'} for ${ind.disease.name}${id ? ` [${id}]` : ''}.`);
  }
  if (!x.indications.length) parts.push(`${x.drug.name} was tested in trials of the condition but is not a recorded indication.`);
  const path = x.evidence.find((e) => e.type === 'kg_path');
  if (path) parts.push(`Mechanism: ${path.snippet} [${path.id}]${x.pathTexts.length > 1 ? ` (${x.pathTexts.length} paths found)` : ''}.`);
  const trials = x.evidence.filter((e) => e.type === 'trial');
  if (trials.length) parts.push(`Trials: ${trials.map((t) => `[${t.id}]`).join(' ')}.`);
  const arts = x.evidence.filter((e) => e.type === 'article');
  if (arts.length) parts.push(`Literature: ${arts.map((a) => `[${a.id}]`).join(' ')}.`);
  const inter = warnings.filter((w) => w.kind === 'interaction').length;
  if (inter) parts.push(`Interacts with ${inter} current medication(s) (see warnings).`);
  parts.push(`Score ${explainScore(x.components)}.`);
  return parts.join(' ');
}

function renderAnswer(c: TrackedCase, recs: Recommendation[], excluded: { drug: EntityRef; reason: string }[], general: Warning[], notices: string[]): string {
  const lines = [EVIDENCE_ONLY_BANNER, '', describeCase(c), ''];
  if (!recs.length) lines.push('No drug met the evidence and safety criteria for this case.');
  for (const r of recs) {
    lines.push(`${r.rank}. ${r.drug.name} (${r.drug.id}): ${r.rationale}`);
    for (const w of r.warnings) if (w.kind !== 'side_effect') lines.push(`   Warning: ${w.message}`);
  }
  if (excluded.length) lines.push('', 'Left out:', ...excluded.map((e) => `- ${e.drug.name} (${e.drug.id}): ${e.reason}.`));
  if (general.length) lines.push('', ...general.map((w) => `Note: ${w.message}`));
  if (notices.length) lines.push('', ...notices.map((n) => `Note: ${n}`));
  return lines.join('\n');
}

/**
 * Answers "why not X?" from the evidence: whether X is indicated for the case's conditions,
 * whether the safety check flags it, and where it ranks.
 */
export async function explainWhyNot(deps: ToolDeps, c: TrackedCase, drugText: string, result: RecommendResult): Promise<{ text: string; evidence: LedgerItem[]; drug?: EntityRef }> {
  const m = (await deps.graph.resolve(drugText, { kinds: ['Compound'], limit: 1 })).matches[0];
  if (!m || (m.matchType === 'fuzzy' && m.score < 0.87)) return { text: `"${drugText}" is not a drug this knowledge base knows.`, evidence: [] };
  const drug = { id: m.id, kind: m.kind, name: m.name };
  const lines: string[] = [];
  const evidence: LedgerItem[] = [];
  const rec = result.recommendations.find((r) => r.drug.id === drug.id);
  const ex = result.excluded.find((e) => e.drug.id === drug.id);
  if (rec) lines.push(`${drug.name} is recommended (rank ${rec.rank}, score ${rec.score}).`);
  else if (ex) lines.push(`${drug.name} was left out: ${ex.reason}.`);
  for (const cond of c.conditions.filter((x) => x.id)) {
    const paths = await deps.graph.mechanismPaths(drug.id, cond.id!, { limit: 2, viaGeneGene: false }).catch(() => []);
    const prof = await deps.graph.drugProfile(drug.id, { maxTargets: 0, maxSideEffects: 0, maxClasses: 0 }).catch(() => null);
    const ind = prof?.indications.find((i) => i.disease.id === cond.id);
    if (ind) {
      const ev = indicationItem(drug, ind.relation, ind.disease, ind.provenance);
      evidence.push(ev);
      lines.push(`${drug.name} ${ind.relation} ${cond.name} [${ev.id}].`);
    } else lines.push(`${drug.name} is not a recorded indication for ${cond.name} in this knowledge base.`);
    if (paths.length) {
      const ev = pathItem(paths[0]);
      evidence.push(ev);
      lines.push(`Mechanism: ${ev.snippet} [${ev.id}].`);
    }
  }
  const safety = await safetyCheck(deps.graph, [drug], c);
  evidence.push(...safety.harvest.items);
  for (const w of safety.perDrug.get(drug.id) ?? []) if (w.kind !== 'side_effect') lines.push(`Warning: ${w.message}`);
  const reason = safety.excluded.get(drug.id);
  if (reason && !ex) lines.push(`Not recommended: ${reason}.`);
  if (!rec && !ex && !reason) lines.push(`${drug.name} ranked below the ${result.recommendations.length} drug(s) shown, or is not a candidate for the case's conditions.`);
  return { text: lines.join(' '), evidence, drug };
}
