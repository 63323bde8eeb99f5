import type Database from 'better-sqlite3';
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

/** Opens the KB read-only with the offline evidence store (evaluations never reach live APIs: results must be reproducible). */
export function openEvalKb(kbPath: string, log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): EvalKb {
  const db = openKnowledgeBase(kbPath);
  const graph = createSqliteGraphStore(db);
  const opened = openSafetyEngine(db, graph);
  if (opened.stale) log(`warning: ${opened.stale}`);
  return { db, graph, evidence: createEvidenceStore({ db, log }), safety: opened.engine, close: () => db.close() };
}
