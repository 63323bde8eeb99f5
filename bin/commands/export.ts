import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';

import { MODELFILE_TEMPLATES, renderModelfile, templateForGguf, type ModelfileTemplate } from '../../dataset/modelfile.js';
import { writeAtomic } from '../../lib/write-atomic.js';

/** Ollama reads a relative FROM/ADAPTER path from the Modelfile's folder: a file that exists here is written absolute. */
const local = (p: string) => (fs.existsSync(p) ? path.resolve(p) : p);

/** `kedrec export modelfile`: an Ollama Modelfile serving a fine-tuned KEDRec-LM. */
export function registerExportCommand(program: Command): void {
  const ex = program.command('export').description('export artefacts for fine-tuned models');
  ex.command('modelfile')
    .description('write an Ollama Modelfile for KEDRec-LM (then: ollama create kedrec-lm -f Modelfile)')
    .requiredOption('--from <model>', 'FROM: fine-tuned GGUF file or an Ollama base model (e.g. llama3.1:8b)')
    .option('--adapter <path>', 'ADAPTER: LoRA adapter trained on the distilled data')
    .option('--temperature <t>', 'sampling temperature', Number, 0)
    .option('--num-ctx <n>', 'context window', Number, 8192)
    .option('--template <name>', `chat template: "auto" (a GGUF's own, else its family's; a base model's own), or one written out: ${MODELFILE_TEMPLATES.join(', ')}`, 'auto')
    .option('--out <file>', 'output file ("-" for stdout)', 'Modelfile')
    .action(async (o: { from: string; adapter?: string; temperature: number; numCtx: number; template: string; out: string }) => {
      if (o.template !== 'auto' && !(MODELFILE_TEMPLATES as readonly string[]).includes(o.template)) {
        throw new Error(`--template must be auto or one of ${MODELFILE_TEMPLATES.join(', ')}, got ${JSON.stringify(o.template)}`);
      }
      let template = o.template === 'auto' ? 'model' : (o.template as ModelfileTemplate);
      if (/\.gguf$/i.test(o.from)) {
        if (!fs.existsSync(o.from)) process.stderr.write(`warning: ${o.from} does not exist here; ollama create will fail unless it exists where it runs\n`);
        else if (o.template === 'auto') {
          const t = await templateForGguf(o.from);
          template = t.template;
          process.stderr.write(`${t.why}\n`);
        }
      }
      if (o.adapter && !/^[a-z]+:\/\//.test(o.adapter) && !fs.existsSync(o.adapter)) process.stderr.write(`warning: adapter ${o.adapter} does not exist here; ollama create will fail unless it exists where it runs\n`);
      const text = renderModelfile({
        from: local(o.from),
        adapter: o.adapter ? local(o.adapter) : undefined,
        temperature: o.temperature,
        numCtx: o.numCtx,
        template,
      });
      if (o.out === '-') process.stdout.write(text);
      else {
        writeAtomic(o.out, text);
        process.stderr.write(`wrote ${o.out}; serve it with: ollama create kedrec-lm -f ${o.out}\n`);
      }
    });
}
