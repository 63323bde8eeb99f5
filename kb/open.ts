import fs from 'node:fs';
import Database from 'better-sqlite3';
import { KB_SCHEMA_VERSION } from './base/graph-schema.js';

/** The knowledge base cannot be used; the message names the fix. */
export class KnowledgeBaseError extends Error {}

/**
 * Opens the knowledge-base file read-only and checks it is a complete KEDRec KB of this
 * schema version. A missing, truncated or foreign file fails here, at start-up, with the
 * command that fixes it, rather than with an SQL error on the first query.
 */
export function openKnowledgeBase(kbPath: string): Database.Database {
  if (!fs.existsSync(kbPath)) {
    throw new KnowledgeBaseError(`knowledge base ${kbPath} does not exist; build it with \`kedrec kb build\` (or \`npm start\`, which builds it when missing)`);
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(kbPath, { readonly: true, fileMustExist: true });
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined;
    if (version !== String(KB_SCHEMA_VERSION)) {
      throw new KnowledgeBaseError(`knowledge base ${kbPath} has schema version ${version ?? 'none'}, this program needs ${KB_SCHEMA_VERSION}; rebuild it with \`kedrec kb build\``);
    }
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof KnowledgeBaseError) throw err;
    throw new KnowledgeBaseError(`knowledge base ${kbPath} cannot be read (${(err as Error).message}); it may be corrupt: rebuild it with \`kedrec kb build\``);
  }
}
