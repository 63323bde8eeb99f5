import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Durable Slack event queue. Each event is written before Slack gets its acknowledgement, then
 * answered from the store; an event id already stored is never answered again, across restarts.
 * A process killed between the ack and the reply leaves the event `pending`, and the next process
 * answers it on start.
 */
export interface SlackEventStore {
  /** Stores the event; false when its id was seen before (a Slack retry or a replay). */
  insertIfNew(id: string, payload: unknown): boolean;
  /** Events not yet answered (oldest first), including ones a killed process left behind. */
  pending(limit?: number): { id: string; payload: unknown; attempts: number }[];
  markDone(id: string): void;
  /** Records a failed attempt; after `maxAttempts` the event is given up (kept, marked failed). */
  markFailed(id: string, error: string, maxAttempts?: number): void;
  /** Drops answered events older than `olderThanMs` (ids younger than Slack's retry window are kept). */
  prune(olderThanMs: number): number;
  close(): void;
}

export function createSlackEventStore(file: string): SlackEventStore {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new Error(`the Slack event store ${file} cannot be opened (${(err as Error).message}); set KEDREC_SLACK_EVENTS_PATH to a writable file`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS slack_events (
    id TEXT PRIMARY KEY, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0, error TEXT, received_at INTEGER NOT NULL, done_at INTEGER)`);
  const ins = db.prepare("INSERT OR IGNORE INTO slack_events (id, payload, received_at) VALUES (?, ?, ?)");
  const pend = db.prepare("SELECT id, payload, attempts FROM slack_events WHERE status = 'pending' ORDER BY received_at LIMIT ?");
  const done = db.prepare("UPDATE slack_events SET status = 'done', done_at = ?, payload = '{}' WHERE id = ?");
  const fail = db.prepare("UPDATE slack_events SET attempts = attempts + 1, error = ?, status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE id = ?");
  const prune = db.prepare("DELETE FROM slack_events WHERE status != 'pending' AND received_at < ?");
  return {
    insertIfNew: (id, payload) => ins.run(id, JSON.stringify(payload), Date.now()).changes === 1,
    pending: (limit = 50) => (pend.all(limit) as { id: string; payload: string; attempts: number }[]).map((r) => ({ id: r.id, payload: JSON.parse(r.payload), attempts: r.attempts })),
    markDone: (id) => void done.run(Date.now(), id),
    markFailed: (id, error, maxAttempts = 3) => void fail.run(error.slice(0, 500), maxAttempts, id),
    prune: (olderThanMs) => prune.run(Date.now() - olderThanMs).changes,
    close: () => db.close(),
  };
}
