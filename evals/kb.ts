import type Database from 'better-sqlite3';
import type { Logger } from '../lib/log.js';
import type { SafetyEngine } from '../clinical/safety/engine.js';
import { openSafetyEngine } from '../clinical/safety/open.js';
import { createEvidenceStore, type EvidenceStore } from '../kb/corpus/index.js';
import { createSqliteGraphStore } from '../kb/graph/sqlite-store.js';
import type { GraphStore } from '../kb/graph/store.js';
import { openKnowledgeBase } from '../kb/open.js';

/** The offline KB parts the dataset builder and evaluations use; closed together. */
export interface EvalKb {
  db: Database.Database;
  graph: GraphStore;
  evidence: EvidenceStore;
  safety: SafetyEngine;
  close(): void;
}

/**
 * Opens the KB read-only with the offline evidence store (evaluations never reach live APIs: results must be reproducible).
 * `log` takes a stale-rules warning and the evidence store's warnings; no default, so a warning is never dropped unasked.
 */
export function openEvalKb(kbPath: string, log: Logger): EvalKb {
  const db = openKnowledgeBase(kbPath);
  const graph = createSqliteGraphStore(db);
  const opened = openSafetyEngine(db, graph);
  if (opened.stale) log.warn('the knowledge base\'s safety rules are stale', { kbPath, reason: opened.stale });
  return { db, graph, evidence: createEvidenceStore({ db, log }), safety: opened.engine, close: () => db.close() };
}
