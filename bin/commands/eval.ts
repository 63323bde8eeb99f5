import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { positiveInt } from './options.js';
import { loadConfig, type Config } from '../../config.js';
import { createLogger } from '../../lib/log.js';
import { buildExamples, readExamples, VARIANTS, type ExpRxRecExample, type Variant } from '../../dataset/build.js';
import { readReferences } from '../../dataset/distill.js';
import { textModelFromSpec } from '../../agent/model-spec.js';
import { evidenceOnlyRecommender, randomRecommender, runExpRxRecEval, type VariantResult } from '../../evals/exprxrec.js';
import { openEvalKb, type EvalKb } from '../../evals/kb.js';
import { modelRecommender } from '../../evals/model-recommender.js';
import type { DrugLevel } from '../../evals/mimic.js';
import { isMimicDir, runMimicEval, type MimicReport } from '../../evals/mimic-run.js';
import { exprxrecMarkdown, mimicMarkdown, writeReport } from '../../evals/report.js';
import { readSafetyCases, runSafetyEval, safetyMarkdown, type Mode } from '../../evals/safety.js';
import { coverageMarkdown, readCoverageItems, runCoverageEval } from '../../evals/coverage.js';
import { caseMarkdown, readCaseItems, runCaseEval } from '../../evals/case-reading.js';
import { selectItems } from '../../evals/item-set.js';
import { citationsMarkdown, runCitationsEval } from '../../evals/citations.js';

/** The safety case set written for the project (tests/fixtures/safety/cases.json), beside this package. */
const DEFAULT_SAFETY_CASES = fileURLToPath(new URL('../../tests/fixtures/safety/cases.json', import.meta.url));
/** The indication-coverage set (tests/fixtures/coverage/conditions.json): conditions as clinicians phrase them, with guideline first-line drugs. */
const DEFAULT_COVERAGE_ITEMS = fileURLToPath(new URL('../../tests/fixtures/coverage/conditions.json', import.meta.url));
/** The case-reading set (tests/fixtures/cases/phrasings.json): clinicians' phrasings with the structured case each means, and multi-turn scripts. */
const DEFAULT_CASE_ITEMS = fileURLToPath(new URL('../../tests/fixtures/cases/phrasings.json', import.meta.url));

/** Progress lines for the person waiting (stderr, plain text): the command's output, not log records. */
const progress = (s: string) => process.stderr.write(`${s}\n`);

/** Opens the evaluation KB (--kb, else KEDREC_KB_PATH) with this command's logger (LOG_LEVEL). */
function openKbFromConfig(kbPath: string | undefined, config: Config = loadConfig()): EvalKb {
  return openEvalKb(kbPath ?? config.KEDREC_KB_PATH, createLogger(config.LOG_LEVEL));
}

/**
 * The body every item-set eval shares: read and select the items, open the KB, run, print (and
 * with --out write) the report, close the KB.
 */
async function runItemSetEval<T extends { id: string }, R extends object>(
  o: { kb?: string; out?: string; json?: boolean; cases: string; only?: string },
  read: (file: string) => T[],
  name: string,
  run: (kb: EvalKb, items: T[]) => Promise<R>,
  markdown: (r: R) => string,
): Promise<void> {
  const items = selectItems(read(o.cases), o.only, 'item');
  const kb = openKbFromConfig(o.kb);
  const t0 = performance.now();
  try {
    const r = await run(kb, items);
    emitEvalReport(o, name, r, markdown(r), (performance.now() - t0) / 1000);
  } finally {
    kb.close();
  }
}

/** Prints an eval's report (markdown, or one JSON line with --json) and, with --out, writes both forms there. */
function emitEvalReport(o: { out?: string; json?: boolean }, name: string, r: object, markdown: string, seconds: number): void {
  if (o.out) {
    fs.mkdirSync(o.out, { recursive: true });
    fs.writeFileSync(path.join(o.out, `${name}.md`), `${markdown}\n`);
    fs.writeFileSync(path.join(o.out, `${name}.json`), `${JSON.stringify({ ...r, seconds }, null, 2)}\n`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ ...r, seconds })}\n`);
  else process.stdout.write(`${markdown}\n\n(${seconds.toFixed(1)} s)\n`);
}

interface ExpRxRecCliOptions {
  data?: string;
  split: string;
  variants: string;
  references?: string;
  seed: number;
  /** "provider:model" of a model to evaluate beside evidence-only mode and random choice. */
  model?: string;
  concurrency?: number;
  limit?: number;
}

/** The flags of `kedrec eval exprxrec`, as commander parses them (exprxrec() takes them with --dataset as `data`). */
interface ExpRxRecFlags {
  kb?: string;
  out?: string;
  json?: boolean;
  dataset?: string;
  split: string;
  variants: string;
  references?: string;
  seed: number;
  model?: string;
  concurrency: number;
  limit?: number;
}

/** The flags of `kedrec eval mimic`, as commander parses them. */
interface MimicFlags {
  kb?: string;
  out?: string;
  json?: boolean;
  data: string;
  train?: string;
  folds: number;
  seed: number;
  repeats: number;
  drugbank?: boolean;
  sourceData?: string;
}

async function exprxrec(kb: EvalKb, o: ExpRxRecCliOptions): Promise<VariantResult[]> {
  const variants = o.variants.split(',').map((v) => v.trim()) as Variant[];
  const bad = variants.filter((v) => !(VARIANTS as readonly string[]).includes(v));
  if (bad.length) throw new Error(`unknown variant(s) ${bad.join(', ')}; valid: ${VARIANTS.join(', ')}`);
  const config = loadConfig();
  // Parsed before any work, so a malformed --model fails at once rather than after the dataset build.
  const textModel = o.model ? textModelFromSpec(o.model, config) : undefined;
  const model = textModel ? modelRecommender(textModel) : undefined;
  let examples: ExpRxRecExample[];
  if (o.data) examples = readExamples(path.join(o.data, `${o.split}.jsonl`));
  else {
    // No dataset given: build it in memory with the default parameters (same seed → same examples as `dataset build`).
    progress('building expRxRec examples in memory (pass --dataset DIR to use a built one) …');
    examples = (await buildExamples({ graph: kb.graph, db: kb.db, evidence: kb.evidence, outDir: '', seed: o.seed })).filter((e) => e.split === o.split);
  }
  // The first n in the split's order (deterministic), for a model too slow for the whole split.
  if (o.limit) examples = examples.slice(0, o.limit);
  progress(`expRxRec: ${examples.length} ${o.split} examples × ${variants.length} variants`);
  try {
    return await runExpRxRecEval({
      graph: kb.graph, evidence: kb.evidence, examples, variants,
      recommenders: [...(model ? [model] : []), evidenceOnlyRecommender(), randomRecommender()],
      references: o.references ? readReferences(o.references) : undefined,
      concurrency: o.concurrency,
      // A model run takes minutes: say how far it is.
      onProgress: textModel ? (done, total) => { if (done % 10 === 0 || done === total) progress(`  ${done}/${total} answered`); } : undefined,
    });
  } finally {
    await textModel?.close();
  }
}

/** `kedrec eval …`: expRxRec ablation and MIMIC-III evaluations, with markdown/SVG/JSON reports. */
export function registerEvalCommand(program: Command): void {
  const ev = program.command('eval').description('evaluate drug selection and rationale quality (expRxRec ablation, MIMIC-III)');
  const common = (c: Command) => c.option('--kb <file>', 'knowledge base (default: KEDREC_KB_PATH)').option('--out <dir>', 'write report.md, report.json and SVG charts here').option('--json', 'print the result as one JSON object on stdout');
  const withModel = (c: Command) =>
    c
      .option('--model <provider:model>', 'also evaluate a model: ollama:<model> (OLLAMA_BASE_URL), openai-compatible:<model> (KEDREC_OPENAI_BASE_URL) or llama-cpp:<file.gguf>, e.g. ollama:kedrec-lm')
      .option('--concurrency <n>', 'parallel model calls', Number, 2);

  withModel(common(ev.command('exprxrec')))
    .description('drug selection P/R/F1 (micro, macro), Hits@1/3/10 and ROUGE per background variant, evidence-only vs random')
    .option('--dataset <dir>', 'expRxRec dataset directory (default: built in memory)')
    .option('--split <name>', 'split', 'test')
    .option('--variants <list>', 'variants', VARIANTS.join(','))
    .option('--references <file>', 'distilled JSONL with reference rationales (for ROUGE)')
    .option('--seed <n>', 'dataset seed when built in memory', Number, 42)
    .option('--limit <n>', 'only the first n examples of the split', positiveInt)
    .action(async (o: ExpRxRecFlags) => {
      const kb = openKbFromConfig(o.kb);
      const t0 = performance.now();
      try {
        const results = await exprxrec(kb, { ...o, data: o.dataset });
        const seconds = (performance.now() - t0) / 1000;
        if (o.out) writeReport(o.out, { exprxrec: results, seconds, commands: [`kedrec ${process.argv.slice(2).join(' ')}`] });
        if (o.json) process.stdout.write(`${JSON.stringify({ exprxrec: results, seconds })}\n`);
        else process.stdout.write(`${exprxrecMarkdown(results)}\n\n(${seconds.toFixed(1)} s)\n`);
      } finally {
        kb.close();
      }
    });

  common(ev.command('mimic'))
    .description('MIMIC-III medication recommendation: Jaccard, F1, PRAUC, DDI rate for kedrec vs most_frequent and cooccurrence')
    .requiredOption('--data <dir>', 'MIMIC-format directory to score (ADMISSIONS, DIAGNOSES_ICD, PRESCRIPTIONS CSVs)')
    .option('--train <dir>', 'MIMIC-format directory to fit on (default: patient-level folds of --data)')
    .option('--folds <n>', 'patient-level folds when no --train', Number, 5)
    .option('--seed <n>', 'fold seed of the first repeat (repeat i uses seed + i)', Number, 42)
    .option('--repeats <n>', 'cross-validation repeats with different patient splits, averaged (ignored with --train)', Number, 5)
    .option('--drugbank', 'also evaluate at DrugBank level')
    .option('--source-data <dir>', 'data directory with safedrug-gamenet/ (default: KEDREC_DATA_DIR)')
    .action(async (o: MimicFlags) => {
      const config = loadConfig();
      for (const [flag, v, min] of [['--folds', o.folds, 2], ['--repeats', o.repeats, 1], ['--seed', o.seed, 0]] as const) {
        if (!Number.isInteger(v) || v < min) throw new Error(`${flag} must be an integer ≥ ${min}, got ${String(v)}`);
      }
      for (const d of [o.data, o.train].filter((x): x is string => !!x)) if (!isMimicDir(d)) throw new Error(`${d} is not a MIMIC-format directory (needs ADMISSIONS.csv, DIAGNOSES_ICD.csv, PRESCRIPTIONS.csv)`);
      const sourceData = o.sourceData ?? config.KEDREC_DATA_DIR;
      if (!fs.existsSync(path.join(sourceData, 'safedrug-gamenet'))) throw new Error(`${sourceData}/safedrug-gamenet does not exist: the NDC→RxNorm map and DDI pairs come from there (set KEDREC_DATA_DIR or --source-data)`);
      const kb = openKbFromConfig(o.kb, config);
      try {
        const levels: DrugLevel[] = o.drugbank ? ['atc3', 'drugbank'] : ['atc3'];
        const r = await runMimicEval({
          graph: kb.graph, testDir: o.data, trainDir: o.train, dataDir: sourceData, folds: o.folds, seed: o.seed, repeats: o.repeats, levels, progress,
        });
        if (o.out) writeReport(o.out, { mimic: r, seconds: r.seconds, commands: [`kedrec ${process.argv.slice(2).join(' ')}`] });
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else process.stdout.write(`${mimicMarkdown(r)}\n\n(${r.seconds.toFixed(1)} s)\n`);
      } finally {
        kb.close();
      }
    });

  withModel(common(ev.command('all')))
    .description('the full evaluation: expRxRec ablation (evidence-only) and MIMIC-III, one report')
    .option('--mimic <dir>', 'MIMIC-format directory', '')
    .option('--dataset <dir>', 'expRxRec dataset directory (default: built in memory)')
    .action(async (o: { kb?: string; out?: string; json?: boolean; mimic: string; dataset?: string; model?: string; concurrency: number }) => {
      const config = loadConfig();
      const kb = openKbFromConfig(o.kb, config);
      const t0 = performance.now();
      try {
        const results = await exprxrec(kb, { data: o.dataset, split: 'test', variants: VARIANTS.join(','), seed: 42, model: o.model, concurrency: o.concurrency });
        const mimicDir = o.mimic || path.join(config.KEDREC_DATA_DIR, 'mimic3-demo');
        let mimic: MimicReport | undefined;
        if (isMimicDir(mimicDir)) mimic = await runMimicEval({ graph: kb.graph, testDir: mimicDir, dataDir: config.KEDREC_DATA_DIR, progress });
        else progress(`skipping MIMIC: ${mimicDir} is not a MIMIC-format directory`);
        const seconds = (performance.now() - t0) / 1000;
        if (o.out) writeReport(o.out, { exprxrec: results, mimic, seconds, commands: [`kedrec ${process.argv.slice(2).join(' ')}`] });
        if (o.json) process.stdout.write(`${JSON.stringify({ exprxrec: results, mimic: mimic ?? null, seconds })}\n`);
        else process.stdout.write(`${exprxrecMarkdown(results)}\n\n${mimic ? mimicMarkdown(mimic) : ''}\n\n(${seconds.toFixed(1)} s)\n`);
      } finally {
        kb.close();
      }
    });

  common(ev.command('safety'))
    .description('safety case set: contraindicated drugs recommended, missed exclusions, required warnings present, wrong exclusions — typed factors, one chat message, multi-turn, and a scripted model that recommends the banned drugs')
    .option('--cases <file>', 'safety cases (JSON)', DEFAULT_SAFETY_CASES)
    .option('--modes <list>', 'structured, chat, multi-turn, adversarial-model', 'structured,chat,multi-turn,adversarial-model')
    .option('--only <ids>', 'comma-separated case ids')
    .action(async (o: { kb?: string; out?: string; json?: boolean; cases: string; modes: string; only?: string }) => {
      const modes = o.modes.split(',').map((m) => m.trim()) as Mode[];
      const valid = ['structured', 'chat', 'multi-turn', 'adversarial-model'];
      const bad = modes.filter((m) => !valid.includes(m));
      if (bad.length) throw new Error(`unknown mode(s) ${bad.join(', ')}; valid: ${valid.join(', ')}`);
      const cases = selectItems(readSafetyCases(o.cases), o.only, 'case');
      const kb = openKbFromConfig(o.kb);
      const t0 = performance.now();
      try {
        const r = await runSafetyEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, cases, modes });
        const seconds = (performance.now() - t0) / 1000;
        emitEvalReport(o, 'safety', r, safetyMarkdown(r), seconds);
      } finally {
        kb.close();
      }
    });

  common(ev.command('coverage'))
    .description('indication coverage: conditions as clinicians phrase them (abbreviations, lay terms) through find_drugs_for_condition and recommend_drugs — ≥ min indicated drugs, a guideline first-line drug in the top 10, and whether both tools resolve the phrase to the same disease')
    .option('--cases <file>', 'coverage items (JSON)', DEFAULT_COVERAGE_ITEMS)
    .option('--only <ids>', 'comma-separated item ids')
    .action((o: { kb?: string; out?: string; json?: boolean; cases: string; only?: string }) =>
      runItemSetEval(
        o,
        readCoverageItems,
        'coverage',
        (kb, items) => runCoverageEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, items }),
        coverageMarkdown,
      ),
    );

  common(ev.command('citations'))
    .description('citation relevance: for each coverage condition, the trials and articles the evidence-only answer cites — a trial must not be known negative, must study the condition in the same organ and name the drug as what it studies; an article must be a treatment study in people — now and under the previous selection')
    .option('--cases <file>', 'condition items (JSON, the coverage set)', DEFAULT_COVERAGE_ITEMS)
    .option('--only <ids>', 'comma-separated item ids')
    .action((o: { kb?: string; out?: string; json?: boolean; cases: string; only?: string }) =>
      runItemSetEval(o, readCoverageItems, 'citations', (kb, items) => {
        if (!kb.evidence) throw new Error('the knowledge base has no trial and article corpus: rebuild it with `kedrec kb build`');
        return runCitationsEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, items });
      }, citationsMarkdown),
    );

  common(ev.command('case'))
    .description('case reading: clinicians\' phrasings (negation, family history, numbers, medication lists, abbreviations, brands, spellings, typos, allergies, patient factors, letters) read into the structured case — precision and recall per field, factor accuracy, negated findings taken as present, numbers taken as ICD codes — and multi-turn scripts whose evidence-only answer must change as expected')
    .option('--cases <file>', 'phrasing items (JSON)', DEFAULT_CASE_ITEMS)
    .option('--only <ids>', 'comma-separated item ids')
    .action((o: { kb?: string; out?: string; json?: boolean; cases: string; only?: string }) =>
      runItemSetEval(o, readCaseItems, 'case-reading', (kb, items) => runCaseEval({ graph: kb.graph, evidence: kb.evidence, safety: kb.safety, items }), caseMarkdown),
    );
}
