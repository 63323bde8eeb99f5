import fs from 'node:fs';
import type { Command } from 'commander';
import { writeAtomic } from '../../dataset/build.js';
import { renderModelfile } from '../../dataset/modelfile.js';

/** `kedrec export modelfile`: an Ollama Modelfile serving a fine-tuned KEDRec-LM. */
export function registerExportCommand(program: Command): void {
  const ex = program.command('export').description('export artefacts for fine-tuned models');
  ex.command('modelfile')
    .description('write an Ollama Modelfile for KEDRec-LM (then: ollama create kedrec-lm -f Modelfile)')
    .requiredOption('--from <model>', 'FROM: fine-tuned GGUF file or an Ollama base model (e.g. llama3.1:8b)')
    .option('--adapter <path>', 'ADAPTER: LoRA adapter trained on the distilled data')
    .option('--temperature <t>', 'sampling temperature', Number, 0)
    .option('--num-ctx <n>', 'context window', Number, 8192)
    .option('--out <file>', 'output file ("-" for stdout)', 'Modelfile')
    .action((o: { from: string; adapter?: string; temperature: number; numCtx: number; out: string }) => {
      if (o.adapter && !/^[a-z]+:\/\//.test(o.adapter) && !fs.existsSync(o.adapter)) process.stderr.write(`warning: adapter ${o.adapter} does not exist here; ollama create will fail unless it exists where it runs\n`);
      const text = renderModelfile({ from: o.from, adapter: o.adapter, temperature: o.temperature, numCtx: o.numCtx });
      if (o.out === '-') process.stdout.write(text);
      else {
        writeAtomic(o.out, text);
        process.stderr.write(`wrote ${o.out}; serve it with: ollama create kedrec-lm -f ${o.out}\n`);
      }
    });
}
