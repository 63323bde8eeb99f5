import type { Command } from 'commander';
import { openSafetyEngine } from '../../clinical/safety/open.js';
import { loadConfig } from '../../config.js';
import { createSqliteGraphStore } from '../../kb/graph/sqlite-store.js';
import { openKnowledgeBase } from '../../kb/open.js';
import { readSafetyTables } from '../../kb/safety-store.js';
import { DEFAULT_RULES_DIR } from '../../kb/sources/safety.js';
import { readRuleTables } from '../../kb/sources/safety-tables.js';

/** `kedrec safety …`: inspect and validate the safety rule tables. */
export function registerSafetyCommands(program: Command): void {
  const sc = program.command('safety').description('the safety rule tables: validate, list, and find names that match no drug');

  sc.command('validate')
    .description('validate clinical/rules/*.tsv (columns, severities, factors, keys, citations) without building; exit 1 on the first error')
    .option('--rules <dir>', 'rules directory', DEFAULT_RULES_DIR)
    .action((o: { rules: string }) => {
      const t = readRuleTables(o.rules);
      process.stdout.write(`${o.rules}: ${t.rules.length} factor rules, ${t.allergy.length} allergy rules, ${t.serious.length} serious effects, ${t.groups.length} groups, ${t.conditions.length} conditions, ${t.ddiTypes.length} DeepDDI types: valid\n`);
    });

  sc.command('rules')
    .description('list the rules the knowledge base holds, with severity, drugs covered and citation')
    .option('--kb <file>', 'knowledge-base file (default: KEDREC_KB_PATH)')
    .option('--json', 'print JSON')
    .action((o: { kb?: string; json?: boolean }) => {
      const db = openKnowledgeBase(o.kb ?? loadConfig().KEDREC_KB_PATH);
      try {
        const t = readSafetyTables(db);
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ rules: t.rules, allergy: t.allergy, serious: t.serious })}\n`);
          return;
        }
        const lines = [...t.rules, ...t.allergy].map(
          (r) => `${r.id}\t${r.severity}\t${'factor' in r ? `${r.factor}:${r.value}` : `allergy:${r.reaction}`}\t${r.drugIds.length} drug(s)\t${r.source}\t${r.url}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });

  sc.command('check-names')
    .description('names in the rule tables that matched no drug of this knowledge base (each is a rule that covers less than written)')
    .option('--kb <file>', 'knowledge-base file (default: KEDREC_KB_PATH)')
    .action((o: { kb?: string }) => {
      const db = openKnowledgeBase(o.kb ?? loadConfig().KEDREC_KB_PATH);
      try {
        const { engine, stale } = openSafetyEngine(db, createSqliteGraphStore(db));
        if (stale) process.stderr.write(`warning: ${stale}\n`);
        const u = engine.knowledge.unresolved;
        process.stdout.write(u.length ? `${u.map((x) => `${x.file}:${x.line}\t${x.name}`).join('\n')}\n${u.length} name(s) matched no drug\n` : 'every name matched a drug\n');
      } finally {
        db.close();
      }
    });
}
