import type { GraphStore } from '../kb/graph/store.js';
import { averagePrecision, ddiRate, jaccard, mean, pairKey, prf } from './metrics.js';
import type { MimicPatient, MimicVisit } from './mimic-data.js';

/**
 * MIMIC-III medication recommendation, SafeDrug/GAMENet protocol: for each admission, the
 * diagnoses (and the patient's earlier admissions) → a drug set, scored against what was
 * prescribed with Jaccard, F1, PRAUC and DDI rate, averaged over each patient's visits and then
 * over patients (as SafeDrug's eval loop does). Every method is fitted on training patients only.
 */

export type DrugLevel = 'atc3' | 'drugbank';

/** What a method sees when it recommends for one visit: never the visit's own drugs. */
export interface VisitContext {
  diagnoses: string[];
  /** The patient's earlier visits, oldest first, with their drugs. */
  history: MimicVisit[];
}

export interface MethodOutput {
  /** A score for every label the method knows (for PRAUC), best first not required. */
  scores: { item: string; score: number }[];
  selected: string[];
}

export interface MimicMethod {
  name: string;
  description: string;
  /** Parameters chosen on the training patients, for the report. */
  params: Record<string, number | string>;
  recommend(ctx: VisitContext): MethodOutput;
}

/** KB evidence for one ICD9 code: the labels of the drugs the graph records as indicated. */
export type KbEvidence = (icd9: string) => string[];

/** ICD9 category used to back off from an unseen full code: "4280" → "428", "V4581" → "V45", "E8790" → "E879". */
export const icd9Category = (code: string) => (code.startsWith('E') ? code.slice(0, 4) : code.slice(0, 3));

/**
 * Co-occurrence statistics over training visits. Counts are additive, so a patient's own
 * visits can be subtracted to score that patient as if unseen (leave-one-patient-out tuning).
 */
class Counts {
  visits = 0;
  freq = new Map<string, number>();
  dx = new Map<string, number>();
  co = new Map<string, Map<string, number>>();

  constructor(readonly labels: (v: MimicVisit) => string[]) {}

  add(v: MimicVisit, sign: 1 | -1 = 1): void {
    this.visits += sign;
    const ls = this.labels(v);
    for (const l of ls) this.freq.set(l, (this.freq.get(l) ?? 0) + sign);
    const keys = new Set([...v.diagnoses, ...v.diagnoses.map((d) => `cat:${icd9Category(d)}`)]);
    for (const d of keys) {
      this.dx.set(d, (this.dx.get(d) ?? 0) + sign);
      let row = this.co.get(d);
      if (!row) this.co.set(d, (row = new Map()));
      for (const l of ls) row.set(l, (row.get(l) ?? 0) + sign);
    }
  }

  prior(l: string): number {
    return this.visits > 0 ? (this.freq.get(l) ?? 0) / this.visits : 0;
  }
}

const byScore = (scores: Map<string, number>) =>
  [...scores].map(([item, score]) => ({ item, score })).sort((a, b) => b.score - a.score || a.item.localeCompare(b.item));

const topK = (scores: { item: string; score: number }[], k: number) => scores.filter((s) => s.score > 0).slice(0, k).map((s) => s.item);

type Scorer = (counts: Counts, ctx: VisitContext, vocab: string[]) => Map<string, number>;

const frequencyScorer: Scorer = (counts, _ctx, vocab) => new Map(vocab.map((l) => [l, counts.prior(l)]));

/** Mean over the visit's known diagnoses of P(drug | diagnosis); the frequency prior when none is known. */
const cooccurrenceScorer: Scorer = (counts, ctx, vocab) => {
  const known = ctx.diagnoses.filter((d) => (counts.dx.get(d) ?? 0) > 0);
  if (!known.length) return frequencyScorer(counts, ctx, vocab);
  return new Map(vocab.map((l) => [l, mean(known.map((d) => (counts.co.get(d)?.get(l) ?? 0) / counts.dx.get(d)!))]));
};

interface KedrecParams {
  /**
   * How strongly the diagnoses move a drug away from its base rate: the score is
   * prior × exp(lift × mean log(P(drug | diagnosis) / prior)). 0 ranks by frequency alone.
   */
  lift: number;
  /** Pseudo-count pulling P(drug | diagnosis) toward the drug's overall frequency. */
  smoothing: number;
  /** Bonus for a drug the patient received at the previous admission. */
  history: number;
  /** Bonus for a drug the knowledge graph records as indicated for one of the diagnoses. */
  kb: number;
  /** The list length is this times the size expected for the visit's number of diagnoses. */
  sizeScale: number;
}

/**
 * Expected number of drugs given the number of diagnoses, by least squares on training visits:
 * sicker admissions (more diagnoses) receive more drugs, so a fixed list length wastes slots on
 * light admissions and misses drugs on heavy ones.
 */
function fitListSize(visits: { n: number; size: number }[]): { intercept: number; slope: number } {
  const mx = mean(visits.map((v) => v.n));
  const my = mean(visits.map((v) => v.size));
  const sxx = visits.reduce((a, v) => a + (v.n - mx) ** 2, 0);
  const slope = sxx ? visits.reduce((a, v) => a + (v.n - mx) * (v.size - my), 0) / sxx : 0;
  return { intercept: my - slope * mx, slope: Math.max(0, slope) };
}

/**
 * The KEDRec score of a drug for a visit: smoothed diagnosis→drug co-occurrence (an unseen ICD9
 * code backs off to its category, then to the drug's base rate) + a history term + a KB term.
 * Each term is a named number, so a recommendation can be explained by its parts.
 */
function kedrecScores(counts: Counts, ctx: VisitContext, vocab: string[], p: Omit<KedrecParams, 'sizeScale'>, kb: KbEvidence): Map<string, number> {
  const last = ctx.history.length ? new Set(counts.labels(ctx.history[ctx.history.length - 1])) : new Set<string>();
  const kbLabels = new Set(ctx.diagnoses.flatMap(kb));
  const keys = ctx.diagnoses.map((d) => ((counts.dx.get(d) ?? 0) > 0 ? d : (counts.dx.get(`cat:${icd9Category(d)}`) ?? 0) > 0 ? `cat:${icd9Category(d)}` : null));
  const out = new Map<string, number>();
  for (const l of vocab) {
    const prior = counts.prior(l);
    const cond = keys.map((k) => (k ? ((counts.co.get(k)?.get(l) ?? 0) + p.smoothing * prior) / (counts.dx.get(k)! + p.smoothing) : prior));
    // Geometric mean of the per-diagnosis lifts: one diagnosis strongly linked to a drug counts,
    // the many incidental codes of an ICU stay (lift ≈ 1) neither add nor dilute it.
    const logLift = prior > 0 && cond.length ? mean(cond.map((c) => Math.log(c / prior))) : 0;
    const base = prior * Math.exp(p.lift * logLift);
    const s = base + (last.has(l) ? p.history : 0) + (kbLabels.has(l) ? p.kb : 0);
    out.set(l, s);
  }
  return out;
}

/** Contexts of every training visit, each with its patient's earlier visits. */
function contexts(patients: MimicPatient[]): { patient: MimicPatient; visit: MimicVisit; ctx: VisitContext }[] {
  return patients.flatMap((p) => p.visits.map((v, i) => ({ patient: p, visit: v, ctx: { diagnoses: v.diagnoses, history: p.visits.slice(0, i) } })));
}

/**
 * Scores each training visit with its own patient left out of the counts, so parameters are
 * tuned on predictions for unseen patients, never on memorised ones.
 */
function leaveOnePatientOut<T>(counts: Counts, patients: MimicPatient[], f: (ctx: VisitContext, visit: MimicVisit) => T): T[] {
  const out: T[] = [];
  for (const p of patients) {
    for (const v of p.visits) counts.add(v, -1);
    p.visits.forEach((v, i) => out.push(f({ diagnoses: v.diagnoses, history: p.visits.slice(0, i) }, v)));
    for (const v of p.visits) counts.add(v, 1);
  }
  return out;
}

/** Mean Jaccard + F1 of a selection rule over LOPO-scored training visits: the tuning objective. */
function objective<R extends { gold: string[]; ranked: { item: string; score: number }[] }>(rows: R[], select: (row: R) => string[]): number {
  return mean(rows.map((r) => {
    const s = select(r);
    return jaccard(s, r.gold) + prf(s, r.gold).f1;
  }));
}

export interface FitOptions {
  level: DrugLevel;
  kb?: KbEvidence;
}

/** Fits the three methods (most_frequent, cooccurrence, kedrec) on training patients. */
export function fitMethods(train: MimicPatient[], opts: FitOptions): MimicMethod[] {
  const labels = (v: MimicVisit) => v[opts.level];
  const counts = new Counts(labels);
  for (const p of train) for (const v of p.visits) counts.add(v);
  const vocabSet = new Set(counts.freq.keys());
  const kb: KbEvidence = opts.kb ?? (() => []);
  const vocab = [...vocabSet].sort();
  const maxK = Math.max(1, Math.min(vocab.length, 60));

  // Baselines choose their list size the same way kedrec chooses its threshold: on held-out training patients.
  const tuneK = (scorer: Scorer) => {
    const rows = leaveOnePatientOut(counts, train, (ctx, v) => ({ gold: labels(v), ranked: byScore(scorer(counts, ctx, vocab)) }));
    let best = { k: 1, value: -1 };
    for (let k = 1; k <= maxK; k++) {
      const value = objective(rows, (r) => topK(r.ranked, k));
      if (value > best.value) best = { k, value };
    }
    return best.k;
  };
  const baseline = (name: string, description: string, scorer: Scorer): MimicMethod => {
    const k = tuneK(scorer);
    return {
      name,
      description: `${description}; list size ${k} chosen on held-out training patients`,
      params: { k },
      recommend(ctx) {
        const scores = byScore(scorer(counts, ctx, vocab));
        return { scores, selected: topK(scores, k) };
      },
    };
  };

  const size = fitListSize(train.flatMap((p) => p.visits.map((v) => ({ n: v.diagnoses.length, size: labels(v).length }))));
  const listSize = (ctx: VisitContext, scale: number) => Math.max(1, Math.round(scale * (size.intercept + size.slope * ctx.diagnoses.length)));
  const grid: Omit<KedrecParams, 'sizeScale'>[] = [];
  for (const lift of [0, 0.5, 1, 2, 3]) for (const smoothing of [1, 5]) for (const history of [0, 0.2, 0.4, 0.6]) for (const kbw of [0, 0.05, 0.1, 0.2]) grid.push({ lift, smoothing, history, kb: kbw });
  let best: KedrecParams & { value: number } = { lift: 1, smoothing: 3, history: 0, kb: 0, sizeScale: 1, value: -1 };
  for (const g of grid) {
    const rows = leaveOnePatientOut(counts, train, (ctx, v) => ({ gold: labels(v), ranked: byScore(kedrecScores(counts, ctx, vocab, g, kb)), ctx }));
    for (let t = 0.5; t <= 2.0001; t += 0.05) {
      const sizeScale = Math.round(t * 100) / 100;
      const value = objective(rows, (r) => topK(r.ranked, listSize(r.ctx, sizeScale)));
      if (value > best.value) best = { ...g, sizeScale, value };
    }
  }
  const { value: _v, ...params } = best;
  return [
    baseline('most_frequent', 'the drugs most often prescribed in training visits, whatever the diagnoses', frequencyScorer),
    baseline('cooccurrence', 'mean P(drug | diagnosis) over the visit’s diagnoses, from training-visit co-occurrence', cooccurrenceScorer),
    {
      name: 'kedrec',
      description:
        'each drug’s base rate in training visits, moved up or down by the geometric mean of its lift for each diagnosis (smoothed co-occurrence; unseen ICD9 codes back off to their category) + a bonus for drugs given at the previous admission + a bonus for drugs the knowledge graph records as indicated for a diagnosis (ICD9 → Disease Ontology → treats/palliates → drug); the list length grows with the number of diagnoses (least squares on training visits); weights and length scale chosen on held-out training patients',
      params: { ...params, sizeIntercept: Math.round(size.intercept * 100) / 100, sizeSlope: Math.round(size.slope * 1000) / 1000 },
      recommend(ctx) {
        const scores = byScore(kedrecScores(counts, ctx, vocab, params, kb));
        return { scores, selected: topK(scores, listSize(ctx, params.sizeScale)) };
      },
    },
  ];
}


export interface MethodResult {
  name: string;
  level: DrugLevel;
  jaccard: number;
  f1: number;
  prauc: number;
  /** Null when no interaction table exists for this level. */
  ddi_rate: number | null;
  precision: number;
  recall: number;
  avg_drugs: number;
  visits: number;
  patients: number;
  params: Record<string, number | string>;
  description: string;
}

/**
 * Scores fitted methods on test patients. Metrics are averaged over each patient's visits and
 * then over patients, as SafeDrug's evaluation does.
 */
export function evaluateMethods(methods: MimicMethod[], test: MimicPatient[], level: DrugLevel, ddi: ((sets: string[][]) => number) | null): MethodResult[] {
  return methods.map((m) => {
    const perPatient: { ja: number; f1: number; pr: number; p: number; r: number }[] = [];
    const sets: string[][] = [];
    let drugs = 0;
    let visits = 0;
    for (const p of test) {
      const rows = p.visits.map((v, i) => {
        const out = m.recommend({ diagnoses: v.diagnoses, history: p.visits.slice(0, i) });
        const gold = v[level];
        sets.push(out.selected);
        drugs += out.selected.length;
        visits++;
        const x = prf(out.selected, gold);
        return { ja: jaccard(out.selected, gold), f1: x.f1, pr: averagePrecision(out.scores, gold), p: x.precision, r: x.recall };
      });
      if (!rows.length) continue;
      perPatient.push({ ja: mean(rows.map((r) => r.ja)), f1: mean(rows.map((r) => r.f1)), pr: mean(rows.map((r) => r.pr)), p: mean(rows.map((r) => r.p)), r: mean(rows.map((r) => r.r)) });
    }
    return {
      name: m.name,
      level,
      jaccard: mean(perPatient.map((x) => x.ja)),
      f1: mean(perPatient.map((x) => x.f1)),
      prauc: mean(perPatient.map((x) => x.pr)),
      ddi_rate: ddi ? ddi(sets) : null,
      precision: mean(perPatient.map((x) => x.p)),
      recall: mean(perPatient.map((x) => x.r)),
      avg_drugs: visits ? drugs / visits : 0,
      visits,
      patients: perPatient.length,
      params: m.params,
      description: m.description,
    };
  });
}

/** Seeded patient-level folds: every patient lands in exactly one fold. */
export function patientFolds(patients: MimicPatient[], folds: number, seed: number): MimicPatient[][] {
  const order = seededShuffle(patients, seed);
  const out: MimicPatient[][] = Array.from({ length: folds }, () => []);
  order.forEach((p, i) => out[i % folds].push(p));
  return out;
}

/** Mulberry32: a small seeded PRNG, so splits are identical on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with the seeded PRNG; the input is not modified. */
export function seededShuffle<T>(xs: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * KB evidence per ICD9 code, computed once for all codes in the data: the code resolves to a
 * Disease Ontology term (exact code match, parent-category fallback), the graph disease that
 * subsumes it gives its indicated drugs, and each drug is mapped to the evaluation's labels.
 */
export async function buildKbEvidence(graph: GraphStore, codes: Iterable<string>, drugLabels: (drugId: string) => Promise<string[]>): Promise<{ evidence: KbEvidence; mapped: number; total: number }> {
  const table = new Map<string, string[]>();
  let mapped = 0;
  let total = 0;
  for (const code of new Set(codes)) {
    total++;
    const r = await graph.resolve(code, { kinds: ['Disease'], limit: 3, exactOnly: true });
    const diseases = new Set<string>();
    for (const m of r.matches) {
      if (m.inGraph) diseases.add(m.id);
      else if (m.mapsTo?.length) m.mapsTo.forEach((x) => diseases.add(x.id));
      else diseases.add(m.id);
    }
    const labels = new Set<string>();
    for (const d of diseases) {
      try {
        const ind = await graph.indicatedDrugs(d, { limit: 100 });
        for (const x of ind.drugs) for (const l of await drugLabels(x.drug.id)) labels.add(l);
      } catch {
        // A DO term with no graph disease above it has no recorded indications: no KB evidence.
      }
    }
    if (labels.size) mapped++;
    table.set(code, [...labels].sort());
  }
  return { evidence: (code) => table.get(code) ?? [], mapped, total };
}

/** DDI rate over ATC3 sets with SafeDrug's pair list. */
export const atc3DdiRate = (pairs: ReadonlySet<string>) => (sets: string[][]) => ddiRate(sets, pairs);

/** DDI rate over DrugBank sets with the KB's DeepDDI interactions (pairs fetched per predicted set). */
export async function drugbankDdiRate(graph: GraphStore, sets: string[][]): Promise<number> {
  const pairs = new Set<string>();
  for (const s of sets) {
    if (s.length < 2) continue;
    for (const i of await graph.interactions(s).catch(() => [])) pairs.add(pairKey(i.drug1.id, i.drug2.id));
  }
  return ddiRate(sets, pairs);
}
