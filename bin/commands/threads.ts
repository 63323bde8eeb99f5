import type { Command } from 'commander';
import type Database from 'better-sqlite3';
import { openConversationStore, type ConversationStore } from '../../agent/conversation-store.js';
import { loadConfig } from '../../config.js';

/** "30d", "12h", "90m" → milliseconds. */
export function parseAge(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dhm])$/.exec(s.trim());
  if (!m) throw new Error(`--older-than ${JSON.stringify(s)}: a number followed by d, h or m (e.g. 30d)`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd'];
}

const sqliteDb = (store: ConversationStore) => (store.saver as unknown as { db: Database.Database }).db;

/** Bytes the checkpoints take: the SQLite column's length, or the Postgres tables' size. */
async function storedBytes(store: ConversationStore): Promise<number> {
  if (store.pg) return Number((await store.pg.query("SELECT pg_total_relation_size('checkpoints') + pg_total_relation_size('checkpoint_blobs') + pg_total_relation_size('checkpoint_writes') AS n")).rows[0].n);
  return sqliteDb(store).prepare('SELECT COALESCE(SUM(length(checkpoint)), 0) FROM checkpoints').pluck().get() as number;
}

async function threadIds(store: ConversationStore): Promise<string[]> {
  if (store.pg) return (await store.pg.query('SELECT DISTINCT thread_id FROM checkpoints')).rows.map((r: { thread_id: string }) => r.thread_id);
  return sqliteDb(store).prepare('SELECT DISTINCT thread_id FROM checkpoints').pluck().all() as string[];
}

/** Gives the freed space back: VACUUM (SQLite rewrites the file; Postgres marks it reusable). */
async function reclaim(store: ConversationStore): Promise<void> {
  if (store.pg) await store.pg.query('VACUUM checkpoints, checkpoint_blobs, checkpoint_writes');
  else sqliteDb(store).exec('VACUUM');
}

/** `kedrec threads …`: retention of the conversation store (KEDREC_CHECKPOINT_PATH, or KEDREC_CHECKPOINT_URL). */
export function registerThreadsCommands(program: Command): void {
  const t = program.command('threads').description('conversation threads: retention and storage (KEDREC_CHECKPOINT_PATH or KEDREC_CHECKPOINT_URL)');
  t.command('prune')
    .description('delete threads idle for longer than --older-than (default KEDREC_THREAD_TTL_DAYS), compact the rest to their last checkpoint, and reclaim the space')
    .option('--older-than <age>', 'e.g. 30d, 12h')
    .action(async (o: { olderThan?: string }) => {
      const config = loadConfig();
      const ms = o.olderThan ? parseAge(o.olderThan) : config.KEDREC_THREAD_TTL_DAYS * 86_400_000;
      const store = await openConversationStore(config);
      try {
        await store.ready();
        const before = await storedBytes(store);
        let deleted = 0;
        if (ms > 0) {
          for (const id of await store.registry.idleSince(Date.now() - ms, 1_000_000)) {
            await store.saver.deleteThread(id);
            await store.registry.delete(id);
            deleted++;
          }
        }
        // Threads written before compaction existed still hold every intermediate checkpoint.
        const ids = await threadIds(store);
        for (const id of ids) await store.compact(id);
        await reclaim(store);
        const after = await storedBytes(store);
        process.stdout.write(`deleted ${deleted} idle thread(s); ${ids.length} kept and compacted; checkpoint bytes ${before} → ${after}\n`);
      } finally {
        await store.close();
      }
    });
}
