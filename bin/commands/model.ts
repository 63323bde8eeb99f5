import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { KNOWN_MODELS, pullModel, resolvePullTarget } from '../../agent/model-pull.js';

/** `kedrec model pull|list`: GGUF files for the embedded runtime (KEDREC_LLM_PROVIDER=llama-cpp). */
export function registerModelCommand(program: Command): void {
  const m = program.command('model').description('GGUF models for the embedded runtime (KEDREC_LLM_PROVIDER=llama-cpp)');
  m.command('list')
    .description('the names `kedrec model pull` knows')
    .action(() => {
      for (const [name, k] of Object.entries(KNOWN_MODELS)) process.stdout.write(`${name.padEnd(14)} hf:${k.repo}/${k.file}\n${' '.repeat(15)}${k.note}\n`);
    });
  m.command('pull <name>')
    .description('download a GGUF (a known name, hf:<owner>/<repo>/<file.gguf>[@revision], or an https URL); resumes, checks, lands atomically')
    .option('--dir <dir>', 'where to save it', '.kedrec/models')
    .option('--sha256 <hex>', 'expected SHA-256 of the file')
    .action(async (name: string, o: { dir: string; sha256?: string }) => {
      const config = loadConfig();
      if (o.sha256 && !/^[0-9a-f]{64}$/i.test(o.sha256)) throw new Error(`--sha256 must be 64 hex digits, got ${JSON.stringify(o.sha256)}`);
      const target = resolvePullTarget(name, config.HF_ENDPOINT);
      process.stderr.write(`pulling ${target.url}\n`);
      let lastPct = -10;
      const r = await pullModel({
        target, dir: o.dir, token: config.HF_TOKEN, sha256: o.sha256,
        onProgress: (bytes, total) => {
          const pct = total ? Math.floor((bytes / total) * 100) : -1;
          if (pct >= lastPct + 10) {
            lastPct = pct;
            process.stderr.write(`  ${(bytes / 1e6).toFixed(0)} MB${total ? ` of ${(total / 1e6).toFixed(0)} MB` : ''}\n`);
          }
        },
      });
      process.stderr.write(`saved ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB, sha256 ${r.sha256})\nrun it: KEDREC_LLM_PROVIDER=llama-cpp KEDREC_MODEL_PATH=${r.path} npm start\n`);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });
}
