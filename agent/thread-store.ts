import type Database from 'better-sqlite3';
import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph';

/**
 * Principal of callers that do not say who they are (local CLI, tests, a server without tokens).
 * Threads from before ownership was recorded belong to it: they were all made without tokens.
 */
export const ANONYMOUS = 'anonymous';

/**
 * Bookkeeping of conversation threads beside the checkpoints: who owns each thread, when it was
 * last used and how many turns it has had. It decides access (a thread is answered, shown or
 * deleted only for its owner), the per-thread turn cap, and what retention prunes.
 */
export interface ThreadRecord {
  threadId: string;
  owner: string;
  createdAt: number;
  lastTurnAt: number;
  turns: number;
}

/** Asynchronous, so the same interface covers a registry on a database server (Postgres) shared by several app instances. */
export interface ThreadRegistry {
  get(threadId: string): Promise<ThreadRecord | undefined>;
  /** Binds a new thread to `owner`; an existing one answers whether `owner` holds it. */
  claim(threadId: string, owner: string): Promise<'new' | 'owned' | 'forbidden'>;
  /** Counts a finished turn. */
  touch(threadId: string): Promise<void>;
  delete(threadId: string): Promise<void>;
  /** Threads last used before `before` (epoch ms), oldest first. */
  idleSince(before: number, limit?: number): Promise<string[]>;
}

/**
 * The registry in the checkpoint SQLite file, so threads and their bookkeeping live and die
 * together. On open, threads that have checkpoints but no registry row (written before the
 * registry existed) are registered to ANONYMOUS: unauthenticated deployments keep their threads,
 * and a named principal cannot claim one by naming its id.
 */
export function sqliteThreadRegistry(db: Database.Database): ThreadRegistry {
  db.exec(`CREATE TABLE IF NOT EXISTS kedrec_threads (
    thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL,
    last_turn_at INTEGER NOT NULL, turns INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS kedrec_threads_last ON kedrec_threads(last_turn_at);`);
  backfillLegacyThreads(db);
  const get = db.prepare('SELECT thread_id AS threadId, owner, created_at AS createdAt, last_turn_at AS lastTurnAt, turns FROM kedrec_threads WHERE thread_id = ?');
  const ins = db.prepare('INSERT OR IGNORE INTO kedrec_threads (thread_id, owner, created_at, last_turn_at) VALUES (?, ?, ?, ?)');
  const touch = db.prepare('UPDATE kedrec_threads SET turns = turns + 1, last_turn_at = ? WHERE thread_id = ?');
  const del = db.prepare('DELETE FROM kedrec_threads WHERE thread_id = ?');
  const idle = db.prepare('SELECT thread_id FROM kedrec_threads WHERE last_turn_at < ? ORDER BY last_turn_at LIMIT ?').pluck();
  return {
    get: async (id) => get.get(id) as ThreadRecord | undefined,
    async claim(id, owner) {
      const now = Date.now();
      if (ins.run(id, owner, now, now).changes === 1) return 'new';
      return (get.get(id) as ThreadRecord).owner === owner ? 'owned' : 'forbidden';
    },
    touch: async (id) => void touch.run(Date.now(), id),
    delete: async (id) => void del.run(id),
    idleSince: async (before, limit = 1000) => idle.all(before, limit) as string[],
  };
}

/**
 * Registers every checkpointed thread without a registry row to ANONYMOUS; returns how many.
 * Their age is unknown, so they count as used now: retention gives them a full TTL rather than
 * deleting a deployment's history on its first prune. A file without checkpoints yet has none.
 */
function backfillLegacyThreads(db: Database.Database): number {
  const hasCheckpoints = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").get();
  if (!hasCheckpoints) return 0;
  const now = Date.now();
  return db
    .prepare(
      `INSERT OR IGNORE INTO kedrec_threads (thread_id, owner, created_at, last_turn_at)
       SELECT DISTINCT c.thread_id, ?, ?, ? FROM checkpoints c
       WHERE NOT EXISTS (SELECT 1 FROM kedrec_threads t WHERE t.thread_id = c.thread_id)`,
    )
    .run(ANONYMOUS, now, now).changes;
}

/** The registry in memory, for an agent whose checkpoints are in memory too. */
export function memoryThreadRegistry(): ThreadRegistry {
  const m = new Map<string, ThreadRecord>();
  return {
    get: async (id) => m.get(id),
    async claim(id, owner) {
      const r = m.get(id);
      if (!r) {
        const now = Date.now();
        m.set(id, { threadId: id, owner, createdAt: now, lastTurnAt: now, turns: 0 });
        return 'new';
      }
      return r.owner === owner ? 'owned' : 'forbidden';
    },
    async touch(id) {
      const r = m.get(id);
      if (r) Object.assign(r, { turns: r.turns + 1, lastTurnAt: Date.now() });
    },
    delete: async (id) => void m.delete(id),
    idleSince: async (before, limit = 1000) =>
      [...m.values()]
        .filter((r) => r.lastTurnAt < before)
        .sort((a, b) => a.lastTurnAt - b.lastTurnAt)
        .slice(0, limit)
        .map((r) => r.threadId),
  };
}

/**
 * Keeps only a thread's latest checkpoint. LangGraph writes one checkpoint per super-step, each
 * holding the whole state, so a turn left six copies of the history and storage grew with the
 * square of the turns. The conversation needs only the state after its last turn; time travel
 * to intermediate steps is not offered by KEDRec. Works on the SQLite and the in-memory savers.
 */
export async function compactThread(saver: BaseCheckpointSaver, threadId: string): Promise<void> {
  const latest = await saver.getTuple({ configurable: { thread_id: threadId } });
  const keep = latest?.config.configurable?.checkpoint_id as string | undefined;
  if (!keep) return;
  const db = sqliteDbOf(saver);
  if (db) {
    db.transaction(() => {
      db.prepare('DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id != ?').run(threadId, keep);
      db.prepare('DELETE FROM writes WHERE thread_id = ? AND checkpoint_id != ?').run(threadId, keep);
    })();
    return;
  }
  if (saver instanceof MemorySaver && saver.storage[threadId]) {
    for (const ns of Object.values(saver.storage[threadId])) for (const id of Object.keys(ns)) if (id !== keep) delete ns[id];
    for (const key of Object.keys(saver.writes)) {
      const [t, , id] = JSON.parse(key) as [string, string, string];
      if (t === threadId && id !== keep) delete saver.writes[key];
    }
  }
}

/**
 * The SQLite connection of a saver that has one: LangGraph's SqliteSaver keeps it in `db`, which
 * BaseCheckpointSaver does not declare. Any other saver (memory, Postgres): undefined.
 */
export function sqliteDbOf(saver: BaseCheckpointSaver): Database.Database | undefined {
  const db: unknown = 'db' in saver ? saver.db : undefined;
  return isSqliteConnection(db) ? db : undefined;
}

function isSqliteConnection(value: unknown): value is Database.Database {
  return typeof value === 'object' && value !== null && 'prepare' in value && typeof value.prepare === 'function';
}
