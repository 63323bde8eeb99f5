/**
 * Evaluation metrics, pure functions over sets and rankings. Definitions follow the papers the
 * numbers are compared with: set P/R/F1 and Hits@k as in KEDRec-LM (expRxRec), Jaccard / F1 /
 * PRAUC / DDI rate as in SafeDrug and GAMENet (MIMIC-III), ROUGE-N/L F-measure as in Lin (2004).
 */

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Counts of one prediction against its gold set. */
function confusion(pred: Iterable<string>, gold: Iterable<string>): { tp: number; fp: number; fn: number } {
  const g = new Set(gold);
  const p = new Set(pred);
  let tp = 0;
  for (const x of p) if (g.has(x)) tp++;
  return { tp, fp: p.size - tp, fn: g.size - tp };
}

/**
 * Set precision, recall and F1. An empty prediction has precision 0 (not undefined): a
 * recommender that says nothing must not score as if it were never wrong.
 */
export function prf(pred: Iterable<string>, gold: Iterable<string>): Prf {
  const { tp, fp, fn } = confusion(pred, gold);
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return { precision, recall, f1: f1Of(precision, recall) };
}

export interface MicroMacro {
  /** Pooled counts over all examples, then P/R/F1. */
  micro: Prf;
  /** Mean over examples of each example's P/R/F1 (each example weighs the same). */
  macro: Prf;
  n: number;
}

/** Micro and macro P/R/F1 over examples (each a predicted and a gold set). */
export function microMacroPrf(examples: { pred: Iterable<string>; gold: Iterable<string> }[]): MicroMacro {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const sum = { precision: 0, recall: 0, f1: 0 };
  for (const e of examples) {
    const pred = [...e.pred];
    const gold = [...e.gold];
    const c = confusion(pred, gold);
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
    const x = prf(pred, gold);
    sum.precision += x.precision;
    sum.recall += x.recall;
    sum.f1 += x.f1;
  }
  const n = examples.length;
  const mp = tp + fp === 0 ? 0 : tp / (tp + fp);
  const mr = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    micro: { precision: mp, recall: mr, f1: f1Of(mp, mr) },
    macro: n ? { precision: sum.precision / n, recall: sum.recall / n, f1: sum.f1 / n } : { precision: 0, recall: 0, f1: 0 },
    n,
  };
}

/** 1 when any gold item is among the first k of the ranking, else 0. */
export function hitsAtK(ranked: readonly string[], gold: Iterable<string>, k: number): number {
  const g = new Set(gold);
  return ranked.slice(0, k).some((x) => g.has(x)) ? 1 : 0;
}

/** |pred ∩ gold| / |pred ∪ gold|; 0 when both are empty (SafeDrug's convention). */
export function jaccard(pred: Iterable<string>, gold: Iterable<string>): number {
  const p = new Set(pred);
  const g = new Set(gold);
  let inter = 0;
  for (const x of p) if (g.has(x)) inter++;
  const union = p.size + g.size - inter;
  return union === 0 ? 0 : inter / union;
}

/**
 * Average precision of a scored list against a gold set: the mean, over gold items, of the
 * precision at the rank where each is retrieved (sklearn's average_precision_score without
 * interpolation, as SafeDrug's PRAUC uses per visit). Gold items that are never scored count as
 * never retrieved. Ties keep the input order, so callers should pass a deterministic order.
 */
export function averagePrecision(scores: readonly { item: string; score: number }[], gold: Iterable<string>): number {
  const g = new Set(gold);
  if (!g.size) return 0;
  const ranked = scores
    .map((s, i) => ({ ...s, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i);
  let hits = 0;
  let sum = 0;
  ranked.forEach((s, rank) => {
    if (g.has(s.item)) {
      hits++;
      sum += hits / (rank + 1);
    }
  });
  return sum / g.size;
}

/**
 * DDI rate (SafeDrug's ddi_rate_score): over all predicted sets, the share of unordered drug
 * pairs that are known interacting pairs. `pairs` holds both orders or one; lookup is symmetric.
 */
export function ddiRate(predSets: Iterable<Iterable<string>>, pairs: ReadonlySet<string>): number {
  let all = 0;
  let bad = 0;
  for (const set of predSets) {
    const xs = [...new Set(set)];
    for (let i = 0; i < xs.length; i++) {
      for (let j = i + 1; j < xs.length; j++) {
        all++;
        if (pairs.has(pairKey(xs[i], xs[j]))) bad++;
      }
    }
  }
  return all === 0 ? 0 : bad / all;
}

/** Order-independent key of a drug pair, for the DDI pair set. */
export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Lower-case alphanumeric tokens: the tokenisation ROUGE scores use here (no stemming). */
function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function ngrams(tokens: string[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join(' ');
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** ROUGE-N with clipped n-gram counts: precision, recall and F. */
export function rougeN(candidate: string, reference: string, n: number): Prf {
  const c = ngrams(rougeTokens(candidate), n);
  const r = ngrams(rougeTokens(reference), n);
  let overlap = 0;
  for (const [k, v] of c) overlap += Math.min(v, r.get(k) ?? 0);
  const cTotal = [...c.values()].reduce((a, b) => a + b, 0);
  const rTotal = [...r.values()].reduce((a, b) => a + b, 0);
  const precision = cTotal ? overlap / cTotal : 0;
  const recall = rTotal ? overlap / rTotal : 0;
  return { precision, recall, f1: f1Of(precision, recall) };
}

function lcsLength(a: string[], b: string[]): number {
  // Two rows suffice: the LCS table is filled row by row.
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** ROUGE-L (sentence-level, LCS based) precision, recall and F (β = 1). */
export function rougeL(candidate: string, reference: string): Prf {
  const c = rougeTokens(candidate);
  const r = rougeTokens(reference);
  const l = lcsLength(c, r);
  const precision = c.length ? l / c.length : 0;
  const recall = r.length ? l / r.length : 0;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** ROUGE-1/2/L F-measures of one candidate against one reference. */
export function rouge(candidate: string, reference: string): { rouge1: number; rouge2: number; rougeL: number } {
  return { rouge1: rougeN(candidate, reference, 1).f1, rouge2: rougeN(candidate, reference, 2).f1, rougeL: rougeL(candidate, reference).f1 };
}

/** Arithmetic mean; 0 for an empty list. */
export const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * The list that maximises expected F1 when each item is relevant independently with the given
 * probability: the best list is always a top-k by probability, and with T = Σ of the k best
 * probabilities and S = Σ of all, E[F1] ≈ 2T / (k + S) (Jansche's plug-in approximation). The
 * same k maximises expected Jaccard ≈ T / (k + S − T), a monotone function of it. So the list
 * length follows the visit: confident, crowded visits get long lists, uncertain ones short.
 */
export function expectedF1Selection(probs: readonly { item: string; score: number }[]): string[] {
  const ranked = [...probs].sort((a, b) => b.score - a.score || a.item.localeCompare(b.item));
  const total = ranked.reduce((s, p) => s + p.score, 0);
  let best = { k: 0, value: 0 };
  let top = 0;
  for (let k = 1; k <= ranked.length; k++) {
    top += ranked[k - 1].score;
    const value = (2 * top) / (k + total);
    if (value > best.value) best = { k, value };
  }
  return ranked.slice(0, best.k).map((p) => p.item);
}
