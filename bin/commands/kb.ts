import fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { formatIndicationSummary, readIndicationSummary } from '../../kb/indication-summary.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { buildDefaultKnowledgeBase } from '../../kb/steps.js';
import { createProgressReporter } from '../progress.js';
import { registerChromaCommand } from './chroma.js';
import { registerNeo4jCommand } from './neo4j.js';

/** Builds the KB at `outPath` from `dataDir`, with progress on stderr; returns the build summary line. */
export function buildWithProgress(dataDir: string, outPath: string, noncommercial: boolean): string {
  process.stderr.write(`Building knowledge base ${outPath} from ${dataDir}${noncommercial ? '' : ' (without non-commercial sources)'}\n`);
  const progress = createProgressReporter();
  try {
    const r = buildDefaultKnowledgeBase({ dataDir, outPath, noncommercial, onProgress: progress.onProgress });
    return `Built ${r.path} in ${r.seconds.toFixed(1)} s (${(r.bytes / 1e6).toFixed(1)} MB)`;
  } finally {
    progress.stop();
  }
}

export function registerKbCommands(program: Command): void {
  const kb = program.command('kb').description('build and inspect the knowledge base');

  kb.command('build')
    .description('build the knowledge base (one SQLite file) from the source data directory; atomic: a failed build keeps the previous file')
    .option('--data <dir>', 'source data directory (default: KEDREC_DATA_DIR)')
    .option('--out <file>', 'knowledge-base file to write (default: KEDREC_KB_PATH)')
    .option('--no-noncommercial', 'leave out DrugBank-derived and SIDER data (non-commercial licenses)')
    .option('--json', 'print a JSON summary (seconds, bytes, steps, peak RSS) on stdout')
    .action((opts: { data?: string; out?: string; noncommercial: boolean; json?: boolean }) => {
      const config = loadConfig();
      const noncommercial = opts.noncommercial && config.KEDREC_NONCOMMERCIAL;
      const dataDir = opts.data ?? config.KEDREC_DATA_DIR;
      const outPath = opts.out ?? config.KEDREC_KB_PATH;
      if (opts.json) {
        const r = buildDefaultKnowledgeBase({ dataDir, outPath, noncommercial });
        process.stdout.write(`${JSON.stringify({ ...r, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
        return;
      }
      process.stderr.write(`${buildWithProgress(dataDir, outPath, noncommercial)}\n`);
    });

  kb.command('info')
    .description('counts per node and edge type, sources and licenses, indication coverage (diseases with an indication, pairs per source and tier, compounds added, mapping losses)')
    .option('--kb <file>', 'knowledge-base file (default: KEDREC_KB_PATH)')
    .option('--json', 'print JSON')
    .action(async (opts: { kb?: string; json?: boolean }) => {
      const config = loadConfig();
      const kbPath = opts.kb ?? config.KEDREC_KB_PATH;
      const db = openKnowledgeBase(kbPath);
      const store = createSqliteGraphStore(db);
      try {
        const s = await store.stats();
        const indications = readIndicationSummary(db);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...s, indications }, null, 2)}\n`);
          return;
        }
        const out: string[] = [`Knowledge base ${kbPath} (${(fs.statSync(kbPath).size / 1e6).toFixed(1)} MB), built ${s.meta.built_at}${s.meta.noncommercial === '0' ? ', without non-commercial sources' : ''}`, '', 'Nodes (kind: total / in graph)'];
        for (const n of s.nodes) out.push(`  ${n.kind.padEnd(22)} ${String(n.count).padStart(7)} / ${n.inGraph}`);
        out.push('', 'Edges (metaedge, source, license: count)');
        for (const e of s.edges) out.push(`  ${e.metaedge.padEnd(5)} ${e.source.padEnd(18)} ${e.license.padEnd(18)} ${String(e.count).padStart(7)}`);
        out.push(`  drug–drug interactions (deepddi): ${s.interactions}`, '', 'Sources');
        for (const src of s.sources) out.push(`  ${src.id.padEnd(18)} ${src.license.padEnd(34)} ${src.noncommercial ? 'NON-COMMERCIAL ' : ''}${src.name} <${src.url}>`);
        out.push(...formatIndicationSummary(indications));
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await store.close();
      }
    });

  registerNeo4jCommand(kb);
  registerChromaCommand(kb);
}
