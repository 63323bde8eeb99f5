import type { Command } from 'commander';
import { createCheckpointer } from '../../agent/checkpointer.js';
import { compactThread, sqliteThreadRegistry } from '../../agent/thread-store.js';
import { loadConfig } from '../../config.js';

/** "30d", "12h", "90m" → milliseconds. */
export function parseAge(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dhm])$/.exec(s.trim());
  if (!m) throw new Error(`--older-than ${JSON.stringify(s)}: a number followed by d, h or m (e.g. 30d)`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd'];
}

/** `kedrec threads …`: retention of the conversation store (KEDREC_CHECKPOINT_PATH). */
export function registerThreadsCommands(program: Command): void {
  const t = program.command('threads').description('conversation threads: retention and storage (KEDREC_CHECKPOINT_PATH)');
  t.command('prune')
    .description('delete threads idle for longer than --older-than (default KEDREC_THREAD_TTL_DAYS), compact the rest to their last checkpoint, and reclaim the space')
    .option('--older-than <age>', 'e.g. 30d, 12h')
    .action(async (o: { olderThan?: string }) => {
      const config = loadConfig();
      const ms = o.olderThan ? parseAge(o.olderThan) : config.KEDREC_THREAD_TTL_DAYS * 86_400_000;
      const saver = createCheckpointer(config.KEDREC_CHECKPOINT_PATH);
      try {
        const registry = sqliteThreadRegistry(saver.db);
        const before = saver.db.prepare('SELECT COALESCE(SUM(length(checkpoint)), 0) FROM checkpoints').pluck().get() as number;
        let deleted = 0;
        if (ms > 0) {
          for (const id of registry.idleSince(Date.now() - ms, 1_000_000)) {
            saver.db.prepare('DELETE FROM checkpoints WHERE thread_id = ?').run(id);
            saver.db.prepare('DELETE FROM writes WHERE thread_id = ?').run(id);
            registry.delete(id);
            deleted++;
          }
        }
        // Threads written before compaction existed still hold every intermediate checkpoint.
        const ids = saver.db.prepare('SELECT DISTINCT thread_id FROM checkpoints').pluck().all() as string[];
        for (const id of ids) await compactThread(saver, id);
        saver.db.exec('VACUUM');
        const after = saver.db.prepare('SELECT COALESCE(SUM(length(checkpoint)), 0) FROM checkpoints').pluck().get() as number;
        process.stdout.write(`deleted ${deleted} idle thread(s); ${ids.length} kept and compacted; checkpoint bytes ${before} → ${after}\n`);
      } finally {
        saver.close();
      }
    });
}
