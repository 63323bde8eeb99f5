import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { createCheckpointer } from './checkpointer.js';
import { compactThread, sqliteThreadRegistry, type ThreadRecord, type ThreadRegistry } from './thread-store.js';
import { withSchemaLock } from '../lib/postgres-schema-lock.js';

/**
 * Where conversations live: the checkpoints (LangGraph's saver), the registry of who owns each
 * thread, and compaction to the last checkpoint. SQLite (one file, the embedded default) or
 * Postgres (KEDREC_CHECKPOINT_URL), which several app instances share: turn 1 on one instance,
 * turn 2 on another, the same history on both.
 */
export interface ConversationStore {
  kind: 'sqlite' | 'postgres';
  saver: BaseCheckpointSaver;
  registry: ThreadRegistry;
  /** Keeps only the thread's latest checkpoint (storage grows with the conversation, not its square). */
  compact(threadId: string): Promise<void>;
  /** Resolves when the tables exist; rejects, saying why, when the store cannot be used. */
  ready(): Promise<void>;
  /** Every thread that has checkpoints. */
  threadIds(): Promise<string[]>;
  /** Bytes the checkpoints take (the SQLite column's length; the Postgres tables' size). */
  storedBytes(): Promise<number>;
  /** Gives freed space back (SQLite rewrites the file; Postgres marks it reusable). */
  reclaim(): Promise<void>;
  close(): Promise<void>;
}

/** A connection string with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

function sqliteConversationStore(file: string): ConversationStore {
  const saver = createCheckpointer(file);
  return {
    kind: 'sqlite',
    saver,
    registry: sqliteThreadRegistry(saver.db),
    compact: (id) => compactThread(saver, id),
    ready: async () => {},
    threadIds: async () => saver.db.prepare('SELECT DISTINCT thread_id FROM checkpoints').pluck().all() as string[],
    storedBytes: async () => saver.db.prepare('SELECT COALESCE(SUM(length(checkpoint)), 0) FROM checkpoints').pluck().get() as number,
    reclaim: async () => void saver.db.exec('VACUUM'),
    close: async () => saver.close(),
  };
}

/** The Postgres schema KEDRec's tables (and LangGraph's) live in. */
const SCHEMA = 'public';

/**
 * Conversations in Postgres: LangGraph's PostgresSaver for the checkpoints and a `kedrec_threads`
 * table for ownership, on one pool. Nothing is contacted until `ready()` (or the first use, which
 * waits for it): a server that cannot reach the database says so at start-up with the URL, its
 * password hidden.
 */
export async function postgresConversationStore(url: string, opts: { poolSize?: number } = {}): Promise<ConversationStore> {
  const [{ default: pg }, { PostgresSaver }] = await Promise.all([import('pg'), import('@langchain/langgraph-checkpoint-postgres')]);
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 4, connectionTimeoutMillis: 5000 });
  // An idle client that loses its connection (a database restart) must not crash the process.
  pool.on('error', () => {});
  const saver = new PostgresSaver(pool, undefined, { schema: SCHEMA });
  let setup: Promise<void> | undefined;
  const ready = () =>
    (setup ??= withSchemaLock(url, async () => {
      await saver.setup();
      await pool.query(`CREATE TABLE IF NOT EXISTS kedrec_threads (
        thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at BIGINT NOT NULL,
        last_turn_at BIGINT NOT NULL, turns INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS kedrec_threads_last ON kedrec_threads(last_turn_at);`);
    }).catch((err: Error) => {
      setup = undefined;
      throw new Error(`KEDREC_CHECKPOINT_URL=${redactUrl(url)}: the conversation store cannot be used (${err.message})`);
    }));
  const q = async <T extends object>(sql: string, params: unknown[]) => {
    await ready();
    return (await pool.query(sql, params)).rows as T[];
  };
  const row = (r: { thread_id: string; owner: string; created_at: string; last_turn_at: string; turns: number }): ThreadRecord => ({
    threadId: r.thread_id,
    owner: r.owner,
    createdAt: Number(r.created_at),
    lastTurnAt: Number(r.last_turn_at),
    turns: r.turns,
  });
  const registry: ThreadRegistry = {
    async get(id) {
      const [r] = await q<Parameters<typeof row>[0]>('SELECT * FROM kedrec_threads WHERE thread_id = $1', [id]);
      return r ? row(r) : undefined;
    },
    async claim(id, owner) {
      const now = Date.now();
      // One statement, so two instances claiming the same new thread at once cannot both win.
      const inserted = await q('INSERT INTO kedrec_threads (thread_id, owner, created_at, last_turn_at) VALUES ($1, $2, $3, $3) ON CONFLICT (thread_id) DO NOTHING RETURNING thread_id', [id, owner, now]);
      if (inserted.length) return 'new';
      const [r] = await q<{ owner: string }>('SELECT owner FROM kedrec_threads WHERE thread_id = $1', [id]);
      return r?.owner === owner ? 'owned' : 'forbidden';
    },
    async touch(id) {
      await q('UPDATE kedrec_threads SET turns = turns + 1, last_turn_at = $2 WHERE thread_id = $1', [id, Date.now()]);
    },
    async delete(id) {
      await q('DELETE FROM kedrec_threads WHERE thread_id = $1', [id]);
    },
    async idleSince(before, limit = 1000) {
      return (await q<{ thread_id: string }>('SELECT thread_id FROM kedrec_threads WHERE last_turn_at < $1 ORDER BY last_turn_at LIMIT $2', [before, limit])).map((r) => r.thread_id);
    },
  };
  return {
    kind: 'postgres',
    saver,
    registry,
    async compact(threadId) {
      await ready();
      const latest = await saver.getTuple({ configurable: { thread_id: threadId } });
      const keep = latest?.config.configurable?.checkpoint_id as string | undefined;
      if (!keep) return;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('DELETE FROM checkpoints WHERE thread_id = $1 AND checkpoint_id <> $2', [threadId, keep]);
        await client.query('DELETE FROM checkpoint_writes WHERE thread_id = $1 AND checkpoint_id <> $2', [threadId, keep]);
        // Channel values are stored once per version: keep the versions the last checkpoint points at.
        await client.query(
          `DELETE FROM checkpoint_blobs b WHERE b.thread_id = $1 AND NOT EXISTS (
             SELECT 1 FROM checkpoints c, jsonb_each_text(c.checkpoint->'channel_versions') v
             WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns AND v.key = b.channel AND v.value = b.version)`,
          [threadId],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    ready,
    threadIds: async () => (await q<{ thread_id: string }>('SELECT DISTINCT thread_id FROM checkpoints', [])).map((r) => r.thread_id),
    storedBytes: async () => Number((await q<{ n: string }>("SELECT pg_total_relation_size('checkpoints') + pg_total_relation_size('checkpoint_blobs') + pg_total_relation_size('checkpoint_writes') AS n", []))[0].n),
    reclaim: async () => void (await q('VACUUM checkpoints, checkpoint_blobs, checkpoint_writes', [])),
    close: () => pool.end(),
  };
}

/** The store the configuration names: Postgres when KEDREC_CHECKPOINT_URL is set, else the SQLite file. */
export async function openConversationStore(config: { KEDREC_CHECKPOINT_PATH: string; KEDREC_CHECKPOINT_URL?: string }): Promise<ConversationStore> {
  return config.KEDREC_CHECKPOINT_URL ? postgresConversationStore(config.KEDREC_CHECKPOINT_URL) : sqliteConversationStore(config.KEDREC_CHECKPOINT_PATH);
}
