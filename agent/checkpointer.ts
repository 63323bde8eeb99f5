import fs from 'node:fs';
import path from 'node:path';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';

/**
 * Conversation persistence: LangGraph's SQLite checkpointer on a file, keyed by thread ID, so a
 * thread survives a process restart. The directory is created; `close()` releases the file.
 */
export function createCheckpointer(file: string): SqliteSaver & { close(): void } {
  let saver: SqliteSaver & { close(): void };
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    saver = SqliteSaver.fromConnString(file) as SqliteSaver & { close(): void };
    // Several connections (the server's workers, a CLI beside it) share the file: wait for a lock instead of failing.
    saver.db.pragma('busy_timeout = 5000');
    // Create the tables now: an unwritable path fails at start-up, not on the first turn.
    (saver as unknown as { setup(): void }).setup();
  } catch (err) {
    throw new Error(`KEDREC_CHECKPOINT_PATH=${file}: the conversation store cannot be opened for writing (${(err as Error).message}); point it at a writable file`);
  }
  saver.close = () => saver.db.close();
  return saver;
}
