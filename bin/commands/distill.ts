import path from 'node:path';
import type { Command } from 'commander';
import { positiveInt } from './options.js';
import { loadConfig } from '../../config.js';
import { readExamples, VARIANTS, type Variant } from '../../dataset/build.js';
import { textModelFromSpec } from '../../agent/model-spec.js';
import { distill } from '../../dataset/distill.js';

/** `kedrec distill --teacher provider:model`: teacher rationales as chat-format SFT JSONL. */
export function registerDistillCommand(program: Command): void {
  program
    .command('distill')
    .description('distil selections + rationales from a teacher model into chat-format JSONL (keeps correct selections only; resumable)')
    .requiredOption('--teacher <provider:model>', 'teacher: ollama:<model> (OLLAMA_BASE_URL), openai-compatible:<model> (KEDREC_OPENAI_BASE_URL) or llama-cpp:<file.gguf> (run in process)')
    .option('--data <dir>', 'expRxRec dataset directory', '.kedrec/exprxrec')
    .option('--split <name>', 'split to distil', 'train')
    .option('--variants <list>', `comma-separated background variants (${VARIANTS.join(', ')})`, 'both')
    .option('--out <file>', 'output JSONL (appended; rerun to resume)', '.kedrec/distilled/train.jsonl')
    .option('--concurrency <n>', 'parallel teacher calls', Number, 2)
    .option('--match <mode>', 'keep exact selections ("exact") or any correct pick ("any")', 'exact')
    .option('--limit <n>', 'only the first n examples', positiveInt)
    .action(async (o: { teacher: string; data: string; split: string; variants: string; out: string; concurrency: number; match: string; limit?: number }) => {
      const config = loadConfig();
      const teacher = textModelFromSpec(o.teacher, config, '--teacher');
      const variants = o.variants.split(',').map((v) => v.trim()) as Variant[];
      const bad = variants.filter((v) => !(VARIANTS as readonly string[]).includes(v));
      if (bad.length) throw new Error(`unknown variant(s) ${bad.join(', ')}; valid: ${VARIANTS.join(', ')}`);
      if (o.match !== 'exact' && o.match !== 'any') throw new Error('--match must be "exact" or "any"');
      let examples = readExamples(path.join(o.data, `${o.split}.jsonl`));
      if (o.limit) examples = examples.slice(0, o.limit);
      const t0 = performance.now();
      const s = await distill({
        teacher, examples, variants, out: o.out, concurrency: o.concurrency, match: o.match,
        onProgress: (p) => { if (p.done % 10 === 0 || p.done === p.total) process.stderr.write(`  ${p.done}/${p.total} answered, ${p.kept} kept, ${p.failed} failed\n`); },
      }).finally(() => teacher.close());
      process.stderr.write(`distilled in ${((performance.now() - t0) / 1000).toFixed(1)} s: kept ${s.kept}, rejected ${s.rejected}, failed ${s.failed}, skipped (already done) ${s.skipped}\n`);
      for (const e of s.errors) process.stderr.write(`  error: ${e}\n`);
      process.stdout.write(`${JSON.stringify({ out: path.resolve(o.out), ...s })}\n`);
      // Every call failing is a broken teacher, not an empty result: exit non-zero.
      if (s.failed && !s.kept && !s.rejected) process.exitCode = 1;
    });
}
