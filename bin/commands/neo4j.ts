import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import type { ProgressEvent } from '../../kb/base/build-context.js';
import { openKnowledgeBase } from '../../kb/open.js';

interface PushFlags {
  kb?: string;
  uri?: string;
  user?: string;
  password?: string;
  database?: string;
  batchSize: string;
}

/** One stderr line per step and at most one per second within a step: stdout stays clean. */
function progressPrinter(): (e: ProgressEvent) => void {
  let last = 0;
  return (e) => {
    const now = Date.now();
    if (!e.finished && e.done !== 0 && now - last < 1000) return;
    last = now;
    const pct = e.total ? ` (${Math.round((100 * e.done) / e.total)}%)` : '';
    process.stderr.write(`[push-neo4j] ${e.title}: ${e.done.toLocaleString('en')}/${e.total.toLocaleString('en')}${pct}${e.finished ? ' done' : ''}\n`);
  };
}

/**
 * Adds `kedrec kb push-neo4j`: loads the SQLite knowledge base into a Neo4j 5 server (batched
 * UNWIND MERGEs, constraints and indexes first). Flags override NEO4J_* from the environment.
 */
export function registerNeo4jCommand(kbCommand: Command): void {
  kbCommand
    .command('push-neo4j')
    .description('load the knowledge base into Neo4j (constraints, indexes, batched MERGE; safe to re-run)')
    .option('--kb <path>', 'knowledge-base file (default: KEDREC_KB_PATH)')
    .option('--uri <uri>', 'bolt/neo4j URI (default: NEO4J_URI)')
    .option('--user <user>', 'user name (default: NEO4J_USER)')
    .option('--password <password>', 'password (default: NEO4J_PASSWORD; prefer the variable, flags show in process lists)')
    .option('--database <name>', 'database (default: NEO4J_DATABASE)')
    .option('--batch-size <n>', 'rows per UNWIND transaction', '5000')
    .action(async (flags: PushFlags) => {
      const config = loadConfig();
      const uri = flags.uri ?? config.NEO4J_URI;
      if (!uri) throw new Error('no Neo4j server given: set NEO4J_URI (e.g. neo4j://localhost:7687) or pass --uri');
      const batchSize = Number(flags.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
        throw new Error(`--batch-size must be an integer from 1 to 100000, got ${JSON.stringify(flags.batchSize)}`);
      }
      const database = flags.database ?? config.NEO4J_DATABASE;
      const kbPath = flags.kb ?? config.KEDREC_KB_PATH;
      const db = openKnowledgeBase(kbPath);
      // Loaded here, not at the top: neo4j-driver costs most of a second and every other command starts without it.
      const { default: neo4j } = await import('neo4j-driver');
      const { pushKnowledgeBaseToNeo4j } = await import('../../kb/graph/push-neo4j.js');
      const driver = neo4j.driver(uri, neo4j.auth.basic(flags.user ?? config.NEO4J_USER, flags.password ?? config.NEO4J_PASSWORD ?? ''));
      try {
        await driver.verifyConnectivity({ database }).catch((err: Error) => {
          throw new Error(`cannot reach Neo4j at ${uri} (database ${database}): ${err.message}`);
        });
        process.stderr.write(`[push-neo4j] loading ${kbPath} into ${uri} (database ${database}), batches of ${batchSize}\n`);
        const r = await pushKnowledgeBaseToNeo4j(db, driver, { database, batchSize, onProgress: progressPrinter() });
        process.stderr.write(
          `[push-neo4j] done in ${r.seconds.toFixed(1)} s: ${r.nodes} nodes, ${r.edges} edges, ${r.terms} terms, ${r.xrefs} xrefs, ${r.interactions} interactions\n`,
        );
      } finally {
        await driver.close();
        db.close();
      }
    });
}
