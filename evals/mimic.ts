import type { GraphStore } from '../kb/graph/store.js';
import { dot, fitLogisticRegression, sigmoid } from './logistic.js';
import { averagePrecision, ddiRate, expectedF1Selection, jaccard, mean, pairKey, prf } from './metrics.js';
import type { MimicPatient, MimicVisit } from './mimic-data.js';
import { seededShuffle } from '../lib/random.js';

/**
 * MIMIC-III medication recommendation, SafeDrug/GAMENet protocol: for each admission, the
 * diagnoses (and the patient's earlier admissions) → a drug set, scored against what was
 * prescribed with Jaccard, F1, PRAUC and DDI rate, averaged over each patient's visits and then
 * over patients (as SafeDrug's eval loop does). Every method is fitted on training patients only.
 */

export type DrugLevel = 'atc3' | 'drugbank';

/** What a method sees when it recommends for one visit: never the visit's own drugs. */
interface VisitContext {
  diagnoses: string[];
  /** The patient's earlier visits, oldest first, with their drugs. */
  history: MimicVisit[];
}

interface MethodOutput {
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
    // Codes, their categories and their chapters are all keys, so an unseen code can back off.
    const keys = new Set([...v.diagnoses, ...v.diagnoses.map((d) => `cat:${icd9Category(d)}`), ...v.diagnoses.map(icd9Chapter)]);
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
  // Each known diagnosis with its visit count (the denominator of P(drug | diagnosis)).
  const known = ctx.diagnoses.flatMap((d) => {
    const visits = counts.dx.get(d) ?? 0;
    return visits > 0 ? [{ d, visits }] : [];
  });
  if (!known.length) return frequencyScorer(counts, ctx, vocab);
  return new Map(vocab.map((l) => [l, mean(known.map(({ d, visits }) => (counts.co.get(d)?.get(l) ?? 0) / visits))]));
};

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

/** Mean Jaccard + F1 of a selection rule over LOPO-scored training visits: how baselines pick their list size. */
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

/** Co-occurrence counts over the training visits and the label vocabulary they define. */
function trainingCounts(train: MimicPatient[], level: DrugLevel) {
  const labels = (v: MimicVisit) => v[level];
  const counts = new Counts(labels);
  for (const p of train) for (const v of p.visits) counts.add(v);
  return { labels, counts, vocab: [...counts.freq.keys()].sort() };
}

/** Fits the three methods (most_frequent, cooccurrence, kedrec) on training patients. */
export function fitMethods(train: MimicPatient[], opts: FitOptions): MimicMethod[] {
  const { labels, counts, vocab } = trainingCounts(train, opts.level);
  const kb: KbEvidence = opts.kb ?? (() => []);
  const maxK = Math.max(1, Math.min(vocab.length, 60));

  // Baselines choose their list size on held-out training patients, as kedrec learns its weights there.
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
      description: `${description}; list size (parameter k) chosen on held-out training patients`,
      params: { k },
      recommend(ctx) {
        const scores = byScore(scorer(counts, ctx, vocab));
        return { scores, selected: topK(scores, k) };
      },
    };
  };

  const kedrec = fitKedrec(counts, train, vocab, kb, labels);
  return [
    baseline('most_frequent', 'the drugs most often prescribed in training visits, whatever the diagnoses', frequencyScorer),
    baseline('cooccurrence', 'mean P(drug | diagnosis) over the visit’s diagnoses, from training-visit co-occurrence', cooccurrenceScorer),
    kedrec,
  ];
}

/** Fits only the kedrec method (for ablations such as kedrec without the knowledge graph). */
export function fitKedrecMethod(train: MimicPatient[], opts: FitOptions & { name?: string }): MimicMethod {
  const { labels, counts, vocab } = trainingCounts(train, opts.level);
  return { ...fitKedrec(counts, train, vocab, opts.kb ?? (() => []), labels), ...(opts.name ? { name: opts.name } : {}) };
}

/** Pseudo-count pulling P(drug | diagnosis) toward the drug's base rate: most codes occur in one or two visits. */
const LIFT_SMOOTHING = 2;
/** Ridge penalty of the logistic model; the features are few and on comparable (log) scales. */
const KEDREC_L2 = 1;

/**
 * The features of one (visit, drug) pair, each a named, readable number. Together with the
 * learned weights they explain every recommendation: "given at the previous admission (+2.6),
 * indicated in the knowledge graph for 4280 (+0.4), common in training visits (…)".
 */
export const KEDREC_FEATURES = [
  { name: 'logitPrior', description: 'log-odds of the drug in training visits (its base rate)' },
  { name: 'diagnosisLift', description: 'mean over the visit’s ICD9 codes of log P(drug | code) / P(drug), smoothed toward the base rate; an unseen code backs off to its 3-character category' },
  { name: 'chapterLift', description: 'the same lift over the visit’s ICD9 chapters (circulatory, respiratory, …), which every code reaches' },
  { name: 'primaryLift', description: 'the lift of the primary (first-listed) diagnosis, when it was seen in training' },
  { name: 'kbIndicated', description: '1 when the knowledge graph records a drug of this class as indicated for one of the diagnoses (ICD9 → Disease Ontology → treats/palliates)' },
  { name: 'previousAdmission', description: '1 when the patient received the drug at the previous admission' },
  { name: 'hasHistory', description: '1 when the patient has an earlier admission' },
  { name: 'diagnosisCount', description: 'log(1 + number of diagnoses): sicker admissions receive more drugs' },
] as const;

/** ICD9 chapter of a code, by the ranges of the ICD-9-CM tabular list (V and E codes are chapters of their own). */
export function icd9Chapter(code: string): string {
  if (code.startsWith('V')) return 'chapter:V';
  if (code.startsWith('E')) return 'chapter:E';
  const n = Number(code.slice(0, 3));
  const upper = [139, 239, 279, 289, 319, 389, 459, 519, 579, 629, 679, 709, 739, 759, 779, 799, 999];
  const i = upper.findIndex((u) => n <= u);
  return `chapter:${i < 0 ? 'unknown' : i + 1}`;
}

/** Everything about a visit that does not depend on the drug, computed once per visit. */
function visitView(counts: Counts, ctx: VisitContext, kb: KbEvidence) {
  const seen = (k: string) => (counts.dx.get(k) ?? 0) > 0;
  const codes = ctx.diagnoses.map((d) => (seen(d) ? d : seen(`cat:${icd9Category(d)}`) ? `cat:${icd9Category(d)}` : null)).filter((k): k is string => k !== null);
  const chapters = [...new Set(ctx.diagnoses.map(icd9Chapter))].filter(seen);
  const primary = ctx.diagnoses.length && seen(ctx.diagnoses[0]) ? ctx.diagnoses[0] : null;
  const previous = new Set(ctx.history.length ? counts.labels(ctx.history[ctx.history.length - 1]) : []);
  const indicated = new Set(ctx.diagnoses.flatMap(kb));
  return { codes, chapters, primary, previous, indicated, hasHistory: ctx.history.length ? 1 : 0, diagnosisCount: Math.log(1 + ctx.diagnoses.length) };
}

/** The feature row (intercept first, then KEDREC_FEATURES in order) of one drug for one visit. */
function kedrecRow(counts: Counts, view: ReturnType<typeof visitView>, label: string): number[] {
  const prior = ((counts.freq.get(label) ?? 0) + 0.5) / (counts.visits + 1);
  const lift = (k: string) => Math.log(((counts.co.get(k)?.get(label) ?? 0) + LIFT_SMOOTHING * prior) / ((counts.dx.get(k) ?? 0) + LIFT_SMOOTHING) / prior);
  const meanLift = (keys: string[]) => (keys.length ? mean(keys.map(lift)) : 0);
  return [
    1,
    Math.log(prior / (1 - prior)),
    meanLift(view.codes),
    meanLift(view.chapters),
    view.primary ? lift(view.primary) : 0,
    view.indicated.has(label) ? 1 : 0,
    view.previous.has(label) ? 1 : 0,
    view.hasHistory,
    view.diagnosisCount,
  ];
}

/**
 * kedrec: a logistic model of "this drug is prescribed at this visit" over KEDREC_FEATURES,
 * trained on training visits scored with their own patient left out of the counts (so the
 * model learns how much to trust co-occurrence for unseen patients, not memorised ones). The
 * calibrated probabilities rank the drugs, and the list is the one with the best expected F1.
 */
function fitKedrec(counts: Counts, train: MimicPatient[], vocab: string[], kb: KbEvidence, labels: (v: MimicVisit) => string[]): MimicMethod {
  const X: number[][] = [];
  const y: number[] = [];
  leaveOnePatientOut(counts, train, (ctx, v) => {
    const view = visitView(counts, ctx, kb);
    const gold = new Set(labels(v));
    for (const l of vocab) {
      X.push(kedrecRow(counts, view, l));
      y.push(gold.has(l) ? 1 : 0);
    }
  });
  const w = X.length ? fitLogisticRegression(X, y, { l2: KEDREC_L2 }) : new Array<number>(KEDREC_FEATURES.length + 1).fill(0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    name: 'kedrec',
    description:
      'a logistic model over named features (drug base rate; smoothed diagnosis→drug lift at code, chapter and primary-diagnosis level; knowledge-graph indication of the drug class for a diagnosis; the previous admission’s drugs; number of diagnoses), trained on held-out training patients; each visit gets the list with the best expected F1 under the model’s probabilities',
    params: { intercept: round(w[0]), ...Object.fromEntries(KEDREC_FEATURES.map((f, i) => [f.name, round(w[i + 1])])) },
    recommend(ctx) {
      const view = visitView(counts, ctx, kb);
      const scores = byScore(new Map(vocab.map((l) => [l, sigmoid(dot(w, kedrecRow(counts, view, l)))])));
      return { scores, selected: expectedF1Selection(scores) };
    },
  };
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

/** One scored patient: metrics averaged over the patient's visits, as SafeDrug's evaluation does. */
interface PatientScore {
  jaccard: number;
  f1: number;
  prauc: number;
  precision: number;
  recall: number;
}

/** A method's predictions on test patients: per-patient scores and every predicted set (for DDI rate and list sizes). */
export interface MethodPredictions {
  patients: PatientScore[];
  sets: string[][];
}

/** Runs a fitted method over test patients, each visit seeing only the patient's earlier visits. */
export function predictPatients(m: MimicMethod, test: MimicPatient[], level: DrugLevel): MethodPredictions {
  const patients: PatientScore[] = [];
  const sets: string[][] = [];
  for (const p of test) {
    const rows = p.visits.map((v, i) => {
      const out = m.recommend({ diagnoses: v.diagnoses, history: p.visits.slice(0, i) });
      const gold = v[level];
      sets.push(out.selected);
      const x = prf(out.selected, gold);
      return { jaccard: jaccard(out.selected, gold), f1: x.f1, prauc: averagePrecision(out.scores, gold), precision: x.precision, recall: x.recall };
    });
    if (!rows.length) continue;
    patients.push({
      jaccard: mean(rows.map((r) => r.jaccard)),
      f1: mean(rows.map((r) => r.f1)),
      prauc: mean(rows.map((r) => r.prauc)),
      precision: mean(rows.map((r) => r.precision)),
      recall: mean(rows.map((r) => r.recall)),
    });
  }
  return { patients, sets };
}

/**
 * Summarises predictions (pooled over folds: each test patient counts once) into a result row:
 * metrics averaged over patients, DDI rate over all predicted sets.
 */
export function summarise(
  m: Pick<MimicMethod, 'name' | 'description' | 'params'>,
  level: DrugLevel,
  pred: MethodPredictions,
  ddi: ((sets: string[][]) => number) | null,
): MethodResult {
  const avg = (k: keyof PatientScore) => mean(pred.patients.map((p) => p[k]));
  return {
    name: m.name,
    level,
    jaccard: avg('jaccard'),
    f1: avg('f1'),
    prauc: avg('prauc'),
    ddi_rate: ddi ? ddi(pred.sets) : null,
    precision: avg('precision'),
    recall: avg('recall'),
    avg_drugs: pred.sets.length ? pred.sets.reduce((s, x) => s + x.length, 0) / pred.sets.length : 0,
    visits: pred.sets.length,
    patients: pred.patients.length,
    params: m.params,
    description: m.description,
  };
}

/** Seeded patient-level folds: every patient lands in exactly one fold. */
export function patientFolds(patients: MimicPatient[], folds: number, seed: number): MimicPatient[][] {
  const order = seededShuffle(patients, seed);
  const out: MimicPatient[][] = Array.from({ length: folds }, () => []);
  order.forEach((p, i) => out[i % folds].push(p));
  return out;
}

/**
 * KB evidence per ICD9 code, computed once for all codes in the data: the code resolves to a
 * Disease Ontology term (exact code match, parent-category fallback), the graph disease that
 * subsumes it gives its indicated drugs, and each drug is mapped to the evaluation's labels.
 */
export async function buildKbEvidence(
  graph: GraphStore,
  codes: Iterable<string>,
  drugLabels: (drugId: string) => Promise<string[]>,
): Promise<{ evidence: KbEvidence; mapped: number; total: number }> {
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
