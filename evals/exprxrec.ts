import type { EvidenceStore } from '../kb/corpus/store.js';
import type { GraphStore } from '../kb/graph/store.js';
import { backgroundFor, VARIANTS, type ExpRxRecExample, type Variant } from '../dataset/build.js';
import { maskIndications } from '../dataset/mask.js';
import { hitsAtK, mean, microMacroPrf, rouge, type MicroMacro } from './metrics.js';
import { seededShuffle } from '../lib/random.js';

/**
 * expRxRec evaluation: for each test example and background variant, a recommender ranks the
 * candidates and selects some; selection is scored with P/R/F1 (micro and macro) and Hits@k,
 * rationales with ROUGE against reference rationales where they exist. The graph each
 * recommender sees is masked with the example's hidden indication pairs (the leak guard).
 */

interface RecommenderInput {
  example: ExpRxRecExample;
  variant: Variant;
  /** Background passages of the variant, "[ID] text". */
  background: string[];
  /** The masked graph: the example's answer is not in it. */
  graph: GraphStore;
}

interface RecommenderOutput {
  /** All candidate ids, best first. */
  ranked: string[];
  selected: string[];
  rationale: string;
}

/** Anything that picks drugs from a candidate list: the agent with a model, evidence-only mode, a baseline. */
export interface Recommender {
  name: string;
  recommend(input: RecommenderInput): Promise<RecommenderOutput>;
}

/** Uniform random choice among candidates, as many as there are targets (an oracle size, generous to it). */
export function randomRecommender(seed = 7): Recommender {
  return {
    name: 'random',
    async recommend({ example }) {
      // Seeded by the example, so every variant sees the same random draw.
      let h = seed;
      for (const ch of example.id) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
      const ranked = seededShuffle(example.candidates.map((c) => c.id), h);
      return { ranked, selected: ranked.slice(0, example.targets.length), rationale: '' };
    },
  };
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

/**
 * The evidence-only recommender over a candidate list: each candidate's score is a sum of named
 * parts the rationale prints: indicated for a similar disease, mechanism paths to the condition,
 * mentions in the background, curated as not indicated. Deterministic; no model involved.
 */
export function evidenceOnlyRecommender(opts: { maxSelect?: number } = {}): Recommender {
  const maxSelect = opts.maxSelect ?? 2;
  return {
    name: 'evidence-only',
    async recommend({ example, background, graph }) {
      const cond = example.condition.id;
      const simDiseases = await graph.similarDiseases(cond, { limit: 10 }).catch(() => []);
      const viaSimilar = new Map<string, { score: number; disease: string }>();
      for (const s of simDiseases) {
        const ind = await graph.indicatedDrugs(s.disease.id, { limit: 200 }).catch(() => null);
        for (const d of ind?.drugs ?? []) {
          const cur = viaSimilar.get(d.drug.id);
          if (!cur || cur.score < s.score) viaSimilar.set(d.drug.id, { score: s.score, disease: s.disease.name });
        }
      }
      const own = await graph.indicatedDrugs(cond, { limit: 200 }).catch(() => null);
      const notIndicated = new Set(own?.notIndicated.map((n) => n.drug.id) ?? []);
      const bgNorm = background.map(norm);
      const scored = await Promise.all(
        example.candidates.map(async (c) => {
          const paths = await graph.mechanismPaths(c.id, cond, { limit: 3, viaGeneGene: false }).catch(() => []);
          const name = norm(c.name);
          const mentions = bgNorm.filter((b) => b.includes(name) || b.includes(c.id.toLowerCase())).length;
          const similar = viaSimilar.get(c.id);
          const parts = {
            similarDisease: similar?.score ?? 0,
            mechanism: 0.3 * (Math.min(paths.length, 3) / 3),
            background: 0.4 * (Math.min(mentions, 2) / 2),
            notIndicated: notIndicated.has(c.id) ? -1 : 0,
          };
          const score = parts.similarDisease + parts.mechanism + parts.background + parts.notIndicated;
          const why = [
            similar && parts.similarDisease ? `it is indicated for the similar disease ${similar.disease}` : '',
            paths.length ? `${paths.length} mechanism path(s) link it to ${example.condition.name} (${paths[0].text})` : '',
            mentions ? `${mentions} background passage(s) mention it` : '',
            parts.notIndicated ? 'curators recorded it as not indicated' : '',
          ].filter(Boolean);
          return { id: c.id, name: c.name, score, why };
        }),
      );
      scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
      const top = scored[0]?.score ?? 0;
      const selected = scored.filter((s, i) => i === 0 || (s.score > 0 && s.score >= 0.75 * top)).slice(0, maxSelect);
      const rationale = selected.map((s) => `${s.name} (${s.id}) is selected because ${s.why.join('; ') || 'it ranks highest among the candidates'}.`).join(' ');
      return { ranked: scored.map((s) => s.id), selected: selected.map((s) => s.id), rationale };
    },
  };
}

export interface VariantResult {
  recommender: string;
  variant: Variant;
  examples: number;
  prf: MicroMacro;
  hits: { at1: number; at3: number; at10: number };
  /** Mean ROUGE F over examples that have a reference rationale; null when none has one. */
  rouge: { rouge1: number; rouge2: number; rougeL: number; n: number } | null;
}

export interface ExpRxRecRunOptions {
  graph: GraphStore;
  evidence?: EvidenceStore;
  examples: ExpRxRecExample[];
  recommenders: Recommender[];
  variants?: Variant[];
  /** Reference rationales by example id (e.g. from distillation), for ROUGE. */
  references?: Map<string, string>;
  /** Examples scored at once per recommender and variant (default 1); a model server is the bottleneck. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Runs every recommender on every example for every variant. */
export async function runExpRxRecEval(opts: ExpRxRecRunOptions): Promise<VariantResult[]> {
  const variants = opts.variants ?? [...VARIANTS];
  const out: VariantResult[] = [];
  const total = opts.recommenders.length * variants.length * opts.examples.length;
  let done = 0;
  for (const r of opts.recommenders) {
    for (const variant of variants) {
      // Rows keep the examples' order whatever order the workers finish in.
      const rows: { pred: string[]; gold: string[]; ranked: string[]; rationale: string; id: string }[] = new Array(opts.examples.length);
      let next = 0;
      const worker = async () => {
        while (next < opts.examples.length) {
          const i = next++;
          const ex = opts.examples[i];
          const graph = maskIndications(opts.graph, ex.hidden);
          const res = await r.recommend({ example: ex, variant, background: backgroundFor(ex, variant), graph });
          rows[i] = { pred: res.selected, gold: ex.targets, ranked: res.ranked, rationale: res.rationale, id: ex.id };
          opts.onProgress?.(++done, total);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 1, 32)) }, worker));
      // ROUGE over the examples that have a reference rationale.
      const rs = rows.flatMap((x) => {
        const reference = opts.references?.get(x.id);
        return reference === undefined ? [] : [rouge(x.rationale, reference)];
      });
      out.push({
        recommender: r.name,
        variant,
        examples: rows.length,
        prf: microMacroPrf(rows),
        hits: {
          at1: mean(rows.map((x) => hitsAtK(x.ranked, x.gold, 1))),
          at3: mean(rows.map((x) => hitsAtK(x.ranked, x.gold, 3))),
          at10: mean(rows.map((x) => hitsAtK(x.ranked, x.gold, 10))),
        },
        rouge: rs.length
          ? { rouge1: mean(rs.map((x) => x.rouge1)), rouge2: mean(rs.map((x) => x.rouge2)), rougeL: mean(rs.map((x) => x.rougeL)), n: rs.length }
          : null,
      });
    }
  }
  return out;
}
