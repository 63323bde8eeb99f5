import type { Command } from 'commander';
import { openConversationStore } from '../../agent/conversation-store.js';
import { loadConfig } from '../../config.js';

/** "30d", "12h", "90m" → milliseconds. */
function parseAge(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dhm])$/.exec(s.trim());
  if (!m) throw new Error(`--older-than ${JSON.stringify(s)}: a number followed by d, h or m (e.g. 30d)`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd'];
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
        const before = await store.storedBytes();
        let deleted = 0;
        if (ms > 0) {
          for (const id of await store.registry.idleSince(Date.now() - ms, 1_000_000)) {
            await store.saver.deleteThread(id);
            await store.registry.delete(id);
            deleted++;
          }
        }
        // Threads written before compaction existed still hold every intermediate checkpoint.
        const ids = await store.threadIds();
        for (const id of ids) await store.compact(id);
        await store.reclaim();
        const after = await store.storedBytes();
        process.stdout.write(`deleted ${deleted} idle thread(s); ${ids.length} kept and compacted; checkpoint bytes ${before} → ${after}\n`);
      } finally {
        await store.close();
      }
    });
}
