import fs from 'node:fs';
import path from 'node:path';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';

/**
 * Conversation persistence: LangGraph's SQLite checkpointer on a file, keyed by thread ID, so a
 * thread survives a process restart. The directory is created; `close()` releases the file.
 */
export function createCheckpointer(file: string): SqliteSaver & { close(): void } {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const saver = SqliteSaver.fromConnString(file) as SqliteSaver & { close(): void };
  saver.close = () => saver.db.close();
  return saver;
}
