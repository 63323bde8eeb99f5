import fs from 'node:fs';
import path from 'node:path';
import type { GraphStore } from '../kb/graph/store.js';
import { atc3DdiRate, buildKbEvidence, drugbankDdiRate, evaluateMethods, fitMethods, patientFolds, type DrugLevel, type MethodResult } from './mimic.js';
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
  seed?: number;
  levels?: DrugLevel[];
  log?: (line: string) => void;
}

export interface MimicReport {
  kind: 'mimic';
  data: string;
  train: string | null;
  protocol: string;
  levels: DrugLevel[];
  /** ATC3 results (the standard protocol), one entry per method. */
  methods: MethodResult[];
  /** DrugBank-level results, when asked for. */
  drugbank?: MethodResult[];
  /** The prescribed sets' own DDI rate, for reference (SafeDrug reports it for the ground truth). */
  groundTruthDdiRate: number;
  kbEvidence: { icd9Codes: number; withIndications: number };
  load: { test: MimicLoadStats; train?: MimicLoadStats };
  seconds: number;
}

/** Runs the MIMIC-III evaluation: load, fit (on train or per fold), score, aggregate. */
export async function runMimicEval(opts: MimicRunOptions): Promise<MimicReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const levels = opts.levels ?? ['atc3'];
  const mapper = createDrugMapper(opts.graph, defaultDrugMapSources(opts.dataDir));
  log(`loading ${opts.testDir} …`);
  const test = await loadMimicDir(opts.testDir, mapper);
  const train = opts.trainDir ? await loadMimicDir(opts.trainDir, mapper) : undefined;
  log(`  ${test.stats.visitsKept} visits of ${test.stats.patients} patients kept (${test.stats.withAtc3}/${test.stats.prescriptions} prescriptions mapped to ATC3)`);
  const ddiPairs = loadDdiAtc3Pairs(path.join(opts.dataDir, 'safedrug-gamenet', 'safedrug_ddi_atc3_pairs.csv'));

  const codes = [...test.patients, ...(train?.patients ?? [])].flatMap((p) => p.visits.flatMap((v) => v.diagnoses));
  log('linking ICD9 codes to knowledge-graph indications …');
  const kbAtc = await buildKbEvidence(opts.graph, codes, (id) => mapper.atc3OfDrug(id));
  const kbDb = levels.includes('drugbank') ? await buildKbEvidence(opts.graph, codes, async (id) => [id]) : undefined;
  log(`  ${kbAtc.mapped}/${kbAtc.total} ICD9 codes have indicated drugs in the graph`);

  const runLevel = async (level: DrugLevel): Promise<MethodResult[]> => {
    const kb = level === 'atc3' ? kbAtc.evidence : kbDb!.evidence;
    // Each fold (or the one train/test pair) yields per-method results; they are pooled by re-running
    // the aggregate over all scored patients, so folds weigh by their patients.
    const pairs: { fitOn: MimicPatient[]; score: MimicPatient[] }[] = train
      ? [{ fitOn: train.patients, score: test.patients }]
      : patientFolds(test.patients, Math.max(2, opts.folds ?? 5), opts.seed ?? 42).map((fold, i, all) => ({ fitOn: all.filter((_, j) => j !== i).flat(), score: fold }));
    const collected = new Map<string, { results: MethodResult[]; sets: string[][] }>();
    for (const [i, pair] of pairs.entries()) {
      log(`  ${level}: fitting on ${pair.fitOn.length} patients, scoring ${pair.score.length} (${i + 1}/${pairs.length})`);
      const methods = fitMethods(pair.fitOn, { level, kb });
      const sets = new Map<string, string[][]>();
      // DDI rate is pooled over all folds below, so it is not computed per fold.
      const res = evaluateMethods(methods, pair.score, level, null);
      // Predicted sets are needed for a pooled DDI rate; recompute them (cheap) per method.
      for (const m of methods) {
        sets.set(m.name, pair.score.flatMap((p) => p.visits.map((v, k) => m.recommend({ diagnoses: v.diagnoses, history: p.visits.slice(0, k) }).selected)));
      }
      for (const r of res) {
        const c = collected.get(r.name) ?? { results: [], sets: [] };
        c.results.push(r);
        c.sets.push(...(sets.get(r.name) ?? []));
        collected.set(r.name, c);
      }
    }
    const out: MethodResult[] = [];
    for (const [name, c] of collected) {
      const w = c.results.map((r) => r.patients);
      const n = w.reduce((a, b) => a + b, 0) || 1;
      const avg = (f: (r: MethodResult) => number) => c.results.reduce((s, r, i) => s + f(r) * w[i], 0) / n;
      const visits = c.results.reduce((s, r) => s + r.visits, 0);
      out.push({
        name,
        level,
        jaccard: avg((r) => r.jaccard),
        f1: avg((r) => r.f1),
        prauc: avg((r) => r.prauc),
        ddi_rate: level === 'atc3' ? atc3DdiRate(ddiPairs)(c.sets) : await drugbankDdiRate(opts.graph, c.sets),
        precision: avg((r) => r.precision),
        recall: avg((r) => r.recall),
        avg_drugs: c.sets.reduce((s, x) => s + x.length, 0) / (visits || 1),
        visits,
        patients: n,
        params: c.results.length === 1 ? c.results[0].params : Object.fromEntries(Object.keys(c.results[0].params).map((k) => [k, c.results.map((r) => r.params[k]).join('/')])),
        description: c.results[0].description,
      });
    }
    return out;
  };

  const methods = await runLevel('atc3');
  const drugbank = levels.includes('drugbank') ? await runLevel('drugbank') : undefined;
  const gtSets = test.patients.flatMap((p) => p.visits.map((v) => v.atc3));
  return {
    kind: 'mimic',
    data: opts.testDir,
    train: opts.trainDir ?? null,
    protocol: train
      ? 'fitted on the train directory, scored on every kept visit of the test directory'
      : `patient-level ${Math.max(2, opts.folds ?? 5)}-fold cross-validation of the test directory (seed ${opts.seed ?? 42}): each patient is scored by methods fitted on the other folds only`,
    levels: ['atc3', ...(drugbank ? (['drugbank'] as const) : [])],
    methods,
    ...(drugbank ? { drugbank } : {}),
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
