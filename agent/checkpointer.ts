import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';

/** LangGraph's SQLite saver, with what the app needs of it: tables created on demand, and `close()`. */
class FileSqliteSaver extends SqliteSaver {
  /** `setup()` is protected: LangGraph otherwise runs it lazily, on the first read or write. */
  createTables(): void {
    this.setup();
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Conversation persistence: LangGraph's SQLite checkpointer on a file, keyed by thread ID, so a
 * thread survives a process restart. The directory is created; `close()` releases the file.
 */
export function createCheckpointer(file: string): SqliteSaver & { close(): void } {
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // What SqliteSaver.fromConnString does, with the subclass.
    const saver = new FileSqliteSaver(new Database(file));
    // Several connections (the server's workers, a CLI beside it) share the file: wait for a lock instead of failing.
    saver.db.pragma('busy_timeout = 5000');
    // Create the tables now: an unwritable path fails at start-up, not on the first turn.
    saver.createTables();
    return saver;
  } catch (err) {
    throw new Error(`KEDREC_CHECKPOINT_PATH=${file}: the conversation store cannot be opened for writing (${(err as Error).message}); point it at a writable file`);
  }
}
