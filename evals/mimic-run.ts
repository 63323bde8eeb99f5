import fs from 'node:fs';
import path from 'node:path';
import type { GraphStore } from '../kb/graph/store.js';
import { mean } from './metrics.js';
import {
  atc3DdiRate,
  buildKbEvidence,
  drugbankDdiRate,
  fitKedrecMethod,
  fitMethods,
  patientFolds,
  predictPatients,
  summarise,
  type DrugLevel,
  type MethodPredictions,
  type MethodResult,
  type MimicMethod,
} from './mimic.js';
import { createDrugMapper, defaultDrugMapSources, loadDdiAtc3Pairs, loadMimicDir, type MimicLoadStats, type MimicPatient } from './mimic-data.js';

export interface MimicRunOptions {
  graph: GraphStore;
  /** MIMIC-format directory scored. */
  testDir: string;
  /** MIMIC-format directory the methods are fitted on; without it, patient-level folds of testDir. */
  trainDir?: string;
  /** Data directory holding safedrug-gamenet/ (NDC map, CID→ATC, DDI pairs). */
  dataDir: string;
  /** Folds when no train directory is given (default 5). */
  folds?: number;
  /** Fold seed of the first repeat; repeat i uses seed + i. */
  seed?: number;
  /**
   * Cross-validation repeats with different patient splits (default 5; always 1 with a train
   * directory). A demo-sized cohort gives split-to-split differences as large as the gaps between
   * methods, so the reported figure is the mean over repeats, with its spread.
   */
  repeats?: number;
  levels?: DrugLevel[];
  /**
   * Progress lines for the person running the evaluation (loading, linking, each fold and
   * repeat). A plain callback, not a Logger: this is the command's output to a waiting user,
   * printed as text whatever LOG_LEVEL says; the CLI prints it on stderr, tests drop it.
   */
  progress?: (line: string) => void;
}

/** A method's figures averaged over repeats, with their standard deviation across repeats. */
export type RepeatedResult = MethodResult & { spread: { jaccard: number; f1: number; prauc: number } };

export interface MimicReport {
  kind: 'mimic';
  data: string;
  train: string | null;
  protocol: string;
  levels: DrugLevel[];
  /** ATC3 results (the standard protocol), one entry per method, averaged over repeats. */
  methods: RepeatedResult[];
  /** DrugBank-level results, when asked for. */
  drugbank?: RepeatedResult[];
  /** kedrec with parts switched off (ATC3), to show what each part contributes. */
  ablations: RepeatedResult[];
  /** Per-repeat figures (ATC3), so a win can be checked split by split. */
  repeats: { seed: number; methods: { name: string; jaccard: number; f1: number; prauc: number; ddi_rate: number | null }[] }[];
  /** In how many repeats kedrec beat each baseline (ATC3). */
  kedrecWins: { baseline: string; jaccard: number; f1: number; of: number }[];
  /** The prescribed sets' own DDI rate, for reference (SafeDrug reports it for the ground truth). */
  groundTruthDdiRate: number;
  kbEvidence: { icd9Codes: number; withIndications: number };
  load: { test: MimicLoadStats; train?: MimicLoadStats };
  seconds: number;
}

const std = (xs: number[]) => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
};

/** Numeric parameters averaged over every fit (folds × repeats); others listed once each. */
function mergeParams(all: Record<string, number | string>[]): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const k of Object.keys(all[0] ?? {})) {
    const vs = all.map((p) => p[k]);
    out[k] = vs.every((v) => typeof v === 'number') ? Math.round(mean(vs as number[]) * 1000) / 1000 : [...new Set(vs)].join('/');
  }
  return out;
}

/** Averages per-repeat results of one method into one row with its spread. */
function averageRepeats(rows: MethodResult[], fits: Record<string, number | string>[]): RepeatedResult {
  const avg = (k: 'jaccard' | 'f1' | 'prauc' | 'precision' | 'recall' | 'avg_drugs') => mean(rows.map((r) => r[k]));
  const ddi = rows.map((r) => r.ddi_rate);
  return {
    ...rows[0],
    jaccard: avg('jaccard'),
    f1: avg('f1'),
    prauc: avg('prauc'),
    precision: avg('precision'),
    recall: avg('recall'),
    avg_drugs: avg('avg_drugs'),
    ddi_rate: ddi.every((x): x is number => x !== null) ? mean(ddi) : null,
    params: mergeParams(fits),
    spread: { jaccard: std(rows.map((r) => r.jaccard)), f1: std(rows.map((r) => r.f1)), prauc: std(rows.map((r) => r.prauc)) },
  };
}

/** Runs the MIMIC-III evaluation: load, fit (on train or per fold and repeat), score, aggregate. */
export async function runMimicEval(opts: MimicRunOptions): Promise<MimicReport> {
  const t0 = performance.now();
  const progress = opts.progress ?? (() => {});
  const levels = opts.levels ?? ['atc3'];
  const folds = Math.max(2, opts.folds ?? 5);
  const seed = opts.seed ?? 42;
  const repeats = opts.trainDir ? 1 : Math.max(1, opts.repeats ?? 5);
  const seeds = Array.from({ length: repeats }, (_, i) => seed + i);
  const mapper = createDrugMapper(opts.graph, defaultDrugMapSources(opts.dataDir));
  progress(`loading ${opts.testDir} …`);
  const test = await loadMimicDir(opts.testDir, mapper);
  const train = opts.trainDir ? await loadMimicDir(opts.trainDir, mapper) : undefined;
  const st = test.stats;
  progress(`  ${st.visitsKept} visits of ${st.patients} patients kept (${st.withAtc3}/${st.prescriptions} prescriptions mapped to ATC3)`);
  const ddiPairs = loadDdiAtc3Pairs(path.join(opts.dataDir, 'safedrug-gamenet', 'safedrug_ddi_atc3_pairs.csv'));

  const codes = [...test.patients, ...(train?.patients ?? [])].flatMap((p) => p.visits.flatMap((v) => v.diagnoses));
  progress('linking ICD9 codes to knowledge-graph indications …');
  const kbAtc = await buildKbEvidence(opts.graph, codes, (id) => mapper.atc3OfDrug(id));
  const kbDb = levels.includes('drugbank') ? await buildKbEvidence(opts.graph, codes, async (id) => [id]) : undefined;
  progress(`  ${kbAtc.mapped}/${kbAtc.total} ICD9 codes have indicated drugs in the graph`);

  /** Train/test pairs of one repeat: the given directories, or the patient-level folds of its seed. */
  const splits = (s: number): { fitOn: MimicPatient[]; score: MimicPatient[] }[] =>
    train
      ? [{ fitOn: train.patients, score: test.patients }]
      : patientFolds(test.patients, folds, s).map((fold, i, all) => ({ fitOn: all.filter((_, j) => j !== i).flat(), score: fold }));

  const runLevel = async (level: DrugLevel, withAblations: boolean) => {
    const kb = level === 'atc3' ? kbAtc.evidence : kbDb?.evidence;
    if (!kb) throw new Error(`no knowledge-graph evidence was built for the ${level} level (levels: ${levels.join(', ')})`);
    const ddi = async (sets: string[][]) => (level === 'atc3' ? atc3DdiRate(ddiPairs)(sets) : drugbankDdiRate(opts.graph, sets));
    const perRepeat = new Map<string, MethodResult[]>();
    const fits = new Map<string, Record<string, number | string>[]>();
    const order: string[] = [];
    for (const s of seeds) {
      progress(`  ${level}: ${train ? 'fitting on the train directory' : `${folds}-fold split, seed ${s}`}`);
      // Predictions are pooled over the folds of a repeat: every test patient is scored exactly once.
      const pooled = new Map<string, { method: MimicMethod; pred: MethodPredictions }>();
      for (const pair of splits(s)) {
        const methods = fitMethods(pair.fitOn, { level, kb });
        if (withAblations) methods.push(fitKedrecMethod(pair.fitOn, { level, kb: () => [], name: 'kedrec_without_kb' }));
        for (const m of methods) {
          const pred = predictPatients(m, pair.score, level);
          const acc = pooled.get(m.name);
          if (acc) {
            acc.pred.patients.push(...pred.patients);
            acc.pred.sets.push(...pred.sets);
          } else pooled.set(m.name, { method: m, pred });
          if (!order.includes(m.name)) order.push(m.name);
          fits.set(m.name, [...(fits.get(m.name) ?? []), m.params]);
        }
      }
      const summaries = [...pooled].map(([name, { method, pred }]) => {
        const result = summarise(method, level, pred, null);
        perRepeat.set(name, [...(perRepeat.get(name) ?? []), result]);
        return { result, sets: pred.sets };
      });
      for (const { result, sets } of summaries) result.ddi_rate = await ddi(sets);
    }
    const all = order.map((name) => {
      const runs = perRepeat.get(name);
      const params = fits.get(name);
      if (!runs || !params) throw new Error(`method ${name} has no results at the ${level} level`);
      return averageRepeats(runs, params);
    });
    return { results: all.filter((r) => r.name !== 'kedrec_without_kb'), ablations: all.filter((r) => r.name === 'kedrec_without_kb'), perRepeat };
  };

  const atc = await runLevel('atc3', true);
  const drugbank = levels.includes('drugbank') ? (await runLevel('drugbank', false)).results : undefined;
  const gtSets = test.patients.flatMap((p) => p.visits.map((v) => v.atc3));
  const kedrecRuns = atc.perRepeat.get('kedrec') ?? [];
  return {
    kind: 'mimic',
    data: opts.testDir,
    train: opts.trainDir ?? null,
    protocol: train
      ? 'fitted on the train directory, scored on every kept visit of the test directory'
      : `patient-level ${folds}-fold cross-validation of the test directory, repeated ${repeats} time${repeats > 1 ? 's' : ''} with seeds ${seeds.join(', ')}: each patient is scored by methods fitted on the other folds only; figures are means over the repeats`,
    levels: ['atc3', ...(drugbank ? (['drugbank'] as const) : [])],
    methods: atc.results,
    ...(drugbank ? { drugbank } : {}),
    ablations: atc.ablations,
    repeats: seeds.map((s, i) => ({
      seed: s,
      methods: [...atc.perRepeat].map(([name, rs]) => ({ name, jaccard: rs[i].jaccard, f1: rs[i].f1, prauc: rs[i].prauc, ddi_rate: rs[i].ddi_rate })),
    })),
    kedrecWins: ['most_frequent', 'cooccurrence'].map((b) => {
      const base = atc.perRepeat.get(b) ?? [];
      return {
        baseline: b,
        jaccard: kedrecRuns.filter((r, i) => r.jaccard > base[i].jaccard).length,
        f1: kedrecRuns.filter((r, i) => r.f1 > base[i].f1).length,
        of: kedrecRuns.length,
      };
    }),
    groundTruthDdiRate: atc3DdiRate(ddiPairs)(gtSets),
    kbEvidence: { icd9Codes: kbAtc.total, withIndications: kbAtc.mapped },
    load: { test: test.stats, ...(train ? { train: train.stats } : {}) },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** True when a directory looks like MIMIC-format CSVs. */
export function isMimicDir(dir: string): boolean {
  return ['ADMISSIONS.csv', 'DIAGNOSES_ICD.csv', 'PRESCRIPTIONS.csv'].every((f) => fs.existsSync(path.join(dir, f)));
}
