import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../lib/log.js';
import { buildExamples, readExamples, writeDataset } from '../../dataset/build.js';
import { validateSft } from '../../dataset/validate-sft.js';

const SPLITS = ['train', 'validation', 'test'] as const;
import { openEvalKb } from '../../evals/kb.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
};

/** The flags of `kedrec dataset build`, as commander parses them. */
interface DatasetBuildFlags {
  kb?: string;
  out: string;
  seed: number;
  candidates: number;
  maxTargets: number;
  perCondition: number;
  passages: number;
  maxConditions?: number;
}

/** `kedrec dataset build`: the expRxRec instruction dataset from the knowledge base. */
export function registerDatasetCommand(program: Command): void {
  const ds = program.command('dataset').description('expRxRec instruction dataset');
  ds.command('build')
    .description('build expRxRec examples (train/validation/test JSONL split by condition, plus a dataset card)')
    .option('--kb <file>', 'knowledge base (default: KEDREC_KB_PATH)')
    .option('--out <dir>', 'output directory', '.kedrec/exprxrec')
    .option('--seed <n>', 'random seed', int, 42)
    .option('--candidates <n>', 'candidates per example', int, 10)
    .option('--max-targets <n>', 'indicated drugs per example', int, 2)
    .option('--per-condition <n>', 'examples per condition', int, 3)
    .option('--passages <n>', 'background passages per source', int, 4)
    .option('--max-conditions <n>', 'only this many conditions (quick builds)', int)
    .action(async (o: DatasetBuildFlags) => {
      const config = loadConfig();
      const kbPath = o.kb ?? config.KEDREC_KB_PATH;
      const kb = openEvalKb(kbPath, createLogger(config.LOG_LEVEL));
      const t0 = performance.now();
      try {
        if (o.candidates < 2) throw new Error('--candidates must be at least 2');
        const examples = await buildExamples({
          graph: kb.graph, db: kb.db, evidence: kb.evidence, outDir: o.out, seed: o.seed, candidates: o.candidates, maxTargets: Math.max(1, o.maxTargets),
          perCondition: Math.max(1, o.perCondition), passages: o.passages, maxConditions: o.maxConditions,
          onProgress: (d, t) => { if (d % 20 === 0 || d === t) process.stderr.write(`  conditions ${d}/${t}\n`); },
        });
        const card = await writeDataset(examples, {
          outDir: o.out,
          graph: kb.graph,
          seed: o.seed,
          candidates: o.candidates,
          maxTargets: o.maxTargets,
          perCondition: o.perCondition,
          passages: o.passages,
          kbPath,
        });
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        process.stderr.write(
          `wrote ${card.counts.total} examples (train ${card.counts.train.examples}, validation ${card.counts.validation.examples}, test ${card.counts.test.examples}) to ${path.resolve(o.out)} in ${seconds} s\n`,
        );
        process.stdout.write(`${JSON.stringify({ out: path.resolve(o.out), counts: card.counts })}\n`);
      } finally {
        kb.close();
      }
    });
  ds.command('validate-sft <file>')
    .description('check a distilled chat JSONL before training: served prompt, selection among the candidates, a rationale, citations from the background only')
    .option('--data <dir>', 'the expRxRec dataset it was distilled from', '.kedrec/exprxrec')
    .action((file: string, o: { data: string }) => {
      if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
      const examples = new Map(
        SPLITS.flatMap((s) => (fs.existsSync(path.join(o.data, `${s}.jsonl`)) ? readExamples(path.join(o.data, `${s}.jsonl`)) : [])).map((e) => [e.id, e]),
      );
      if (!examples.size) throw new Error(`no expRxRec examples in ${o.data}; build them with \`kedrec dataset build --out ${o.data}\``);
      const r = validateSft(file, examples);
      for (const p of r.problems.slice(0, 20)) process.stderr.write(`  line ${p.line}${p.id ? ` (${p.id})` : ''}: ${p.problem}\n`);
      if (r.problems.length > 20) process.stderr.write(`  … and ${r.problems.length - 20} more\n`);
      process.stderr.write(`${r.valid} of ${r.records} records valid\n`);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (r.valid !== r.records || !r.records) process.exitCode = 1;
    });
}
