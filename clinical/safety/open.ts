import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { GraphStore } from '../../kb/graph/store.js';
import { readSafetyTables } from '../../kb/safety-store.js';
import { DEFAULT_RULES_DIR, ruleFiles, rulesHash } from '../../kb/sources/safety.js';
import { createSafetyEngine, type SafetyEngine } from './engine.js';
import { buildSafetyKnowledge } from './knowledge.js';

/**
 * Opens the safety engine over a knowledge base's rule tables. `stale` says when the repository's
 * rule tables changed after the KB was built: the engine then applies the old rules, and the
 * caller decides (start-up refuses and names the fix; tests rebuild).
 */
export function openSafetyEngine(db: Database.Database, graph: GraphStore, rulesDir = DEFAULT_RULES_DIR): { engine: SafetyEngine; stale?: string } {
  const tables = readSafetyTables(db);
  const engine = createSafetyEngine({ knowledge: buildSafetyKnowledge(tables), graph });
  let stale: string | undefined;
  if (fs.existsSync(rulesDir)) {
    const now = rulesHash(rulesDir, ruleFiles(rulesDir));
    if (tables.rulesHash && now !== tables.rulesHash) {
      stale = `the safety rule tables in ${rulesDir} changed after this knowledge base was built (KB rules ${tables.rulesHash}, files ${now}); rebuild it with \`kedrec kb build\``;
    }
  }
  return { engine, ...(stale ? { stale } : {}) };
}
